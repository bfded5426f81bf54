"""The import wizard: choose a file, check the column mapping against its first rows, see what
a dry run would create, update and refuse, then import with a progress bar and a cancel.

Reading and importing run on a worker thread through :class:`crm.ui.kit.workers.TaskRunner`;
the import service does everything in one transaction, so a cancel leaves the database as it
was. The wizard emits :attr:`ImportWizard.imported` with the report when rows went in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm.domain.errors import Cancelled, CrmError
from crm.services import importing as imports
from crm.services.importing import ImportOptions, ImportPreview, ImportReport, RowRefusal
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import plain_tooltip, plural
from crm.ui.kit.widgets import make_table, plain_label
from crm.ui.kit.workers import Progress, Task

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
NOT_IMPORTED = "(not imported)"
ENCODINGS = [("Detect", ""), ("UTF-8", "utf-8"), ("Windows-1252", "cp1252"), ("UTF-16", "utf-16")]
DELIMITERS = [("Detect", ""), ("Comma", ","), ("Semicolon", ";"), ("Tab", "\t")]


class PreviewModel(QAbstractTableModel):
    """The first rows of the file; each column header says which field it feeds."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._header: list[str] = []
        self._rows: list[list[str]] = []
        self._fields: dict[int, str] = {}
        self._numbers: tuple[int, ...] = ()

    def set_preview(
        self, header: list[str], rows: list[list[str]], numbers: tuple[int, ...] = ()
    ) -> None:
        """``numbers``: each row's number in the file, shown beside it (refusals use them)."""
        self.beginResetModel()
        self._numbers = numbers
        width = max([len(header), *(len(r) for r in rows)])
        self._header = header + [f"Column {i + 1}" for i in range(len(header), width)]
        self._rows = [r + [""] * (width - len(r)) for r in rows]
        self.endResetModel()

    def set_fields(self, fields: dict[int, str]) -> None:
        self._fields = dict(fields)
        if self._header:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._header) - 1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._header)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._rows[index.row()][index.column()]
            if role == Qt.ItemDataRole.DisplayRole:
                return value.replace("\n", " ⏎ ")
            return plain_tooltip(value)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            numbers = self._numbers
            return str(numbers[section] if section < len(numbers) else section + 1)
        if not 0 <= section < len(self._header):
            return None
        field = self._fields.get(section)
        return f"{self._header[section]}\n→ {field}" if field else f"{self._header[section]}\n—"

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class RefusalsModel(QAbstractTableModel):
    """Refused rows: row number, field and reason."""

    HEADERS = ("Row", "Field", "Reason")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RowRefusal] = []

    def set_rows(self, rows: list[RowRefusal]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        refusal = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = (str(refusal.row), (refusal.field or "").replace("_", " "), refusal.reason)[
                index.column()
            ]
            return text if role == Qt.ItemDataRole.DisplayRole else plain_tooltip(text)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def summary_text(report: ImportReport) -> str:
    """What an import did or would do, in a sentence or two."""
    if report.dry_run:
        verb = "would be"
    elif report.committed:
        verb = "were"
    else:
        verb = "would have been"
    lines = [
        f"{plural(report.rows, 'row')}: {report.created:,} {verb} added, "
        f"{report.updated:,} updated, "
        f"{report.unchanged:,} already up to date, {report.refused:,} refused."
    ]
    if report.organisations_created_count:
        names = ", ".join(report.organisations_created[:8])
        more = report.organisations_created_count - min(8, len(report.organisations_created))
        lines.append(
            f"{plural(report.organisations_created_count, 'new organisation')} {verb} created: "
            f"{names}" + (f" and {more:,} more." if more > 0 else ".")
        )
    elif report.kind == imports.PEOPLE and report.new_organisations == "refuse":
        lines.append("Rows naming an organisation not in the CRM are refused.")
    if report.needs_attention_count:
        lines.append(
            f"{report.needs_attention_count:,} value(s) need attention: a value that is not "
            "valid is left out of its record (the rest is imported) and kept in its notes."
        )
    return "\n".join(lines)


class ImportWizard(QWizard):
    """Import people or organisations from a CSV or vCard file.

    ``ImportWizard(ctx, parent=None, *, kind="people", path=None)``.
    """

    FILE, MAPPING, DRY_RUN, IMPORT = range(4)
    #: The final report, once rows have been imported (not after a dry run or a cancel).
    imported = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        kind: str = imports.PEOPLE,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = ctx.db
        self.runner = ctx.runner
        self.setObjectName("ImportWizard")
        self.setWindowTitle("Import contacts")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.resize(900, 620)
        self.preview: ImportPreview | None = None
        self.mapping: dict[str, int] = {}
        self.dry_report: ImportReport | None = None
        self.report: ImportReport | None = None
        self.task: Task | None = None
        self._close_when_stopped = False
        self.file_page = FilePage(self, kind, path)
        self.mapping_page = MappingPage(self)
        self.dry_run_page = DryRunPage(self)
        self.import_page = ImportPage(self)
        self.setPage(self.FILE, self.file_page)
        self.setPage(self.MAPPING, self.mapping_page)
        self.setPage(self.DRY_RUN, self.dry_run_page)
        self.setPage(self.IMPORT, self.import_page)

    # -- shared state ----------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.file_page.kind()

    @property
    def path(self) -> Path:
        return Path(self.file_page.path_edit.text().strip())

    def import_options(self, *, dry_run: bool) -> ImportOptions:
        return ImportOptions(
            dry_run=dry_run,
            all_or_nothing=self.dry_run_page.all_or_nothing.isChecked(),
            new_organisations="refuse" if self.file_page.refuse_new.isChecked() else "create",
        )

    def load_preview(self, has_header: bool | None = None) -> bool:
        """Read the start of the file (quick: the first megabyte at most)."""
        try:
            self.preview = imports.preview_import(
                self.path,
                self.kind,
                encoding=self.file_page.encoding() or None,
                delimiter=self.file_page.delimiter() or None,
                has_header=has_header,
            )
        except CrmError as exc:
            show_error(exc, self)
            return False
        self.mapping = dict(self.preview.mapping)
        return True

    def run_import(
        self,
        *,
        dry_run: bool,
        on_progress: Any,
        on_done: Any,
        on_error: Any,
    ) -> None:
        db, path, kind = self.db, self.path, self.kind
        preview = self.preview
        mapping = dict(self.mapping) if preview and preview.format is not None else None
        fmt = preview.format if preview is not None else None
        encoding = self.file_page.encoding() or None
        options = self.import_options(dry_run=dry_run)

        def work(progress: Progress) -> ImportReport:
            return imports.import_file(
                db,
                path,
                kind,
                mapping=mapping,
                fmt=fmt,
                encoding=encoding,
                options=options,
                progress=lambda rows, fraction: progress.report(
                    int(fraction * 1000), 1000, f"{rows:,} rows read"
                ),
                cancel=lambda: progress.cancelled,
            )

        def finished(result: Any) -> None:
            self.task = None
            on_done(result)
            self._maybe_close()

        def failed(exc: BaseException) -> None:
            self.task = None
            on_error(exc)
            self._maybe_close()

        self.task = self.runner.run_with_progress(
            work,
            finished,
            failed,
            write=True,
            label="Dry run of the import" if dry_run else "Importing",
            on_progress=on_progress,
        )

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _maybe_close(self) -> None:
        if self._close_when_stopped:
            self._close_when_stopped = False
            super().reject()

    def reject(self) -> None:
        # Closing while an import runs stops it first; the transaction rolls back.
        if self.task is not None and not self.task.finished:
            self._close_when_stopped = True
            self.stop()
            return
        super().reject()


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard, kind: str, path: str | Path | None) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Choose a file")
        self.setSubTitle(
            "A CSV file from Outlook, Google Contacts, LinkedIn (Connections.csv) or any "
            "spreadsheet, or vCards (.vcf)."
        )
        form = QFormLayout(self)
        self.people = QRadioButton("People")
        self.organisations = QRadioButton("Organisations")
        (self.organisations if kind == imports.ORGANISATIONS else self.people).setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.people)
        group.addButton(self.organisations)
        kinds = QHBoxLayout()
        kinds.addWidget(self.people)
        kinds.addWidget(self.organisations)
        kinds.addStretch(1)
        form.addRow("Import", kinds)
        self.path_edit = QLineEdit(str(path) if path else "")
        self.path_edit.setObjectName("ImportPath")
        self.path_edit.setAccessibleName("File to import")
        self.path_edit.textChanged.connect(self.completeChanged)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.encoding_combo = QComboBox()
        for label, value in ENCODINGS:
            self.encoding_combo.addItem(label, value)
        form.addRow("Text encoding", self.encoding_combo)
        self.delimiter_combo = QComboBox()
        for label, value in DELIMITERS:
            self.delimiter_combo.addItem(label, value)
        form.addRow("Columns separated by", self.delimiter_combo)
        self.refuse_new = QCheckBox("Refuse rows naming an organisation that is not in the CRM")
        self.refuse_new.setToolTip(
            "Otherwise the organisation is created and listed in the report."
        )
        form.addRow("", self.refuse_new)
        self.people.toggled.connect(self.refuse_new.setEnabled)
        self.refuse_new.setEnabled(self.people.isChecked())

    def kind(self) -> str:
        return imports.ORGANISATIONS if self.organisations.isChecked() else imports.PEOPLE

    def encoding(self) -> str:
        return str(self.encoding_combo.currentData() or "")

    def delimiter(self) -> str:
        return str(self.delimiter_combo.currentData() or "")

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import contacts", "", "Contacts (*.csv *.txt *.vcf *.vcard);;All files (*)"
        )
        if name:
            self.path_edit.setText(name)

    def isComplete(self) -> bool:
        return Path(self.path_edit.text().strip()).is_file()

    def validatePage(self) -> bool:
        return self.wizard_.load_preview()

    def nextId(self) -> int:
        # vCards name their fields: nothing to map.
        if imports.is_vcard(Path(self.path_edit.text().strip())):
            return ImportWizard.DRY_RUN
        return ImportWizard.MAPPING


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Match the columns")
        self.setSubTitle("Choose which field each column of the file fills.")
        layout = QVBoxLayout(self)
        self.format_label = plain_label("", "ImportFormat", wrap=True)
        layout.addWidget(self.format_label)
        self.header_box = QCheckBox("The first row holds column names")
        self.header_box.toggled.connect(self._header_toggled)
        layout.addWidget(self.header_box)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("MappingTable")
        self.table.setAccessibleName("Column mapping")
        self.table.setHorizontalHeaderLabels(["Column", "First values", "Import as"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 2)
        layout.addWidget(plain_label("The first rows as they will be read:"))
        self.model = PreviewModel(self)
        self.preview_view = QTableView()
        self.preview_view.setObjectName("PreviewTable")
        self.preview_view.setAccessibleName("First rows of the file")
        self.preview_view.setModel(self.model)
        self.preview_view.setWordWrap(False)
        layout.addWidget(self.preview_view, 3)
        self.problem = plain_label("", "MappingProblem", wrap=True)
        layout.addWidget(self.problem)
        self.combos: list[QComboBox] = []
        self._filling = False

    def initializePage(self) -> None:
        self._fill()

    def _fill(self) -> None:
        wizard = self.wizard_
        preview = wizard.preview
        if preview is None or preview.format is None:
            return
        self._filling = True
        self.format_label.setText(f"{preview.source}: {preview.format.describe()}.")
        self.header_box.setChecked(preview.format.has_header)
        fields = imports.fields_for(wizard.kind)
        self.table.setRowCount(preview.width)
        self.combos = []
        by_column = {column: name for name, column in wizard.mapping.items()}
        for column in range(preview.width):
            header = preview.header[column] if column < len(preview.header) else ""
            samples = [r[column] for r in preview.rows if column < len(r) and r[column].strip()]
            self.table.setItem(column, 0, _item(f"{column + 1}. {header}"))
            self.table.setItem(
                column, 1, _item(" · ".join(s.replace("\n", " ") for s in samples[:3]))
            )
            combo = QComboBox()
            combo.setAccessibleName(f"Field for column {column + 1}")
            combo.addItem(NOT_IMPORTED, "")
            for f in fields:
                combo.addItem(f.label, f.name)
                if f.help:
                    combo.setItemData(combo.count() - 1, f.help, Qt.ItemDataRole.ToolTipRole)
            chosen = by_column.get(column, "")
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.currentIndexChanged.connect(lambda _i, c=column: self._chosen(c))
            self.table.setCellWidget(column, 2, combo)
            self.combos.append(combo)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)  # whole field names in the choosers
        self.model.set_preview(preview.header, preview.rows, preview.row_numbers)
        # Whole column names over the preview ("Organisation", not "Organisatic"), within
        # reason: a long value must not push the other columns out of sight.
        self.preview_view.resizeColumnsToContents()
        bold = QFont(self.preview_view.horizontalHeader().font())
        bold.setBold(True)  # the style sheet draws header titles bold
        metrics = QFontMetrics(bold)
        for column in range(self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
            wanted = max(metrics.horizontalAdvance(line) for line in title.split("\n")) + 24
            width = max(self.preview_view.columnWidth(column), wanted, 60)
            self.preview_view.setColumnWidth(column, min(width, 280))
        self._filling = False
        self._sync()

    def _header_toggled(self, on: bool) -> None:
        if self._filling:
            return
        if self.wizard_.load_preview(has_header=on):
            self._fill()

    def set_field(self, column: int, field: str) -> None:
        """Choose the field for a column (what the user does with the combo)."""
        combo = self.combos[column]
        combo.setCurrentIndex(max(0, combo.findData(field)))

    def _chosen(self, column: int) -> None:
        if self._filling:
            return
        field = self.combos[column].currentData()
        if field:
            self._filling = True
            for other, combo in enumerate(self.combos):
                if other != column and combo.currentData() == field:
                    combo.setCurrentIndex(0)  # one field, one column
            self._filling = False
        self._sync()

    def _sync(self) -> None:
        mapping = {
            str(combo.currentData()): column
            for column, combo in enumerate(self.combos)
            if combo.currentData()
        }
        self.wizard_.mapping = mapping
        labels = {f.name: f.label for f in imports.fields_for(self.wizard_.kind)}
        self.model.set_fields({column: labels[name] for name, column in mapping.items()})
        self.problem.setText(self._problem(mapping))
        self.completeChanged.emit()

    def _problem(self, mapping: dict[str, int]) -> str:
        if self.wizard_.kind == imports.PEOPLE:
            if not (("first_name" in mapping and "last_name" in mapping) or "full_name" in mapping):
                return "Choose the columns with the first and last names (or a full name)."
        elif "name" not in mapping:
            return "Choose the column with the organisation's name."
        return ""

    def isComplete(self) -> bool:
        return bool(self.combos) and not self._problem(self.wizard_.mapping)


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(plain_tooltip(text) or "")
    return item


class _RunPage(QWizardPage):
    """A page that runs the import (dry or real) with a progress bar and a Stop button."""

    dry_run = True

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.layout_ = QVBoxLayout(self)
        self.bar = QProgressBar()
        self.bar.setObjectName("ImportProgress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("StopImport")
        self.stop_button.clicked.connect(wizard.stop)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.stop_button)
        self.layout_.addLayout(row)
        self.summary = plain_label("", "ImportSummary", wrap=True)
        self.layout_.addWidget(self.summary)
        self.report: ImportReport | None = None
        self.running = False

    def start(self) -> None:
        self.report = None
        self.running = True
        self.bar.setValue(0)
        self.bar.setFormat("Starting…")
        self.stop_button.setEnabled(True)
        self.summary.setText("")
        self.completeChanged.emit()
        self.wizard_.run_import(
            dry_run=self.dry_run,
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
        )

    def _progress(self, done: int, total: int, text: str) -> None:
        self.bar.setMaximum(total)
        self.bar.setValue(done)
        self.bar.setFormat(text)

    def _done(self, report: ImportReport) -> None:
        self.running = False
        self.report = report
        self.bar.setValue(self.bar.maximum())
        self.bar.setFormat("Done")
        self.stop_button.setEnabled(False)
        self.show_report(report)
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.stop_button.setEnabled(False)
        self.bar.setFormat("Stopped")
        if isinstance(exc, Cancelled):
            self.summary.setText("Stopped: nothing was changed.")
        else:
            self.summary.setText("The import failed: nothing was changed.")
            show_error(exc, self)
        self.completeChanged.emit()

    def show_report(self, report: ImportReport) -> None:
        self.summary.setText(summary_text(report))

    def isComplete(self) -> bool:
        return self.report is not None and not self.running


class DryRunPage(_RunPage):
    dry_run = True

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Check before importing")
        self.setSubTitle("A dry run: everything is tried and nothing is kept.")
        self.refusals_label = plain_label("Refused rows:")
        self.layout_.addWidget(self.refusals_label)
        self.refusals = RefusalsModel(self)
        self.refusals_view = make_table("RefusalsTable", "Refused rows")
        self.refusals_view.setModel(self.refusals)
        self.layout_.addWidget(self.refusals_view, 1)
        self.valid_only = QRadioButton("Import the valid rows and leave the refused ones out")
        self.all_or_nothing = QRadioButton("Import nothing while any row is refused")
        self.valid_only.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.valid_only)
        group.addButton(self.all_or_nothing)
        self.layout_.addWidget(self.valid_only)
        self.layout_.addWidget(self.all_or_nothing)
        self.all_or_nothing.toggled.connect(self.completeChanged)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Import")

    def initializePage(self) -> None:
        self.refusals.set_rows([])
        self.start()

    def show_report(self, report: ImportReport) -> None:
        super().show_report(report)
        self.wizard_.dry_report = report
        # Refused rows first, then the values left out of (or doubtful in) imported rows.
        attention = [
            RowRefusal(i.row, "Needs attention: " + i.describe(), i.field)
            for i in report.needs_attention
        ]
        self.refusals.set_rows(report.refusals + attention)
        self.refusals_view.resizeColumnToContents(0)
        shown = len(report.refusals)
        more = f" (the first {shown:,} of {report.refused:,})" if report.refused > shown else ""
        label = f"Refused rows{more}" if report.refused else "No row is refused"
        if attention:
            label += f"; {report.needs_attention_count:,} value(s) need attention"
        self.refusals_label.setText(label + (":" if report.refused or attention else "."))
        self.valid_only.setText(
            f"Import the {report.created + report.updated:,} valid rows"
            + (" and leave the refused ones out" if report.refused else "")
        )

    def isComplete(self) -> bool:
        if not super().isComplete() or self.report is None:
            return False
        if self.all_or_nothing.isChecked() and self.report.refused:
            return False  # the import would do nothing
        return self.report.created + self.report.updated > 0


class ImportPage(_RunPage):
    dry_run = False

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Importing")
        self.setSubTitle("One transaction: stopping leaves everything as it was.")
        self.layout_.addStretch(1)

    def initializePage(self) -> None:
        self.start()

    def _done(self, report: ImportReport) -> None:
        super()._done(report)
        self.wizard_.report = report
        self.stop_button.hide()  # nothing left to stop
        if report.committed:
            self.setSubTitle("Done.")
            # What is imported stays imported: only Finish is left to press.
            for which in (QWizard.WizardButton.CancelButton, QWizard.WizardButton.BackButton):
                self.wizard_.button(which).setEnabled(False)
            self.wizard_.imported.emit(report)

    def show_report(self, report: ImportReport) -> None:
        if not report.committed:
            self.summary.setText(
                f"Nothing was imported: {plural(report.refused, 'row was', 'rows were')} "
                "refused.\n" + summary_text(report)
            )
            return
        self.summary.setText(summary_text(report) + f"\nTook {report.seconds:.1f} seconds.")

    def isComplete(self) -> bool:
        return not self.running
