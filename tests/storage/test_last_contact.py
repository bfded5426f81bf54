"""``person.last_interaction_at`` is kept by the database, whatever writes the interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from crm.services.duplicates import merge_people
from crm.services.interactions import (
    InteractionInput,
    delete_interaction,
    log_interaction,
    update_interaction,
)
from crm.services.people import PersonInput, add_person, delete_person, person_summaries
from crm.storage.db import Database
from crm.storage.models import Interaction, Person, interaction_people

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def last_contact(db: Database, person_id: int) -> datetime | None:
    (summary,) = person_summaries(db, [person_id])
    return summary.last_interaction_at


def newest_by_aggregate(db: Database) -> dict[int, datetime | None]:
    """What the column must say: computed from the interactions themselves."""
    with db.read() as session:
        people = list(session.scalars(select(Person.id)))
        newest = {
            pid: at
            for pid, at in session.execute(
                text(
                    "SELECT ip.person_id, max(i.occurred_at) FROM interaction_person ip "
                    "JOIN interaction i ON i.id = ip.interaction_id GROUP BY ip.person_id"
                )
            )
        }
    raw = {pid: newest.get(pid) for pid in people}
    return {
        pid: (
            datetime.fromisoformat(v).replace(tzinfo=UTC)
            if isinstance(v, str)
            else (v.astimezone(UTC) if v is not None else None)
        )
        for pid, v in raw.items()
    }


def stored(db: Database) -> dict[int, datetime | None]:
    with db.read() as session:
        return {
            pid: at for pid, at in session.execute(select(Person.id, Person.last_interaction_at))
        }


def log(db: Database, people: list[int], when: datetime) -> int:
    return log_interaction(
        db, InteractionInput(person_ids=people, summary="Call", occurred_at=when)
    )


def test_logging_editing_and_deleting_keep_last_contact(any_db: Database) -> None:
    ann = add_person(any_db, PersonInput("Ann", "Archer"))
    bob = add_person(any_db, PersonInput("Bob", "Baker"))
    assert last_contact(any_db, ann) is None

    first = log(any_db, [ann], T0)
    assert last_contact(any_db, ann) == T0
    older = log(any_db, [ann, bob], T0 - timedelta(days=3))
    assert last_contact(any_db, ann) == T0  # an older call does not move it back
    assert last_contact(any_db, bob) == T0 - timedelta(days=3)

    # Moving the newest call back in time: the newest is now another one.
    update_interaction(any_db, first, {"occurred_at": T0 - timedelta(days=10)}, None)
    assert last_contact(any_db, ann) == T0 - timedelta(days=3)
    # Taking Bob off the call leaves him with none.
    update_interaction(any_db, older, {"person_ids": [ann]}, None)
    assert last_contact(any_db, bob) is None

    delete_interaction(any_db, older)
    assert last_contact(any_db, ann) == T0 - timedelta(days=10)
    delete_interaction(any_db, first)
    assert last_contact(any_db, ann) is None
    assert stored(any_db) == newest_by_aggregate(any_db)


def test_merging_and_deleting_people_keep_last_contact(any_db: Database) -> None:
    ann = add_person(any_db, PersonInput("Ann", "Archer"))
    twin = add_person(any_db, PersonInput("Ann", "Archer", job_title="Director"))
    other = add_person(any_db, PersonInput("Cat", "Cole"))
    log(any_db, [ann], T0)
    log(any_db, [twin, other], T0 + timedelta(hours=5))
    log(any_db, [twin], T0 + timedelta(days=1))

    merge_people(any_db, ann, twin)
    assert last_contact(any_db, ann) == T0 + timedelta(days=1)
    assert last_contact(any_db, other) == T0 + timedelta(hours=5)

    delete_person(any_db, other)
    assert stored(any_db) == newest_by_aggregate(any_db)


def test_writes_that_bypass_the_services_are_kept_too(any_db: Database) -> None:
    """Bulk SQL (an import, a script) cannot forget the column: triggers keep it."""
    ann = add_person(any_db, PersonInput("Ann", "Archer"))
    bob = add_person(any_db, PersonInput("Bob", "Baker"))
    first = log(any_db, [ann], T0)
    log(any_db, [bob], T0 + timedelta(days=2))
    with any_db.session() as session:
        # Move every link to Bob, then push Ann's old call past Bob's.
        session.execute(update(interaction_people).values(person_id=bob))
        session.execute(
            update(Interaction)
            .where(Interaction.id == first)
            .values(occurred_at=T0 + timedelta(days=5))
        )
    assert last_contact(any_db, ann) is None
    assert last_contact(any_db, bob) == T0 + timedelta(days=5)
    assert stored(any_db) == newest_by_aggregate(any_db)
