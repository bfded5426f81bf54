"""Item models for the app's tables.

``PeopleTableModel`` works like Anki's browser table: it holds only the ids a search returned
and loads rows a page at a time, when a view first asks for them, into an id-indexed cache;
100,000 people cost 100,000 integers until someone scrolls. ``RecordTableModel`` is the small
Vorta-style model for short lists: ``set_rows()``, column specs, a sort role with raw values
and a role that returns the underlying record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from crm.services.views import PersonSummary
from crm.ui import theme
from crm.ui.formatting import fmt_ago, fmt_count, fmt_date

log = logging.getLogger(__name__)

#: The id of the row's record (int).
IdRole = Qt.ItemDataRole.UserRole + 1
#: The raw value to sort by.
SortRole = Qt.ItemDataRole.UserRole + 2
#: The whole record (a frozen dataclass from crm.services.views).
RecordRole = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")


def _sort_value(value: Any) -> Any:
    """A value that sorts sensibly with None last, across types Qt compares."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value.lower()
    return value


# -- people -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeopleColumn:
    key: str
    title: str
    width: int
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft


PEOPLE_COLUMNS: tuple[PeopleColumn, ...] = (
    PeopleColumn("name", "Name", 180),
    PeopleColumn("job_title", "Title", 215),
    PeopleColumn("organisation", "Organisation", 250),
    PeopleColumn("kind", "Kind", 125),
    PeopleColumn("x_handle", "X handle", 125),
    PeopleColumn("followers", "Followers", 80, Qt.AlignmentFlag.AlignRight),
    PeopleColumn("last_interaction_at", "Last contact", 105),
    PeopleColumn("available_from", "Available", 95),
)


def kind_label(p: PersonSummary) -> str:
    parts = []
    if p.is_client_contact:
        parts.append("Client")
    if p.is_candidate:
        parts.append("Candidate")
    return " · ".join(parts)


def person_sort_key(column: str) -> Callable[[PersonSummary], Any]:
    """A key for sorting people by a column, with empty values last."""

    def key(p: PersonSummary) -> Any:
        if column == "name":
            value: Any = (p.name.split()[-1] + " " + p.name).lower() if p.name else None
        elif column == "kind":
            value = kind_label(p) or None
        else:
            value = getattr(p, column)
            if isinstance(value, str):
                value = value.lower()
        return (value is None, value if value is not None else 0)

    return key


class PeopleTableModel(QAbstractTableModel):
    """People by id, rows loaded lazily a page at a time through ``loader``."""

    PAGE = 100
    #: Rows kept in memory; a long scroll through 100,000 people forgets the far ones.
    CACHE_LIMIT = 10_000
    #: (column key, ascending): the view asked to sort; the page fetches sorted ids.
    sort_requested = Signal(str, bool)

    def __init__(
        self, loader: Callable[[Sequence[int]], list[PersonSummary]], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._loader = loader
        self._ids: list[int] = []
        self._cache: dict[int, PersonSummary] = {}
        self._loading = False
        self.pages_loaded = 0

    # -- feeding it ------------------------------------------------------------------------
    def set_loader(self, loader: Callable[[Sequence[int]], list[PersonSummary]]) -> None:
        self._loader = loader
        self.clear_cache()

    def set_ids(self, ids: Sequence[int], *, keep_cache: bool = False) -> None:
        """Show these people, in this order (rows load when first displayed)."""
        self.beginResetModel()
        self._ids = list(ids)
        if not keep_cache and len(self._cache) > 20_000:
            self._cache.clear()  # a long session should not keep every row it ever saw
        self.endResetModel()

    @property
    def cached_rows(self) -> int:
        return len(self._cache)

    def prime(self, rows: Sequence[PersonSummary]) -> None:
        """Put rows already loaded (by a worker) into the cache."""
        for row in rows:
            self._cache[row.id] = row

    def clear_cache(self) -> None:
        self._cache.clear()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(PEOPLE_COLUMNS) - 1)
            )

    def forget(self, person_id: int) -> None:
        """A person changed: reload their row the next time it is shown."""
        self._cache.pop(person_id, None)
        try:
            row = self._ids.index(person_id)
        except ValueError:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(PEOPLE_COLUMNS) - 1))

    def remove_id(self, person_id: int) -> None:
        try:
            row = self._ids.index(person_id)
        except ValueError:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._ids[row]
        self._cache.pop(person_id, None)
        self.endRemoveRows()

    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, person_id: int) -> int:
        try:
            return self._ids.index(person_id)
        except ValueError:
            return -1

    def summary(self, row: int) -> PersonSummary | None:
        """The row's person, loading its page if needed."""
        if not 0 <= row < len(self._ids):
            return None
        person_id = self._ids[row]
        hit = self._cache.get(person_id)
        if hit is None and not self._loading:
            self._load_page(row)
            hit = self._cache.get(person_id)
        return hit

    def _load_page(self, row: int) -> None:
        start = (row // self.PAGE) * self.PAGE
        wanted = [i for i in self._ids[start : start + self.PAGE] if i not in self._cache]
        if not wanted:
            return
        self._loading = True
        try:
            rows = self._loader(wanted)
        except Exception:
            log.exception("Could not load people rows %d-%d", start, start + self.PAGE)
            rows = []
        finally:
            self._loading = False
        self.pages_loaded += 1
        if len(self._cache) > self.CACHE_LIMIT:
            # Keep the neighbourhood of where the user is; scrolling back reloads the rest.
            near = set(self._ids[max(0, start - 5 * self.PAGE) : start + 6 * self.PAGE])
            self._cache = {i: r for i, r in self._cache.items() if i in near}
        for r in rows:
            self._cache[r.id] = r

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PEOPLE_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(PEOPLE_COLUMNS):
            return None
        column = PEOPLE_COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        if role == IdRole:
            return self._ids[index.row()]
        column = PEOPLE_COLUMNS[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.AccessibleTextRole,
            SortRole,
            RecordRole,
        ):
            return None
        p = self.summary(index.row())
        if p is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        if role == RecordRole:
            return p
        if role == SortRole:
            return _sort_value(person_sort_key(column.key)(p)[1])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.key == "name" and p.do_not_contact:
                return QColor(theme.colours().danger)
            if column.key == "kind":
                c = theme.colours()
                return QColor(c.candidate if p.is_candidate else c.client)
            if column.key in ("last_interaction_at", "followers", "x_handle"):
                return QColor(theme.colours().muted)
            return None
        text = self._text(p, column.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.key == "name" and p.do_not_contact:
                return f"{p.name} asked not to be contacted"
            if column.key == "last_interaction_at" and p.last_interaction_at:
                from crm.ui.formatting import fmt_datetime

                return fmt_datetime(p.last_interaction_at)
            return text or None
        return text

    @staticmethod
    def _text(p: PersonSummary, key: str) -> str:
        if key == "name":
            return p.name + ("  ⛔" if p.do_not_contact else "")
        if key == "job_title":
            return p.job_title or ""
        if key == "organisation":
            return p.organisation or ""
        if key == "kind":
            return kind_label(p)
        if key == "x_handle":
            return f"@{p.x_handle}" if p.x_handle else ""
        if key == "followers":
            return fmt_count(p.followers)
        if key == "last_interaction_at":
            return fmt_ago(p.last_interaction_at, empty="")
        if key == "available_from":
            return fmt_date(p.available_from) if p.is_candidate else ""
        return ""

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # Rows are not all loaded, so sorting is the page's job (it fetches sorted ids).
        if 0 <= column < len(PEOPLE_COLUMNS):
            self.sort_requested.emit(
                PEOPLE_COLUMNS[column].key, order == Qt.SortOrder.AscendingOrder
            )


# -- short lists ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column(Generic[T]):
    """How one column shows a record: its text, optional raw sort value, alignment, tooltip."""

    title: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    width: int = 0
    tooltip: Callable[[T], str] | None = None
    muted: bool = False
    #: A colour role name from crm.ui.theme.Colours ("success", "danger"...) per record.
    tone: Callable[[T], str | None] | None = None


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """A list of frozen records shown through column specs (organisations, placements...)."""

    def __init__(
        self,
        columns: Sequence[Column[T]],
        id_of: Callable[[T], int] = lambda r: r.id,  # type: ignore[attr-defined]
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._id_of = id_of
        self._rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    @property
    def rows(self) -> list[T]:
        return list(self._rows)

    def record(self, row: int) -> T | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(self.columns[section].align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(record) if column.tooltip else (column.text(record) or None)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            tone = column.tone(record) if column.tone else ("muted" if column.muted else None)
            return QColor(getattr(theme.colours(), tone)) if tone else None
        if role == SortRole:
            return _sort_value(column.sort(record) if column.sort else column.text(record))
        if role == IdRole:
            return self._id_of(record)
        if role == RecordRole:
            return record
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
