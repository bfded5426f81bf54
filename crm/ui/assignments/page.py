"""The assignments list, and an assignment's page: its facts, the shortlist board and the
candidates matched to it (Enter on one adds them to the shortlist)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.domain.display import fmt_money_range
from crm.domain.enums import AssignmentStatus, Sector, ShortlistStage
from crm.services.assignments import matching, records, shortlist, views
from crm.services.assignments.views import AssignmentDetail, AssignmentSummary, CandidateMatch
from crm.ui.assignments.board import Board
from crm.ui.assignments.dialogs import AssignmentDialog, CloseDialog, PlaceDialog, StageDialog
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import esc, fmt_date
from crm.ui.kit.forms import open_dialog
from crm.ui.kit.list_page import ListPage
from crm.ui.kit.models import Column
from crm.ui.kit.timeline_view import follow_link
from crm.ui.kit.widgets import RecordHeader, enum_combo, plain_label
from crm.ui.kit.workers import LatestRequest

log = logging.getLogger(__name__)

STATUS_TONE = {
    "open": "success",
    "on_hold": "neutral",
    "filled": "client",
    "lost": "danger",
    "cancelled": "danger",
}

MatchRole = Qt.ItemDataRole.UserRole + 2


def _start(start_asap: bool, start: Any) -> str:
    return "ASAP" if start_asap else fmt_date(start, "")


class AssignmentsPage(ListPage[AssignmentSummary]):
    """Every assignment, newest first; by status, owner and sector; typing filters by role or
    client."""

    noun = "assignment"
    new_shortcut = "Ctrl+Shift+A"
    refresh_on = ("assignment", "organisation")

    def setup_filters(self) -> list[QComboBox | QCheckBox]:
        self.filter_edit.textChanged.connect(self._filter_text)
        self.filter_edit.setPlaceholderText("Filter by role or client (Ctrl+F)")
        self.filter_edit.setMinimumWidth(300)
        self.status_combo = enum_combo(
            AssignmentStatus, blank="Any status", accessible="Status filter"
        )
        self.status_combo.insertItem(1, "Open or on hold", "active")
        self.owner_combo = QComboBox()
        self.owner_combo.setAccessibleName("Owner filter")
        self.owner_combo.addItem("Anyone's", None)
        self.sector_combo = enum_combo(Sector, blank="Any sector", accessible="Sector filter")
        return [self.status_combo, self.owner_combo, self.sector_combo]

    def refresh(self) -> None:
        self.load(
            records.list_assignments,
            status=self.status_combo.currentData(),
            owner=self.owner_combo.currentData(),
            sector=self.sector_combo.currentData(),
        )

    def load(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        super().load(fn, *args, **kwargs)
        # The owners offered are those of the rows shown with any owner (kept once seen).
        self.ctx.read(records.list_assignments, on_done=self._owners, label="Loading owners")

    def _owners(self, rows: list[AssignmentSummary]) -> None:
        have = {self.owner_combo.itemData(i) for i in range(self.owner_combo.count())}
        self.owner_combo.blockSignals(True)
        for owner in sorted({r.owner for r in rows if r.owner} - have):
            self.owner_combo.addItem(owner, owner)
        self.owner_combo.blockSignals(False)

    def _filter_text(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_count()

    def columns(self) -> list[Column[AssignmentSummary]]:
        return [
            Column("Role", lambda a: a.role, width=260),
            Column("Client", lambda a: a.organisation, width=250),
            Column(
                "Status",
                lambda a: AssignmentStatus(a.status).label,
                sort=lambda a: a.status,
                width=80,
            ),
            Column(
                "Start",
                lambda a: _start(a.start_asap, a.start_date),
                sort=lambda a: a.start_date,
                width=90,
            ),
            Column(
                "Charge rate",
                lambda a: fmt_money_range(a.charge_rate_min, a.charge_rate_max, a.currency),
                sort=lambda a: a.charge_rate_max,
                align=Qt.AlignmentFlag.AlignRight,
                width=120,
            ),
            Column("On list", lambda a: str(a.shortlisted), sort=lambda a: a.shortlisted, width=60),
            Column("Owner", lambda a: a.owner or "", width=110, muted=True),
            Column("Opened", lambda a: fmt_date(a.opened_on), sort=lambda a: a.opened_on, width=90),
        ]

    def new_record(self) -> None:
        open_dialog(AssignmentDialog(self.ctx, None, self))


class MatchList(QListWidget):
    """Matched candidates, best first, each with the reasons; Enter adds one to the shortlist."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("MatchList")
        self.setAccessibleName("Matched candidates")
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setSpacing(3)
        self.setToolTip("Enter adds the candidate to the shortlist; double-click opens them")

    def set_matches(self, matches: list[CandidateMatch]) -> None:
        self.clear()
        for m in matches:
            item = QListWidgetItem(f"{m.name}  ·  fit {m.score}\n" + "; ".join(m.reasons))
            item.setData(MatchRole, m)
            self.addItem(item)
        if matches:
            self.setCurrentRow(0)

    def current_match(self) -> CandidateMatch | None:
        item = self.currentItem()
        match: CandidateMatch | None = item.data(MatchRole) if item is not None else None
        return match


class AssignmentPage(QWidget):
    """One assignment: the facts, the shortlist board and matched candidates."""

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self.detail: AssignmentDetail | None = None
        self.dialog: Any = None  # the open reason or place dialog (tests drive it)
        self._loads = LatestRequest()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        edit = QPushButton("Edit…")
        edit.setAccessibleName("Edit assignment")
        edit.clicked.connect(self.edit)
        self.close_button = QPushButton("Close…")
        self.close_button.setToolTip("Close as filled, lost or cancelled, with the reason")
        self.close_button.clicked.connect(self.close_assignment)
        self.header = RecordHeader(self._on_link, (edit, self.close_button), wrap_facts=True)
        layout.addWidget(self.header)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        board_box = QVBoxLayout(left)
        board_box.setContentsMargins(24, 12, 12, 12)
        board_box.addWidget(plain_label("Shortlist", "SectionTitle"))
        board_box.addWidget(
            plain_label(
                "Arrows move between cards · N next stage · R reject or withdraw · P place · "
                "Enter opens · drag a card to another column",
                "Muted",
            )
        )
        self.board = Board()
        self.board.move_requested.connect(self.move_to)
        self.board.advance_requested.connect(self.advance)
        self.board.out_requested.connect(self.take_out)
        self.board.place_requested.connect(self.place)
        self.board.open_requested.connect(lambda pid: self.ctx.open("person", pid))
        board_box.addWidget(self.board, 1)
        split.addWidget(left)
        right = QWidget()
        match_box = QVBoxLayout(right)
        match_box.setContentsMargins(12, 12, 24, 12)
        match_box.addWidget(plain_label("Matched candidates", "SectionTitle"))
        match_box.addWidget(plain_label("Enter shortlists the one selected", "Muted"))
        self.matches = MatchList()
        self.matches.installEventFilter(self)
        self.matches.itemDoubleClicked.connect(
            lambda item: self.ctx.open("person", item.data(MatchRole).person_id)
        )
        match_box.addWidget(self.matches, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        right.setFixedWidth(300)  # the reasons wrap the same way whatever the window's size
        layout.addWidget(split, 1)
        ctx.changed.connect(self._on_changed)

    # -- loading ------------------------------------------------------------------------------
    @property
    def assignment_id(self) -> int | None:
        return self.detail.id if self.detail else None

    def open(self, assignment_id: int) -> None:
        request = self._loads.start()
        self.ctx.read(
            records.get_assignment,
            assignment_id,
            on_done=request.guard(self._show),
            label="Opening assignment",
        )
        self.ctx.read(
            matching.match_candidates,
            assignment_id,
            on_done=request.guard(self.matches.set_matches),
            label="Matching candidates",
        )

    def _show(self, d: AssignmentDetail) -> None:
        self.detail = d
        who = f'<a href="crm:organisation:{d.organisation_id}">{esc(d.organisation)}</a>'
        if d.contact_id:
            who += f' · hiring contact <a href="crm:person:{d.contact_id}">{esc(d.contact)}</a>'
        for pid in d.placement_ids:
            who += f' · <a href="crm:placement:{pid}">placement</a>'
        facts = [
            f"charge <b>{esc(text.removeprefix('charge '))}</b>" if what == "charge" else esc(text)
            for what, text in d.facts()
        ]
        if d.closed_reason:
            facts.append(f"closed {esc(fmt_date(d.closed_on))}: {esc(d.closed_reason)}")
        status = (AssignmentStatus(d.status).label, STATUS_TONE.get(d.status, "neutral"))
        self.header.show_record(d.role, status, who, facts)
        self.close_button.setEnabled(not AssignmentStatus(d.status).is_closed)
        self.board.set_cards(d.shortlist, d.currency)

    def _reload(self) -> None:
        if self.detail is not None:
            self.open(self.detail.id)

    def _on_changed(self, kind: str, entity_id: int) -> None:
        if self.detail is None:
            return
        if (kind == "assignment" and entity_id == self.detail.id) or kind == "person":
            self._reload()

    def _on_link(self, href: str) -> None:
        follow_link(href, self.ctx.open)

    # -- actions ------------------------------------------------------------------------------
    def _card(self, entry_id: int) -> views.ShortlistCard | None:
        if self.detail is None:
            return None
        return next((c for c in self.detail.shortlist if c.id == entry_id), None)

    def _write(self, fn: Any, *args: Any, label: str, focus: int | None = None) -> None:
        assert self.detail is not None
        assignment_id = self.detail.id

        def done(_result: Any) -> None:
            self.ctx.notify("assignment", assignment_id)
            if focus is not None:
                self.board.focus_card(focus)

        self.ctx.write(fn, *args, on_done=done, on_error=lambda e: show_error(e, self), label=label)

    def move_to(self, entry_id: int, stage: str) -> None:
        """A drop on a column: move there, asking why when the move needs a reason."""
        card = self._card(entry_id)
        if card is None:
            return
        target = ShortlistStage(stage)
        if target == ShortlistStage.PLACED:
            self.place(entry_id)
            return
        current = ShortlistStage(card.stage)
        order = list(ShortlistStage)
        needs_reason = target.is_out or current.is_out or order.index(target) < order.index(current)
        if needs_reason:
            stages: list[ShortlistStage] = self._out_stages(current) if target.is_out else [target]
            self._ask(card, stages)
            return
        self._write(
            shortlist.move_candidate,
            entry_id,
            stage,
            None,
            card.version,
            label="Moving candidate",
            focus=entry_id,
        )

    def advance(self, entry_id: int) -> None:
        card = self._card(entry_id)
        if card is None:
            return
        if card.stage == ShortlistStage.OFFERED.value:
            self.place(entry_id)
            return
        self._write(
            shortlist.advance_candidate,
            entry_id,
            card.version,
            label="Moving candidate",
            focus=entry_id,
        )

    @staticmethod
    def _out_stages(current: ShortlistStage) -> list[ShortlistStage]:
        """The ways out that the rules allow from ``current``, the likeliest first."""
        order = list(ShortlistStage)
        stages = []
        if order.index(current) >= order.index(ShortlistStage.SUBMITTED):
            stages.append(ShortlistStage.REJECTED)
        if current != ShortlistStage.IDENTIFIED:
            stages.append(ShortlistStage.DECLINED)
        stages.append(ShortlistStage.WITHDRAWN)
        return stages

    def take_out(self, entry_id: int) -> None:
        card = self._card(entry_id)
        if card is None or not ShortlistStage(card.stage).is_pipeline:
            return
        self._ask(card, self._out_stages(ShortlistStage(card.stage)))

    def _ask(self, card: views.ShortlistCard, stages: list[ShortlistStage]) -> None:
        assert self.detail is not None
        dialog = StageDialog(self.ctx, card, stages, self.detail.id, self)
        dialog.saved.connect(lambda _r: self.board.focus_card(card.id))
        self.dialog = open_dialog(dialog)

    def place(self, entry_id: int) -> None:
        card = self._card(entry_id)
        if card is None or self.detail is None:
            return
        if not ShortlistStage(card.stage).is_pipeline:
            return
        self.dialog = open_dialog(PlaceDialog(self.ctx, card, self.detail, self))

    def add_match(self) -> None:
        match = self.matches.current_match()
        if match is None or self.detail is None:
            return
        row = self.matches.currentRow()
        assignment_id = self.detail.id

        def done(_entry: Any) -> None:
            self.ctx.notify("assignment", assignment_id)
            self.matches.setCurrentRow(min(row, self.matches.count() - 1))
            self.matches.setFocus()

        self.ctx.write(
            shortlist.add_to_shortlist,
            assignment_id,
            match.person_id,
            on_done=done,
            on_error=lambda e: show_error(e, self),
            label="Shortlisting",
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.matches and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.add_match()
                return True
        return False

    def edit(self) -> None:
        if self.detail is not None:
            self.dialog = open_dialog(AssignmentDialog(self.ctx, self.detail, self))

    def close_assignment(self) -> None:
        if self.detail is not None:
            self.dialog = open_dialog(CloseDialog(self.ctx, self.detail, self))

    def save_state(self) -> None:
        """Nothing to keep yet (the main window asks every page)."""
