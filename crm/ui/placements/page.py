"""Placements: the list (by status, "ending within 8 weeks") and the placement page with its
extensions and notes (added in place)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from crm.domain.enums import IR35Determination, PlacementStatus
from crm.domain.errors import ValidationError
from crm.services import placements as placement_service
from crm.services.views import ExtensionView, PlacementDetail, PlacementSummary
from crm.ui.kit import theme
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import esc, fmt_date, fmt_datetime, fmt_money, label_of, linkify
from crm.ui.kit.forms import handle_save_error, open_dialog
from crm.ui.kit.list_page import ListPage, record_table
from crm.ui.kit.models import Column, RecordTableModel
from crm.ui.kit.timeline_view import follow_link, open_web_link
from crm.ui.kit.widgets import (
    FieldErrors,
    RecordHeader,
    enum_combo,
    on_ctrl_enter,
    plain_edit,
    plain_label,
)
from crm.ui.kit.workers import LatestRequest
from crm.ui.organisations.page import placement_columns
from crm.ui.placements.dialogs import ExtensionDialog, PlacementDialog, confirm_delete_placement

log = logging.getLogger(__name__)

ENDING_SOON_DAYS = 56  # eight weeks

STATUS_TONE = {
    "proposed": "neutral",
    "confirmed": "client",
    "active": "success",
    "extended": "success",
    "ended": "neutral",
    "cancelled": "danger",
}


class PlacementsPage(ListPage[PlacementSummary]):
    """Every placement, by status or ending within 8 weeks, filtered as you type."""

    noun = "placement"
    new_shortcut = "Ctrl+Shift+P"
    refresh_on = ("placement", "person", "organisation")

    def setup_filters(self) -> list[QComboBox | QCheckBox]:
        self.filter_edit.textChanged.connect(self._filter_text)
        self.filter_edit.setPlaceholderText("Filter by candidate, role or organisation (Ctrl+F)")
        self.filter_edit.setMinimumWidth(340)
        self.status_combo = enum_combo(
            PlacementStatus, blank="Any status", accessible="Status filter"
        )
        self.ending_check = QCheckBox("Ending within 8 weeks")
        self.ending_check.setAccessibleName("Ending within 8 weeks")
        self.ending_check.setToolTip("Running placements whose end date is in the next 8 weeks")
        return [self.status_combo, self.ending_check]

    def refresh(self) -> None:
        ending = self.ending_check.isChecked()
        self.load(
            placement_service.list_placements,
            status=self.status_combo.currentData(),
            ending_within_days=ENDING_SOON_DAYS if ending else None,
        )

    def _filter_text(self, text: str) -> None:
        # Placements are few: the text filters the rows already loaded.
        self.proxy.setFilterFixedString(text.strip())
        self._update_count()

    def columns(self) -> list[Column[PlacementSummary]]:
        return placement_columns()

    def new_record(self) -> None:
        open_dialog(PlacementDialog(self.ctx, None, self))


def extension_columns() -> list[Column[ExtensionView]]:
    return [
        Column(
            "Extended on",
            lambda e: fmt_date(e.created_at.date()),
            sort=lambda e: e.created_at,
            width=110,
        ),
        Column(
            "From",
            lambda e: fmt_date(e.previous_end_date, "—"),
            sort=lambda e: e.previous_end_date,
            width=100,
        ),
        Column("To", lambda e: fmt_date(e.new_end_date), sort=lambda e: e.new_end_date, width=100),
        Column(
            "Day rate",
            lambda e: fmt_money(e.day_rate, per_day=False) if e.day_rate else "unchanged",
            sort=lambda e: e.day_rate,
            width=100,
        ),
        Column("Reason", lambda e: e.reason or "", width=260),
        Column("By", lambda e: e.created_by or "", width=100, muted=True),
    ]


def notes_html(detail: PlacementDetail) -> str:
    c = theme.colours()
    if not detail.notes:
        return f"<p style='color:{c.muted}'>No notes yet.</p>"
    parts = []
    for note in sorted(detail.notes, key=lambda n: n.created_at, reverse=True):
        parts.append(
            "<table width='100%' cellspacing='0' cellpadding='0' style='margin-bottom:14px'>"
            f"<tr><td style='color:{c.muted}; font-size:8.5pt'>"
            f"{esc(note.author or 'unknown')} · {esc(fmt_datetime(note.created_at))}</td></tr>"
            f"<tr><td style='color:{c.text}; padding-top:2px'>{linkify(note.text)}</td></tr>"
            "</table>"
        )
    return "".join(parts)


class PlacementPage(QWidget):
    """One placement: the facts, its extensions (add one), and notes (add in place)."""

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self.detail: PlacementDetail | None = None
        self._loads = LatestRequest()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.extend_button = QPushButton("Extend…")
        self.extend_button.setToolTip("Record an extension: new end date, rate and reason")
        self.extend_button.clicked.connect(self.extend)
        edit = QPushButton("Edit…")
        edit.setAccessibleName("Edit placement")
        edit.clicked.connect(self.edit)
        delete = QPushButton("Delete…")
        delete.setAccessibleName("Delete placement")
        delete.clicked.connect(self.delete)
        self.header = RecordHeader(self._on_link, (self.extend_button, edit, delete))
        layout.addWidget(self.header)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(24, 12, 24, 12)
        column.setSpacing(8)
        column.addWidget(plain_label("Extensions", "SectionTitle"))
        self.extensions_model: RecordTableModel[ExtensionView] = RecordTableModel(
            extension_columns(), parent=self
        )
        self.extensions_table, _ = record_table(
            "ExtensionsTable", "Extensions", self.extensions_model, self
        )
        self.extensions_empty = plain_label(
            "Not extended. Extend… records a new end date, rate and reason.", "Muted"
        )
        column.addWidget(self.extensions_table)
        column.addWidget(self.extensions_empty)
        column.addSpacing(6)
        column.addWidget(plain_label("Notes", "SectionTitle"))
        add_row = QHBoxLayout()
        self.note_edit = plain_edit("", 54)
        self.note_edit.setPlaceholderText("Add a note… (Ctrl+Enter saves)")
        self.note_edit.setAccessibleName("New note")
        self.note_edit.setMaximumHeight(72)
        self.add_note_button = QPushButton("Add note")
        self.add_note_button.setToolTip("Add the note (Ctrl+Enter)")
        self.add_note_button.clicked.connect(lambda: self.add_note())
        add_row.addWidget(self.note_edit, 1)
        add_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(add_row)
        general = QLabel()
        self.errors = FieldErrors(general)
        self.errors.add("text", self.note_edit, general)
        column.addWidget(general)
        self._submit = on_ctrl_enter(self.note_edit, lambda: self.add_note())
        self.notes_view = QTextBrowser()
        self.notes_view.setObjectName("Timeline")
        self.notes_view.setAccessibleName("Placement notes")
        self.notes_view.setOpenLinks(False)
        self.notes_view.anchorClicked.connect(lambda url: open_web_link(url.toString()))
        self.notes_view.document().setDocumentMargin(10)
        column.addWidget(self.notes_view, 1)
        layout.addWidget(body, 1)
        ctx.changed.connect(self._on_changed)

    @property
    def placement_id(self) -> int | None:
        return self.detail.id if self.detail else None

    def open(self, placement_id: int) -> None:
        self.ctx.read(
            placement_service.get_placement,
            placement_id,
            on_done=self._loads.start().guard(self._show),
            label="Opening placement",
        )

    def _show(self, d: PlacementDetail) -> None:
        self.detail = d
        who = (
            f'<a href="crm:person:{d.candidate_id}">{esc(d.candidate)}</a> at '
            f'<a href="crm:organisation:{d.organisation_id}">{esc(d.organisation)}</a>'
        )
        if d.client_contact_id:
            who += (
                f" · client contact "
                f'<a href="crm:person:{d.client_contact_id}">{esc(d.client_contact)}</a>'
            )
        facts = [
            f"{esc(fmt_date(d.start_date, '?'))} – {esc(fmt_date(d.end_date, 'open-ended'))}",
        ]
        if d.charge_rate is not None:
            facts.append(f"charged <b>{esc(fmt_money(d.charge_rate, d.currency))}</b>")
        if d.pay_rate is not None:
            facts.append(f"paid {esc(fmt_money(d.pay_rate, d.currency))}")
        if d.margin_per_day is not None:
            margin = f"margin <b>{esc(fmt_money(d.margin_per_day, d.currency))}</b>"
            if d.margin_total is not None:
                total = esc(fmt_money(d.margin_total, d.currency, per_day=False))
                margin += f" ({total} over the placement)"
            facts.append(margin)
        try:
            facts.append(esc(IR35Determination(d.ir35).label))
        except ValueError:
            facts.append(esc(d.ir35))
        status = (label_of(d.status), STATUS_TONE.get(d.status, "neutral"))
        self.header.show_record(d.role, status, who, facts)
        self.extensions_model.set_rows(d.extensions)
        # Tall enough for every extension (there are few), so the notes get the rest.
        rows = len(d.extensions)
        self.extensions_table.setFixedHeight(
            self.extensions_table.horizontalHeader().sizeHint().height() + 28 * rows + 4
        )
        self.extensions_table.setVisible(bool(d.extensions))
        self.extensions_empty.setVisible(not d.extensions)
        self.extend_button.setEnabled(d.status != "cancelled")
        self.notes_view.setHtml(notes_html(d))

    # What the main window asks before leaving the page (see crm.ui.kit.unsaved).
    def has_unsaved_edits(self) -> bool:
        return self.detail is not None and bool(self.note_edit.toPlainText().strip())

    def unsaved_what(self) -> str:
        return "the note you typed"

    def save_edits(self, then: Callable[[], None]) -> None:
        self.add_note(then)

    def discard_edits(self) -> None:
        self.note_edit.clear()

    def add_note(self, then: Callable[[], None] | None = None) -> None:
        if self.detail is None:
            return
        text = self.note_edit.toPlainText()
        if not text.strip():
            self.errors.show(ValidationError("Write the note first.", field="text"))
            return
        self.errors.clear()
        placement_id = self.detail.id
        self.add_note_button.setEnabled(False)

        def done(_note_id: Any) -> None:
            self.add_note_button.setEnabled(True)
            self.note_edit.clear()
            self.ctx.notify("placement", placement_id)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self.add_note_button.setEnabled(True)
            handle_save_error(exc, self.errors, lambda: None, self)

        self.ctx.write(
            placement_service.add_note,
            placement_id,
            text,
            on_done=done,
            on_error=failed,
            label="Adding note",
        )

    def extend(self) -> None:
        if self.detail is not None:
            open_dialog(ExtensionDialog(self.ctx, self.detail, self))

    def edit(self) -> None:
        if self.detail is not None:
            open_dialog(PlacementDialog(self.ctx, self.detail, self))

    def delete(self) -> None:
        if self.detail is not None:
            confirm_delete_placement(
                self.ctx, self, self.detail, lambda: self.ctx.open("placements", 0)
            )

    def _on_link(self, href: str) -> None:
        follow_link(href, self.ctx.open)

    def _on_changed(self, kind: str, entity_id: int) -> None:
        if self.detail is not None and kind == "placement" and entity_id == self.detail.id:
            self.open(entity_id)

    def save_state(self) -> None:
        pass
