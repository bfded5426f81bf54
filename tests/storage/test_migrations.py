"""The schema comes only from migrations, and the migrations match the models."""

from __future__ import annotations

import sqlite3
import uuid
import warnings
from collections.abc import Iterator
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
        diff = list(compare_metadata(context, Base.metadata))
    if db.is_sqlite:
        # SQLite can only add a foreign key with ADD COLUMN as a column constraint, whose
        # ON DELETE SQLAlchemy's reflection does not read (it parses table constraints);
        # test_placement_assignment_link_is_a_real_foreign_key checks it from the pragma.
        diff = [d for d in diff if not _is_placement_assignment_fk(d)]
    return diff


def _is_placement_assignment_fk(item: object) -> bool:
    if not (isinstance(item, tuple) and item[0] in ("add_fk", "remove_fk")):
        return False
    fk = item[1]
    return bool(fk.table.name == "placement" and [c.name for c in fk.columns] == ["assignment_id"])


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


def test_placement_assignment_link_is_a_real_foreign_key(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        rows = conn.exec_driver_sql("PRAGMA foreign_key_list(placement)").mappings().all()
    link = [r for r in rows if r["from"] == "assignment_id"]
    assert [(r["table"], r["to"], r["on_delete"]) for r in link] == [
        ("assignment", "id", "SET NULL")
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_db(
    request: pytest.FixtureRequest, tmp_path: Path, _pg_reason: str | None
) -> Iterator[Database]:
    """An empty database (no schema yet) on each backend."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield db
        db.dispose()
        return
    if _pg_reason is not None:
        pytest.skip(f"PostgreSQL is not available: {_pg_reason}")
    import psycopg

    from tests.conftest import PG_URL

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    db = Database(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_upgrade_to_0008_keeps_every_placement_and_its_day_rate_as_charge_rate(
    unmigrated_db: Database,
) -> None:
    """The day rate becomes the charge rate; extensions, notes and linked interactions stay
    (a batch "move and copy" of the placement table would have cascaded them away)."""
    from alembic import command

    from crm.storage.db import alembic_config

    db = unmigrated_db
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
    stamp = "'2026-01-01', '2026-01-01'"
    with db.engine.begin() as conn:
        for sql in (
            "INSERT INTO organisation (id, name, org_type, client_status, version, created_at, "
            f"updated_at) VALUES (1, 'Kept Trust', 'other', 'client', 1, {stamp})",
            "INSERT INTO person (id, first_name, last_name, sort_name, is_client_contact, "
            "is_candidate, consent_status, do_not_contact, day_rate_currency, version, "
            f"created_at, updated_at) VALUES (1, 'Ada', 'Kept', 'ada kept', false, true, 'none', "
            "false, "
            f"'GBP', 1, {stamp})",
            "INSERT INTO placement (id, candidate_id, organisation_id, role, status, day_rate, "
            "currency, ir35, version, created_at, updated_at) VALUES "
            f"(1, 1, 1, 'Interim CFO', 'active', 875.50, 'GBP', 'outside', 1, {stamp}), "
            f"(2, 1, 1, 'Interim COO', 'ended', NULL, 'GBP', 'inside', 1, {stamp})",
            "INSERT INTO placement_extension (id, placement_id, new_end_date, day_rate, "
            "created_at) VALUES (1, 1, '2027-03-31', 900, '2026-06-01')",
            "INSERT INTO placement_note (id, placement_id, text, created_at) VALUES "
            "(1, 1, 'Going well', '2026-06-01')",
            "INSERT INTO interaction (id, kind, occurred_at, summary, placement_id, "
            f"follow_up_done, version, created_at, updated_at) VALUES (1, 'call', "
            f"'2026-06-01', 'Check-in', 1, false, 1, {stamp})",
        ):
            conn.exec_driver_sql(sql)
    db.upgrade(backup=False)
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, charge_rate, pay_rate, assignment_id FROM placement ORDER BY id"
        ).all()
        assert [(r[0], None if r[1] is None else float(r[1]), r[2], r[3]) for r in rows] == [
            (1, 875.5, None, None),
            (2, None, None, None),
        ]
        assert conn.exec_driver_sql("SELECT count(*) FROM placement_extension").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM placement_note").scalar() == 1
        assert conn.exec_driver_sql("SELECT placement_id FROM interaction").scalar() == 1


def test_upgrade_to_0014_keeps_the_snapshots_and_the_league_seek_reads_the_index_alone(
    unmigrated_db: Database,
) -> None:
    """0014 rebuilds the snapshot indexes with the follower count in them; every snapshot
    stays, and the league table's seek (newest snapshot in a window) ends in the index."""
    from alembic import command

    from crm.storage.db import alembic_config

    db = unmigrated_db
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0013")
    stamp = "'2026-01-01 00:00:00'"
    with db.engine.begin() as conn:
        for sql in (
            "INSERT INTO x_account (id, handle, x_user_id, verified, protected, status, watched, "
            "version, created_at, updated_at) VALUES (1, 'KeptNHS', 11, false, false, 'ok', "
            f"false, 1, {stamp}, {stamp})",
            "INSERT INTO bluesky_account (id, did, handle, status, created_at, updated_at) "
            f"VALUES (1, 'did:plc:kept', 'kept.bsky.social', 'ok', {stamp}, {stamp})",
            "INSERT INTO follower_snapshot (account_id, taken_at, followers, following, tweets) "
            "VALUES (1, '2026-11-16 09:00:00', 900, 1, 1), (1, '2026-11-23 09:00:00', 950, 1, 1)",
            "INSERT INTO bluesky_snapshot (account_id, taken_at, followers, follows, posts) "
            "VALUES (1, '2026-11-23 09:00:00', 40, 1, 1)",
        ):
            conn.exec_driver_sql(sql)
    db.upgrade(backup=False)
    inspector = inspect(db.engine)
    for table in ("follower_snapshot", "bluesky_snapshot"):
        columns = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
        assert columns[f"ix_{table}_account_taken"] == ["account_id", "taken_at", "followers"]
    seek = (
        "SELECT s.followers FROM follower_snapshot s WHERE s.account_id = 1 "
        "AND s.taken_at <= '2026-11-30 09:00:00' AND s.taken_at > '2026-11-16 09:00:00' "
        "ORDER BY s.taken_at DESC LIMIT 1"
    )
    with db.engine.begin() as conn:
        assert conn.exec_driver_sql(seek).scalar() == 950
        assert conn.exec_driver_sql("SELECT followers FROM bluesky_snapshot").scalar() == 40
        if db.is_sqlite:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {seek}"))
            assert "COVERING INDEX ix_follower_snapshot_account_taken" in plan
        else:
            # Two rows: a table scan would be cheaper, so ask what an index would do.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {seek}"))
            assert "Index Only Scan Backward using ix_follower_snapshot_account_taken" in plan


def test_upgrade_to_0015_puts_bluesky_handles_in_the_search_documents(
    unmigrated_db: Database,
) -> None:
    """People linked to Bluesky before 0015 are found by their handle after it."""
    from alembic import command

    from crm.services.people import search_people
    from crm.storage.db import alembic_config

    db = unmigrated_db
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0014")
    stamp = "'2026-01-01', '2026-01-01'"
    with db.engine.begin() as conn:
        for sql in (
            "INSERT INTO person (id, first_name, last_name, sort_name, is_client_contact, "
            "is_candidate, consent_status, do_not_contact, day_rate_currency, version, "
            "created_at, updated_at) VALUES "
            f"(1, 'Ada', 'Linked', 'linked ada', false, false, 'none', false, 'GBP', 1, {stamp}), "
            f"(2, 'Bo', 'Plain', 'plain bo', false, false, 'none', false, 'GBP', 1, {stamp})",
            "INSERT INTO person_search (person_id, name, organisation, past_organisations, "
            "title, contact, tags, notes, sort_name) VALUES "
            "(1, 'ada linked', '', '', '', 'ada@example.org', '', '', 'linked ada'), "
            "(2, 'bo plain', '', '', '', '', '', '', 'plain bo')",
            "INSERT INTO bluesky_account (id, did, handle, status, person_id, created_at, "
            "updated_at) VALUES "
            f"(1, 'did:plc:ada', 'adalovelace.bsky.social', 'ok', 1, {stamp}), "
            f"(2, 'did:plc:org', 'trust.nhs.uk', 'ok', NULL, {stamp})",
        ):
            conn.exec_driver_sql(sql)
    assert search_people(db, "adalovelace") == []
    db.upgrade(backup=False)
    with db.engine.connect() as conn:
        contacts = dict(conn.exec_driver_sql("SELECT person_id, contact FROM person_search").all())
    assert contacts == {
        1: "ada@example.org adalovelace.bsky.social @adalovelace.bsky.social",
        2: "",
    }
    assert [p.id for p in search_people(db, "adalovelace")] == [1]
    assert [p.id for p in search_people(db, "@adalovelace.bsky.social")] == [1]
