"""Bulk loading: the SQL a large import writes with, behind named functions.

An import writes tens of thousands of rows a batch, and the ORM's (even Core's) per-row work
would cost more than the database's: on PostgreSQL the rows are streamed with ``COPY``, on
SQLite they go to the driver in multi-row INSERTs with their values converted once per
distinct object. The import also sets SQLite's FTS5 insert trigger aside and indexes each
batch's search documents in one statement (:class:`BulkSearchIndex`), and enlarges SQLite's
page cache while it runs (:func:`larger_cache`). All of it names storage internals (the
trigger, the FTS5 table, pragmas), so it lives here beside the schema it depends on;
tests/services/test_imports_bulk.py holds it to what an ordinary write would do, and fails
if a migration renames what it sets aside.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from crm.storage.models import PersonSearch
from crm.storage.search import refresh_people


def in_values(column: Any, values: Iterable[Any], dialect: str, type_: Any = String) -> Any:
    """``column IN values``, with the values as one parameter where the database allows:
    read by ``json_each`` on SQLite, an array for ``= ANY`` on PostgreSQL.

    A batch looks up thousands of values: as an expanding ``IN`` SQLAlchemy renders a bind
    parameter for each on every execution, which costs more than the index searches (the
    plan is the same: one index search per value).
    """
    if dialect == "postgresql":
        return column == any_(bindparam("in_values", list(values), type_=ARRAY(type_)))
    if dialect != "sqlite":
        return column.in_(list(values))
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("in_values", json.dumps(list(values)), type_=String))
    )
    return column.in_(listed.scalar_subquery())


def table_of(model: Any) -> Table:
    return cast(Table, model.__table__) if hasattr(model, "__table__") else cast(Table, model)


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dictionaries with the same keys) in one go."""
    if not rows:
        return
    columns = list(rows[0])
    get = operator.itemgetter(*columns)
    values = list(map(get, rows)) if len(columns) > 1 else [(get(row),) for row in rows]
    insert_values(session, model, columns, values)


def insert_values(
    session: Session, model: Any, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert ``values`` (tuples in the order of ``columns``) in one go.

    The columns' Python-side defaults (``GBP``, ``utcnow()``...) fill the columns left out.
    On SQLite see :func:`_sqlite_insert`; on PostgreSQL the rows are streamed with COPY,
    which is what PostgreSQL offers for bulk loads.
    """
    if not values:
        return
    table = table_of(model)
    defaults = _defaults(table, columns)
    if defaults:
        columns = [*columns, *defaults]
        extra = tuple(defaults.values())
        values = [row + extra for row in values]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        _copy(session, table, columns, values)
        return
    if dialect.name != "sqlite":
        session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in values])
        return
    _sqlite_insert(session, table, columns, values)


# What the import binds for NULL on SQLite. The sqlite3 module sends a None through its
# adapter lookup, which fails (building an exception message) for every value, while a
# float goes straight to sqlite3_bind_double; SQLite stores a NaN as NULL.
_SQLITE_NULL = float("nan")
# Rows per multi-row INSERT on SQLite, largest first. One statement for many rows saves
# SQLite's per-row statement overhead (its CHECK constraints' IN lists are built once per
# statement run, for one). Preparing such a statement costs about as much as running it, so
# the sizes are few and fixed and each is prepared once (the driver caches statements);
# the last rows, fewer than the smallest size, go through executemany.
_SQLITE_ROWS = (512, 128)


def _sqlite_insert(
    session: Session, table: Table, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert ``values`` on SQLite: through each column type's own bind processor, as a Core
    ``insert()`` would, and then straight to the driver in multi-row statements (SQLAlchemy's
    per-row bookkeeping in a Core executemany costs more than SQLite's insert itself)."""
    connection = session.connection()
    data: list[Sequence[Any]] = list(zip(*values, strict=True))
    for i, name in enumerate(columns):
        column = table.c[name]
        process = column.type.bind_processor(connection.dialect)
        if process is not None:
            data[i] = _processed(data[i], process, sqlite=True)
        if column.nullable:
            data[i] = _sqlite_nulls(data[i])
    names = ", ".join(f'"{c}"' for c in columns)
    row = "(" + ", ".join("?" for _ in columns) + ")"
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES '
    raw = connection.connection.driver_connection
    most = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns) if raw else 1
    count = len(values)
    start = 0
    for size in _SQLITE_ROWS:
        if size > most or count - start < size:
            continue
        many = sql + ", ".join([row] * size)
        while count - start >= size:
            chunk = zip(*[column[start : start + size] for column in data], strict=True)
            connection.exec_driver_sql(many, tuple(itertools.chain.from_iterable(chunk)))
            start += size
    if start < count:
        rest = [column[start:] for column in data]
        connection.exec_driver_sql(sql + row, list(zip(*rest, strict=True)))


def _sqlite_nulls(values: Sequence[Any]) -> Sequence[Any]:
    """``values`` with each None as :data:`_SQLITE_NULL`."""
    nulls = values.count(None)
    if not nulls:
        return values
    if nulls == len(values):
        return [_SQLITE_NULL] * nulls
    return [_SQLITE_NULL if value is None else value for value in values]


def _map_columns(
    values: list[tuple[Any, ...]], functions: Mapping[int, Callable[[list[Any]], list[Any]]]
) -> list[tuple[Any, ...]]:
    """``values`` with some of their columns (by position) passed through ``functions``, each
    taking and returning a whole column: the rows are turned into columns and back in C."""
    if not functions:
        return values
    data: list[Any] = list(zip(*values, strict=True))
    for i, function in functions.items():
        data[i] = function(list(data[i]))
    return list(zip(*data, strict=True))


def _copy(
    session: Session, table: Table, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    dumps = {
        i: functools.partial(_processed, process=json.dumps, none=True)
        for i, c in enumerate(columns)
        if isinstance(table.c[c].type, JSON)
    }
    names = ", ".join(f'"{c}"' for c in columns)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in _map_columns(values, dumps):
            copy.write_row(row)


def _processed(
    values: Iterable[Any],
    process: Callable[[Any], Any],
    *,
    sqlite: bool = False,
    none: bool = False,
) -> list[Any]:
    """``values`` through a bind processor; a batch repeats the same timestamp (and audit
    note) object in every row, so each distinct object is converted once.

    A None stays None unless ``none`` says to convert it too. On SQLite a value the driver
    would adapt itself (a datetime, with the sqlite3 module's own adapter) is adapted here,
    with that same adapter, so that it too is done once per object instead of once per row.
    """
    out: list[Any] = []
    last_in: Any = None
    last_out: Any = None
    for value in values:
        if value is None and not none:
            out.append(None)
        elif value is last_in and out:
            out.append(last_out)
        else:
            last_in, last_out = value, process(value)
            if sqlite:
                adapt = sqlite3.adapters.get((type(last_out), sqlite3.PrepareProtocol))
                if adapt is not None:
                    last_out = adapt(last_out)
            out.append(last_out)
    return out


def _defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """The columns' Python-side defaults (``GBP``, ``utcnow()``...) that ``columns`` leave out."""
    missing: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in columns or default is None or column.primary_key:
            continue
        arg = getattr(default, "arg", None)
        if getattr(default, "is_scalar", False):
            missing[column.key] = arg
        elif getattr(default, "is_callable", False) and callable(arg):
            missing[column.key] = arg(None)
    return missing


def insert_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their new ids in order."""
    if not rows:
        return []
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        # An import takes SQLite's write lock with its first statement (see :func:`larger_cache`'s caller, the import), so
        # no one else can take these ids; giving them explicitly saves RETURNING, which is
        # several times slower through the driver.
        start = int(session.scalar(select(func.max(table.c.id))) or 0) + 1
        for offset, row in enumerate(rows):
            row["id"] = start + offset
        insert_rows(session, table, rows)
        return list(range(start, start + len(rows)))
    if session.get_bind().dialect.name == "postgresql":
        # Take the ids from the table's sequence first (safe alongside other writers), then
        # COPY the rows with them.
        sequence = session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence:
            ids = [
                int(i)
                for i in session.scalars(
                    text("SELECT nextval(:sequence) FROM generate_series(1, :n)"),
                    {"sequence": sequence, "n": len(rows)},
                )
            ]
            for row, new_id in zip(rows, ids, strict=True):
                row["id"] = new_id
            insert_rows(session, table, rows)
            return ids
    return list(
        session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    )


# The trigger that copies each new search document into SQLite's FTS5 index (made by the
# migration). Fed one row at a time it costs three times what one INSERT ... SELECT of a
# whole batch costs, which is most of a large import's time.
_FTS_INSERT_TRIGGER = "person_search_ai"


class BulkSearchIndex:
    """Indexes the search documents a people import writes, in bulk on SQLite.

    For the whole import the FTS5 insert trigger is set aside, inside the import's
    transaction, and each batch's documents (new people's and refreshed ones') are indexed by
    one INSERT ... SELECT; :meth:`restore` puts the trigger back from its own SQL before the
    commit. A rollback restores it with everything else, and other connections never see it
    gone. Once per import rather than per batch: a schema change makes SQLite prepare every
    cached statement again.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.trigger: str | None = None
        self.columns: list[str] = []

    def pause(self) -> None:
        """Set the FTS5 insert trigger aside (on SQLite)."""
        if self.session.get_bind().dialect.name != "sqlite":
            return
        conn = self.session.connection()
        trigger = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_FTS_INSERT_TRIGGER,),
        ).scalar()
        columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(person_fts)")]
        if trigger and columns:
            conn.exec_driver_sql(f'DROP TRIGGER "{_FTS_INSERT_TRIGGER}"')
            self.trigger = str(trigger)
            self.columns = columns

    def insert(self, docs: list[dict[str, Any]]) -> None:
        """Insert new people's documents (and index them)."""
        insert_rows(self.session, PersonSearch, docs)
        self.index([d["person_id"] for d in docs])

    def refresh(self, person_ids: Sequence[int]) -> None:
        """Rewrite existing people's documents (and index them)."""
        refresh_people(self.session, person_ids)
        self.index(person_ids)

    def index(self, person_ids: Sequence[int]) -> None:
        if self.trigger is None or not person_ids:
            return
        names = ", ".join(f'"{c}"' for c in self.columns)
        ids = ", ".join(str(int(i)) for i in person_ids)
        self.session.connection().exec_driver_sql(
            f"INSERT INTO person_fts(rowid, {names}) "
            f"SELECT person_id, {names} FROM person_search WHERE person_id IN ({ids})"
        )

    def restore(self) -> None:
        """Put the trigger back."""
        if self.trigger is not None:
            self.session.connection().exec_driver_sql(self.trigger)
            self.trigger = None


def larger_cache(session: Session) -> int | None:
    """On SQLite, a 64 MB page cache instead of 2 MB for the session's connection, so that
    index pages stay in memory while a large file's rows land all over them; returns the
    size to put back with :func:`restore_cache` (None elsewhere). A failed import leaves the
    pooled connection with the bigger cache, which does no harm."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    size = session.scalar(text("PRAGMA cache_size"))
    session.execute(text("PRAGMA cache_size = -65536"))
    return None if size is None else int(size)


def restore_cache(session: Session, size: int | None) -> None:
    """Put back the page cache size :func:`larger_cache` returned."""
    if size is not None:
        session.execute(text(f"PRAGMA cache_size = {int(size)}"))
