"""Organisations, interactions, placements and the person timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm.domain.errors import ConflictError, NotFoundError, ValidationError
from crm.services.interactions import (
    InteractionInput,
    follow_ups_due,
    interactions_for,
    log_interaction,
    mark_follow_up_done,
    update_interaction,
)
from crm.services.organisations import (
    OrganisationInput,
    add_organisation,
    delete_organisation,
    get_organisation,
    list_organisations,
    resolve_organisation,
    update_organisation,
)
from crm.services.people import PersonInput, add_person, update_person
from crm.services.placements import (
    PlacementInput,
    add_note,
    add_placement,
    extend_placement,
    get_placement,
    list_placements,
    update_placement,
)
from crm.services.timeline import TimelineQuery, person_timeline
from crm.storage.db import Database


@pytest.fixture
def world(any_db: Database) -> dict[str, int]:
    org = add_organisation(
        any_db,
        OrganisationInput(
            "Kingsford City Council",
            sector="local_government",
            org_type="council",
            gss_code="e06000102",
        ),
    )
    contact = add_person(
        any_db, PersonInput("Helen", "Ramsden", organisation_id=org, is_client_contact=True)
    )
    interim = add_person(any_db, PersonInput("Kwame", "Mensah", is_candidate=True))
    return {"org": org, "contact": contact, "interim": interim}


def test_organisation_validation_and_codes(any_db: Database, world: dict[str, int]) -> None:
    org = get_organisation(any_db, world["org"])
    assert org.gss_code == "E06000102" and org.sector == "local_government"
    with pytest.raises(ValidationError, match="already has the GSS code"):
        add_organisation(any_db, OrganisationInput("Copy", gss_code="E06000102"))
    with pytest.raises(ValidationError, match="not a GSS code"):
        add_organisation(any_db, OrganisationInput("Bad", gss_code="XYZ"))
    with pytest.raises(ValidationError, match="sector"):
        add_organisation(any_db, OrganisationInput("Bad", sector="fishing"))
    # The label a person sees is accepted too.
    nhs = add_organisation(any_db, OrganisationInput("Wealdmere NHS Trust", org_type="NHS trust"))
    assert get_organisation(any_db, nhs).org_type == "nhs_trust"
    assert resolve_organisation(any_db, "e06000102") == world["org"]
    assert resolve_organisation(any_db, "kingsford") == world["org"]
    assert [o.name for o in list_organisations(any_db, "city")] == ["Kingsford City Council"]
    assert list_organisations(any_db, "city")[0].people_count == 1


def test_organisation_conflict_and_delete_rules(any_db: Database, world: dict[str, int]) -> None:
    version = get_organisation(any_db, world["org"]).version
    update_organisation(any_db, world["org"], {"region": "East Midlands"}, version)
    with pytest.raises(ConflictError):
        update_organisation(any_db, world["org"], {"region": "Wales"}, version)
    with pytest.raises(ValidationError, match="own parent"):
        update_organisation(any_db, world["org"], {"parent_id": world["org"]}, None)
    child = add_organisation(
        any_db, OrganisationInput("Kingsford Children's Services", parent_id=world["org"])
    )
    grandchild = add_organisation(any_db, OrganisationInput("Kingsford Fostering", parent_id=child))
    with pytest.raises(ValidationError, match="cannot also be its parent"):
        update_organisation(any_db, world["org"], {"parent_id": grandchild}, None)
    assert get_organisation(any_db, world["org"]).parent_id is None
    add_placement(any_db, PlacementInput(world["interim"], world["org"], "Interim S151 Officer"))
    with pytest.raises(ValidationError, match="placement"):
        delete_organisation(any_db, world["org"])
    assert get_organisation(any_db, world["org"]).region == "East Midlands"


def test_log_interaction_defaults_and_do_not_contact(
    any_db: Database, world: dict[str, int]
) -> None:
    iid = log_interaction(
        any_db,
        InteractionInput([world["contact"]], "Discussed the S151 role", follow_up_due=date.today()),
    )
    [view] = interactions_for(any_db, person_id=world["contact"])
    assert (view.id, view.kind, view.direction, view.organisation) == (
        iid,
        "call",
        "out",
        "Kingsford City Council",
    )
    assert view.logged_by == "Test Recruiter"
    assert [i.id for i in follow_ups_due(any_db, date.today())] == [iid]
    update_person(any_db, world["contact"], {"do_not_contact": True}, None)
    with pytest.raises(ValidationError, match="asked not to be contacted"):
        log_interaction(any_db, InteractionInput([world["contact"]], "Cold call"))
    # Inbound contact and notes are still fine; so is outbound when confirmed.
    log_interaction(any_db, InteractionInput([world["contact"]], "They rang us", direction="in"))
    log_interaction(
        any_db, InteractionInput([world["contact"]], "Called back", allow_do_not_contact=True)
    )
    with pytest.raises(ValidationError, match="kind"):
        log_interaction(any_db, InteractionInput([world["contact"]], "x", kind="pigeon"))
    with pytest.raises(ValidationError, match="Summary"):
        log_interaction(any_db, InteractionInput([world["contact"]], "   "))
    with pytest.raises(ValidationError, match="time zone"):
        log_interaction(
            any_db, InteractionInput([world["contact"]], "x", occurred_at=datetime(2026, 1, 1))
        )
    with pytest.raises(NotFoundError):
        log_interaction(any_db, InteractionInput([999], "x"))
    assert len(interactions_for(any_db, person_id=world["contact"])) == 3


def test_marking_follow_ups_done_is_all_or_nothing(any_db: Database, world: dict[str, int]) -> None:
    due = [
        log_interaction(
            any_db, InteractionInput([world["contact"]], f"Call {n}", follow_up_due=date.today())
        )
        for n in range(2)
    ]
    with pytest.raises(NotFoundError):
        mark_follow_up_done(any_db, [due[0], 999])
    assert [i.id for i in follow_ups_due(any_db, date.today())] == due
    mark_follow_up_done(any_db, due)
    assert follow_ups_due(any_db, date.today()) == []


def test_interaction_edit_conflict(any_db: Database, world: dict[str, int]) -> None:
    iid = log_interaction(any_db, InteractionInput([world["contact"]], "First"))
    update_interaction(any_db, iid, {"summary": "Second"}, 1)
    with pytest.raises(ConflictError):
        update_interaction(any_db, iid, {"summary": "Third"}, 1)


def test_placement_lifecycle(any_db: Database, world: dict[str, int]) -> None:
    start = date(2026, 9, 1)
    pid = add_placement(
        any_db,
        PlacementInput(
            world["interim"],
            world["org"],
            "Interim Director of Adult Social Care",
            status="active",
            charge_rate="750",
            start_date=start,
            end_date=start + timedelta(weeks=12),
            client_contact_id=world["contact"],
            ir35="inside",
        ),
    )
    with pytest.raises(ValidationError, match="after the current one"):
        extend_placement(any_db, pid, start + timedelta(weeks=10))
    extend_placement(any_db, pid, start + timedelta(weeks=24), "800", "Restructure")
    add_note(any_db, pid, "Client delighted with progress")
    p = get_placement(any_db, pid)
    assert (p.status, p.charge_rate, p.end_date) == (
        "extended",
        Decimal("800.00"),
        start + timedelta(weeks=24),
    )
    assert [e.reason for e in p.extensions] == ["Restructure"]
    assert [n.text for n in p.notes] == ["Client delighted with progress"]
    assert p.notes[0].author == "Test Recruiter"
    with pytest.raises(ValidationError, match="cannot end"):
        update_placement(any_db, pid, {"end_date": date(2026, 1, 1)}, None)
    with pytest.raises(ValidationError, match="positive"):
        add_placement(any_db, PlacementInput(world["interim"], world["org"], "X", charge_rate="0"))
    with pytest.raises(ValidationError, match="cannot end"):
        add_placement(
            any_db,
            PlacementInput(
                world["interim"],
                world["org"],
                "X",
                start_date=start,
                end_date=start - timedelta(days=1),
            ),
        )
    ending = list_placements(any_db, ending_within_days=56, today=start + timedelta(weeks=20))
    assert [e.id for e in ending] == [pid]
    assert list_placements(any_db, ending_within_days=56, today=start) == []
    assert get_placement(any_db, pid).version > 1


def test_timeline_merges_everything_newest_first(any_db: Database, world: dict[str, int]) -> None:
    now = datetime.now(UTC)
    log_interaction(
        any_db,
        InteractionInput([world["interim"]], "Old call", occurred_at=now - timedelta(days=30)),
    )
    log_interaction(
        any_db,
        InteractionInput([world["interim"]], "New call", occurred_at=now - timedelta(days=1)),
    )
    pid = add_placement(
        any_db,
        PlacementInput(
            world["interim"],
            world["org"],
            "Interim Head of Procurement",
            status="active",
            start_date=(now - timedelta(days=10)).date(),
            end_date=(now + timedelta(days=80)).date(),
        ),
    )
    add_note(any_db, pid, "<img src=x> first week fine")
    entries = person_timeline(any_db, world["interim"])
    kinds = [(e.kind, e.subtype) for e in entries]
    assert kinds == [
        ("placement", "end"),
        ("placement_note", None),
        ("interaction", "call"),
        ("placement", "start"),
        ("interaction", "call"),
    ]
    assert entries[1].text == "<img src=x> first week fine"  # stored and returned verbatim
    only_calls = person_timeline(
        any_db, world["interim"], TimelineQuery(kinds=frozenset({"interaction"}))
    )
    assert [e.text for e in only_calls] == ["New call", "Old call"]
    older = person_timeline(any_db, world["interim"], TimelineQuery(before=entries[2].at, limit=10))
    assert [e.kind for e in older] == ["placement", "interaction"]
