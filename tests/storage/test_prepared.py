"""``Database.rows``: a SELECT on the driver's cursor gives what a session's Result gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, literal, literal_column, select, table

from crm.domain.errors import DatabaseError
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.people import PersonInput, add_person
from crm.storage.db import Database
from crm.storage.models import Person
from crm.storage.types import UTCDateTime

MET = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

PEOPLE = (
    select(
        Person.id,
        Person.is_candidate,
        Person.is_client_contact,
        Person.available_from,
        Person.last_interaction_at,
        Person.sort_name,
    )
    .where(Person.last_name == bindparam("surname"))
    .order_by(Person.id)
    .limit(10)
)


def _people(db: Database) -> tuple[int, int]:
    ann = add_person(
        db, PersonInput("Ann", "Archer", is_candidate=True, available_from=date(2027, 1, 4))
    )
    bob = add_person(db, PersonInput("Bob", "Archer", is_client_contact=True))
    log_interaction(db, InteractionInput(person_ids=[ann], summary="Call", occurred_at=MET))
    return ann, bob


def test_rows_are_what_a_result_gives(any_db: Database) -> None:
    ann, bob = _people(any_db)
    rows = any_db.rows(PEOPLE, {"surname": "Archer"})
    with any_db.read() as session:
        expected = session.execute(PEOPLE, {"surname": "Archer"}).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    (first, second) = rows
    assert first[0] == ann and first[1] is True and first[2] is False
    assert first[3] == date(2027, 1, 4)
    assert first[4] == MET and first[4].tzinfo is not None
    assert second[0] == bob and second[1] is False and second[3] is None and second[4] is None


def test_parameters_are_bound_through_their_types(any_db: Database) -> None:
    ann, _bob = _people(any_db)
    since = (
        select(Person.id)
        .where(Person.last_interaction_at >= bindparam("since", type_=UTCDateTime()))
        .order_by(Person.id)
    )
    # An aware datetime in another zone: the column's type stores and compares it as UTC.
    an_hour_east = timezone(timedelta(hours=1))
    assert any_db.rows(since, {"since": MET.astimezone(an_hour_east)}) == [(ann,)]
    assert any_db.rows(since, {"since": MET + timedelta(seconds=1)}) == []


def test_missing_parameters_are_refused_and_unused_ones_ignored(any_db: Database) -> None:
    with pytest.raises(KeyError, match="surname"):
        any_db.rows(PEOPLE, {})
    assert any_db.rows(PEOPLE, {"surname": "Nobody", "unused": 1}) == []


def test_parameters_that_change_per_call_are_refused(any_db: Database) -> None:
    by_ids = select(Person.id).where(Person.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="rendered per call"):
        any_db.rows(by_ids, {"ids": [1, 2]})
    computed = select(Person.id).where(Person.id == bindparam("pid", callable_=lambda: 1))
    with pytest.raises(ValueError, match="evaluated per call"):
        any_db.rows(computed, {})


def test_a_driver_error_is_a_clear_error_and_the_connection_lives_on(any_db: Database) -> None:
    broken = select(literal_column("1")).select_from(table("no_such_table"))
    with pytest.raises(DatabaseError, match=r"could not answer.*no_such_table"):
        any_db.rows(broken, {})
    assert [tuple(row) for row in any_db.rows(select(literal(7)), {})] == [(7,)]
