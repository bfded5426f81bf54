"""Connections: reads never write, and a dropped PostgreSQL connection is replaced unseen."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import InvalidRequestError

from crm.domain.errors import DatabaseError
from crm.services.people import PersonInput, add_person, count_people, search_people
from crm.storage import db as db_module
from crm.storage.db import Database
from crm.storage.models import Tag


def test_a_read_session_refuses_to_write(any_db: Database) -> None:
    with pytest.raises(InvalidRequestError, match="do not write"), any_db.read() as session:
        session.add(Tag(name="never-saved"))
        session.flush()
    with any_db.read() as session:
        assert session.query(Tag).count() == 0


def test_reads_see_what_other_connections_committed(any_db: Database) -> None:
    other = Database(any_db.url)
    try:
        assert count_people(any_db) == 0
        add_person(other, PersonInput("Ann", "Archer"))
        assert count_people(any_db) == 1
        assert [p.name for p in search_people(any_db, "archer")] == ["Ann Archer"]
    finally:
        other.dispose()


def _kill_pooled_connection(pg_db: Database) -> int:
    """What a server restart or a dropped network does to the pool's idle connection."""
    with pg_db.engine.connect() as conn:
        pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        return 1 if row and row[0] else 0


def test_a_connection_dropped_while_idle_is_replaced(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_person(pg_db, PersonInput("Ann", "Archer"))
    assert count_people(pg_db) == 1
    assert _kill_pooled_connection(pg_db) == 1
    # Idle long enough to be checked: the dead connection is found and replaced.
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)
    assert count_people(pg_db) == 1
    assert [p.name for p in search_people(pg_db, "archer")] == ["Ann Archer"]


def test_a_connection_dropped_moments_after_use_fails_once_clearly(pg_db: Database) -> None:
    """Not pinged (it was used a moment ago): the action fails with a plain message, the
    pool is refreshed, and the next action works."""
    add_person(pg_db, PersonInput("Ann", "Archer"))
    assert _kill_pooled_connection(pg_db) == 1
    with pytest.raises(DatabaseError, match="could not complete"):
        count_people(pg_db)
    assert count_people(pg_db) == 1


def test_a_search_on_a_dropped_connection_fails_once_clearly(pg_db: Database) -> None:
    """Search runs on the driver's cursor (Database.rows): a dead connection is reported
    plainly and dropped from the pool, and the next search works."""
    add_person(pg_db, PersonInput("Ann", "Archer"))
    assert [p.name for p in search_people(pg_db, "archer")] == ["Ann Archer"]
    assert _kill_pooled_connection(pg_db) == 1
    with pytest.raises(DatabaseError, match="could not"):
        search_people(pg_db, "archer")
    assert [p.name for p in search_people(pg_db, "archer")] == ["Ann Archer"]
