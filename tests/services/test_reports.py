"""Reports: placements started, margin by month and client, time to fill, conversion."""

from __future__ import annotations

from datetime import date

import pytest

from crm.domain.errors import ValidationError
from crm.services.assignments.records import AssignmentInput, add_assignment, close_assignment
from crm.services.assignments.shortlist import add_to_shortlist, move_candidate, place_candidate
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import PlacementInput, add_placement
from crm.services.reports import Report, run_report
from crm.storage.db import Database

JAN, MAR = date(2027, 1, 1), date(2027, 3, 31)


def test_reports_over_a_small_agency(any_db: Database) -> None:
    org = add_organisation(any_db, OrganisationInput("Northmoor NHS Foundation Trust"))
    other = add_organisation(any_db, OrganisationInput("Kingsford City Council"))
    ada = add_person(any_db, PersonInput("Ada", "Lovelace", is_candidate=True))
    bob = add_person(any_db, PersonInput("Bob", "Reed", is_candidate=True))
    # Mon 4 Jan to Fri 29 Jan 2027: 20 working days at a margin of 100.
    add_placement(
        any_db,
        PlacementInput(
            ada,
            org,
            "Interim CFO",
            status="active",
            charge_rate="900",
            pay_rate="800",
            start_date=date(2027, 1, 4),
            end_date=date(2027, 1, 29),
        ),
    )
    # Mon 1 Feb to Fri 12 Feb: 10 days at 50; no pay rate on the third, so no margin.
    add_placement(
        any_db,
        PlacementInput(
            bob,
            other,
            "Interim COO",
            status="confirmed",
            charge_rate="700",
            pay_rate="650",
            start_date=date(2027, 2, 1),
            end_date=date(2027, 2, 12),
        ),
    )
    add_placement(
        any_db,
        PlacementInput(bob, other, "Interim Head", charge_rate="700", start_date=date(2027, 2, 15)),
    )
    started = run_report(any_db, "placements-started", JAN, MAR)
    assert started.rows == [["2027-01", 1], ["2027-02", 2], ["2027-03", 0]]
    by_month = run_report(any_db, "margin-by-month", JAN, MAR)
    assert by_month.rows == [
        ["2027-01", "2000.00", 1],
        ["2027-02", "500.00", 1],
        ["2027-03", "0.00", 0],
    ]
    by_client = run_report(any_db, "margin-by-client", JAN, MAR)
    assert by_client.as_dicts()[0] == {
        "client": "Northmoor NHS Foundation Trust",
        "margin": "2000.00",
        "placements": 1,
    }

    filled = add_assignment(
        any_db, AssignmentInput(org, "Interim Director of Finance", opened_on=date(2026, 11, 2))
    )
    entry = add_to_shortlist(any_db, filled, ada, "offered")
    other_entry = add_to_shortlist(any_db, filled, bob)
    move_candidate(any_db, other_entry, "withdrawn", "Busy")
    place_candidate(any_db, entry)
    lost = add_assignment(any_db, AssignmentInput(other, "Interim Head of Housing"))
    close_assignment(any_db, lost, "lost", "Gone in-house")
    today = date.today()
    fill = run_report(any_db, "time-to-fill", today.replace(day=1), today)
    assert fill.rows[-1][:2] == [today.strftime("%Y-%m"), 1]
    assert fill.rows[-1][2] == (today - date(2026, 11, 2)).days
    funnel = {row[0]: row[1:] for row in run_report(any_db, "conversion", today, today).rows}
    assert funnel["identified"] == [2, None]  # Ada joined at "offered": she passed them all
    assert funnel["offered"] == [1, "100%"]
    assert funnel["placed"] == [1, "100%"]
    assert funnel["withdrawn"] == [1, None]
    with pytest.raises(ValidationError, match="no report"):
        run_report(any_db, "fees", JAN, MAR)
    with pytest.raises(ValidationError, match="start is after"):
        run_report(any_db, "conversion", MAR, JAN)


def test_reports_read_as_a_person_reads_them() -> None:

    found = Report(
        "x",
        "x",
        ["month", "stage", "margin", "placements", "median days", "mean days"],
        [
            ["2025-12", "submitted", "74295.60", 1204, 28.0, 27.5],
            ["2026-01", None, None, 0, None, 3],
        ],
    )
    assert found.shown() == [
        ["Dec 2025", "Submitted to client", "£74,296", "1,204", "28", "27.5"],
        ["Jan 2026", "", "", "0", "", "3"],
    ]
