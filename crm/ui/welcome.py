"""First run: with an empty database, offer sample data (in a separate demo database, so real
data never mixes with it), importing contacts, or starting empty."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm import settings
from crm.domain.errors import Cancelled
from crm.services import people as people_service
from crm.services.demo import fill_demo
from crm.storage.db import Database, open_database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.widgets import plain_label
from crm.ui.kit.workers import Progress

log = logging.getLogger(__name__)


def demo_database_url() -> str:
    return f"sqlite:///{settings.data_dir() / 'demo.sqlite3'}"


def open_demo_database(progress: Progress | None = None) -> Database:
    """The demo database, filled with sample data the first time (runs in a worker)."""
    db = open_database(demo_database_url())
    if people_service.count_people(db) == 0:

        def report(step: str) -> None:
            if progress is not None:
                progress.check()  # cancelling rolls the whole fill back
                progress.report(0, 0, step)

        fill_demo(db, progress=report)
    return db


class Choice(QFrame):
    """A card with a title, a line of explanation and a button."""

    def __init__(self, title: str, text: str, button: str, primary: bool = False) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.setFixedWidth(264)
        column = QVBoxLayout(self)
        column.setContentsMargins(20, 18, 20, 18)
        column.setSpacing(10)
        column.addWidget(plain_label(title, "SectionTitle", wrap=True))
        body = plain_label(text, "Muted", wrap=True)
        body.setMinimumHeight(96)
        body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        column.addWidget(body, 1)
        self.button = QPushButton(button)
        self.button.setAccessibleName(button)
        # Enter presses the focused card's button (outside a dialog Qt leaves this off).
        self.button.setAutoDefault(True)
        if primary:
            self.button.setObjectName("Primary")
        column.addWidget(self.button)


class WelcomePage(QWidget):
    start_empty = Signal()
    demo_opened = Signal()
    import_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._progress_dialog: QProgressDialog | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 48, 32, 48)
        outer.addStretch(1)
        title = plain_label("Welcome to Interim CRM", "PageTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(title)
        intro = plain_label(
            "Your contacts, their tweets, your calls and your placements in one fast window "
            "that works offline. How would you like to start?",
            "PageSubtitle",
            wrap=True,
        )
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(intro)
        outer.addSpacing(28)
        row = QHBoxLayout()
        row.setSpacing(18)
        row.addStretch(1)
        self.demo = Choice(
            "Explore with sample data",
            "Forty NHS trusts, councils, housing associations and schools, 300 people, their "
            "calls and tweets. Kept in a separate demo database: your real data never mixes "
            "with it.",
            "Open sample data",
            primary=True,
        )
        self.importer = Choice(
            "Import contacts",
            "Bring people in from a CSV export or vCards (Outlook, Google, LinkedIn).",
            "Import…",
        )
        self.empty = Choice(
            "Start empty",
            "Add organisations and people as you go. Ctrl+N adds a person at any time.",
            "Start empty",
        )
        for card in (self.demo, self.importer, self.empty):
            row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addSpacing(18)
        self.where = plain_label("", "Muted")
        self.where.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.where)
        outer.addStretch(2)
        self.set_import_available(False)
        self.demo.button.clicked.connect(self.open_demo)
        self.empty.button.clicked.connect(self.start_empty.emit)
        self.importer.button.clicked.connect(self.import_requested.emit)
        ctx.database_changed.connect(self._update_where)
        self._update_where()

    def set_import_available(self, available: bool) -> None:
        self.importer.button.setEnabled(available)
        self.importer.button.setToolTip(
            "" if available else "Import is not available in this version yet"
        )

    def _update_where(self) -> None:
        own = self.ctx.own_db
        if self.ctx.is_demo:
            mine = f" Your own database: {own.describe()}." if own is not None else ""
            self.where.setText(f"Open now: the sample data ({self.ctx.db.describe()}).{mine}")
            self.empty.button.setText("Back to my database")
            self.empty.button.setAccessibleName("Back to my database")
        else:
            self.where.setText(f"Your database: {self.ctx.db.describe()}")
            self.empty.button.setText("Start empty")
            self.empty.button.setAccessibleName("Start empty")

    def open_demo(self) -> None:
        dialog = QProgressDialog("Preparing sample data…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Sample data")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        self._progress_dialog = dialog
        task = self.ctx.runner.run_with_progress(
            open_demo_database,
            self._demo_ready,
            self._demo_failed,
            write=True,
            label="Preparing sample data",
            on_progress=lambda _d, _t, text: dialog.setLabelText(f"Adding sample data: {text}…"),
        )
        dialog.canceled.connect(task.cancel)

    def _close_progress(self) -> None:
        if self._progress_dialog is not None:
            self._progress_dialog.reset()
            self._progress_dialog.deleteLater()
            self._progress_dialog = None

    def _demo_ready(self, db: Any) -> None:
        self._close_progress()
        self.ctx.set_database(db, demo=True)
        self.ctx.message.emit("Opened the sample database. Your own database is untouched.")
        self.demo_opened.emit()

    def _demo_failed(self, exc: BaseException) -> None:
        self._close_progress()
        if isinstance(exc, Cancelled):
            self.ctx.message.emit("Sample data cancelled; nothing was added.")
            return
        show_error(exc, self)
