"""The bulk write path of an import: NULLs stored as NULL, several statement sizes, the search
index across batches and re-imports, and the garbage collector left as it was."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import select, text

from crm.services.importing import ImportOptions, import_file
from crm.services.people import search_people
from crm.storage.db import Database
from crm.storage.models import Person
from tests.fixtures import contacts

HEADER = ["First name", "Last name", "Email", "Organisation", "Job title", "Notes", "Mobile"]


def write_people(path: Path, count: int, *, title: str = "Analyst", start: int = 0) -> Path:
    """``count`` people; every third has notes, every fifth no job title or organisation."""
    rows = []
    for n in range(start, start + count):
        rows.append(
            [
                f"First{n}",
                f"Last{n}",
                f"person{n}@example.org",
                "" if n % 5 == 0 else f"Trust {n % 7}",
                "" if n % 5 == 0 else title,
                f"met at conference {n}" if n % 3 == 0 else "",
                f"07400 {n:06d}",
            ]
        )
    return contacts.write(path, contacts.csv_text(HEADER, rows))


def fts_is_intact(db: Database) -> None:
    with db.session() as s:
        s.execute(text("INSERT INTO person_fts(person_fts, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("count", [1, 127, 128, 641, 1300])
def test_every_row_is_written_whatever_the_batch_size(
    any_db: Database, tmp_path: Path, count: int
) -> None:
    # 641 rows fill one statement of 512 rows and one of 128, and leave one row over.
    path = write_people(tmp_path / "people.csv", count)
    report = import_file(any_db, path, "people", options=ImportOptions(batch_size=700))
    assert (report.created, report.refused) == (count, 0)
    with any_db.read() as s:
        stored = {
            row.first_name: row
            for row in s.execute(select(Person.first_name, Person.notes, Person.job_title))
        }
        emails = s.scalar(text("SELECT count(*) FROM person_email")) or 0
        phones = s.scalar(text("SELECT count(*) FROM person_phone")) or 0
        jobs = s.scalar(text("SELECT count(*) FROM employment")) or 0
    assert len(stored) == count and emails == count and phones == count
    assert jobs == sum(1 for n in range(count) if n % 5)
    for n in range(count):
        row = stored[f"First{n}"]
        assert row.notes == (f"met at conference {n}" if n % 3 == 0 else None)
        assert row.job_title == (None if n % 5 == 0 else "Analyst")


def test_missing_values_are_stored_as_null(db: Database, tmp_path: Path) -> None:
    import_file(db, write_people(tmp_path / "people.csv", 10), "people")
    with db.read() as s:
        types = set(
            s.execute(
                text(
                    "SELECT typeof(notes), typeof(preferred_name), typeof(x_account_id), "
                    "typeof(day_rate_expectation) FROM person WHERE first_name = 'First1'"
                )
            )
        )
        labels = set(s.scalars(text("SELECT DISTINCT typeof(label) FROM person_email")))
    assert types == {("null", "null", "null", "null")}
    assert labels == {"null"}


def test_search_index_is_whole_after_batches_and_a_reimport(db: Database, tmp_path: Path) -> None:
    options = ImportOptions(batch_size=50)
    import_file(db, write_people(tmp_path / "first.csv", 120), "people", options=options)
    fts_is_intact(db)
    # The same people with a new title (their documents are rewritten) and some new ones.
    again = write_people(tmp_path / "again.csv", 150, title="Interim Finance Director")
    report = import_file(db, again, "people", options=options)
    assert (report.created, report.updated, report.refused) == (30, 96, 0)
    fts_is_intact(db)
    assert len(search_people(db, "interim finance", limit=500)) == 120
    assert [p.name for p in search_people(db, "first149")] == ["First149 Last149"]
    assert search_people(db, "analyst", limit=500) == []
    # The insert trigger is back: a person added by hand is searchable.
    with db.read() as s:
        trigger = s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name='person_search_ai'"))
    assert trigger == 1


def test_the_garbage_collector_is_left_as_it_was(db: Database, tmp_path: Path) -> None:
    path = write_people(tmp_path / "people.csv", 20)
    assert gc.isenabled()
    import_file(db, path, "people")
    assert gc.isenabled()
    with pytest.raises(OSError):
        import_file(db, path, "people", progress=lambda rows, fraction: _fail())
    assert gc.isenabled()
    gc.disable()
    try:
        import_file(db, path, "people", options=ImportOptions(dry_run=True))
        assert not gc.isenabled()
    finally:
        gc.enable()


def _fail() -> None:
    raise OSError("the disk is full")


def test_the_bulk_index_finds_the_trigger_it_sets_aside(db: Database) -> None:
    """A migration that renamed the FTS5 insert trigger or the FTS5 table would leave imports
    indexing row by row (three times slower) without any other test failing."""
    from crm.storage.bulk import BulkSearchIndex

    with db.session() as session:
        index = BulkSearchIndex(session)
        index.pause()
        assert index.trigger is not None and "person_fts" in index.trigger
        assert index.columns
        index.restore()
    fts_is_intact(db)
