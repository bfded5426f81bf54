"""A small read-only table of X resources and what they cost, shared by the sync plan dialog
and the usage page (one row a kind, or one row a day)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QTableView

_Index = QModelIndex | QPersistentModelIndex


class CostTableModel(QAbstractTableModel):
    """Rows of already formatted cells; numbers right-aligned. ``SORT_ROLE`` gives the raw
    value a column sorts by (Vorta-style ``set_rows``)."""

    SORT_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = tuple(headers)
        self._rows: list[tuple[tuple[str, ...], tuple[Any, ...]]] = []

    def set_rows(self, rows: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> None:
        """``(cells shown, raw values)`` for each row."""
        self.beginResetModel()
        self._rows = [(tuple(shown), tuple(raw)) for shown, raw in rows]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        shown, raw = self._rows[index.row()]
        if not 0 <= index.column() < len(shown):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown[index.column()]
        if role == self.SORT_ROLE:
            return raw[index.column()] if index.column() < len(raw) else None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def fit_first_column(table: QTableView) -> None:
    """The label column as wide as its text; the figures share the rest."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
