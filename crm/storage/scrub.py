"""Deleting for good: on SQLite, freed pages are zeroed, deleted words are merged out of the
full-text indexes and the write-ahead log is truncated, so that erased text does not linger
in the file. On PostgreSQL these do nothing (its storage is the server's to reclaim).
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm.storage.db import Database

log = logging.getLogger(__name__)


def secure_delete(session: Session, on: bool) -> None:
    """Zero freed pages (``on``) for what the session deletes next, or stop doing so."""
    if session.get_bind().dialect.name == "sqlite":
        # Freed pages are overwritten with zeros instead of keeping the deleted text. (If
        # the erasure fails, the pooled connection keeps it on: slower deletes, no harm.)
        session.execute(text(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}"))


def purge_search_indexes(session: Session) -> None:
    """Merge the deleted words out of the full-text indexes, in the session's transaction."""
    if session.get_bind().dialect.name != "sqlite":
        return
    # FTS5 keeps deleted words in its segments until they are merged: merge them all now.
    for table in ("person_fts", "interaction_fts"):
        exists_ = session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = :n"), {"n": table}
        )
        if exists_:
            session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))


def checkpoint(db: Database) -> None:
    """Fold the write-ahead log into the file and truncate it (best effort), after a commit."""
    if not db.is_sqlite:
        return
    # The write-ahead log still holds the old pages until it is checkpointed and truncated.
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # best effort: another reader may hold the log open
        log.warning("Could not checkpoint the write-ahead log after an erasure: %s", exc)
