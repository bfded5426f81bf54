"""The schema's text length limits, checked before every write on every backend.

PostgreSQL refuses a value longer than its ``VARCHAR(N)`` column with an error that would
fail the whole transaction; SQLite stores it without a word, so a database that worked on a
laptop breaks when moved to a team server. The limits here are read from the models'
``String(N)`` columns (nothing to keep in step by hand) and checked in two places: a session
hook for every ORM flush, and :func:`check_lengths` for code writing with Core (the bulk
import checks each row's values with it before the row is accepted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from crm.domain.errors import ValidationError
from crm.storage.models import Base

# What a table's rows are called in a message.
_RECORDS = {
    "app_user": "User",
    "x_account": "X account",
    "x_usage": "X usage",
    "person_email": "Email",
    "person_phone": "Phone",
    "placement_extension": "Extension",
    "placement_note": "Placement note",
    "audit_entry": "Audit entry",
    "person_search": "Search document",
}


def _limits() -> dict[str, dict[str, int]]:
    limits: dict[str, dict[str, int]] = {}
    for table in Base.metadata.tables.values():
        bounded = {
            column.key: int(column.type.length)
            for column in table.columns
            if isinstance(column.type, String) and column.type.length
        }
        if bounded:
            limits[table.name] = bounded
    return limits


LIMITS: dict[str, dict[str, int]] = _limits()
"""Table name -> column -> the most characters it holds."""


def field_label(table: str, column: str) -> str:
    """``person``, ``first_name`` -> ``Person first name``; ``x_account``, ``handle`` ->
    ``X account handle``."""
    record = _RECORDS.get(table, table.replace("_", " ").capitalize())
    return f"{record} {column.replace('_', ' ')}"


def check_lengths(table: str, values: Mapping[str, Any]) -> None:
    """Refuse a value too long for its column of ``table``, naming the field."""
    for column, size in LIMITS.get(table, {}).items():
        value = values.get(column)
        if isinstance(value, str) and len(value) > size:
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ValidationError(
                f"{field_label(table, column)} is too long: {shown!r} has {len(value)} "
                f"characters, at most {size}.",
                field=column,
            )


def _check_flush(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.new:
        state = inspect(obj)
        # Only the attributes set: reading the rest would load them mid-flush.
        check_lengths(state.mapper.local_table.name, state.dict)
    for obj in session.dirty:
        state = inspect(obj)
        # Only the attributes changed: a value already stored too long (SQLite kept it)
        # must not block an unrelated edit of its row.
        changed = {key: state.dict.get(key) for key in state.committed_state}
        check_lengths(state.mapper.local_table.name, changed)


def install_hooks(factory: sessionmaker[Session]) -> None:
    """Check lengths before each flush of the sessions ``factory`` makes."""
    event.listen(factory, "before_flush", _check_flush)
