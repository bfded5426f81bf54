"""SELECTs run on the driver's cursor inside a session's transaction.

For pages that read thousands of rows or a score of statements at once (Today, the league
table): through a ``Result`` each row costs a few microseconds of SQLAlchemy's work, each
statement its coercion, cache key and execution context. :func:`rows` leaves the driver
call and the conversions the column types ask for (:mod:`crm.storage.prepared`), in the
session's transaction, so a page still reads one snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, TextClause
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crm.storage.prepared import CompiledSelect, compile_select

#: Any SELECT, whatever its columns.
Rows = Select[*tuple[Any, ...]]

_compiled: dict[tuple[int, str], CompiledSelect] = {}


def rows(
    session: Session,
    statement: Rows | TextClause,
    params: Mapping[str, Any],
    *,
    constant: bool = True,
) -> list[Sequence[Any]]:
    """The rows of ``statement`` with ``params``, in the session's transaction.

    ``constant``: the statement is a module constant, compiled once per dialect and kept;
    pass False for a statement built per call (compiled each time, never kept)."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = _compiled.get((id(statement), dialect.name)) if constant else None
    if compiled is None:
        compiled = compile_select(statement, dialect)
        if constant:
            _compiled[id(statement), dialect.name] = compiled
    values = compiled.parameters(params)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.sql, values)
        fetched = cursor.fetchall()
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy would raise it: Database.read turns it into a clear message.
        raise DBAPIError.instance(
            compiled.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()
    return compiled.convert(fetched)
