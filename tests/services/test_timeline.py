"""Timelines read only the columns they show: names, placements and errors as the records say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.domain.errors import NotFoundError
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import (
    PlacementInput,
    add_note,
    add_placement,
    extend_placement,
    update_placement,
)
from crm.services.timeline import TimelineQuery, organisation_timeline, person_timeline
from crm.storage.db import Database


def test_interaction_titles_name_everyone_in_it(any_db: Database) -> None:
    org = add_organisation(any_db, OrganisationInput("Wrekin Housing"))
    first = add_person(any_db, PersonInput("Olusegun", "Adeyemi", preferred_name="Segun"))
    second = add_person(any_db, PersonInput("Mary", "Quinn", organisation_id=org))
    third = add_person(any_db, PersonInput("Ann", "Lee"))
    now = datetime.now(UTC)
    log_interaction(
        any_db,
        InteractionInput(
            [third, first, second],
            "Intro call",
            occurred_at=now - timedelta(hours=2),
            body="Went well",
            organisation_id=org,
        ),
    )
    log_interaction(
        any_db,
        InteractionInput(
            [first], "Caught up", kind="meeting", direction=None, occurred_at=now - timedelta(1)
        ),
    )
    entries = person_timeline(any_db, first)
    assert [e.title for e in entries] == [
        "Call to Segun Adeyemi, Mary Quinn, Ann Lee",  # known-as names, by person id
        "Meeting with Segun Adeyemi",
    ]
    assert entries[0].text == "Intro call\n\nWent well"
    assert entries[0].extra["summary"] == "Intro call" and entries[0].extra["version"] >= 1
    assert [e.title for e in organisation_timeline(any_db, org)] == [entries[0].title]
    # Only the newest make the cut; the older interaction is not in a one-entry page.
    assert [e.ref_id for e in person_timeline(any_db, first, TimelineQuery(limit=1))] == [
        entries[0].ref_id
    ]


def test_placement_events_and_notes(any_db: Database) -> None:
    org = add_organisation(any_db, OrganisationInput("Fenland District Council"))
    candidate = add_person(
        any_db, PersonInput("Robert", "Hale", preferred_name="Bob", is_candidate=True)
    )
    start = date.today() - timedelta(days=20)
    placement = add_placement(
        any_db,
        PlacementInput(
            candidate,
            org,
            "Interim Finance Director",
            status="active",
            start_date=start,
            end_date=start + timedelta(days=90),
        ),
    )
    cancelled = add_placement(
        any_db,
        PlacementInput(
            candidate, org, "Audit Lead", start_date=start, end_date=start + timedelta(days=5)
        ),
    )
    update_placement(any_db, cancelled, {"status": "cancelled"}, None)
    extend_placement(any_db, placement, start + timedelta(days=180), "750", "Budget round")
    add_note(any_db, placement, "Settled in")
    entries = organisation_timeline(any_db, org)
    assert [(e.kind, e.subtype) for e in entries] == [
        ("placement", "end"),
        ("placement_note", None),
        ("placement", "extension"),
        ("placement", "start"),
        ("placement", "start"),
    ]
    extension = entries[2]
    assert extension.text == (
        "Bob Hale as Interim Finance Director at Fenland District Council: "
        f"to {start + timedelta(days=180):%d/%m/%Y} at GBP 750.00/day. Budget round"
    )
    assert (
        entries[1].title == "Placement note: Interim Finance Director at Fenland District Council"
    )
    assert {e.placement_id for e in entries if e.subtype == "start"} == {placement, cancelled}
    notes_only = person_timeline(
        any_db, candidate, TimelineQuery(kinds=frozenset({"placement_note"}))
    )
    assert [e.text for e in notes_only] == ["Settled in"]


def test_a_missing_record_has_no_timeline(any_db: Database) -> None:
    with pytest.raises(NotFoundError, match="no person with id 4242"):
        person_timeline(any_db, 4242)
    with pytest.raises(NotFoundError, match="no organisation with id 4242"):
        organisation_timeline(any_db, 4242)
