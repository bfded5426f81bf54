"""Assignments and shortlists through export and import, GDPR access and erasure, and merging
people and organisations; on both backends."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from crm.services.assignments.records import (
    AssignmentInput,
    add_assignment,
    close_assignment,
    get_assignment,
    list_assignments,
)
from crm.services.assignments.shortlist import add_to_shortlist, move_candidate
from crm.services.assignments.transfer import import_file
from crm.services.duplicates import (
    merge_organisations,
    merge_people,
    organisation_merge_preview,
    person_merge_preview,
)
from crm.services.exports import export
from crm.services.gdpr import erase_person, erasure_impact, subject_access_data
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.storage.db import Database
from crm.storage.models import Assignment, AuditEntry, ShortlistEntry, ShortlistStageChange


@pytest.fixture
def world(any_db: Database) -> dict[str, int]:
    org = add_organisation(any_db, OrganisationInput("Northmoor NHS Foundation Trust"))
    council = add_organisation(any_db, OrganisationInput("Calder Valley Council"))
    contact = add_person(
        any_db,
        PersonInput("Helen", "Ramsden", organisation_id=org, emails=["helen@northmoor.example"]),
    )
    amara = add_person(
        any_db, PersonInput("Amara", "Okafor", is_candidate=True, emails=["amara@example.org"])
    )
    kwame = add_person(any_db, PersonInput("Kwame", "Mensah", is_candidate=True))
    finance = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=org,
            role="Interim Director of Finance",
            contact_id=contact,
            location="Leeds",
            working_pattern="hybrid",
            days_per_week=4,
            start_date=date(2027, 2, 1),
            duration_weeks=26,
            charge_rate_min="850",
            charge_rate_max="950",
            pay_rate="780",
            ir35="outside",
            source="call",
            notes="=HYPERLINK risk in notes",
            opened_on=date(2026, 11, 2),
        ),
    )
    entry = add_to_shortlist(any_db, finance, amara)
    move_candidate(any_db, entry, "approached")
    move_candidate(any_db, entry, "submitted")
    other = add_to_shortlist(any_db, finance, kwame)
    move_candidate(any_db, other, "withdrawn", "Took a permanent role")
    lost = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=council, role="Interim Head of Planning", opened_on=date(2026, 9, 1)
        ),
    )
    close_assignment(any_db, lost, "lost", "Went to another agency", on=date(2026, 10, 1))
    return {
        "org": org,
        "council": council,
        "contact": contact,
        "amara": amara,
        "kwame": kwame,
        "finance": finance,
        "lost": lost,
        "entry": entry,
    }


def _snapshot(db: Database) -> list[tuple[Any, ...]]:
    """Everything an assignment round trip must keep, without ids."""
    out = []
    for s in sorted(list_assignments(db), key=lambda s: s.role):
        d = get_assignment(db, s.id)
        out.append(
            (
                d.organisation,
                d.contact,
                d.role,
                d.location,
                d.working_pattern,
                d.days_per_week,
                d.start_date,
                d.duration_weeks,
                d.charge_rate_min,
                d.charge_rate_max,
                d.pay_rate,
                d.ir35,
                d.source,
                d.owner,
                d.status,
                d.closed_reason,
                d.opened_on,
                d.closed_on,
                d.notes,
                sorted(
                    (c.name, c.stage, c.reason, [(h.from_stage, h.to_stage) for h in c.history])
                    for c in d.shortlist
                ),
            )
        )
    return out


def _wipe(db: Database) -> None:
    with db.session() as session:
        session.execute(delete(Assignment))


def test_json_export_round_trips_assignments_with_their_shortlists(
    any_db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    before = _snapshot(any_db)
    path = tmp_path / "assignments.json"
    assert export(any_db, "assignments", path).count == 2
    data = json.loads(path.read_text(encoding="utf-8"))
    finance = next(r for r in data if r["role"] == "Interim Director of Finance")
    assert finance["client"] == "Northmoor NHS Foundation Trust"
    assert finance["contact_email"] == "helen@northmoor.example"
    assert [e["stage"] for e in finance["shortlist"]] == ["submitted", "withdrawn"]
    assert [h["to_stage"] for h in finance["shortlist"][0]["history"]] == [
        "identified",
        "approached",
        "submitted",
    ]

    # The same file again changes nothing.
    again = import_file(any_db, path, "assignments")
    assert (again.created, again.unchanged, again.shortlisted, again.refused) == (0, 2, 0, 0)
    assert _snapshot(any_db) == before

    # Into a CRM that has the people and organisations but not the assignments: all back.
    _wipe(any_db)
    report = import_file(any_db, path, "assignments")
    assert (report.created, report.shortlisted, report.refused) == (2, 2, 0)
    assert _snapshot(any_db) == before
    with any_db.read() as session:
        imported = session.scalar(
            select(func.count()).where(
                AuditEntry.entity_type == "assignment", AuditEntry.action == "import"
            )
        )
        assert imported == 2


def test_csv_exports_round_trip_assignments_then_shortlists(
    any_db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    assignments, shortlists = tmp_path / "assignments.csv", tmp_path / "shortlists.csv"
    export(any_db, "assignments", assignments)
    assert export(any_db, "shortlists", shortlists).count == 2
    with open(assignments, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[1]["Role"] == "Interim Director of Finance"
    assert rows[1]["Notes"] == "'=HYPERLINK risk in notes"  # neutralised for spreadsheets
    assert rows[0]["Status"] == "lost"
    before = [
        (t[:19], [(n, stage, reason) for n, stage, reason, _ in t[19]]) for t in _snapshot(any_db)
    ]

    _wipe(any_db)
    first = import_file(any_db, assignments, "assignments")
    assert (first.created, first.refused) == (2, 0)
    second = import_file(any_db, shortlists, "shortlists")
    assert (second.created, second.refused) == (2, 0)
    after = [
        (t[:19], [(n, stage, reason) for n, stage, reason, _ in t[19]]) for t in _snapshot(any_db)
    ]
    assert after == before
    # A CSV row knows the present stage only: it is the entry's one step.
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(ShortlistStageChange)) == 2
    assert import_file(any_db, shortlists, "shortlists").unchanged == 2


def test_import_refuses_what_it_cannot_place_and_can_do_nothing(
    any_db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "a.json"
    records = [
        {"client": "Nowhere Borough Council", "role": "Interim Chief Executive"},
        {
            "client": "Calder Valley Council",
            "role": "Interim Director of Children's Services",
            "opened_on": "2026-12-01",
            "shortlist": [
                {"person": "Amara Okafor", "stage": "interested"},
                {"person": "Nobody Known", "stage": "identified"},
            ],
        },
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    dry = import_file(any_db, path, "assignments", dry_run=True)
    assert (dry.created, dry.shortlisted, dry.refused, dry.committed) == (1, 1, 2, False)
    assert "Nowhere Borough Council" in dry.refusals[0].reason
    # The candidate who is not in the CRM is refused alone; the assignment is imported.
    assert dry.refusals[1].row == 2 and "'Nobody Known'" in dry.refusals[1].reason
    assert len(list_assignments(any_db)) == 2
    strict = import_file(any_db, path, "assignments", all_or_nothing=True)
    assert not strict.committed and len(list_assignments(any_db)) == 2
    done = import_file(any_db, path, "assignments")
    assert done.committed and len(list_assignments(any_db)) == 3


def test_subject_access_and_erasure_cover_shortlists(
    any_db: Database, world: dict[str, int]
) -> None:
    data = subject_access_data(any_db, world["amara"])
    assert [(s["role"], s["stage"]) for s in data["shortlists"]] == [
        ("Interim Director of Finance", "submitted")
    ]
    contact = subject_access_data(any_db, world["contact"])
    assert [a["role"] for a in contact["assignments_as_contact"]] == ["Interim Director of Finance"]

    impact = erasure_impact(any_db, world["amara"])
    assert impact.shortlist_entries == 1
    assert erasure_impact(any_db, world["contact"]).assignments_as_contact == 1
    report = erase_person(any_db, world["amara"])
    assert report.removed["shortlist_entries"] == 1
    erase_person(any_db, world["contact"])
    detail = get_assignment(any_db, world["finance"])
    assert [c.name for c in detail.shortlist] == ["Kwame Mensah"]
    assert detail.contact_id is None
    with any_db.read() as session:
        # The stage history went with the entry.
        assert session.scalar(select(func.count()).select_from(ShortlistStageChange)) == 2


def test_merging_people_moves_shortlist_places_and_counts_them_first(
    any_db: Database, world: dict[str, int]
) -> None:
    twin = add_person(any_db, PersonInput("Amara", "Okafor", emails=["a.okafor@example.org"]))
    add_to_shortlist(any_db, world["finance"], twin)  # both on this one: the survivor's stays
    spare = add_assignment(
        any_db,
        AssignmentInput(
            organisation_id=world["council"], role="Interim Director of Finance", contact_id=twin
        ),
    )
    add_to_shortlist(any_db, spare, twin)
    preview = person_merge_preview(any_db, world["amara"], twin)
    assert preview.moves["shortlist_entries"] == 1
    assert preview.moves["assignments"] == 1
    merge_people(any_db, world["amara"], twin)
    assert [c.name for c in get_assignment(any_db, spare).shortlist] == ["Amara Okafor"]
    assert get_assignment(any_db, spare).contact_id == world["amara"]
    finance = get_assignment(any_db, world["finance"])
    assert sorted((c.person_id, c.stage) for c in finance.shortlist) == sorted(
        [(world["amara"], "submitted"), (world["kwame"], "withdrawn")]
    )
    with any_db.read() as session:
        assert session.scalar(select(func.count()).where(ShortlistEntry.person_id == twin)) == 0


def test_merging_organisations_moves_their_assignments(
    any_db: Database, world: dict[str, int]
) -> None:
    twin = add_organisation(any_db, OrganisationInput("Northmoor NHS FT"))
    add_assignment(any_db, AssignmentInput(organisation_id=twin, role="Interim COO"))
    assert organisation_merge_preview(any_db, world["org"], twin).moves["assignments"] == 1
    merge_organisations(any_db, world["org"], twin)
    roles = sorted(s.role for s in list_assignments(any_db, organisation_id=world["org"]))
    assert roles == ["Interim COO", "Interim Director of Finance"]
