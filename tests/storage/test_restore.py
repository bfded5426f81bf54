"""Backups and restores never lose the live database; damaged and foreign files are refused
in one line, and nothing is added to another program's database."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text

from crm.cli import main
from crm.domain.errors import DatabaseError
from crm.services.people import PersonInput, add_person, count_people, search_people
from crm.storage.db import Database, alembic_config, head_revision, open_database
from crm.storage.models import Person

ROOT = Path(__file__).resolve().parents[2]


def _names(db: Database, query: str | None = None) -> list[str]:
    if query is not None:
        return sorted(p.name for p in search_people(db, query))
    with db.read() as session:
        return sorted(f"{p.first_name} {p.last_name}" for p in session.scalars(select(Person)))


def _make_newer(db: Database, target: Path) -> None:
    db.backup(target)
    copy = sqlite3.connect(target)
    copy.execute("UPDATE alembic_version SET version_num = '0099'")
    copy.commit()
    copy.close()


def _damage(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * 8192)


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()


def _live_with_records(db: Database) -> None:
    add_person(db, PersonInput("Ada", "Lovelace"))
    add_person(db, PersonInput("Grace", "Hopper"))


# -- restore (SQLite) ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["newer", "foreign", "damaged", "truncated", "text", "empty-db"])
def test_a_bad_backup_is_refused_and_the_live_database_is_untouched(
    db: Database, tmp_path: Path, kind: str
) -> None:
    _live_with_records(db)
    bad = tmp_path / "bad.sqlite3"
    if kind == "newer":
        _make_newer(db, bad)
        expected = "newer version"
    elif kind == "foreign":
        _foreign(bad)
        expected = "another program"
    elif kind == "damaged":
        db.backup(bad)
        _damage(bad)
        expected = "damaged"
    elif kind == "truncated":
        db.backup(bad)
        bad.write_bytes(bad.read_bytes()[:20_000])
        expected = "cut short"
    elif kind == "text":
        bad.write_text("name,email\nAda,ada@example.org\n")
        expected = "not an SQLite database"
    else:
        sqlite3.connect(bad).execute("PRAGMA user_version = 1").connection.close()
        expected = "not an Interim CRM database"
    with pytest.raises(DatabaseError, match=expected) as refused:
        db.restore(bad)
    assert "nothing was restored" in refused.value.message or kind == "text"
    assert _names(db) == ["Ada Lovelace", "Grace Hopper"]
    assert db.check() == "current"
    assert db.sqlite_path is not None
    assert not list(db.sqlite_path.parent.glob("*before-restore*"))
    assert not list(db.sqlite_path.parent.glob(".*.tmp"))


@pytest.mark.parametrize("source", ["/dev/null", "folder", "missing"])
def test_a_backup_that_is_not_a_file_is_refused(db: Database, tmp_path: Path, source: str) -> None:
    _live_with_records(db)
    path = Path(source) if source.startswith("/") else tmp_path / source
    if source == "folder":
        path.mkdir()
    with pytest.raises(DatabaseError, match=r"regular file|folder|No backup"):
        db.restore(path)
    assert count_people(db) == 2


def test_restore_keeps_a_copy_of_the_current_database_first(db: Database, tmp_path: Path) -> None:
    add_person(db, PersonInput("Ada", "Lovelace"))
    backup = tmp_path / "backup.sqlite3"
    db.backup(backup)
    add_person(db, PersonInput("Grace", "Hopper"))
    safety = db.restore(backup)
    assert _names(db) == ["Ada Lovelace"]
    assert safety is not None and safety.parent == db.sqlite_path.parent  # type: ignore[union-attr]
    kept = Database(f"sqlite:///{safety}")
    assert _names(kept) == ["Ada Lovelace", "Grace Hopper"]
    kept.dispose()


def test_restoring_an_older_schema_upgrades_it_before_it_goes_in(
    db: Database, tmp_path: Path
) -> None:
    from alembic import command

    old = tmp_path / "old.sqlite3"
    old_db = Database(f"sqlite:///{old}")
    with old_db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    old_db.dispose()
    _live_with_records(db)
    db.restore(old)
    assert db.current_revision() == head_revision()
    assert count_people(db) == 0
    # The backup file itself is left as it was.
    copy = sqlite3.connect(old)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
    copy.close()


def test_restore_over_a_damaged_database_keeps_the_damaged_file(
    db: Database, tmp_path: Path
) -> None:
    _live_with_records(db)
    backup = tmp_path / "backup.sqlite3"
    db.backup(backup)
    db.dispose()
    assert db.sqlite_path is not None
    _damage(db.sqlite_path)
    with pytest.raises(DatabaseError, match="damaged"):
        open_database(db.url)
    safety = db.restore(backup)
    assert safety is not None and safety.exists()
    assert _names(open_database(db.url)) == ["Ada Lovelace", "Grace Hopper"]


def test_cli_restore_of_a_newer_copy_says_one_line_and_changes_nothing(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: a newer copy replaced the live file, which then refused to open."""
    _live_with_records(db)
    newer = tmp_path / "newer.sqlite3"
    _make_newer(db, newer)
    url = str(db.url)
    assert main(["--database", url, "db", "restore", str(newer)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer version" in err
    assert main(["--database", url, "search", "lovelace"]) == 0
    assert "Ada Lovelace" in capsys.readouterr().out


# -- damaged and foreign database files ----------------------------------------------------


@pytest.mark.parametrize("kind", ["truncated", "damaged", "text", "/dev/null", "folder"])
def test_a_damaged_database_file_is_one_clear_line(
    db: Database, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _live_with_records(db)
    db.dispose()
    assert db.sqlite_path is not None
    path = db.sqlite_path
    if kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    elif kind == "damaged":
        _damage(path)
    elif kind == "text":
        path = tmp_path / "notes.txt"
        path.write_text("not a database\n")
    elif kind == "folder":
        path = tmp_path / "a-folder"
        path.mkdir()
    else:
        path = Path(kind)
    for args in (["search", "ada"], ["db", "check"], ["db", "upgrade"], ["db", "backup", "x"]):
        code = main(["--database", f"sqlite:///{path}", *args])
        err = capsys.readouterr().err
        assert code == 1, (args, err)
        assert err.startswith("crm: ") and err.count("\n") == 1, err


def test_a_sqlite_file_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    _foreign(path)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"another program.*moz_places"):
        open_database(f"sqlite:///{path}")
    with pytest.raises(DatabaseError, match="another program"):
        Database(f"sqlite:///{path}").check()
    assert path.read_bytes() == before
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    assert tables == ["moz_places"]


def test_a_postgresql_schema_of_another_program_is_refused(_pg_reason: str | None) -> None:
    if _pg_reason is not None:
        pytest.skip(_pg_reason)
    from tests.conftest import PG_URL

    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    schema = f"t_other_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.invoices (id int)")
    try:
        with pytest.raises(DatabaseError, match=r"another program.*invoices"):
            open_database(f"{PG_URL}?options=-csearch_path%3D{schema}")
        with psycopg.connect(admin) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
        assert rows == [("invoices",)]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


# -- interrupted runs of older versions ----------------------------------------------------


def test_a_half_created_empty_database_is_created_again(tmp_path: Path) -> None:
    """What a kill during the first run left before creation was one transaction: some of
    our tables (and a search index), no revision; every command said 'table audit_entry
    already exists'."""
    path = tmp_path / "crm.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE app_user (id INTEGER PRIMARY KEY, name VARCHAR(200))")
    conn.execute("CREATE TABLE audit_entry (id INTEGER PRIMARY KEY, at DATETIME)")
    conn.execute("CREATE VIRTUAL TABLE person_fts USING fts5(name)")
    conn.commit()
    conn.close()
    db = open_database(f"sqlite:///{path}")
    assert db.check() == "current"
    add_person(db, PersonInput("Ada", "Lovelace"))
    assert _names(db, "lovelace") == ["Ada Lovelace"]


def test_a_half_created_database_with_records_is_not_wiped(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE audit_entry (id INTEGER PRIMARY KEY, at DATETIME)")
    conn.execute("INSERT INTO audit_entry (at) VALUES ('2026-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="no schema revision"):
        open_database(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM audit_entry").fetchone() == (1,)
    conn.close()


def test_a_half_done_upgrade_of_an_older_version_completes(tmp_path: Path) -> None:
    """0004 -> 0005 interrupted before upgrades were one transaction left the column added
    and the revision at 0004: 'duplicate column name: sort_name' on every start."""
    from alembic import command

    path = tmp_path / "crm.sqlite3"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(
            text("ALTER TABLE person_search ADD COLUMN sort_name VARCHAR(201) NOT NULL DEFAULT ''")
        )
    db.dispose()
    assert open_database(f"sqlite:///{path}").check() == "current"


# -- backups to places that cannot take them -----------------------------------------------


def test_backup_to_a_folder_or_an_unwritable_place_is_refused(db: Database, tmp_path: Path) -> None:
    _live_with_records(db)
    with pytest.raises(DatabaseError, match="folder"):
        db.backup(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match=r"Cannot create the folder|Not a directory"):
        db.backup(blocker / "backup.sqlite3")
    with pytest.raises(DatabaseError, match="regular file"):
        db.backup(Path("/dev/full"))
    with pytest.raises(DatabaseError, match="the database itself"):
        db.backup(db.sqlite_path)  # type: ignore[arg-type]
    assert count_people(db) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_backup_into_a_read_only_folder_is_refused(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(DatabaseError, match="Cannot write"):
            db.backup(folder / "backup.sqlite3")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def _small_disk() -> None:
    # A file-size limit: writes past it fail as they would on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_backup_to_a_full_disk_leaves_no_file_behind(db: Database, tmp_path: Path) -> None:
    for i in range(300):
        add_person(db, PersonInput(f"First{i}", f"Last{i}", notes="x" * 400))
    assert db.sqlite_path is not None and db.sqlite_path.stat().st_size > 64 * 1024
    target = tmp_path / "out" / "backup.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "crm", "--database", str(db.url), "db", "backup", str(target)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_small_disk,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("crm: Could not write") and result.stderr.count("\n") == 1
    assert list(target.parent.iterdir()) == []  # no 0-byte or partial backup, no temp file
    assert count_people(db) == 300


# -- PostgreSQL ----------------------------------------------------------------------------


def test_postgresql_backup_and_restore_round_trip(pg_db: Database, tmp_path: Path) -> None:
    add_person(pg_db, PersonInput("Ada", "Lovelace"))
    backup = tmp_path / "backup.sql"
    pg_db.backup(backup)
    add_person(pg_db, PersonInput("Grace", "Hopper"))
    safety = pg_db.restore(backup)
    assert _names(pg_db) == ["Ada Lovelace"]
    assert safety is not None and "Hopper" in safety.read_text()
    assert pg_db.check() == "current"


@pytest.mark.parametrize("kind", ["text", "newer", "broken", "other-schema"])
def test_a_bad_postgresql_backup_changes_nothing(
    pg_db: Database, tmp_path: Path, kind: str
) -> None:
    add_person(pg_db, PersonInput("Ada", "Lovelace"))
    backup = tmp_path / "backup.sql"
    pg_db.backup(backup)
    add_person(pg_db, PersonInput("Grace", "Hopper"))
    script = backup.read_text()
    if kind == "text":
        backup.write_text("name,email\nAda,ada@example.org\n")
        expected = "not a PostgreSQL backup"
    elif kind == "newer":
        backup.write_text(script.replace(f"\n{head_revision()}\n", "\n0099\n"))
        expected = "newer version"
    elif kind == "broken":
        # Fails after the tables were dropped and half recreated: one transaction undoes it.
        backup.write_text(script.replace("COPY ", "COPY no_such_table_x ", 3))
        expected = "psql failed"
    else:
        schema = pg_db._pg_schema()
        backup.write_text(script.replace(f"{schema}.", "elsewhere."))
        expected = "not " + schema
    with pytest.raises(DatabaseError, match=expected):
        pg_db.restore(backup)
    assert _names(pg_db) == ["Ada Lovelace", "Grace Hopper"]


def test_a_data_folder_that_cannot_be_made_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CRM_DATA_DIR", str(blocker / "data"))
    assert main(["search", "ada"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("crm: Cannot use the data folder") and err.count("\n") == 1, err


def test_copies_killed_part_way_are_cleared_but_not_one_in_progress(tmp_path: Path) -> None:
    """A kill during a backup leaves a hidden temporary file as big as the database (seen at
    bench size); the next upgrade or restore clears it, but never one a copy is writing."""
    from crm.storage.sqlite_files import remove_abandoned

    old = time.time() - 600

    def temporary(name: str) -> Path:
        path = tmp_path / name
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE page (data BLOB)")
        conn.commit()
        conn.close()
        return path

    abandoned = temporary(".crm.before-upgrade-0004-1.sqlite3.copy-abc.tmp")
    journal = abandoned.with_name(abandoned.name + "-journal")
    journal.write_bytes(b"\0" * 512)
    fresh = temporary(".crm.before-upgrade-0004-2.sqlite3.copy-def.tmp")
    busy = temporary(".crm.sqlite3.restore-ghi.tmp")
    for path in (abandoned, journal, busy):
        os.utime(path, (old, old))
    writer = sqlite3.connect(busy, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO page VALUES (x'00')")
    try:
        assert remove_abandoned(tmp_path) == [abandoned]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert not abandoned.exists() and not journal.exists()
    assert fresh.exists() and busy.exists()
