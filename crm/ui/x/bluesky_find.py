"""Who left X: search Bluesky for people by name and offer the matches, each linked only when
the recruiter says so."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.domain.errors import CrmError
from crm.services.bluesky import BlueskyMatch, find_on_bluesky, make_gateway
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.x.bluesky_link import link_record


def search(db: Database, person_ids: Sequence[int] | None, limit: int) -> list[BlueskyMatch]:
    """On a worker: one searchActors request a person."""
    return find_on_bluesky(db, make_gateway(), person_ids=person_ids, limit=limit)


class BlueskyFindDialog(QDialog):
    """The matches for some people (or for up to 25 people on X without a Bluesky link),
    each with a Link button."""

    def __init__(
        self,
        ctx: AppContext,
        person_ids: Sequence[int] | None = None,
        parent: QWidget | None = None,
        limit: int = 25,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_ids = list(person_ids) if person_ids is not None else None
        self.limit = limit
        self.matches: list[BlueskyMatch] = []
        self.setWindowTitle("Find on Bluesky")
        self.resize(760, 380)
        layout = QVBoxLayout(self)
        self.status = QLabel("Searching Bluesky by name…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Person", "On X", "Bluesky", "Name there", ""])
        self.table.setAccessibleName("Bluesky matches")
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def search(self) -> None:
        self.ctx.read(
            search,
            self.person_ids,
            self.limit,
            on_done=self._found,
            on_error=self._failed,
            label="Searching Bluesky",
        )

    def _found(self, matches: list[BlueskyMatch]) -> None:
        self.matches = matches
        self.status.setText(
            f"{len(matches)} Bluesky account{'s' if len(matches) != 1 else ''} with a matching "
            "name. Check each one (the bio helps) and link only the right ones."
            if matches
            else "No Bluesky account has a matching name."
        )
        self.table.setRowCount(len(matches))
        for row, m in enumerate(matches):
            for col, text in enumerate(
                (m.name, f"@{m.x_handle}" if m.x_handle else "", m.handle, m.display_name or "")
            ):
                item = QTableWidgetItem(text)
                if col == 2 and m.description:
                    item.setToolTip(m.description)
                self.table.setItem(row, col, item)
            button = QPushButton("Link")
            button.setAccessibleName(f"Link {m.name} to {m.handle}")
            button.clicked.connect(lambda _c=False, m=m, b=button: self.link(m, b))
            self.table.setCellWidget(row, 4, button)
        self.table.resizeColumnsToContents()

    def link(self, match: BlueskyMatch, button: QPushButton | None = None) -> None:
        """Link the person to this account (the recruiter confirmed it by clicking)."""
        if button is not None:
            button.setEnabled(False)

        def done(_view: object) -> None:
            if button is not None:
                button.setText("Linked")
            self.ctx.message.emit(f"Linked {match.name} to Bluesky @{match.handle}.")
            self.ctx.notify("person", match.person_id)

        def failed(exc: BaseException) -> None:
            if button is not None:
                button.setEnabled(True)
            self._failed(exc)

        self.ctx.write(
            link_record,
            "person",
            match.person_id,
            match.did,
            on_done=done,
            on_error=failed,
            label="Linking the Bluesky account",
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CrmError):
            self.status.setText(exc.message)
            return
        show_error(exc, self)
