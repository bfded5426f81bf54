"""Shortlists: candidates moved through the stages of an assignment, and placing one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import (
    PIPELINE_STAGES,
    AssignmentStatus,
    InteractionKind,
    PlacementStatus,
    ShortlistStage,
)
from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.values import check_date_range, member_of
from crm.services import audit
from crm.services.assignments.records import card_of, clean_rate, close_as, rate_ceiling
from crm.services.assignments.views import PlacedResult
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    Interaction,
    Person,
    Placement,
    ShortlistEntry,
    ShortlistStageChange,
)
from crm.storage.types import utcnow


def _stage(value: str) -> ShortlistStage:
    return member_of(ShortlistStage, value, "stage", "a stage")


def check_move(current: ShortlistStage, new: ShortlistStage, reason: str | None) -> None:
    """The shortlist's rules: raise ValidationError for a move that is not allowed.

    Forward through the pipeline, stages may be skipped; a step back needs a reason. Leaving
    (declined, rejected, withdrawn) needs a reason; the client can only reject someone it has
    been sent, and a candidate can only decline once approached. Someone out can come back
    with a reason. Placed is reached only by placing, and is final.
    """
    if new == current:
        raise ValidationError(f"They are already at {current.label.lower()}.", field="stage")
    if current == ShortlistStage.PLACED:
        raise ValidationError(
            "They are placed: change the placement instead of the stage.", field="stage"
        )
    if new == ShortlistStage.PLACED:
        raise ValidationError(
            "Place them from the shortlist (it makes the placement).", field="stage"
        )
    order = list(PIPELINE_STAGES)
    if new.is_out:
        if not reason:
            raise ValidationError(f"Say why: {new.label.lower()}.", field="reason")
        if current.is_out:
            raise ValidationError(f"They are already out ({current.label.lower()}).", field="stage")
        if new == ShortlistStage.REJECTED and order.index(current) < order.index(
            ShortlistStage.SUBMITTED
        ):
            raise ValidationError(
                "The client can only reject a candidate it has been sent.", field="stage"
            )
        if new == ShortlistStage.DECLINED and current == ShortlistStage.IDENTIFIED:
            raise ValidationError(
                "A candidate can only decline once approached; withdraw them instead.",
                field="stage",
            )
        return
    if current.is_out:
        if not reason:
            raise ValidationError("Say why they are back on the shortlist.", field="reason")
        return
    if order.index(new) < order.index(current) and not reason:
        raise ValidationError("Say why they go back a stage.", field="reason")


def next_stage(stage: str) -> ShortlistStage | None:
    """The next pipeline stage; None from offered (placing is next) and from the ends."""
    current = ShortlistStage(stage)
    if not current.is_pipeline or current == ShortlistStage.OFFERED:
        return None
    order = list(PIPELINE_STAGES)
    return order[order.index(current) + 1]


def _record_stage(
    session: Session,
    entry: ShortlistEntry,
    previous: str | None,
    stage: str,
    reason: str | None,
    at: datetime | None = None,
) -> None:
    when = at or utcnow()
    entry.stage = stage
    entry.reason = reason
    entry.stage_changed_at = when
    session.add(
        ShortlistStageChange(
            entry=entry,
            from_stage=previous,
            to_stage=stage,
            reason=reason,
            at=when,
            by=settings.current_user(),
        )
    )
    session.flush()
    audit.record(
        session,
        "shortlist_entry",
        entry.id,
        "stage" if previous else "create",
        {
            "assignment_id": entry.assignment_id,
            "person_id": entry.person_id,
            "from": previous,
            "to": stage,
            "reason": reason,
        },
    )


def _open_for_moves(a: Assignment, stage: ShortlistStage) -> None:
    if AssignmentStatus(a.status).is_closed and not stage.is_out:
        raise ValidationError(
            f"This assignment is {a.status}: candidates can only leave its shortlist.",
            field="stage",
        )


def add_to_shortlist(
    db: Database,
    assignment_id: int,
    person_id: int,
    stage: str = ShortlistStage.IDENTIFIED.value,
    reason: str | None = None,
) -> int:
    """Put a candidate on an assignment's shortlist; returns the entry's id."""
    first = _stage(stage)
    if not first.is_pipeline:
        raise ValidationError("A candidate joins a shortlist at a pipeline stage.", field="stage")
    why = (reason or "").strip() or None
    with db.session() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        person = load(session, Person, person_id, "candidate")
        _open_for_moves(a, first)
        taken = session.scalar(
            select(ShortlistEntry.id).where(
                ShortlistEntry.assignment_id == assignment_id,
                ShortlistEntry.person_id == person_id,
            )
        )
        if taken is not None:
            raise ValidationError(
                f"{person.display_name} is already on this shortlist.", field="person"
            )
        if not person.is_candidate:
            person.is_candidate = True
            audit.record(session, "person", person.id, "update", {"is_candidate": True})
        entry = ShortlistEntry(assignment_id=a.id, person_id=person.id)
        session.add(entry)
        session.flush()
        _record_stage(session, entry, None, first.value, why)
        return entry.id


def move_candidate(
    db: Database,
    entry_id: int,
    stage: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Move a shortlisted candidate to ``stage`` (see :func:`check_move`); returns the version."""
    new = _stage(stage)
    why = (reason or "").strip() or None
    with audit.versioned_edit(db, "shortlist_entry", entry_id, "This candidate's stage") as s:
        entry = audit.load_for_edit(
            s,
            ShortlistEntry,
            "shortlist_entry",
            entry_id,
            expected_version,
            "This candidate",
            "shortlist entry",
        )
        check_move(ShortlistStage(entry.stage), new, why)
        _open_for_moves(entry.assignment, new)
        previous = entry.stage
        entry.updated_at = utcnow()
        _record_stage(s, entry, previous, new.value, why)
        return entry.version


def advance_candidate(db: Database, entry_id: int, expected_version: int | None = None) -> str:
    """Move a candidate one stage on; returns the new stage."""
    with db.read() as session:
        entry = load(session, ShortlistEntry, entry_id, "shortlist entry")
        current = entry.stage
    following = next_stage(current)
    if following is None:
        if current == ShortlistStage.OFFERED.value:
            raise ValidationError("Offered: placing them is the next step.", field="stage")
        raise ValidationError(
            f"There is no next stage after {ShortlistStage(current).label.lower()}.",
            field="stage",
        )
    move_candidate(db, entry_id, following.value, None, expected_version)
    return following.value


def entry_for(db: Database, assignment_id: int, person_id: int) -> int:
    """The shortlist entry of a person on an assignment."""
    with db.read() as session:
        found = session.scalar(
            select(ShortlistEntry.id).where(
                ShortlistEntry.assignment_id == assignment_id,
                ShortlistEntry.person_id == person_id,
            )
        )
    if found is None:
        raise NotFoundError("That person is not on this assignment's shortlist.")
    return found


def place_candidate(
    db: Database,
    entry_id: int,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    charge_rate: str | Decimal | None = None,
    pay_rate: str | Decimal | None = None,
    status: str = PlacementStatus.CONFIRMED.value,
    reason: str | None = None,
    let_others_know: bool = False,
) -> PlacedResult:
    """Place a shortlisted candidate: the placement is made from the assignment (client,
    contact, role, dates, rates, IR35), the assignment is filled, and the others still on
    the shortlist are returned so the recruiter can let them know (``let_others_know`` sets
    each of them a follow-up for today in the same transaction)."""
    if status not in (s.value for s in PlacementStatus):
        raise ValidationError(f"{status!r} is not a placement status.", field="status")
    charge = clean_rate(charge_rate, "charge_rate")
    pay = clean_rate(pay_rate, "pay_rate")
    with db.session() as session:
        entry = load(session, ShortlistEntry, entry_id, "shortlist entry")
        a = entry.assignment
        current = ShortlistStage(entry.stage)
        if current == ShortlistStage.PLACED:
            raise ValidationError("They are already placed.", field="stage")
        if current.is_out:
            raise ValidationError(
                f"They are out ({current.label.lower()}): bring them back first.", field="stage"
            )
        if AssignmentStatus(a.status).is_closed:
            raise ValidationError(f"This assignment is already {a.status}.", field="status")
        start = start_date or a.start_date or (date.today() if a.start_asap else None)
        end = end_date
        if end is None and start is not None and a.duration_weeks:
            end = start + timedelta(weeks=a.duration_weeks, days=-1)
        check_date_range(start, end)
        if charge is None:
            # Without a negotiated rate, the top of the client's range is what was agreed to.
            charge = a.charge_rate_max or a.charge_rate_min
        if pay is None:
            pay = a.pay_rate
        candidate = entry.person
        placement = Placement(
            candidate_id=candidate.id,
            organisation_id=a.organisation_id,
            client_contact_id=a.contact_id,
            role=a.role,
            status=status,
            charge_rate=charge,
            pay_rate=pay,
            currency=a.currency,
            start_date=start,
            end_date=end,
            ir35=a.ir35,
            assignment_id=a.id,
        )
        audit.add_new(
            session,
            "placement",
            placement,
            {
                "candidate": candidate.display_name,
                "organisation": a.organisation.name,
                "role": a.role,
                "charge_rate": charge,
                "pay_rate": pay,
                "assignment_id": a.id,
                "start_date": start,
                "end_date": end,
            },
        )
        previous = entry.stage
        entry.updated_at = utcnow()
        _record_stage(session, entry, previous, ShortlistStage.PLACED.value, reason)
        close_as(
            session, a, AssignmentStatus.FILLED.value, f"Placed {candidate.display_name}", _today()
        )
        others = [
            card_of(e, rate_ceiling(a))
            for e in a.shortlist
            if e.id != entry.id and ShortlistStage(e.stage).is_pipeline
        ]
        if let_others_know:
            _follow_ups(
                session, a, [e.person for e in a.shortlist if e.id in {c.id for c in others}], None
            )
        return PlacedResult(placement.id, others)


def _today() -> date:
    return date.today()


def let_them_know(
    db: Database, assignment_id: int, person_ids: list[int], due: date | None = None
) -> int:
    """A follow-up for each of ``person_ids`` to tell them the assignment is filled; returns
    how many were set."""
    with db.session() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        people = [load(session, Person, pid, "person") for pid in dict.fromkeys(person_ids)]
        _follow_ups(session, a, people, due)
        return len(people)


def _follow_ups(session: Session, a: Assignment, people: list[Person], due: date | None) -> None:
    """A "let them know" note with a follow-up for each person, in the caller's transaction."""
    for person in people:
        interaction = Interaction(
            kind=InteractionKind.NOTE.value,
            occurred_at=utcnow(),
            summary=f"Let them know: {a.role} at {a.organisation.name} is filled",
            logged_by=settings.current_user(),
            organisation_id=a.organisation_id,
            follow_up_due=due or date.today(),
            people=[person],
        )
        audit.add_new(
            session,
            "interaction",
            interaction,
            {"summary": interaction.summary, "assignment_id": a.id},
        )
