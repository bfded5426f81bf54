"""The frame the list pages (organisations, placements) share, and the record tables they and the
record pages are made of."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.ui.kit.context import AppContext
from crm.ui.kit.models import Column, IdRole, RecordTableModel, SortRole
from crm.ui.kit.widgets import (
    EmptyState,
    EnterFilter,
    PageHeader,
    make_table,
    plain_label,
    restore_header,
    save_header,
)
from crm.ui.kit.workers import LatestRequest

T = TypeVar("T")


def sortable(model: RecordTableModel[Any], parent: QWidget) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    return proxy


def record_table(
    name: str, accessible: str, model: RecordTableModel[Any], parent: QWidget
) -> tuple[QTableView, QSortFilterProxyModel]:
    view = make_table(name, accessible)
    proxy = sortable(model, parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    for i, column in enumerate(model.columns):
        if column.width:
            view.setColumnWidth(i, column.width)
    return view, proxy


def selected_id(view: QTableView) -> int | None:
    index = view.currentIndex()
    if not index.isValid():
        return None
    value = view.model().data(index, IdRole)
    return int(value) if value is not None else None


def open_on_enter(view: QTableView, open_fn: Callable[[], object]) -> EnterFilter:
    enter = EnterFilter(view)
    enter.activated.connect(open_fn)
    view.installEventFilter(enter)
    view.doubleClicked.connect(lambda _i: open_fn())
    return enter


class ListPage(QWidget, Generic[T]):
    """A list of records: a header with the count and a New… button, a filter box with the
    page's own filters beside it, the sortable table (Enter opens a record), and an empty state
    that says whether nothing exists yet or nothing matches.

    A page names its records and the New… shortcut, says which changes refresh it, and fills
    in ``columns``, ``setup_filters``, ``refresh`` (read the rows with ``load``) and
    ``new_record``."""

    #: The record in the recruiter's words ("placement"): the title, the count, what opens.
    noun: str
    #: The main window's shortcut for New…, named in the button's tooltip and the empty list.
    new_shortcut: str
    #: The kinds of change (AppContext.changed) that can alter this list.
    refresh_on: tuple[str, ...]
    #: What the empty state suggests when the filters leave nothing.
    no_match_hint = "Clear the filters to see them all."

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        noun, plural = self.noun, f"{self.noun}s"
        title = plural.capitalize()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader(title)
        self.count_label = plain_label("", "PageSubtitle")
        self.header.beside_title.addWidget(self.count_label)
        new = QPushButton(f"New {noun}…")
        article = "an" if noun[0] in "aeiou" else "a"
        new.setToolTip(f"Add {article} {noun} ({self.new_shortcut})")
        new.clicked.connect(self.new_record)
        self.header.action_row.addWidget(new)
        row = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setAccessibleName(f"Filter {plural}")
        self.filter_edit.setClearButtonEnabled(True)
        row.addWidget(self.filter_edit)
        # Built here, before the table, so Tab goes through them in the order they are shown.
        self._filters = self.setup_filters()
        for widget in self._filters:
            row.addWidget(widget)
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.refresh)
            else:
                widget.toggled.connect(self.refresh)
        row.addStretch(1)
        self.header.body.addLayout(row)
        layout.addWidget(self.header)
        self.model: RecordTableModel[T] = RecordTableModel(self.columns(), parent=self)
        self.table, self.proxy = record_table(f"{title}Table", title, self.model, self)
        self._settings = settings  # to save the column layout (save_state)
        restore_header(settings, plural, self.table)
        self._enter = open_on_enter(self.table, self.open_current)
        self.stack = QStackedWidget()
        self.empty = EmptyState(f"No {plural} yet", self._empty_hint())
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self._loaded = False
        self._loads = LatestRequest()  # only the newest load's rows are shown (see load)
        ctx.changed.connect(self._on_changed)
        ctx.database_changed.connect(lambda: setattr(self, "_loaded", False))

    def columns(self) -> list[Column[T]]:
        raise NotImplementedError

    def setup_filters(self) -> list[QComboBox | QCheckBox]:
        """Set up the text box (placeholder, width, what typing does) and return the filters
        to show beside it; changing one of those refreshes the list."""
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    def new_record(self) -> None:
        raise NotImplementedError

    def load(self, fn: Callable[..., Sequence[T]], *args: Any, **kwargs: Any) -> None:
        """Read the rows with the service function ``fn`` off the GUI thread and show them;
        rows from an earlier, slower call are dropped."""
        self._loaded = True

        @self._loads.start().guard
        def show(rows: Sequence[T]) -> None:
            self.model.set_rows(rows)
            self._update_count()

        self.ctx.read(fn, *args, on_done=show, label=f"Loading {self.noun}s", **kwargs)

    def is_filtered(self) -> bool:
        """Text typed, a combo off its first ("any") item, or a box ticked."""
        return bool(self.filter_edit.text()) or any(
            w.currentIndex() != 0 if isinstance(w, QComboBox) else w.isChecked()
            for w in self._filters
        )

    def _empty_hint(self) -> str:
        return f"Add one with New {self.noun} ({self.new_shortcut})."

    def _update_count(self) -> None:
        n = self.proxy.rowCount()
        self.count_label.setText(f"{n:,} {self.noun}{'s' if n != 1 else ''}")
        if n:
            self.stack.setCurrentWidget(self.table)
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
        else:
            filtered = self.is_filtered()
            self.empty.set_text(
                f"No {self.noun} matches" if filtered else f"No {self.noun}s yet",
                self.no_match_hint if filtered else self._empty_hint(),
            )
            self.stack.setCurrentWidget(self.empty)

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def open_current(self) -> None:
        entity_id = selected_id(self.table)
        if entity_id is not None:
            self.ctx.open(self.noun, entity_id)

    def _on_changed(self, kind: str, _id: int) -> None:
        if self._loaded and kind in self.refresh_on:
            self.refresh()

    def save_state(self) -> None:
        save_header(self._settings, f"{self.noun}s", self.table)
