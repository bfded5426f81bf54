"""The People list: search results as you type, with filters, over a lazy id-only model."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm.domain.enums import Sector
from crm.domain.filters import PeopleFilter
from crm.services import organisations as org_service
from crm.services import people as people_service
from crm.services.views import OrganisationSummary, PersonSummary
from crm.storage.db import Database
from crm.ui.assignments.matches import AssignmentMatches
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import esc
from crm.ui.kit.models import PEOPLE_COLUMNS, IdRole, PeopleTableModel, person_sort_key
from crm.ui.kit.timeline_view import crm_link
from crm.ui.kit.widgets import (
    EmptyState,
    EnterFilter,
    PageHeader,
    link_label,
    make_table,
    restore_header,
    save_header,
)
from crm.ui.kit.workers import LatestRequest, Progress, Request, Task

log = logging.getLogger(__name__)

# Sorting needs every row's values: about 1.1 s for 100,000 people, in the background. A
# sort chosen from the header takes the whole list; a search typed while a sort is on is
# sorted up to SORT_AS_YOU_TYPE results (a second a keystroke would be too much), and
# keeps its ranking beyond that.
SORT_LIMIT = people_service.LIST_LIMIT
SORT_AS_YOU_TYPE = 20_000
_SORT_CHUNK = 5_000


def sorted_people_ids(
    db: Database,
    ids: Sequence[int],
    column: str,
    ascending: bool,
    progress: Progress | None = None,
) -> tuple[list[int], list[PersonSummary]]:
    """``ids`` ordered by a column (runs in a worker); also returns the rows it loaded.
    Loads the rows a chunk at a time, reporting to ``progress`` and stopping if cancelled."""
    rows: list[PersonSummary] = []
    for start in range(0, len(ids), _SORT_CHUNK):
        if progress is not None:
            progress.check()
            progress.report(start, len(ids), f"Sorting {len(ids):,} people")
        rows.extend(people_service.person_summaries(db, ids[start : start + _SORT_CHUNK]))
    key = person_sort_key(column)
    with_value = [r for r in rows if not key(r)[0]]
    empty = [r for r in rows if key(r)[0]]
    with_value.sort(key=lambda r: key(r)[1], reverse=not ascending)
    ordered = with_value + empty  # empty values stay last either way
    return [r.id for r in ordered], ordered


class PopupComboBox(QComboBox):
    """A combo box that says when its list is about to open (to fill it on demand)."""

    popup_opening = Signal()

    def showPopup(self) -> None:
        self.popup_opening.emit()
        super().showPopup()


class PeoplePage(QWidget):
    """Search results and filters; Enter opens the selected person."""

    count_changed = Signal(int)
    #: The first rows of a search are in the table (the whole list may still be coming).
    first_rows_ready = Signal(int)
    #: The whole result list is in the table.
    results_ready = Signal(int)

    DEBOUNCE_MS = 150
    #: Matching organisations are looked up this long after a search's people are shown, so
    #: the lookup's thread does not compete with painting them.
    ORG_MATCHES_DELAY_MS = 20

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self._text = ""
        self._searches = LatestRequest()
        self._sort: tuple[str, bool] | None = None
        self._list_task: Task | None = None  # the search or sort filling the list now
        self._org_choices: list[OrganisationSummary] = []
        self._orgs_loaded = False
        self.last_search_ms = 0.0
        self.first_rows_ms = 0.0
        self._shown_first: Request | None = None  # the search whose first page is on screen
        self.model = PeopleTableModel(self._load_rows, self)
        self.model.sort_requested.connect(self._sort_requested)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._org_matches_timer = QTimer(self)
        self._org_matches_timer.setSingleShot(True)
        self._org_matches_timer.setInterval(self.ORG_MATCHES_DELAY_MS)
        self._org_matches_timer.timeout.connect(lambda: self._find_organisations(self._text))
        self._build()
        ctx.changed.connect(self._on_changed)
        ctx.database_changed.connect(self.reload)

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader("People")
        self.count_label = QLabel("")
        self.count_label.setObjectName("PageSubtitle")
        self.header.beside_title.addWidget(self.count_label)
        self.new_button = QPushButton("New person…")
        self.new_button.setToolTip("Add a person (Ctrl+N)")
        self.new_button.setAccessibleName("New person")
        self.header.action_row.addWidget(self.new_button)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind filter")
        for text, value in (
            ("Everyone", None),
            ("Client contacts", "client"),
            ("Candidates", "candidate"),
        ):
            self.kind_combo.addItem(text, value)
        self.sector_combo = QComboBox()
        self.sector_combo.setAccessibleName("Sector filter")
        self.sector_combo.addItem("All sectors", None)
        for sector in Sector:
            self.sector_combo.addItem(sector.label, sector.value)
        self.org_combo = PopupComboBox()
        self.org_combo.popup_opening.connect(self._org_popup_opening)
        self.org_combo.setAccessibleName("Organisation filter")
        self.org_combo.setMinimumWidth(180)
        self.org_combo.setMaxVisibleItems(20)
        self.org_combo.addItem("All organisations", None)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("Tag")
        self.tag_edit.setAccessibleName("Tag filter")
        self.tag_edit.setClearButtonEnabled(True)
        self.tag_edit.setMaximumWidth(140)
        self.tag_edit.setMinimumWidth(80)
        self.available_spin = QSpinBox()
        self.available_spin.setAccessibleName("Available within weeks")
        self.available_spin.setRange(0, 104)
        self.available_spin.setSpecialValueText("Available any time")
        self.available_spin.setPrefix("Within ")
        self.available_spin.setSuffix(" weeks")
        # "Within 1 week", not "Within 1 weeks".
        self.available_spin.valueChanged.connect(
            lambda n: self.available_spin.setSuffix(" week" if n == 1 else " weeks")
        )
        self.available_spin.setToolTip("Candidates available within this many weeks")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setAccessibleName("Clear filters")
        for w in (
            self.kind_combo,
            self.sector_combo,
            self.org_combo,
            self.tag_edit,
            self.available_spin,
            self.clear_button,
        ):
            filters.addWidget(w)
        for combo in (self.kind_combo, self.sector_combo, self.org_combo):
            # Long organisation names must not make the window wider than the screen.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        filters.addStretch(1)
        self.header.body.addLayout(filters)
        self.org_matches = link_label("", self._on_link)
        self.org_matches.hide()
        self.header.body.addWidget(self.org_matches)
        self.assignment_matches = AssignmentMatches(self.ctx)  # a word of a role or client
        self.header.body.addWidget(self.assignment_matches.label)
        layout.addWidget(self.header)

        self.stack = QStackedWidget()
        self.table = make_table("PeopleTable", "People")
        # Results go from a handful of rows to thousands as you type: a scroll bar that came
        # and went would resize the table and repaint it twice per keystroke, and shift the
        # columns sideways.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header.setSortIndicatorClearable(True)
        if not restore_header(self._settings, "people", self.table):
            for i, column in enumerate(PEOPLE_COLUMNS):
                self.table.setColumnWidth(i, column.width)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self._enter = EnterFilter(self.table)
        self._enter.activated.connect(self.open_current)
        self.table.installEventFilter(self._enter)
        self.empty = EmptyState("No one matches", "Try fewer words, or clear the filters.")
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.kind_combo.currentIndexChanged.connect(self.refresh)
        self.sector_combo.currentIndexChanged.connect(self.refresh)
        self.org_combo.currentIndexChanged.connect(self.refresh)
        self.tag_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.available_spin.valueChanged.connect(self.refresh)
        self.clear_button.clicked.connect(self.clear_filters)

    # -- what to search for --------------------------------------------------------------------
    def filters(self) -> PeopleFilter:
        weeks = self.available_spin.value()
        return PeopleFilter(
            organisation_id=self.org_combo.currentData(),
            sector=self.sector_combo.currentData(),
            kind=self.kind_combo.currentData(),
            tag=self.tag_edit.text().strip() or None,
            available_before=date.today() + timedelta(weeks=weeks) if weeks else None,
        )

    def clear_filters(self) -> None:
        for combo in (self.kind_combo, self.sector_combo, self.org_combo):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.tag_edit.blockSignals(True)
        self.tag_edit.clear()
        self.tag_edit.blockSignals(False)
        self.available_spin.blockSignals(True)
        self.available_spin.setValue(0)
        self.available_spin.blockSignals(False)
        self.refresh()

    def set_organisation_filter(self, organisation_id: int | None) -> None:
        if not self._org_choices:  # the choices have not arrived yet
            self._set_org_choices(org_service.list_organisations(self.ctx.db))
        i = self.org_combo.findData(organisation_id)
        if i >= 0:
            self.org_combo.setCurrentIndex(i)

    def set_search_text(self, text: str) -> None:
        """As the user types: search after a short pause."""
        if text == self._text:
            return
        self._text = text
        self._debounce.start()

    @property
    def search_text(self) -> str:
        return self._text

    # -- searching -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Search now in the background; results replace the list when they arrive.

        The first page comes first (a LIMIT query and its rows), so the list answers at once;
        the whole id list follows from the same worker.
        """
        self._debounce.stop()
        self._org_matches_timer.stop()  # those of the previous search are not wanted now
        request = self._searches.start()
        text, filters, sort = self._text, self.filters(), self._sort
        started = time.perf_counter()
        db = self.ctx.db
        page = self.model.PAGE

        def work(progress: Progress) -> tuple[list[int], list[PersonSummary]]:
            if sort is None:
                # One statement for ranked text: the best page and its rows together.
                rows = people_service.search_people(db, text, filters, limit=page)
                first = [row.id for row in rows]
                if len(first) < page:
                    return first, rows  # that was everyone
                progress.partial((first, rows))
            ids = people_service.search_people_id_list(db, text, filters)
            if sort is not None and (len(ids) <= SORT_AS_YOU_TYPE or not text.strip()):
                return sorted_people_ids(db, ids, *sort, progress)
            return ids, []

        self._start_list_task(
            work,
            lambda result: self._got_ids(request, result, started),
            label="Searching people",
            on_partial=lambda result: self._got_first_page(request, result, started),
        )

    def _got_first_page(
        self, request: Request, result: tuple[list[int], list[PersonSummary]], started: float
    ) -> None:
        if not request.is_current:
            return
        ids, rows = result
        self.model.prime(rows)
        self._shown_first = request
        self._show_ids(ids, partial=True)
        self.first_rows_ms = (time.perf_counter() - started) * 1000
        self.first_rows_ready.emit(len(ids))

    def _got_ids(
        self, request: Request, result: tuple[list[int], list[PersonSummary]], started: float
    ) -> None:
        if not request.is_current:
            return  # an older search finished after a newer one started
        ids, rows = result
        self.model.prime(rows)
        first_time = request is not self._shown_first  # no first page went ahead of it
        self._show_ids(ids, after_first=not first_time)
        if self._sort is not None and not rows and len(ids) > SORT_AS_YOU_TYPE:
            self.ctx.message.emit(
                f"Best matches first: a search is sorted up to {SORT_AS_YOU_TYPE:,} results."
            )
        self.last_search_ms = (time.perf_counter() - started) * 1000
        if first_time:
            self.first_rows_ms = self.last_search_ms
            self.first_rows_ready.emit(len(ids))
        self.results_ready.emit(len(ids))
        # Matching organisations come after the people are painted, so they never slow them.
        self._org_matches_timer.start()

    def _show_ids(
        self, ids: list[int], *, partial: bool = False, after_first: bool = False
    ) -> None:
        """Show a search's ids; ``partial`` for its first page, ``after_first`` for the whole
        list once that first page is shown."""
        n = len(ids)
        if partial:
            self.count_label.setText(f"{n:,}+ people")
        else:
            self.count_label.setText(f"{n:,} {'person' if n == 1 else 'people'}")
            self.count_changed.emit(n)
        if after_first and self.model.extend_ids(ids):
            # The whole list starts with the page on screen: its rows were appended below it,
            # and the view kept its selection and scroll position (no reset, no repaint of
            # the rows shown).
            return
        selected = self.current_person_id()
        self.model.set_ids(ids, keep_cache=True)
        if n:
            self.stack.setCurrentWidget(self.table)
            row = self.model.row_of(selected) if selected is not None else -1
            self.table.selectRow(row if row >= 0 else 0)
        else:
            if self._text or self.filters() != PeopleFilter():
                self.empty.set_text("No one matches", "Try fewer words, or clear the filters.")
            else:
                self.empty.set_text(
                    "No people yet",
                    "Add someone with New person (Ctrl+N), or import contacts from the File menu.",
                )
            self.stack.setCurrentWidget(self.empty)

    def _load_rows(self, ids: Sequence[int]) -> list[PersonSummary]:
        # A page of at most PAGE rows by primary key: a few milliseconds, fine on this thread.
        return people_service.person_summaries(self.ctx.db, ids)

    def _find_organisations(self, text: str) -> None:
        self.assignment_matches.find(text)
        if len(text.strip()) < 3:
            self.org_matches.hide()
            return

        @self._searches.current.guard
        def show(orgs: list[OrganisationSummary]) -> None:
            if not orgs:
                self.org_matches.hide()
                return
            links = " · ".join(
                f'<a href="crm:organisation:{o.id}">{esc(o.name)}</a>'
                f" <span style='color:gray'>({o.people_count} people)</span>"
                for o in orgs[:4]
            )
            self.org_matches.setText(f"Organisations: {links}")
            self.org_matches.show()

        self.ctx.read(org_service.list_organisations, text, limit=4, on_done=show)

    def _sort_requested(self, column: str, ascending: bool) -> None:
        self._sort = (column, ascending)
        ids = self.model.ids
        if len(ids) > SORT_LIMIT:
            self.ctx.message.emit(
                f"Sorting works on up to {SORT_LIMIT:,} people; search or filter first."
            )
            self._sort = None
            self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            return
        request = self._searches.start()
        started = time.perf_counter()
        db = self.ctx.db
        self._start_list_task(
            lambda progress: sorted_people_ids(db, ids, column, ascending, progress),
            lambda result: self._got_ids(request, result, started),
            label=f"Sorting {len(ids):,} people",
            on_progress=request.guard(self._sorting),
        )

    def _start_list_task(self, work: Callable[[Progress], Any], *args: Any, **kw: Any) -> None:
        """Run a search or sort for the list, stopping the one before it: its result would
        be dropped anyway, and a sort of the whole list takes a second."""
        if self._list_task is not None and not self._list_task.finished:
            self._list_task.cancel()
        self._list_task = self.ctx.runner.run_with_progress(work, *args, **kw)

    def _sorting(self, done: int, total: int, _text: str) -> None:
        if total:
            self.count_label.setText(f"Sorting {total:,} people… {100 * done // total}%")

    # -- loading the organisation choices ----------------------------------------------------
    def reload(self) -> None:
        self.model.set_loader(self._load_rows)
        self._orgs_loaded = False
        self.refresh()

    def _load_org_choices(self) -> None:
        # Listing organisations counts everyone at each (seconds on a big team database), so
        # the filter's choices load in the background, the first time the list is opened.
        self._orgs_loaded = True
        if self.org_combo.count() <= 1:
            self.org_combo.addItem("Loading organisations…", -1)
            item = self.org_combo.model().item(1)  # type: ignore[attr-defined]
            item.setEnabled(False)
        self.ctx.read(
            org_service.list_organisations,
            on_done=self._set_org_choices,
            label="Loading organisations",
        )

    def _org_popup_opening(self) -> None:
        if not self._orgs_loaded:
            self._load_org_choices()

    def _set_org_choices(self, orgs: list[OrganisationSummary]) -> None:
        current = self.org_combo.currentData()
        self.org_combo.blockSignals(True)
        self.org_combo.clear()
        self.org_combo.addItem("All organisations", None)
        for o in orgs:
            self.org_combo.addItem(o.name, o.id)
        i = self.org_combo.findData(current)
        self.org_combo.setCurrentIndex(max(i, 0))
        self.org_combo.blockSignals(False)
        self._org_choices = orgs
        self._orgs_loaded = True
        if self.org_combo.view().isVisible():  # re-open to fit the arrived list
            self.org_combo.hidePopup()
            self.org_combo.showPopup()

    # -- opening -----------------------------------------------------------------------------
    def current_person_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
            if not rows:
                return None
            index = rows[0]
        value: Any = self.model.data(index, IdRole)
        return int(value) if value is not None else None

    def open_current(self) -> None:
        person_id = self.current_person_id()
        if person_id is None and self.model.rowCount() > 0:
            person_id = self.model.id_at(0)
        if person_id is not None:
            self.ctx.open("person", person_id)

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)

    def move_selection(self, delta: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        index = self.table.currentIndex()
        row = index.row() if index.isValid() else -1
        self.table.selectRow(max(0, min(rows - 1, row + delta)))

    def _on_link(self, href: str) -> None:
        target = crm_link(href)  # the organisation matches hold only our own links
        if target is not None:
            self.ctx.open(*target)

    def _on_changed(self, kind: str, entity_id: int) -> None:
        if kind == "person":
            self.model.forget(entity_id)
            self.refresh()
        elif kind in ("interaction", "employment", "organisation"):
            self.model.clear_cache()
            if kind == "organisation" and self._orgs_loaded:
                self._load_org_choices()

    def save_state(self) -> None:
        save_header(self._settings, "people", self.table)
