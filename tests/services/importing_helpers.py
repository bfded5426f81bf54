"""What the import tests share: row counts, a person by name, a people CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from crm.services.people import get_person
from crm.storage.db import Database
from crm.storage.models import (
    Person,
)
from tests.fixtures import contacts


def counts(db: Database) -> dict[str, int]:
    """Rows in every table that an import writes to."""
    tables = [
        "person",
        "person_email",
        "person_phone",
        "person_tag",
        "tag",
        "employment",
        "organisation",
        "organisation_tag",
        "x_account",
        "person_search",
        "audit_entry",
    ]
    with db.read() as s:
        return {t: int(s.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in tables}


def person_named(db: Database, first: str, last: str) -> Any:
    with db.read() as s:
        pid = s.scalar(
            select(Person.id).where(Person.first_name == first, Person.last_name == last)
        )
    assert pid is not None, f"{first} {last} was not imported"
    return get_person(db, pid)


def people_csv(tmp_path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    header = header or ["First name", "Last name", "Email", "Organisation", "Job title"]
    return contacts.write(tmp_path / "people.csv", contacts.csv_text(header, rows))
