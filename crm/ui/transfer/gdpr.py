"""A person's data rights from their page: a subject access export, and erasure with a
confirmation that says exactly what goes and asks for their name to be typed."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QDir, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crm.services import gdpr
from crm.services.gdpr import ErasureImpact, ErasureReport, SubjectAccessResult
from crm.services.people import get_person
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import plural
from crm.ui.kit.saving import BackgroundSave, PathRow
from crm.ui.kit.widgets import plain_label

log = logging.getLogger(__name__)


class SubjectAccessDialog(QDialog):
    """``SubjectAccessDialog(ctx, person_id, parent=None, *, directory=None)``:
    write everything held about a person to a folder (JSON and a readable HTML page)."""

    exported = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        person_id: int,
        parent: QWidget | None = None,
        *,
        directory: str | Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = db = ctx.db
        self.person_id = person_id
        self.runner = ctx.runner
        self.result_: SubjectAccessResult | None = None
        self.setObjectName("SubjectAccessDialog")
        self.setWindowTitle("Subject access request")
        self.resize(560, 220)
        layout = QVBoxLayout(self)
        self.intro = plain_label(
            "Everything held about this person (details, jobs, conversations, placements, "
            "notes, their X account and cached tweets, and the audit trail) as a JSON file "
            "and a readable web page to send them. Other people's names are left out.",
            wrap=True,
        )
        layout.addWidget(self.intro)
        form = QFormLayout()
        self.folder = PathRow(
            self,
            str(directory or Path(QDir.homePath())),
            object_name="SubjectAccessFolder",
            accessible_name="Folder to write to",
            caption="Write the files to",
        )
        form.addRow("Folder", self.folder)
        layout.addLayout(form)
        self.status = plain_label("", "SubjectAccessStatus", wrap=True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setObjectName("SubjectAccessExport")
        self.open_button = self.buttons.addButton(
            "Open the page", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_page)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.saving: BackgroundSave[SubjectAccessResult] = BackgroundSave(
            self,
            self.runner,
            self.export_button,
            self.status,
            wrote=lambda r: f"Wrote {r.html_path}\nand {r.json_path}",
            then=self._done,
        )
        self.runner.run(
            lambda: get_person(db, person_id),
            lambda p: self.setWindowTitle(f"Subject access request: {p.name}"),
            lambda exc: show_error(exc, self),
            label="Loading",
        )

    def export(self) -> None:
        db, person_id, folder = self.db, self.person_id, self.folder.path()
        self.saving.start(
            lambda _progress: gdpr.export_subject_access(db, person_id, folder),
            busy="Collecting…",
            label="Subject access export",
            write=True,
        )

    def _done(self, result: SubjectAccessResult) -> None:
        self.result_ = result
        self.open_button.setEnabled(True)
        self.exported.emit(result)

    def _open_page(self) -> None:
        if self.result_ is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.result_.html_path))


def impact_lines(impact: ErasureImpact) -> list[str]:
    """What erasing a person removes, one line each, for the confirmation."""
    kept = impact.interactions_kept
    lines = [
        f"Their details, {plural(impact.emails, 'email address', 'email addresses')}, "
        f"{plural(impact.phones, 'phone number')} and {plural(impact.employments, 'job record')}.",
        f"{plural(impact.interactions_deleted, 'conversation')} with no one else; "
        f"{plural(kept, 'shared one')} {'stays' if kept == 1 else 'stay'} for the others, "
        "without them.",
    ]
    if impact.placements_deleted:
        lines.append(
            f"{plural(impact.placements_deleted, 'placement')} where they were the candidate."
        )
    if impact.placements_as_contact:
        lines.append(
            "They are removed as client contact from "
            f"{plural(impact.placements_as_contact, 'placement')}."
        )
    if impact.shortlist_entries or impact.assignments_as_contact:
        lines.append(
            f"{plural(impact.shortlist_entries, 'shortlist place')} (with their stages); they "
            f"stop being the contact of {plural(impact.assignments_as_contact, 'assignment')}."
        )
    if impact.x_handle:
        lines.append(
            f"The X account @{impact.x_handle} with {plural(impact.tweets, 'cached tweet')} "
            "and its "
            "follower history."
        )
    if impact.bluesky_handle:
        lines.append(
            f"The Bluesky account @{impact.bluesky_handle} with its follower history, and "
            f"{plural(impact.bluesky_posts, 'stored post')} by or about them."
        )
    lines.append("Every mention of them in notes and in the audit trail.")
    return lines


class ErasureDialog(QDialog):
    """``ErasureDialog(ctx, person_id, parent=None)``: erase a person for good.

    The Erase button works only once the person's name is typed. Emits :attr:`erased` with
    the person's id; the dialog then closes.
    """

    erased = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        person_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = db = ctx.db
        self.person_id = person_id
        self.runner = ctx.runner
        self.impact: ErasureImpact | None = None
        self.version: int | None = None
        self.report: ErasureReport | None = None
        self.setObjectName("ErasureDialog")
        self.setWindowTitle("Erase a person")
        self.resize(560, 320)
        layout = QVBoxLayout(self)
        self.heading = plain_label("Loading…", "ErasureHeading", wrap=True)
        layout.addWidget(self.heading)
        self.details = plain_label("", "ErasureImpact", wrap=True)
        layout.addWidget(self.details)
        self.warning = plain_label(
            "This cannot be undone. An audit line without personal data records that an "
            "erasure happened. Backups made before now still hold them.",
            wrap=True,
        )
        layout.addWidget(self.warning)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("ErasureConfirm")
        self.confirm.setAccessibleName("Type their name to confirm")
        self.confirm.textChanged.connect(self._typed)
        layout.addWidget(self.confirm)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = self.buttons.addButton(
            "Erase", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.erase_button.setObjectName("EraseButton")
        self.erase_button.setEnabled(False)
        self.erase_button.clicked.connect(self.erase)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        def load() -> tuple[ErasureImpact, int]:
            return gdpr.erasure_impact(db, person_id), get_person(db, person_id).version

        self.runner.run(load, self._loaded, lambda exc: show_error(exc, self), label="Loading")

    def _loaded(self, result: tuple[ErasureImpact, int]) -> None:
        self.impact, self.version = result
        self.heading.setText(f"Erase {self.impact.name}? This removes:")
        self.details.setText("\n".join("• " + line for line in impact_lines(self.impact)))
        self.confirm.setPlaceholderText(f"Type {self.impact.name} to confirm")
        self._typed()

    def _typed(self) -> None:
        typed = " ".join(self.confirm.text().split()).casefold()
        self.erase_button.setEnabled(
            self.impact is not None and typed == self.impact.name.casefold()
        )

    def erase(self) -> None:
        if not self.erase_button.isEnabled():
            return
        self.erase_button.setEnabled(False)
        db, person_id, version = self.db, self.person_id, self.version
        self.runner.run(
            lambda: gdpr.erase_person(db, person_id, expected_version=version),
            self._done,
            self._failed,
            write=True,
            label="Erasing",
        )

    def _done(self, report: ErasureReport) -> None:
        self.report = report
        self.erased.emit(self.person_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._typed()
        show_error(exc, self)
