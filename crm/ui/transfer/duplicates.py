"""The duplicates review: likely duplicate people or organisations, two records side by side,
a choice per field, and a merge that moves everything to the record that stays."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.services import duplicates
from crm.services.duplicates import DuplicatePair, MergePreview
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask, show_error
from crm.ui.kit.formatting import plain_tooltip, plural
from crm.ui.kit.models import Column, RecordTableModel
from crm.ui.kit.widgets import make_table, plain_label

log = logging.getLogger(__name__)

CHOICES = [("Keep this record's", duplicates.SURVIVOR), ("Take the other's", duplicates.OTHER)]
BOTH_LABEL = ("Keep both", duplicates.BOTH)

PAIR_COLUMNS: list[Column[DuplicatePair]] = [
    Column("Score", lambda p: str(p.score), sort=lambda p: p.score, width=60),
    Column("Record", lambda p: f"#{p.first_id} {p.first_name}", tooltip=lambda p: p.first_detail),
    Column(
        "Possible duplicate",
        lambda p: f"#{p.second_id} {p.second_name}",
        tooltip=lambda p: p.second_detail,
    ),
    Column("Why", lambda p: "; ".join(p.reasons), muted=True),
]


class DuplicatesDialog(QDialog):
    """``DuplicatesDialog(ctx, parent=None, *, kind="person")``: review and merge.

    Emits :attr:`merged` with (kind, survivor id, merged id) after each merge.
    """

    merged = Signal(str, int, int)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        kind: str = duplicates.PERSON,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db = ctx.db
        self.runner = ctx.runner
        self.preview: MergePreview | None = None
        self.combos: dict[str, QComboBox] = {}
        self._swapped = False
        self.setObjectName("DuplicatesDialog")
        self.setWindowTitle("Duplicates")
        self.resize(1000, 680)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("People", duplicates.PERSON)
        self.kind_combo.addItem("Organisations", duplicates.ORGANISATION)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.kind_combo.currentIndexChanged.connect(self.refresh)
        top.addWidget(plain_label("Likely duplicate"))
        top.addWidget(self.kind_combo)
        refresh = QPushButton("Look again")
        refresh.clicked.connect(self.refresh)
        top.addWidget(refresh)
        top.addStretch(1)
        self.status = plain_label("", "DuplicatesStatus")
        top.addWidget(self.status)
        layout.addLayout(top)

        splitter = QSplitter()
        self.pairs = RecordTableModel(PAIR_COLUMNS, id_of=lambda p: p.first_id, parent=self)
        self.pairs_view = make_table("DuplicatePairs", "Likely duplicates")
        self.pairs_view.setModel(self.pairs)
        self.pairs_view.selectionModel().currentRowChanged.connect(self._pair_chosen)
        splitter.addWidget(self.pairs_view)

        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        self.title = plain_label("Choose a pair to compare.", "MergeTitle", wrap=True)
        side.addWidget(self.title)
        self.fields = QTableWidget(0, 4)
        self.fields.setObjectName("MergeFields")
        self.fields.setAccessibleName("Fields side by side")
        self.fields.verticalHeader().hide()
        self.fields.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(True)
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        side.addWidget(self.fields, 1)
        self.moves = plain_label("", "MergeMoves", wrap=True)
        side.addWidget(self.moves)
        buttons = QHBoxLayout()
        self.swap_button = QPushButton("Keep the other record instead")
        self.swap_button.clicked.connect(self.swap)
        self.skip_button = QPushButton("Not duplicates")
        self.skip_button.setToolTip("Take this pair off the list for now.")
        self.skip_button.clicked.connect(self.skip)
        self.merge_button = QPushButton("Merge…")
        self.merge_button.setObjectName("MergeButton")
        self.merge_button.clicked.connect(self.confirm_merge)
        buttons.addWidget(self.swap_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        side.addLayout(buttons)
        splitter.addWidget(right)
        splitter.setSizes([380, 620])
        layout.addWidget(splitter, 1)
        self._set_enabled(False)
        self.refresh()

    # -- the list ------------------------------------------------------------------------------
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def refresh(self) -> None:
        self.status.setText("Looking…")
        finder = (
            duplicates.find_duplicate_organisations
            if self.kind() == duplicates.ORGANISATION
            else duplicates.find_duplicate_people
        )
        db = self.db
        self.runner.run(lambda: finder(db), self._listed, show_error, label="Finding duplicates")

    def _listed(self, pairs: list[DuplicatePair]) -> None:
        self.pairs.set_rows(pairs)
        self.status.setText(
            f"{plural(len(pairs), 'pair')} to review" if pairs else "No duplicates found."
        )
        self.preview = None
        self._show_preview()
        if pairs:
            self.pairs_view.selectionModel().setCurrentIndex(
                self.pairs.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def current_pair(self) -> DuplicatePair | None:
        index = self.pairs_view.selectionModel().currentIndex()
        return self.pairs.record(index.row()) if index.isValid() else None

    def _pair_chosen(self, *_args: Any) -> None:
        self._swapped = False
        self._load_preview()

    def _load_preview(self) -> None:
        pair = self.current_pair()
        if pair is None:
            self.preview = None
            self._show_preview()
            return
        survivor, other = pair.first_id, pair.second_id
        if self._swapped:
            survivor, other = other, survivor
        loader = (
            duplicates.organisation_merge_preview
            if pair.kind == duplicates.ORGANISATION
            else duplicates.person_merge_preview
        )
        db = self.db
        self.runner.run(
            lambda: loader(db, survivor, other), self._previewed, show_error, label="Comparing"
        )

    def _previewed(self, preview: MergePreview) -> None:
        self.preview = preview
        self._show_preview()

    # -- side by side ----------------------------------------------------------------------------
    def _show_preview(self) -> None:
        preview = self.preview
        self.fields.setRowCount(0)
        self.combos = {}
        if preview is None:
            self.title.setText("Choose a pair to compare.")
            self.moves.setText("")
            self._set_enabled(False)
            return
        self.title.setText(
            f"Keep #{preview.survivor_id} {preview.survivor_name} and merge "
            f"#{preview.other_id} {preview.other_name} into it."
        )
        self.fields.setHorizontalHeaderLabels(
            ["Field", f"#{preview.survivor_id} (stays)", f"#{preview.other_id} (goes)", "Keep"]
        )
        shown = [f for f in preview.fields if f.survivor or f.other]
        self.fields.setRowCount(len(shown))
        for row, choice in enumerate(shown):
            self.fields.setItem(row, 0, QTableWidgetItem(choice.label))
            for column, value in ((1, choice.survivor), (2, choice.other)):
                item = QTableWidgetItem(value)
                item.setToolTip(plain_tooltip(value) or "")
                self.fields.setItem(row, column, item)
            combo = QComboBox()
            combo.setAccessibleName(f"Keep which {choice.label.lower()}")
            for label, value in [*CHOICES, *([BOTH_LABEL] if choice.can_combine else [])]:
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(choice.default)))
            combo.setEnabled(choice.differs)
            self.fields.setCellWidget(row, 3, combo)
            self.combos[choice.field] = combo
        self.fields.resizeColumnToContents(0)
        self.fields.resizeColumnToContents(3)
        moving = ", ".join(
            f"{n:,} {name.replace('_', ' ')}" for name, n in preview.moves.items() if n
        )
        self.moves.setText(
            f"Moves to #{preview.survivor_id}: {moving}." if moving else "Nothing else moves."
        )
        self._set_enabled(True)

    def _set_enabled(self, on: bool) -> None:
        for button in (self.swap_button, self.skip_button, self.merge_button):
            button.setEnabled(on)

    def choose(self, field: str, choice: str) -> None:
        """Pick which value a field keeps (what the user does with the row's combo)."""
        combo = self.combos[field]
        combo.setCurrentIndex(max(0, combo.findData(choice)))

    def choices(self) -> dict[str, str]:
        return {name: str(combo.currentData()) for name, combo in self.combos.items()}

    def swap(self) -> None:
        self._swapped = not self._swapped
        self._load_preview()

    def skip(self) -> None:
        pair = self.current_pair()
        if pair is None:
            return
        self.pairs.set_rows([p for p in self.pairs.rows if p != pair])
        self.preview = None
        self._show_preview()

    # -- merging -----------------------------------------------------------------------------------
    def confirm_merge(self) -> None:
        preview = self.preview
        if preview is None:
            return
        ask(
            self,
            "Merge",
            f"Merge #{preview.other_id} {preview.other_name} into #{preview.survivor_id} "
            f"{preview.survivor_name}?",
            "Merge",
            self.merge,
            destructive=True,
            details=f"{self.moves.text()} #{preview.other_id} is then deleted; an audit entry "
            "records the merge.",
        )

    def merge(self) -> None:
        preview = self.preview
        if preview is None:
            return
        merge = (
            duplicates.merge_organisations
            if preview.kind == duplicates.ORGANISATION
            else duplicates.merge_people
        )
        db, choices = self.db, self.choices()

        def work() -> int:
            return merge(
                db,
                preview.survivor_id,
                preview.other_id,
                choices,
                survivor_version=preview.survivor_version,
                other_version=preview.other_version,
            )

        def done(_version: int) -> None:
            self.status.setText(f"Merged #{preview.other_id} into #{preview.survivor_id}.")
            self.merged.emit(preview.kind, preview.survivor_id, preview.other_id)
            gone = {preview.survivor_id, preview.other_id}
            self.pairs.set_rows(
                [p for p in self.pairs.rows if not ({p.first_id, p.second_id} & gone)]
            )
            self.preview = None
            self._show_preview()
            self.refresh()

        self.runner.run(work, done, lambda exc: show_error(exc, self), write=True, label="Merging")
