"""What the assignment services return: summaries, the detail page, shortlist cards, matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from crm.domain.display import fmt_date, fmt_money, fmt_money_range, label_of, plural


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

    def facts(self) -> list[tuple[str, str]]:
        """The assignment in a line of short facts, each ``(what, text)``: start, weeks,
        charge, pay, ir35, place; the page and ``crm assignment show`` both print them."""
        start = "ASAP" if self.start_asap else fmt_date(self.start_date, "not set")
        out = [("start", f"start {start}")]
        if self.duration_weeks:
            out.append(("weeks", plural(self.duration_weeks, "week")))
        charge = fmt_money_range(self.charge_rate_min, self.charge_rate_max, self.currency)
        if charge:
            out.append(("charge", f"charge {charge}"))
        if self.pay_rate is not None:
            out.append(("pay", f"pay {fmt_money(self.pay_rate, self.currency)}"))
        ir35 = label_of(self.ir35)
        if self.ir35_determined_by or self.ir35_determined_on:
            ir35 += f" ({self.ir35_determined_by or '?'}, {fmt_date(self.ir35_determined_on, '?')})"
        out.append(("ir35", ir35))
        place = [self.location or "", label_of(self.working_pattern).lower()]
        if self.days_per_week:
            place.append(plural(self.days_per_week, "day") + " a week")
        if any(place):
            out.append(("place", ", ".join(p for p in place if p)))
        return out


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
