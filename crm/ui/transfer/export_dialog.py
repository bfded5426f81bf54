"""Export dialog: people, organisations or interactions (all, or the list on screen) to CSV,
vCard or JSON, written on a worker thread with a progress bar."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDir, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from crm.services import exports
from crm.services.exports import ExportResult
from crm.ui.kit.context import AppContext
from crm.ui.kit.saving import BackgroundSave, PathRow
from crm.ui.kit.widgets import plain_label
from crm.ui.kit.workers import Progress

log = logging.getLogger(__name__)

KINDS = [
    ("People", "people"),
    ("Organisations", "organisations"),
    ("Interactions", "interactions"),
    ("Assignments", "assignments"),
    ("Shortlists", "shortlists"),
]
# (label, format, vCard version, extension)
FORMATS = [
    ("CSV for Excel or LibreOffice", "csv", "3.0", ".csv"),
    ("vCard 3.0 (address books)", "vcard", "3.0", ".vcf"),
    ("vCard 4.0", "vcard", "4.0", ".vcf"),
    ("JSON", "json", "3.0", ".json"),
]


class ExportDialog(QDialog):
    """``ExportDialog(ctx, parent=None, *, kind="people", ids=None)``.

    With ``ids`` (the records of the list on screen, in its order) the dialog offers to
    export just those. Emits :attr:`exported` with the :class:`ExportResult`.
    """

    exported = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        kind: str = "people",
        ids: Sequence[int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = ctx.db
        self.ids = list(ids) if ids is not None else None
        self.runner = ctx.runner
        self.result_: ExportResult | None = None
        self.setObjectName("ExportDialog")
        self.setWindowTitle("Export")
        self.resize(560, 240)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.kind_combo = QComboBox()
        for label, value in KINDS:
            self.kind_combo.addItem(label, value)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        form.addRow("Export", self.kind_combo)
        self.only_shown = QCheckBox()
        if self.ids is not None:
            self.only_shown.setText(f"Only the {len(self.ids):,} in the list on screen")
            self.only_shown.setChecked(True)
            self.kind_combo.setEnabled(False)  # the ids are of this kind
            form.addRow("", self.only_shown)
        self.format_combo = QComboBox()
        for label, fmt, version, suffix in FORMATS:
            self.format_combo.addItem(label, (fmt, version, suffix))
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        form.addRow("Format", self.format_combo)
        row = PathRow(
            self,
            str(Path(QDir.homePath()) / f"{kind}.csv"),
            object_name="ExportPath",
            accessible_name="File to write",
            caption="Export to",
            suffix=lambda: str(self.format_combo.currentData()[2]),
        )
        self.path_edit = row.edit
        form.addRow("File", row)
        layout.addLayout(form)
        self.note = plain_label(
            "CSV files open in Excel with accents intact; cells that a spreadsheet would run "
            "as formulas start with an apostrophe.",
            wrap=True,
        )
        layout.addWidget(self.note)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        layout.addWidget(self.bar)
        self.status = plain_label("", "ExportStatus", wrap=True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setObjectName("ExportButton")
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.saving: BackgroundSave[ExportResult] = BackgroundSave(
            self,
            self.runner,
            self.export_button,
            self.status,
            wrote=lambda r: f"Wrote {r.count:,} {r.kind} to {r.path}.",
            then=self._done,
            bar=self.bar,
        )
        self._kind_changed()

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def _kind_changed(self) -> None:
        # Only people and organisations have a vCard form.
        interactions = self.kind() not in ("people", "organisations")
        for index in range(self.format_combo.count()):
            fmt = self.format_combo.itemData(index)[0]
            item = self.format_combo.model().item(index)  # type: ignore[attr-defined]
            item.setEnabled(not (interactions and fmt == "vcard"))
        if interactions and self.format_combo.currentData()[0] == "vcard":
            self.format_combo.setCurrentIndex(0)
        self._format_changed()

    def _format_changed(self) -> None:
        suffix = self.format_combo.currentData()[2]
        path = Path(self.path_edit.text().strip() or f"{self.kind()}{suffix}")
        stem = (
            path.stem
            if path.stem not in ("people", "organisations", "interactions")
            else self.kind()
        )
        self.path_edit.setText(str(path.with_name(stem + suffix)))

    def start(self) -> None:
        fmt, version, _suffix = self.format_combo.currentData()
        db, kind, path = self.db, self.kind(), Path(self.path_edit.text().strip())
        ids = self.ids if self.ids is not None and self.only_shown.isChecked() else None

        def work(progress: Progress) -> ExportResult:
            return exports.export(
                db,
                kind,
                path,
                ids=ids,
                fmt=fmt,
                vcard_version=version,
                progress=lambda done, total: progress.report(done, max(total, 1), ""),
                cancel=lambda: progress.cancelled,
            )

        self.saving.start(work, busy="Exporting…", label="Exporting")

    def _done(self, result: ExportResult) -> None:
        self.result_ = result
        self.exported.emit(result)

    def reject(self) -> None:
        self.saving.cancel()
        super().reject()
