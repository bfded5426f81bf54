"""Connections: reads never write, and a dropped PostgreSQL connection is replaced unseen."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import InvalidRequestError

from crm.domain.errors import DatabaseError
from crm.services.people import PersonInput, add_person, count_people, search_people
from crm.storage import db as db_module
from crm.storage.db import Database
from crm.storage.models import Tag

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


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


def test_a_server_restart_during_an_import_copy_is_one_clear_error(
    pg_db: Database, tmp_path: Path
) -> None:
    """The connection dies in the middle of a bulk import's COPY: the rollback on the dead
    connection used to raise over the real error (a 90-line traceback). Now one clear
    error, nothing imported, and the next import works."""
    from crm.services.importing import import_file

    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8") as f:
        f.write("First Name,Last Name,E-mail Address\n")
        for i in range(3000):
            f.write(f"Fn{i},Ln{i},person{i}@example.org\n")
    name = f"crm-test-{uuid.uuid4().hex[:12]}"
    importer = Database(pg_db.url.update_query_dict({"application_name": name}))
    with pg_db.engine.connect() as conn:
        schema = str(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
    terminated: list[bool] = []
    admin = psycopg.connect(ADMIN)
    # Holding this lock stops the import at its COPY into person_email (a COPY needs to
    # write): the backend is then terminated exactly there, as a server restart would.
    admin.execute(f"LOCK TABLE {schema}.person_email IN SHARE MODE")

    def terminate_at_copy() -> None:
        with psycopg.connect(ADMIN, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                    "AND query LIKE 'COPY \"person_email\"%%'",
                    (name,),
                ).fetchone()
                if row:
                    ok = watcher.execute("SELECT pg_terminate_backend(%s)", row).fetchone()
                    terminated.append(bool(ok and ok[0]))
                    break
                time.sleep(0.02)
        admin.rollback()  # lets go of the lock

    killer = threading.Thread(target=terminate_at_copy)
    killer.start()
    try:
        with pytest.raises(DatabaseError) as failed:
            import_file(importer, people, "people")
    finally:
        killer.join()
        admin.close()
    assert terminated == [True]
    message = failed.value.message
    assert "Nothing was saved" in message and "\n" not in message
    assert failed.value.__suppress_context__  # reported alone, not over a rollback failure
    assert count_people(pg_db) == 0
    report = import_file(importer, people, "people")
    assert report.created == 3000
    importer.dispose()
