"""Placement status changes follow allowed transitions; extensions count from the end."""

from __future__ import annotations

from datetime import date

import pytest

from crm.domain.dates import parse_date
from crm.domain.errors import ConflictError, ValidationError
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import (
    PlacementInput,
    add_placement,
    change_status,
    extend_placement,
    get_placement,
    update_placement,
)
from crm.storage.db import Database


@pytest.fixture
def placement(any_db: Database) -> int:
    org = add_organisation(any_db, OrganisationInput("Harbourlight Homes", org_type="other"))
    interim = add_person(any_db, PersonInput("Kwame", "Mensah", is_candidate=True))
    return add_placement(
        any_db,
        PlacementInput(
            interim,
            org,
            "Interim Director of Repairs",
            start_date=date(2027, 1, 4),
            end_date=date(2027, 3, 31),
        ),
    )


def test_a_proposed_placement_can_be_extended_and_stays_proposed(
    any_db: Database, placement: int
) -> None:
    extend_placement(any_db, placement, date(2027, 6, 30), reason="Client wants longer")
    p = get_placement(any_db, placement)
    assert (p.status, p.end_date) == ("proposed", date(2027, 6, 30))
    assert [e.previous_end_date for e in p.extensions] == [date(2027, 3, 31)]


def test_plus_three_months_counts_from_the_current_end(any_db: Database, placement: int) -> None:
    current = get_placement(any_db, placement).end_date
    new_end = parse_date("+3m", "new_end_date", today=date(2026, 12, 2), counted_from=current)
    extend_placement(any_db, placement, new_end)
    assert get_placement(any_db, placement).end_date == date(2027, 6, 30)


def test_status_follows_allowed_transitions(any_db: Database, placement: int) -> None:
    v = change_status(any_db, placement, "confirmed")
    v = change_status(any_db, placement, "active", v)
    with pytest.raises(ValidationError, match="cannot become proposed") as caught:
        change_status(any_db, placement, "proposed")
    assert caught.value.field == "status"
    with pytest.raises(ValidationError, match="Extend it instead"):
        change_status(any_db, placement, "extended")
    with pytest.raises(ValidationError, match="not a placement status"):
        change_status(any_db, placement, "finished")
    with pytest.raises(ConflictError):
        change_status(any_db, placement, "ended", v - 1)
    assert get_placement(any_db, placement).status == "active"
    change_status(any_db, placement, "ended", v)
    p = get_placement(any_db, placement)
    assert p.status == "ended" and p.version == v + 1


def test_a_cancelled_placement_cannot_be_extended(any_db: Database, placement: int) -> None:
    change_status(any_db, placement, "cancelled")
    with pytest.raises(ValidationError, match="cancelled placement cannot be extended"):
        extend_placement(any_db, placement, date(2027, 6, 30))


def test_editing_a_placement_checks_the_status_change_too(any_db: Database, placement: int) -> None:
    with pytest.raises(ValidationError, match="cannot become ended"):
        update_placement(any_db, placement, {"status": "ended"}, None)
    update_placement(any_db, placement, {"status": "confirmed", "role": "Interim CEO"}, None)
    assert get_placement(any_db, placement).status == "confirmed"
