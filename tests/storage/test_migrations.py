"""The schema comes only from migrations, and the migrations match the models."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from crm.domain.errors import DatabaseError
from crm.storage.db import Database, head_revision
from crm.storage.migrations import include_object
from crm.storage.models import Base


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; alembic says so and skips them.
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_empty_database_migrates_to_head_and_matches_models(any_db: Database) -> None:
    assert any_db.current_revision() == head_revision()
    assert _diff(any_db) == []


def test_new_sqlite_file_is_created_at_head(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert db.upgrade() is None  # nothing to back up in a new file
    assert db.check() == "current"
    tables = set(inspect(db.engine).get_table_names())
    assert {"person", "organisation", "person_fts", "interaction_fts"} <= tables
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_upgrading_an_old_file_backs_it_up_first(tmp_path: Path) -> None:
    from alembic import command

    from crm.storage.db import alembic_config

    path = tmp_path / "crm.sqlite3"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisation (name, org_type, client_status, version, created_at, "
                "updated_at) VALUES ('Kept Trust', 'other', 'client', 1, '2026-01-01', '2026-01-01')"
            )
        )
    assert db.check() == "behind"
    backup = db.upgrade()
    assert backup is not None and backup.exists()
    assert db.check() == "current"
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT name FROM organisation").fetchall() == [("Kept Trust",)]
    assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    copy.close()


def test_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffff9999'"))
    with pytest.raises(DatabaseError, match="newer version"):
        Database(f"sqlite:///{path}").upgrade()


def test_backup_and_restore_round_trip(db: Database, tmp_path: Path) -> None:
    from crm.services.people import PersonInput, add_person, count_people, search_people

    add_person(db, PersonInput("Ada", "Lovelace"))
    backup = tmp_path / "backup.sqlite3"
    db.backup(backup)
    add_person(db, PersonInput("Grace", "Hopper"))
    assert count_people(db) == 2
    db.restore(backup)
    assert count_people(db) == 1
    assert [p.name for p in search_people(db, "lovelace")] == ["Ada Lovelace"]
    with pytest.raises(DatabaseError):
        bad = tmp_path / "bad.sqlite3"
        sqlite3.connect(bad).execute("CREATE TABLE x(y)").connection.commit()
        db.restore(bad)


def test_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="Only SQLite and PostgreSQL"):
        Database("mysql://localhost/crm")
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("::nonsense::")


def test_head_revision_constant_matches_the_scripts() -> None:
    from crm.storage.migrations import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_database_trouble_is_a_clear_error_and_nothing_is_saved(db: Database) -> None:
    from crm.domain.errors import ValidationError
    from crm.services.people import count_people
    from crm.storage.models import Person, Tag

    with pytest.raises(ValidationError, match="Nothing was saved"), db.session() as session:
        session.add(Person(first_name="A", last_name="B", sort_name="b a"))
        session.add_all([Tag(name="Same"), Tag(name="same")])  # unique case-insensitively
    assert count_people(db) == 0
    with pytest.raises(DatabaseError, match="no such table"), db.read() as session:
        session.execute(text("SELECT * FROM no_such_table"))
