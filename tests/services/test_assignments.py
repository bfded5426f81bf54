"""Assignments, shortlists, placing a candidate, margin and matching, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from crm.domain.errors import AmbiguousError, ConflictError, NotFoundError, ValidationError
from crm.domain.rates import margin_over, working_days
from crm.services.assignments.matching import fit_for, match_candidates
from crm.services.assignments.records import (
    AssignmentInput,
    add_assignment,
    close_assignment,
    get_assignment,
    list_assignments,
    list_shortlist,
    resolve_assignment,
    search_assignments,
    update_assignment,
)
from crm.services.assignments.shortlist import (
    add_to_shortlist,
    advance_candidate,
    entry_for,
    let_them_know,
    move_candidate,
    place_candidate,
)
from crm.services.interactions import InteractionInput, follow_ups_due, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import (
    PlacementInput,
    add_placement,
    extend_placement,
    get_placement,
)
from crm.services.timeline import (
    TimelineQuery,
    assignment_timeline,
    organisation_timeline,
    person_timeline,
)
from crm.storage.db import Database
from crm.storage.models import AuditEntry

TODAY = date(2027, 1, 4)
START = date(2027, 2, 1)


def _candidate(db: Database, first: str, last: str, **facts: Any) -> int:
    facts.setdefault("is_candidate", True)
    return add_person(db, PersonInput(first, last, **facts))


@pytest.fixture
def world(any_db: Database) -> dict[str, int]:
    org = add_organisation(
        any_db,
        OrganisationInput("Northmoor NHS Foundation Trust", sector="health_social_care"),
    )
    contact = add_person(
        any_db, PersonInput("Helen", "Ramsden", organisation_id=org, is_client_contact=True)
    )
    assignment = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=org,
            role="Interim Director of Finance",
            contact_id=contact,
            location="Leeds",
            working_pattern="hybrid",
            days_per_week=4,
            start_date=START,
            duration_weeks=26,
            charge_rate_min="850",
            charge_rate_max="950",
            pay_rate="750",
            ir35="outside",
            ir35_determined_on=date(2026, 12, 1),
            ir35_determined_by="Helen Ramsden (CEST)",
            source="call",
            opened_on=date(2026, 12, 1),
        ),
    )
    return {"org": org, "contact": contact, "assignment": assignment}


def test_add_edit_close_with_versions_and_audit(any_db: Database, world: dict[str, int]) -> None:
    a = get_assignment(any_db, world["assignment"])
    assert (a.role, a.organisation, a.contact, a.status) == (
        "Interim Director of Finance",
        "Northmoor NHS Foundation Trust",
        "Helen Ramsden",
        "open",
    )
    assert a.sector == "health_social_care"  # the client's, unless given
    assert (a.charge_rate_min, a.charge_rate_max, a.pay_rate) == (
        Decimal("850.00"),
        Decimal("950.00"),
        Decimal("750.00"),
    )
    assert (a.ir35, a.ir35_determined_by, a.owner) == (
        "outside",
        "Helen Ramsden (CEST)",
        "Test Recruiter",
    )
    version = update_assignment(any_db, a.id, {"status": "on_hold", "days_per_week": 5}, a.version)
    assert version == a.version + 1
    with pytest.raises(ConflictError, match="Test Recruiter"):
        update_assignment(any_db, a.id, {"notes": "stale"}, a.version)
    with pytest.raises(ValidationError, match="upside down"):
        update_assignment(any_db, a.id, {"charge_rate_min": "1200"}, version)
    with pytest.raises(ValidationError, match="Close an assignment"):
        update_assignment(any_db, a.id, {"status": "filled"}, version)
    with pytest.raises(ValidationError, match="reason"):
        close_assignment(any_db, a.id, "lost", "  ", version)
    close_assignment(any_db, a.id, "lost", "Went to a competitor", version, on=TODAY)
    closed = get_assignment(any_db, a.id)
    assert (closed.status, closed.closed_reason, closed.closed_on) == (
        "lost",
        "Went to a competitor",
        TODAY,
    )
    with pytest.raises(ValidationError, match="already lost"):
        close_assignment(any_db, a.id, "cancelled", "again")
    # Reopening clears the reason.
    update_assignment(any_db, a.id, {"status": "open"}, None)
    assert get_assignment(any_db, a.id).closed_reason is None
    with any_db.read() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "assignment", AuditEntry.entity_id == a.id)
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["create", "update", "close", "update"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("role", " ", "Role"),
        ("working_pattern", "sometimes", "working pattern"),
        ("days_per_week", "8", "Days a week"),
        ("charge_rate_max", "lots", "amount of money"),
        ("ir35", "maybe", "IR35"),
        ("sector", "space", "sector"),
    ],
)
def test_bad_input_is_one_clear_line_and_nothing_saved(
    db: Database, field: str, value: str, message: str
) -> None:
    org = add_organisation(db, OrganisationInput("Northmoor NHS Foundation Trust"))
    data = AssignmentInput(organisation_id=org, role="Interim CFO")
    setattr(data, field, value)
    with pytest.raises(ValidationError, match=message):
        add_assignment(db, data)
    assert list_assignments(db) == []


def test_search_and_list_filters(any_db: Database, world: dict[str, int]) -> None:
    other_org = add_organisation(any_db, OrganisationInput("Kingsford City Council"))
    add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=other_org, role="Interim Head of Housing", sector="housing", owner="Sam"
        ),
    )
    assert [s.role for s in search_assignments(any_db, "finance")] == [
        "Interim Director of Finance"
    ]
    assert [s.organisation for s in search_assignments(any_db, "kings")] == [
        "Kingsford City Council"
    ]
    assert search_assignments(any_db, "nance") == []  # a word's start, not its middle
    assert [s.role for s in list_assignments(any_db, owner="sam")] == ["Interim Head of Housing"]
    assert [s.role for s in list_assignments(any_db, sector="health_social_care")] == [
        "Interim Director of Finance"
    ]
    assert [s.role for s in list_assignments(any_db, organisation_id=other_org)] == [
        "Interim Head of Housing"
    ]
    assert resolve_assignment(any_db, "housing") != world["assignment"]
    with pytest.raises(AmbiguousError):
        resolve_assignment(any_db, "interim")
    with pytest.raises(NotFoundError):
        resolve_assignment(any_db, "999")


def test_shortlist_rules_history_and_timelines(any_db: Database, world: dict[str, int]) -> None:
    aid = world["assignment"]
    ada = _candidate(any_db, "Ada", "Lovelace")
    entry = add_to_shortlist(any_db, aid, ada)
    with pytest.raises(ValidationError, match="already on this shortlist"):
        add_to_shortlist(any_db, aid, ada)
    with pytest.raises(ValidationError, match="only reject a candidate it has been sent"):
        move_candidate(any_db, entry, "rejected", "Not senior enough")
    with pytest.raises(ValidationError, match="decline once approached"):
        move_candidate(any_db, entry, "declined", "Busy")
    with pytest.raises(ValidationError, match="Place them"):
        move_candidate(any_db, entry, "placed")
    assert advance_candidate(any_db, entry) == "approached"
    move_candidate(any_db, entry, "submitted")  # stages may be skipped going forward
    with pytest.raises(ValidationError, match="go back"):
        move_candidate(any_db, entry, "interested")
    move_candidate(any_db, entry, "interested", "Client asked to hold")
    with pytest.raises(ValidationError, match="Say why"):
        move_candidate(any_db, entry, "withdrawn")
    move_candidate(any_db, entry, "withdrawn", "Took another role")
    with pytest.raises(ValidationError, match="Say why they are back"):
        move_candidate(any_db, entry, "interested")
    card = list_shortlist(any_db, aid)[0]
    assert card.stage == "withdrawn" and card.reason == "Took another role"
    assert [(h.from_stage, h.to_stage) for h in card.history] == [
        (None, "identified"),
        ("identified", "approached"),
        ("approached", "submitted"),
        ("submitted", "interested"),
        ("interested", "withdrawn"),
    ]
    with pytest.raises(ConflictError):
        move_candidate(any_db, entry, "interested", "Back", expected_version=1)

    titles = [
        e.title
        for e in person_timeline(any_db, ada, TimelineQuery(kinds=frozenset({"assignment"})))
    ]
    assert titles[0] == "Shortlist: withdrawn" and titles[-1] == "Shortlisted (identified)"
    history = assignment_timeline(any_db, aid)
    assert history[-1].title == "Assignment opened"
    assert "Ada Lovelace for Interim Director of Finance" in history[0].text
    org_titles = [e.title for e in organisation_timeline(any_db, world["org"])]
    assert "Assignment opened" in org_titles
    contact_titles = [e.title for e in person_timeline(any_db, world["contact"])]
    assert "Assignment opened" in contact_titles
    with any_db.read() as session:
        stages = session.scalars(
            select(AuditEntry.changes).where(AuditEntry.entity_type == "shortlist_entry")
        ).all()
    assert [c["to"] for c in stages][-1] == "withdrawn"
    assert len(stages) == 5


def test_place_makes_the_placement_fills_the_assignment_and_lists_the_others(
    any_db: Database, world: dict[str, int]
) -> None:
    aid = world["assignment"]
    ada = _candidate(any_db, "Ada", "Lovelace", day_rate_expectation="700")
    grace = _candidate(any_db, "Grace", "Hopper")
    alan = _candidate(any_db, "Alan", "Turing")
    ada_entry = add_to_shortlist(any_db, aid, ada, "offered")
    grace_entry = add_to_shortlist(any_db, aid, grace, "interview")
    alan_entry = add_to_shortlist(any_db, aid, alan, "approached")
    move_candidate(any_db, alan_entry, "declined", "Wants a permanent role")
    with pytest.raises(ValidationError, match="placing them is the next step"):
        advance_candidate(any_db, ada_entry)
    result = place_candidate(any_db, ada_entry, charge_rate="900")
    assert [c.name for c in result.others] == ["Grace Hopper"]
    p = get_placement(any_db, result.placement_id)
    assert (p.candidate, p.organisation, p.client_contact, p.role) == (
        "Ada Lovelace",
        "Northmoor NHS Foundation Trust",
        "Helen Ramsden",
        "Interim Director of Finance",
    )
    assert (p.start_date, p.end_date) == (START, START + timedelta(weeks=26, days=-1))
    assert (p.charge_rate, p.pay_rate, p.ir35, p.assignment_id) == (
        Decimal("900.00"),
        Decimal("750.00"),
        "outside",
        aid,
    )
    assert p.margin_per_day == Decimal("150.00")
    # 26 weeks, four days a week (the assignment's pattern): 104 days of 150.
    assert p.margin_total == Decimal("15600.00")
    a = get_assignment(any_db, aid)
    assert (a.status, a.placement_ids) == ("filled", [result.placement_id])
    assert a.closed_reason == "Placed Ada Lovelace"
    assert {c.name: c.stage for c in a.shortlist}["Ada Lovelace"] == "placed"
    with pytest.raises(ValidationError, match="only leave its shortlist"):
        move_candidate(any_db, grace_entry, "offered")
    move_candidate(any_db, grace_entry, "withdrawn", "Filled by another candidate")
    assert let_them_know(any_db, aid, [grace], due=TODAY) == 1
    due = follow_ups_due(any_db, TODAY)
    assert any("Let them know" in f.summary for f in due)
    # Extensions count in the margin over the placement's length.
    extend_placement(any_db, result.placement_id, p.end_date + timedelta(weeks=4))  # type: ignore[operator]
    assert get_placement(any_db, result.placement_id).margin_total == Decimal("18000.00")
    with pytest.raises(ValidationError, match="already"):
        place_candidate(any_db, ada_entry)
    assert entry_for(any_db, aid, grace) == grace_entry


def test_margin_arithmetic() -> None:
    # Mon 4 Jan 2027 to Fri 15 Jan: ten weekdays; three days a week: six.
    assert working_days(date(2027, 1, 4), date(2027, 1, 15)) == 10
    assert working_days(date(2027, 1, 4), date(2027, 1, 15), 3) == 6
    assert working_days(date(2027, 1, 9), date(2027, 1, 10)) == 0  # a weekend
    assert margin_over(Decimal(900), Decimal(700), date(2027, 1, 4), date(2027, 1, 15)) == 2000
    assert margin_over(Decimal(900), None, date(2027, 1, 4), date(2027, 1, 15)) is None


def test_matching_ranks_by_fit_with_reasons(any_db: Database, world: dict[str, int]) -> None:
    aid = world["assignment"]
    best = _candidate(
        any_db,
        "Priya",
        "Shah",
        available_from=date(2027, 1, 15),
        candidate_sectors=["health_social_care"],
        specialisms="Finance, turnaround",
        day_rate_expectation="700",
        ir35_preference="outside",
        location="Leeds",
    )
    log_interaction(
        any_db,
        InteractionInput(
            person_ids=[best],
            kind="call",
            summary="Catch-up",
            occurred_at=datetime(2026, 12, 20, 10, 0, tzinfo=UTC),
        ),
    )
    middling = _candidate(
        any_db,
        "Tom",
        "Reed",
        candidate_sectors=["housing"],
        day_rate_expectation="1100",
        ir35_preference="inside",
        willing_to_travel=True,
    )
    late = _candidate(any_db, "Late", "Starter", available_from=date(2027, 6, 1))
    busy = _candidate(any_db, "Busy", "Interim", available_from=date(2027, 1, 1))
    add_placement(
        any_db,
        PlacementInput(
            busy,
            world["org"],
            "Interim COO",
            status="active",
            start_date=date(2026, 10, 1),
            end_date=date(2027, 4, 30),
        ),
    )
    shy = _candidate(any_db, "Do", "Not", do_not_contact=True)
    listed = _candidate(any_db, "Already", "Listed")
    add_to_shortlist(any_db, aid, listed)
    add_person(any_db, PersonInput("Client", "Only", is_client_contact=True))

    matches = match_candidates(any_db, aid, today=TODAY)
    ids = [m.person_id for m in matches]
    assert ids == [best, middling]
    assert not {late, busy, shy, listed} & set(ids)
    top = matches[0]
    assert top.reasons == [
        "available from 15/01/2027",
        "works in the sector",
        "specialisms: finance",
        "asks £700/day, within £750",
        "happy outside IR35",
        "based in Leeds",
        "spoken to 15 days ago",
    ]
    assert "asks £1,100/day, above £750" in matches[1].reasons
    assert "prefers inside IR35" in matches[1].reasons
    # The database's ranking and the reasons' arithmetic agree.
    for m in matches:
        assert m.score == fit_for(any_db, aid, m.person_id, today=TODAY)


def test_matching_caps_specialism_words_and_ignores_case(
    any_db: Database, world: dict[str, int]
) -> None:
    # Three role words (more than the two that count), specialisms and place in capitals.
    aid = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=world["org"],
            role="Interim Estates Capital Programme Director",
            location="leeds",
            working_pattern="hybrid",
            start_date=START,
        ),
    )
    every = _candidate(
        any_db, "All", "Three", specialisms="ESTATES, Capital, programme", location="LEEDS"
    )
    one = _candidate(any_db, "Just", "One", specialisms="Capital works", location="York")
    matches = match_candidates(any_db, aid, today=TODAY)
    assert [m.person_id for m in matches][:2] == [every, one]
    for m in matches:
        assert m.score == fit_for(any_db, aid, m.person_id, today=TODAY)


def test_gdpr_export_and_erasure_cover_assignments(
    any_db: Database, world: dict[str, int], tmp_path: Any
) -> None:
    from crm.services.gdpr import erase_person, subject_access_data
    from tests.services.test_gdpr import every_text

    aid = world["assignment"]
    zeb = _candidate(any_db, "Zebedee", "Quixotic")
    entry = add_to_shortlist(any_db, aid, zeb, "offered", "Quixotic knows the trust")
    place_candidate(any_db, entry, reason="Zebedee accepted")
    other = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=world["org"],
            role="Interim Head of Estates",
            contact_id=zeb,
            notes="Zebedee Quixotic called about this",
        ),
    )
    data = subject_access_data(any_db, zeb)
    assert data["shortlists"][0]["role"] == "Interim Director of Finance"
    assert [s["to"] for s in data["shortlists"][0]["stages"]] == ["offered", "placed"]
    assert data["assignments_as_contact"][0]["role"] == "Interim Head of Estates"
    assert any(e["entity"] == "shortlist_entry" for e in data["audit"])

    report = erase_person(any_db, zeb)
    assert report.removed["shortlist_entries"] == 1
    traces = [t for t in every_text(any_db) if "quixotic" in t[2].lower()]
    assert traces == []
    assert get_assignment(any_db, other).contact_id is None
    assert list_shortlist(any_db, aid) == []


def test_merges_move_shortlists_and_assignments(any_db: Database, world: dict[str, int]) -> None:
    from crm.services.duplicates import merge_organisations, merge_people

    aid = world["assignment"]
    keep = _candidate(any_db, "Ada", "Lovelace")
    twin = _candidate(any_db, "Ada", "Lovelace-King")
    add_to_shortlist(any_db, aid, keep, "approached")
    add_to_shortlist(any_db, aid, twin, "interview")  # the same assignment: the survivor's stays
    second = add_assignment(
        any_db, AssignmentInput(organisation_id=world["org"], role="Interim CFO", contact_id=twin)
    )
    add_to_shortlist(any_db, second, twin)
    merge_people(any_db, keep, twin)
    assert [(c.person_id, c.stage) for c in list_shortlist(any_db, aid)] == [(keep, "approached")]
    assert [c.person_id for c in list_shortlist(any_db, second)] == [keep]
    assert get_assignment(any_db, second).contact_id == keep

    dup = add_organisation(any_db, OrganisationInput("Northmoor NHS FT"))
    third = add_assignment(any_db, AssignmentInput(organisation_id=dup, role="Interim COO"))
    merge_organisations(any_db, world["org"], dup)
    assert get_assignment(any_db, third).organisation_id == world["org"]


def test_demo_has_every_status_and_stage_consistent_with_placements(db: Database) -> None:
    from crm.domain.enums import AssignmentStatus, ShortlistStage
    from crm.services.demo import fill_demo
    from crm.storage.models import Assignment, Placement, ShortlistEntry

    counts = fill_demo(db)
    assert counts["assignments"] > 0
    with db.read() as session:
        statuses = set(session.scalars(select(Assignment.status)))
        stages = set(session.scalars(select(ShortlistEntry.stage)))
        linked = session.execute(
            select(Placement, Assignment).join(Assignment, Assignment.id == Placement.assignment_id)
        ).all()
        assert statuses == {s.value for s in AssignmentStatus}
        assert stages == {s.value for s in ShortlistStage}
        assert linked
        for placement, assignment in linked:
            assert assignment.status == "filled"
            assert (assignment.organisation_id, assignment.role) == (
                placement.organisation_id,
                placement.role,
            )
            assert assignment.opened_on <= assignment.closed_on
            assert placement.pay_rate is not None and placement.pay_rate < placement.charge_rate
            placed = [e.person_id for e in assignment.shortlist if e.stage == "placed"]
            assert placed == [placement.candidate_id]
