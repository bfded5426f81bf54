"""Every VARCHAR(N) of the schema is checked before the write, on SQLite as on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.domain.errors import ValidationError
from crm.services.people import PersonInput, add_person
from crm.storage.db import Database
from crm.storage.limits import LIMITS, check_lengths
from crm.storage.models import Organisation, Person, XAccount


def test_limits_come_from_the_models() -> None:
    assert LIMITS["x_account"]["handle"] == 15
    assert LIMITS["person"]["first_name"] == 100
    assert LIMITS["organisation"]["gss_code"] == 9
    assert "notes" not in LIMITS["person"]  # Text has no limit


def test_too_long_values_are_refused_naming_the_field(any_db: Database) -> None:
    # SQLite would store a 16-character handle; PostgreSQL would fail the transaction.
    with (
        pytest.raises(ValidationError, match="X account handle is too long") as caught,
        any_db.session() as session,
    ):
        session.add(XAccount(handle="FenwickMoorHomes", status="unverified"))
    assert caught.value.field == "handle"
    with (
        pytest.raises(ValidationError, match="Organisation gss code is too long"),
        any_db.session() as session,
    ):
        session.add(Organisation(name="Kingsford", gss_code="E060001021"))
    with any_db.read() as session:
        assert session.scalars(select(XAccount)).all() == []
        assert session.scalars(select(Organisation)).all() == []


def test_edits_of_loaded_rows_are_checked_too(any_db: Database) -> None:
    pid = add_person(any_db, PersonInput("Helen", "Ramsden"))
    with (
        pytest.raises(ValidationError, match="Person owner is too long"),
        any_db.session() as session,
    ):
        person = session.get(Person, pid)
        assert person is not None
        person.owner = "x" * 201
    with any_db.read() as session:
        person = session.get(Person, pid)
        assert person is not None and person.owner is None


def test_check_lengths_for_core_writes() -> None:
    check_lengths("person_phone", {"number": "+447911444555"})
    with pytest.raises(ValidationError, match="Phone number is too long"):
        check_lengths("person_phone", {"number": "+4479114445551234567890"})


def test_a_value_stored_too_long_does_not_block_other_edits(sqlite_db: Database) -> None:
    """SQLite kept over-long values before these checks (PostgreSQL never stored one):
    editing another field still works."""
    any_db = sqlite_db
    pid = add_person(any_db, PersonInput("Helen", "Ramsden"))
    with any_db.engine.begin() as connection:
        connection.execute(
            Person.__table__.update().values(owner="x" * 300).where(Person.__table__.c.id == pid)
        )
    with any_db.session() as session:
        person = session.get(Person, pid)
        assert person is not None
        person.job_title = "Director of Finance"
    with any_db.read() as session:
        person = session.get(Person, pid)
        assert person is not None and person.job_title == "Director of Finance"
