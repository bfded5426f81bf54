"""The demo's assignments: each placement the demo made came from a filled assignment, and
there are assignments at every other status with shortlists at every stage.

Called by :func:`crm.services.demo.fill.fill_demo` inside its transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import (
    PIPELINE_STAGES,
    AssignmentStatus,
    IR35Determination,
    PlacementStatus,
    Sector,
    ShortlistStage,
    WorkingPattern,
)
from crm.services.demo.data import INTERIM_ROLES
from crm.storage.models import (
    Assignment,
    Organisation,
    Person,
    Placement,
    ShortlistEntry,
    ShortlistStageChange,
)

_SOURCES = ["call", "call", "tender", "tweet", "referral", "framework"]

# (status, stages of the shortlist, reason when closed)
_OPEN_ONES: list[tuple[AssignmentStatus, list[ShortlistStage], str | None]] = [
    (
        AssignmentStatus.OPEN,
        [
            ShortlistStage.IDENTIFIED,
            ShortlistStage.IDENTIFIED,
            ShortlistStage.APPROACHED,
            ShortlistStage.INTERESTED,
            ShortlistStage.SUBMITTED,
            ShortlistStage.INTERVIEW,
            ShortlistStage.OFFERED,
            ShortlistStage.DECLINED,
            ShortlistStage.REJECTED,
        ],
        None,
    ),
    (
        AssignmentStatus.OPEN,
        [
            ShortlistStage.APPROACHED,
            ShortlistStage.INTERESTED,
            ShortlistStage.INTERESTED,
            ShortlistStage.SUBMITTED,
            ShortlistStage.WITHDRAWN,
        ],
        None,
    ),
    (AssignmentStatus.OPEN, [ShortlistStage.IDENTIFIED, ShortlistStage.APPROACHED], None),
    (AssignmentStatus.OPEN, [], None),
    (
        AssignmentStatus.ON_HOLD,
        [ShortlistStage.INTERESTED, ShortlistStage.SUBMITTED],
        None,
    ),
    (
        AssignmentStatus.LOST,
        [ShortlistStage.SUBMITTED, ShortlistStage.REJECTED],
        "The client appointed through another agency.",
    ),
    (
        AssignmentStatus.CANCELLED,
        [ShortlistStage.APPROACHED, ShortlistStage.WITHDRAWN],
        "Budget withdrawn after the restructure was paused.",
    ),
]

_REASONS = {
    ShortlistStage.DECLINED: "Wants something nearer home.",
    ShortlistStage.REJECTED: "The client wanted deeper NHS finance experience.",
    ShortlistStage.WITHDRAWN: "Took another assignment.",
}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _path(to: ShortlistStage) -> list[ShortlistStage]:
    """The stages a candidate went through to reach ``to``."""
    if to == ShortlistStage.PLACED:
        return [*PIPELINE_STAGES, ShortlistStage.PLACED]
    if to.is_out:
        stop = {
            ShortlistStage.DECLINED: ShortlistStage.APPROACHED,
            ShortlistStage.REJECTED: ShortlistStage.SUBMITTED,
            ShortlistStage.WITHDRAWN: ShortlistStage.INTERESTED,
        }[to]
        return [*_path(stop), to]
    order = list(PIPELINE_STAGES)
    return order[: order.index(to) + 1]


def _shortlist(
    a: Assignment,
    person: Person,
    to: ShortlistStage,
    first_day: date,
    last_day: date,
    who: str,
) -> ShortlistEntry:
    steps = _path(to)
    span = max((last_day - first_day).days, len(steps))
    entry = ShortlistEntry(assignment=a, person=person, stage=to.value)
    previous: str | None = None
    when = _at(first_day)
    for i, stage in enumerate(steps):
        when = _at(first_day + timedelta(days=span * i // len(steps)), 9 + i % 8)
        reason = _REASONS.get(stage)
        entry.history.append(
            ShortlistStageChange(
                from_stage=previous, to_stage=stage.value, reason=reason, at=when, by=who
            )
        )
        previous = stage.value
    entry.reason = _REASONS.get(to)
    entry.stage_changed_at = when
    entry.created_at = entry.updated_at = _at(first_day)
    return entry


def add_demo_assignments(
    session: Session,
    rng: random.Random,
    orgs: Sequence[tuple[Organisation, Sector, str]],
    candidates: Sequence[Person],
    placements: Sequence[Placement],
    today: date,
) -> int:
    """Assignments for the demo; returns how many. Placements get a pay rate (so margins
    show) and, unless proposed, the filled assignment they came from."""

    who = settings.current_user()
    made = 0
    for placement in placements:
        if placement.charge_rate is not None:
            margin = Decimal(rng.choice([12, 15, 18, 20, 22])) / 100
            placement.pay_rate = (placement.charge_rate * (1 - margin)).quantize(Decimal("1"))
        if placement.status == PlacementStatus.PROPOSED.value or placement.start_date is None:
            continue
        start = placement.start_date
        opened = start - timedelta(days=rng.randrange(30, 75))
        filled_on = start - timedelta(days=rng.randrange(5, 20))
        if filled_on > today:
            filled_on = today
            opened = min(opened, today - timedelta(days=30))
        weeks = None
        if placement.end_date is not None:
            weeks = max(1, ((placement.end_date - start).days + 1) // 7)
        a = Assignment(
            organisation=placement.organisation,
            contact=placement.client_contact,
            role=placement.role,
            sector=placement.organisation.sector,
            location=placement.organisation.region,
            working_pattern=rng.choice(list(WorkingPattern)).value,
            days_per_week=rng.choice([3, 4, 5, 5, 5]),
            start_date=start,
            duration_weeks=weeks,
            charge_rate_min=(placement.charge_rate or Decimal(700)) - 100,
            charge_rate_max=placement.charge_rate,
            pay_rate=placement.pay_rate,
            currency=placement.currency,
            ir35=placement.ir35,
            ir35_determined_on=opened + timedelta(days=7)
            if placement.ir35 != IR35Determination.UNDETERMINED.value
            else None,
            ir35_determined_by=placement.client_contact.display_name
            if placement.client_contact and placement.ir35 != "undetermined"
            else None,
            source=rng.choice(_SOURCES),
            owner=who,
            status=AssignmentStatus.FILLED.value,
            closed_reason=f"Placed {placement.candidate.display_name}",
            opened_on=opened,
            closed_on=filled_on,
            created_at=_at(opened),
            updated_at=_at(filled_on),
        )
        session.add(a)
        placement.assignment = a
        a.shortlist.append(
            _shortlist(a, placement.candidate, ShortlistStage.PLACED, opened, filled_on, who)
        )
        others = [c for c in rng.sample(list(candidates), 3) if c is not placement.candidate]
        for other, stage in zip(
            others, [ShortlistStage.REJECTED, ShortlistStage.WITHDRAWN], strict=False
        ):
            a.shortlist.append(_shortlist(a, other, stage, opened, filled_on, who))
        made += 1

    for status, stages, reason in _OPEN_ONES * 2:
        org, sector, _domain = rng.choice(list(orgs))

        opened = today - timedelta(days=rng.randrange(6, 50))
        top = Decimal(rng.randrange(75, 120) * 10)
        contact = next(
            (
                e.person
                for e in org.employments
                if e.end_date is None and e.person.is_client_contact
            ),
            None,
        )
        a = Assignment(
            organisation=org,
            contact=contact,
            role=rng.choice(INTERIM_ROLES[sector]),
            sector=sector.value,
            location=org.region,
            working_pattern=rng.choice(list(WorkingPattern)).value,
            days_per_week=rng.choice([3, 4, 5, 5]),
            start_date=None
            if rng.random() < 0.25
            else today + timedelta(days=rng.randrange(14, 70)),
            duration_weeks=rng.choice([12, 16, 26, 39]),
            charge_rate_min=top - 150,
            charge_rate_max=top,
            pay_rate=(top * Decimal("0.82")).quantize(Decimal("1")),
            currency="GBP",
            ir35=rng.choice(list(IR35Determination)).value,
            source=rng.choice(_SOURCES),
            owner=who,
            status=status.value,
            closed_reason=reason,
            opened_on=opened,
            closed_on=today - timedelta(days=rng.randrange(1, 5)) if reason else None,
            created_at=_at(opened),
            updated_at=_at(opened),
        )
        if a.start_date is None:
            a.start_asap = True
        session.add(a)
        chosen = rng.sample(list(candidates), len(stages))
        for person, stage in zip(chosen, stages, strict=True):
            a.shortlist.append(_shortlist(a, person, stage, opened, today - timedelta(days=1), who))
        made += 1
    return made
