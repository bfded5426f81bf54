"""An INSERT that can skip or update on conflict, in the session's own SQL dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Table) -> Any:
    """An INSERT into ``table`` that supports ``on_conflict_do_*`` on the session's dialect
    (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
