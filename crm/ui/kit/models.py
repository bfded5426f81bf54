"""Item models for the app's tables.

``PeopleTableModel`` works like Anki's browser table: it holds only the ids a search returned
and loads rows a page at a time, when a view first asks for them, into an id-indexed cache;
100,000 people cost 100,000 integers until someone scrolls. ``RecordTableModel`` is the small
Vorta-style model for short lists: ``set_rows()``, column specs, a sort role with raw values
and a role that returns the underlying record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from crm.ui.kit import theme
from crm.ui.kit.formatting import fmt_ago, fmt_count, fmt_date, fmt_datetime, plain_tooltip

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


#: Roles as plain ints: Qt passes ints, and comparing them is much cheaper than enum members.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole.value
_ID = int(IdRole)
_SORT = int(SortRole)
_RECORD = int(RecordRole)
#: The roles the people model answers; a paint asks for about a dozen per cell.
_PEOPLE_ROLES = frozenset(
    {_DISPLAY, _TOOLTIP, _ALIGNMENT, _FOREGROUND, _ACCESSIBLE, _ID, _SORT, _RECORD}
)
_PEOPLE_ALIGN = tuple(int(c.align | Qt.AlignmentFlag.AlignVCenter) for c in PEOPLE_COLUMNS)
_PEOPLE_TITLES = tuple(c.title for c in PEOPLE_COLUMNS)
_LAST_CONTACT = [c.key for c in PEOPLE_COLUMNS].index("last_interaction_at")
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
#: "5 min ago" goes stale: a row whose last contact was this recent is reformatted when shown
#: again after ``_RECHECK_SECONDS`` (older contacts show a date, which does not change).
_RELATIVE_FOR = timedelta(days=15)
_RECHECK_SECONDS = 15.0
_NEVER = float("inf")

#: One QColor per colour string: the theme's colours are read at paint time (it can switch
#: between light and dark), but parsing "#rrggbb" again for every cell is wasted work.
_COLOURS: dict[str, QColor] = {}


def _colour(tone: str) -> QColor:
    value: str = getattr(theme.colours(), tone)
    colour = _COLOURS.get(value)
    if colour is None:
        colour = _COLOURS[value] = QColor(value)
    return colour


def _person_text(p: PersonSummary, key: str) -> str:
    """What a people column shows for a person."""
    if key == "name":
        return p.name + ("  ⊘" if p.do_not_contact else "")
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


def _person_tooltip(p: PersonSummary, key: str, text: str) -> str | None:
    """A people column's tooltip for a person, given the cell's ``text``."""
    if key == "name" and p.do_not_contact:
        return plain_tooltip(f"{p.name} asked not to be contacted")
    if key == "last_interaction_at" and p.last_interaction_at:
        return fmt_datetime(p.last_interaction_at)
    return plain_tooltip(text)


def _person_tone(p: PersonSummary, key: str) -> str | None:
    """The theme colour (a :class:`crm.ui.kit.theme.Colours` field) a cell's text is in."""
    if key == "name" and p.do_not_contact:
        return "danger"
    if key == "kind":
        return "candidate" if p.is_candidate else "client"
    if key in ("last_interaction_at", "followers", "x_handle"):
        return "muted"
    return None


class _Cells:
    """A person's row as the table shows it, formatted once (a paint asks ~100 times a row)."""

    __slots__ = ("person", "recheck_at", "text", "tone", "tooltip")

    def __init__(self, p: PersonSummary) -> None:
        self.person = p
        self.text = tuple(_person_text(p, c.key) for c in PEOPLE_COLUMNS)
        self.tooltip = tuple(
            _person_tooltip(p, c.key, text)
            for c, text in zip(PEOPLE_COLUMNS, self.text, strict=True)
        )
        self.tone = tuple(_person_tone(p, c.key) for c in PEOPLE_COLUMNS)
        last = p.last_interaction_at
        recent = last is not None and datetime.now(UTC) - last < _RELATIVE_FOR
        self.recheck_at = time.monotonic() + _RECHECK_SECONDS if recent else _NEVER


class PeopleTableModel(QAbstractTableModel):
    """People by id, rows loaded lazily a page at a time through ``loader``.

    A row's cells are formatted the first time it is shown and kept beside the loaded row
    (``_cells``), so repainting asks dictionaries, not the formatting code; whatever drops a
    loaded row drops its cells too.
    """

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
        self._cells: dict[int, _Cells] = {}
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
            # A long session should not keep every row it ever saw.
            self._cache.clear()
            self._cells.clear()
        self.endResetModel()

    def extend_ids(self, ids: Sequence[int]) -> bool:
        """Show ``ids`` if they start with the ids shown now, by appending the rest: no reset,
        so the view keeps its selection and scroll position and repaints nothing it shows.
        False (and nothing changed) if they do not start that way."""
        n = len(self._ids)
        if len(ids) < n or list(ids[:n]) != self._ids:
            return False
        if len(ids) > n:
            self.beginInsertRows(QModelIndex(), n, len(ids) - 1)
            self._ids.extend(ids[n:])
            self.endInsertRows()
        return True

    @property
    def cached_rows(self) -> int:
        return len(self._cache)

    def prime(self, rows: Sequence[PersonSummary]) -> None:
        """Put rows already loaded (by a worker) into the cache."""
        cells = self._cells
        for row in rows:
            self._cache[row.id] = row
            if cells:
                cells.pop(row.id, None)  # the row may have changed: format it again

    def clear_cache(self) -> None:
        self._cache.clear()
        self._cells.clear()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(PEOPLE_COLUMNS) - 1)
            )

    def forget(self, person_id: int) -> None:
        """A person changed: reload their row the next time it is shown."""
        self._cache.pop(person_id, None)
        self._cells.pop(person_id, None)
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
        self._cells.pop(person_id, None)
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
            self._cells = {i: c for i, c in self._cells.items() if i in near}
        self.prime(rows)

    def _cells_at(self, row: int) -> _Cells | None:
        """The row's formatted cells (loading and formatting it if needed); None while its
        page cannot be loaded."""
        person_id = self._ids[row]
        cells = self._cells.get(person_id)
        if cells is None:
            p = self.summary(row)
            if p is None:
                return None
            cells = self._cells[person_id] = _Cells(p)
        return cells

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
        if role == _DISPLAY:
            return _PEOPLE_TITLES[section]
        if role == _ALIGNMENT:
            return _PEOPLE_ALIGN[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times a paint: unknown roles leave first, the rest read _Cells.
        if role not in _PEOPLE_ROLES or not index.isValid():
            return None
        row = index.row()
        if row >= len(self._ids):
            return None
        if role == _ID:
            return self._ids[row]
        column = index.column()
        if role == _ALIGNMENT:
            return _PEOPLE_ALIGN[column]
        cells = self._cells_at(row)
        if cells is None:
            return "…" if role == _DISPLAY else None
        if role in (_DISPLAY, _ACCESSIBLE):
            if column == _LAST_CONTACT and cells.recheck_at <= time.monotonic():
                cells = self._cells[cells.person.id] = _Cells(cells.person)
            return cells.text[column]
        if role == _FOREGROUND:
            tone = cells.tone[column]
            return _colour(tone) if tone is not None else None
        if role == _TOOLTIP:
            return cells.tooltip[column]
        if role == _RECORD:
            return cells.person
        # SortRole: asked for rarely (sorting itself is the page's job), so not kept.
        key = PEOPLE_COLUMNS[column].key
        return _sort_value(person_sort_key(key)(cells.person)[1])

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

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
    #: A colour role name from crm.ui.kit.theme.Colours ("success", "danger"...) per record.
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
        # A list, or any sequence a subclass keeps (rows built as they are shown).
        self._rows: Sequence[T] = []

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
            return plain_tooltip(column.tooltip(record) if column.tooltip else column.text(record))
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
