"""Adding, editing and deleting people: validation, audit, and no lost updates."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.domain.errors import AmbiguousError, ConflictError, NotFoundError, ValidationError
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import (
    PersonInput,
    add_employment,
    add_person,
    count_people,
    delete_person,
    deletion_impact,
    get_person,
    people_at,
    resolve_person,
    update_person,
)
from crm.storage.db import Database
from crm.storage.models import AuditEntry, Person, PersonEmail


def _audit(db: Database, entity_type: str) -> list[tuple[str, str]]:
    with db.read() as s:
        return [
            (e.action, e.who)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_type == entity_type))
        ]


def test_add_person_normalises_and_audits(any_db: Database) -> None:
    org = add_organisation(any_db, OrganisationInput("Northbrook NHS Trust"))
    pid = add_person(
        any_db,
        PersonInput(
            " Jo ",
            "Bloggs",
            emails=["Jo.Bloggs@Example.COM"],
            phones=["07911 123456"],
            organisation_id=org,
            job_title="Director of Finance",
            day_rate_expectation="£850",
            tags=["NED", "ned", "board"],
        ),
    )
    p = get_person(any_db, pid)
    assert (p.first_name, p.emails, p.phones) == (
        "Jo",
        ["Jo.Bloggs@example.com"],
        ["+447911123456"],
    )
    assert p.day_rate_expectation == Decimal("850.00")
    assert p.tags == ["board", "NED"]
    assert p.current_employment and p.current_employment.organisation == "Northbrook NHS Trust"
    entries = _audit(any_db, "person")
    assert entries == [("create", "Test Recruiter")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (PersonInput(" ", ""), "first_name"),  # one name is enough, none is not
        (PersonInput("A", "B", emails=["not-an-email"]), "email"),
        (PersonInput("A", "B", phones=["123"]), "phone"),
        (PersonInput("A", "B", day_rate_expectation="-1"), "day_rate_expectation"),
        (PersonInput("A", "B", linkedin_url="https://example.com/me"), "linkedin_url"),
        (PersonInput("A" * 101, "B"), "first_name"),
        (PersonInput("A", "B", ir35_preference="maybe"), "ir35_preference"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    db: Database, data: PersonInput, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        add_person(db, data)
    assert err.value.field == field
    assert count_people(db) == 0


def test_unknown_organisation_writes_nothing(db: Database) -> None:
    with pytest.raises(NotFoundError):
        add_person(db, PersonInput("A", "B", organisation_id=999))
    assert count_people(db) == 0


def test_stale_edit_is_a_conflict_naming_who(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add_person(any_db, PersonInput("Amara", "Okafor"))
    opened = get_person(any_db, pid).version
    monkeypatch.setenv("CRM_USER", "Priya Patel")
    update_person(any_db, pid, {"job_title": "Chief Executive"}, opened)
    monkeypatch.setenv("CRM_USER", "Test Recruiter")
    with pytest.raises(ConflictError) as err:
        update_person(any_db, pid, {"job_title": "Finance Director"}, opened)
    assert err.value.changed_by == "Priya Patel"
    assert "Priya Patel" in str(err.value)
    assert err.value.changes == {"job_title": "Chief Executive"}
    assert get_person(any_db, pid).job_title == "Chief Executive"


def test_collection_edits_bump_the_version(db: Database) -> None:
    pid = add_person(db, PersonInput("A", "B"))
    v1 = get_person(db, pid).version
    v2 = update_person(db, pid, {"emails": ["a@b.org"]}, v1)
    assert v2 == v1 + 1
    with pytest.raises(ConflictError):
        update_person(db, pid, {"tags": ["x"]}, v1)


def test_concurrent_saves_on_postgresql_never_overwrite(pg_db: Database) -> None:
    """Two recruiters save the same version at the same moment: exactly one wins."""
    pid = add_person(pg_db, PersonInput("Grace", "Hopper"))
    version = get_person(pg_db, pid).version
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save(title: str) -> None:
        barrier.wait()
        try:
            outcomes[title] = update_person(pg_db, pid, {"job_title": title}, version)
        except ConflictError as exc:
            outcomes[title] = exc

    threads = [threading.Thread(target=save, args=(t,)) for t in ("CFO", "COO")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [t for t, o in outcomes.items() if isinstance(o, int)]
    losers = [t for t, o in outcomes.items() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert get_person(pg_db, pid).job_title == winners[0]


def test_two_sessions_stale_row_on_postgresql(pg_db: Database) -> None:
    """A session holding an old copy cannot flush over a newer row (version_id_col)."""
    from sqlalchemy.orm.exc import StaleDataError

    pid = add_person(pg_db, PersonInput("Ada", "Lovelace"))
    with pytest.raises(StaleDataError), pg_db.session() as first:
        stale = first.get(Person, pid)
        assert stale is not None
        update_person(pg_db, pid, {"job_title": "Analyst"}, None)
        stale.job_title = "Engineer"
        first.flush()
    assert get_person(pg_db, pid).job_title == "Analyst"


def test_a_save_that_loses_the_race_is_a_conflict_and_writes_nothing(db: Database) -> None:
    """A StaleDataError at commit (another save landed after the version check) becomes the
    same ConflictError as a stale version, and the transaction is rolled back."""
    from sqlalchemy.orm.exc import StaleDataError

    from crm.services import audit

    pid = add_person(db, PersonInput("Ada", "Lovelace"))
    with (
        pytest.raises(ConflictError, match="This person was changed by"),
        audit.versioned_edit(db, "person", pid, "This person") as s,
    ):
        person = s.get(Person, pid)
        assert person is not None
        person.job_title = "Engineer"
        raise StaleDataError("UPDATE matched 0 rows")
    assert get_person(db, pid).job_title is None


def test_a_delete_that_loses_the_race_is_a_conflict_on_postgresql(pg_db: Database) -> None:
    """A versioned DELETE after another save committed matches no row: a ConflictError."""
    from crm.services import audit

    pid = add_person(pg_db, PersonInput("Ada", "Lovelace"))
    with (
        pytest.raises(ConflictError, match="This person was changed by"),
        audit.versioned_edit(pg_db, "person", pid, "This person") as s,
    ):
        person = s.get(Person, pid)
        assert person is not None
        update_person(pg_db, pid, {"job_title": "Analyst"}, None)
        s.delete(person)
        s.flush()
    assert get_person(pg_db, pid).job_title == "Analyst"


def test_people_at_and_moving_on(any_db: Database) -> None:
    from datetime import date

    from crm.services.people import end_employment

    a = add_organisation(any_db, OrganisationInput("Trust A"))
    b = add_organisation(any_db, OrganisationInput("Trust B"))
    pid = add_person(any_db, PersonInput("Tom", "Smith", organisation_id=a, job_title="COO"))
    job = get_person(any_db, pid).employments[0]
    end_employment(any_db, job.id, date(2026, 6, 30))
    add_employment(any_db, pid, b, "CEO", start_date=date(2026, 7, 1))
    assert [p.name for p in people_at(any_db, b)] == ["Tom Smith"]
    assert people_at(any_db, a) == []
    assert [p.name for p in people_at(any_db, a, current=False)] == ["Tom Smith"]
    person = get_person(any_db, pid)
    assert person.job_title == "CEO"
    assert person.current_employment and person.current_employment.organisation == "Trust B"
    with pytest.raises(ValidationError, match="cannot end"):
        add_employment(any_db, pid, a, start_date=date(2026, 5, 1), end_date=date(2026, 1, 1))


def test_resolve_person(db: Database) -> None:
    a = add_person(db, PersonInput("Jo", "Bloggs", emails=["jo@nhs.net"]))
    add_person(db, PersonInput("Jo", "Smith"))
    assert resolve_person(db, str(a)) == a
    assert resolve_person(db, "JO@nhs.net") == a
    assert resolve_person(db, "jo bloggs") == a
    with pytest.raises(AmbiguousError, match="2 people"):
        resolve_person(db, "jo")
    with pytest.raises(NotFoundError):
        resolve_person(db, "nobody@nowhere.org")
    with pytest.raises(NotFoundError):
        resolve_person(db, "@nobody")


def test_delete_person_takes_their_details_and_sole_interactions(db: Database) -> None:
    from crm.services.interactions import InteractionInput, log_interaction

    a = add_person(db, PersonInput("Jo", "Bloggs", emails=["jo@nhs.net"]))
    b = add_person(db, PersonInput("Sam", "Jones"))
    log_interaction(db, InteractionInput([a], "Only with Jo"))
    shared = log_interaction(db, InteractionInput([a, b], "Jo and Sam"))
    assert deletion_impact(db, a)["interactions"] == 2
    delete_person(db, a)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersonEmail)) == 0
    from crm.services.interactions import get_interaction

    assert get_interaction(db, shared).people == [(b, "Sam Jones")]
    with pytest.raises(NotFoundError):
        get_person(db, a)
