"""Linking the person or organisation on screen to a Bluesky account."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from crm.services.bluesky import BlueskyAccountView, link_bluesky, make_gateway
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error


def link_record(db: Database, kind: str, record_id: int, handle: str) -> BlueskyAccountView:
    """Look the handle up on the AppView and link it (on a worker: one request, one write)."""
    ids = {"person_id": record_id} if kind == "person" else {"organisation_id": record_id}
    return link_bluesky(db, handle=handle, gateway=make_gateway(), **ids)


class BlueskyLinkDialog(QDialog):
    """Asks for a handle, custom domain, bsky.app address or DID, and links it."""

    def __init__(
        self, ctx: AppContext, kind: str, record_id: int, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.record_id = record_id
        self.setWindowTitle("Link a Bluesky account")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"The Bluesky account of {name}: a handle (name.bsky.social), their own domain "
            "(trust.nhs.uk), a bsky.app profile address or a DID. It is looked up once and "
            "kept by its DID, so a handle change keeps the link."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.handle = QLineEdit()
        self.handle.setPlaceholderText("name.bsky.social")
        self.handle.setAccessibleName("Bluesky handle")
        layout.addWidget(self.handle)
        self.error = QLabel("")
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Link")
        self.buttons.accepted.connect(self.link)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def link(self) -> None:
        handle = self.handle.text().strip()
        if not handle:
            self._failed_text("Type a Bluesky handle.")
            return
        self.buttons.setEnabled(False)
        self.ctx.write(
            link_record,
            self.kind,
            self.record_id,
            handle,
            on_done=self._linked,
            on_error=self._failed,
            label="Looking up the Bluesky account",
        )

    def _linked(self, view: BlueskyAccountView) -> None:
        self.buttons.setEnabled(True)
        self.ctx.message.emit(f"Linked to Bluesky @{view.handle}.")
        self.ctx.notify(self.kind, self.record_id)
        self.accept()

    def _failed_text(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _failed(self, exc: BaseException) -> None:
        from crm.domain.errors import CrmError

        self.buttons.setEnabled(True)
        if isinstance(exc, CrmError):
            self._failed_text(exc.message)
            return
        show_error(exc, self)
