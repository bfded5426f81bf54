"""What the assignment services return: summaries, the detail page, shortlist cards, matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class AssignmentSummary:
    id: int
    role: str
    organisation_id: int
    organisation: str
    status: str
    sector: str | None
    owner: str | None
    start_date: date | None
    start_asap: bool
    charge_rate_min: Decimal | None
    charge_rate_max: Decimal | None
    currency: str
    opened_on: date
    shortlisted: int  # candidates still in the running (placed included)


@dataclass(frozen=True)
class StageChangeView:
    from_stage: str | None
    to_stage: str
    reason: str | None
    at: datetime
    by: str | None


@dataclass(frozen=True)
class ShortlistCard:
    """A candidate on a shortlist, with what the board's card shows."""

    id: int
    version: int
    person_id: int
    name: str
    stage: str
    reason: str | None
    stage_changed_at: datetime
    available_from: date | None
    rate: Decimal | None
    rate_fits: bool | None  # the expectation against the assignment's range; None if unknown
    last_contact: datetime | None
    history: list[StageChangeView] = field(default_factory=list)


@dataclass(frozen=True)
class AssignmentDetail:
    id: int
    version: int
    organisation_id: int
    organisation: str
    contact_id: int | None
    contact: str | None
    role: str
    sector: str | None
    location: str | None
    working_pattern: str | None
    days_per_week: int | None
    start_date: date | None
    start_asap: bool
    duration_weeks: int | None
    charge_rate_min: Decimal | None
    charge_rate_max: Decimal | None
    pay_rate: Decimal | None
    currency: str
    ir35: str
    ir35_determined_on: date | None
    ir35_determined_by: str | None
    source: str | None
    owner: str | None
    status: str
    closed_reason: str | None
    opened_on: date
    closed_on: date | None
    notes: str | None
    placement_ids: list[int]
    shortlist: list[ShortlistCard] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateMatch:
    person_id: int
    name: str
    score: int
    reasons: list[str]
    available_from: date | None
    rate: Decimal | None
    last_contact: datetime | None


@dataclass(frozen=True)
class PlacedResult:
    placement_id: int
    # The others still on the shortlist: the recruiter is offered to let them know.
    others: list[ShortlistCard]
