"""The retention review: people with no interaction for N months, to keep for another period
(a renewal recorded in the audit trail) or erase together."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.services import gdpr
from crm.services.gdpr import RetentionCandidate
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask, show_error
from crm.ui.kit.formatting import fmt_date, fmt_datetime, label_of
from crm.ui.kit.models import Column, RecordTableModel
from crm.ui.kit.widgets import make_table, plain_label

log = logging.getLogger(__name__)

COLUMNS: list[Column[RetentionCandidate]] = [
    Column("Name", lambda c: c.name),
    Column("Organisation", lambda c: c.organisation or ""),
    Column(
        "Last interaction",
        lambda c: fmt_datetime(c.last_interaction_at, "never"),
        sort=lambda c: c.last_interaction_at,
    ),
    Column("Added", lambda c: fmt_date(c.created_at.date()), sort=lambda c: c.created_at),
    Column("Lawful basis", lambda c: label_of(c.lawful_basis), muted=True),
    Column("Consent", lambda c: label_of(c.consent_status), muted=True),
    Column(
        "Do not contact",
        lambda c: "yes" if c.do_not_contact else "",
        tone=lambda c: "danger" if c.do_not_contact else None,
    ),
]


class RetentionReview(QWidget):
    """``RetentionReview(ctx, parent=None)``.

    Emits :attr:`open_person` on a double-click and :attr:`erased` with the ids erased.
    """

    open_person = Signal(int)
    erased = Signal(list)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = ctx.db
        self.runner = ctx.runner
        self.setObjectName("RetentionReview")
        self.setWindowTitle("Retention review")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(plain_label("People with no interaction for"))
        self.months = QSpinBox()
        self.months.setObjectName("RetentionMonths")
        self.months.setRange(1, 240)
        self.months.setSuffix(" months")
        self.months.setValue(gdpr.retention_months())
        self.months.setAccessibleName("Months without an interaction")
        top.addWidget(self.months)
        show = QPushButton("Show")
        show.clicked.connect(self.refresh)
        top.addWidget(show)
        top.addStretch(1)
        self.status = plain_label("", "RetentionStatus")
        top.addWidget(self.status)
        layout.addLayout(top)
        self.model = RecordTableModel(COLUMNS, id_of=lambda c: c.person_id, parent=self)
        self.view = make_table("RetentionTable", "People due for retention review")
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.doubleClicked.connect(self._open)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        self.select_all = QPushButton("Select all")
        self.select_all.clicked.connect(self.view.selectAll)
        self.keep_button = QPushButton("Keep…")
        self.keep_button.setObjectName("RetentionKeep")
        self.keep_button.setToolTip("Record that they were reviewed and are kept for now.")
        self.keep_button.clicked.connect(self.ask_keep)
        self.erase_button = QPushButton("Erase…")
        self.erase_button.setObjectName("RetentionErase")
        self.erase_button.clicked.connect(self.ask_erase)
        buttons.addWidget(self.select_all)
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.erase_button)
        layout.addLayout(buttons)
        self._selection_changed()
        self.refresh()

    def refresh(self) -> None:
        db, months = self.db, self.months.value()
        self.status.setText("Looking…")
        self.runner.run(
            lambda: gdpr.retention_review(db, months),
            self._listed,
            lambda exc: show_error(exc, self),
            label="Retention review",
        )

    def _listed(self, rows: list[RetentionCandidate]) -> None:
        self.model.set_rows(rows)
        self.status.setText(f"{len(rows):,} to review" if rows else "No one is due for review.")
        self._selection_changed()

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [c.person_id for r in rows if (c := self.model.record(r)) is not None]

    def _selection_changed(self, *_args: object) -> None:
        n = len(self.selected_ids())
        self.keep_button.setEnabled(n > 0)
        self.erase_button.setEnabled(n > 0)
        self.keep_button.setText(f"Keep {n:,}…" if n else "Keep…")
        self.erase_button.setText(f"Erase {n:,}…" if n else "Erase…")

    def _open(self, index: QModelIndex) -> None:
        record = self.model.record(index.row())
        if record is not None:
            self.open_person.emit(record.person_id)

    # -- keep --------------------------------------------------------------------------------
    def ask_keep(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        reason, ok = QInputDialog.getText(
            self,
            "Keep for another period",
            f"Why keep these {len(ids):,} people? (recorded in the audit trail)",
            QLineEdit.EchoMode.Normal,
            "",
        )
        if ok:
            self.keep(ids, reason)

    def keep(self, ids: list[int], reason: str = "") -> None:
        db = self.db
        self.runner.run(
            lambda: gdpr.renew_retention(db, ids, reason),
            self._kept,
            lambda exc: show_error(exc, self),
            write=True,
            label="Keeping",
        )

    def _kept(self, n: int) -> None:
        self.refresh()
        self.status.setText(f"Kept {n:,} for another period.")

    # -- erase --------------------------------------------------------------------------------
    def ask_erase(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        ask(
            self,
            "Erase people",
            f"Erase {len(ids):,} people and everything held about them?",
            f"Erase {len(ids):,}",
            lambda: self.erase(ids),
            destructive=True,
            details="Their details, jobs, conversations with no one else, placements as "
            "candidate, X accounts with cached tweets, and every mention of them in notes and "
            "the audit trail. This cannot be undone.",
        )

    def erase(self, ids: list[int]) -> None:
        db = self.db

        def done(_reports: object) -> None:
            self.erased.emit(ids)
            self.refresh()
            self.status.setText(f"Erased {len(ids):,}.")

        self.runner.run(
            lambda: gdpr.erase_people(db, ids),
            done,
            lambda exc: show_error(exc, self),
            write=True,
            label="Erasing",
        )
