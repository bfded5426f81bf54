"""Assignments and shortlists: a client's requirement, the candidates on it, and placing one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain import matching
from crm.domain.enums import (
    PIPELINE_STAGES,
    AssignmentStatus,
    InteractionKind,
    IR35Determination,
    PlacementStatus,
    Sector,
    ShortlistStage,
    WorkingPattern,
)
from crm.domain.errors import AmbiguousError, NotFoundError, ValidationError
from crm.domain.rates import rate_within
from crm.domain.values import check_date_range, parse_day_rate, require_text
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    Interaction,
    Organisation,
    Person,
    Placement,
    ShortlistEntry,
    ShortlistStageChange,
)
from crm.storage.types import utcnow

# Placements that keep an interim busy.
_BUSY = (
    PlacementStatus.CONFIRMED.value,
    PlacementStatus.ACTIVE.value,
    PlacementStatus.EXTENDED.value,
)


# -- views ----------------------------------------------------------------------------------
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


# -- input ----------------------------------------------------------------------------------
@dataclass
class AssignmentInput:
    organisation_id: int
    role: str
    contact_id: int | None = None
    sector: str | None = None
    location: str | None = None
    working_pattern: str | None = None
    days_per_week: int | None = None
    start_date: date | None = None
    start_asap: bool = False
    duration_weeks: int | None = None
    charge_rate_min: str | Decimal | None = None
    charge_rate_max: str | Decimal | None = None
    pay_rate: str | Decimal | None = None
    currency: str = "GBP"
    ir35: str = IR35Determination.UNDETERMINED.value
    ir35_determined_on: date | None = None
    ir35_determined_by: str | None = None
    source: str | None = None
    owner: str | None = None
    notes: str | None = None
    opened_on: date | None = None
    status: str = AssignmentStatus.OPEN.value


_EDITABLE = {
    "organisation_id",
    "contact_id",
    "role",
    "sector",
    "location",
    "working_pattern",
    "days_per_week",
    "start_date",
    "start_asap",
    "duration_weeks",
    "charge_rate_min",
    "charge_rate_max",
    "pay_rate",
    "currency",
    "ir35",
    "ir35_determined_on",
    "ir35_determined_by",
    "source",
    "owner",
    "notes",
    "opened_on",
    "status",
}


def _choice(enum: Any, value: str | None, field_name: str, what: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(enum(value).value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(f"{value!r} is not {what} ({allowed}).", field=field_name) from None


def _rate(value: Any, field_name: str) -> Decimal | None:
    return None if value in (None, "") else parse_day_rate(value, field_name)


def _optional_text(value: Any, label: str, field_name: str, max_length: int) -> str | None:
    text = (str(value) if value is not None else "").strip()
    if not text:
        return None
    if len(text) > max_length:
        raise ValidationError(f"{label} is too long ({max_length} at most).", field=field_name)
    return text


def _whole(value: Any, label: str, field_name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{label} is a whole number.", field=field_name) from None
    if not low <= number <= high:
        raise ValidationError(f"{label} is from {low} to {high}.", field=field_name)
    return number


def _clean(name: str, value: Any) -> Any:
    """One field of an assignment, checked and normalised."""
    if name == "role":
        return require_text(value, "Role", "role", 200)
    if name == "sector":
        return _choice(Sector, value, "sector", "a sector")
    if name == "working_pattern":
        return _choice(WorkingPattern, value, "working_pattern", "a working pattern")
    if name == "days_per_week":
        return _whole(value, "Days a week", "days_per_week", 1, 7)
    if name == "duration_weeks":
        return _whole(value, "Duration in weeks", "duration_weeks", 1, 520)
    if name in ("charge_rate_min", "charge_rate_max", "pay_rate"):
        return _rate(value, name)
    if name == "currency":
        code = str(value or "GBP").strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValidationError(f"{value!r} is not a currency code like GBP.", field="currency")
        return code
    if name == "ir35":
        return _choice(IR35Determination, value or "undetermined", "ir35", "an IR35 status")
    if name == "status":
        status = _choice(AssignmentStatus, value or "open", "status", "an assignment status")
        if status is not None and AssignmentStatus(status).is_closed:
            raise ValidationError(
                "Close an assignment (filled, lost, cancelled) with its reason.", field="status"
            )
        return status
    if name in ("location", "source", "owner", "ir35_determined_by"):
        return _optional_text(value, name.replace("_", " ").capitalize(), name, 200)
    if name == "notes":
        return _optional_text(value, "Notes", "notes", 100_000)
    if name == "start_asap":
        return bool(value)
    return value


def _check(a: Assignment) -> None:
    low, high = a.charge_rate_min, a.charge_rate_max
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"The charge-rate range is upside down ({low} to {high}).", field="charge_rate_max"
        )
    if a.start_asap and a.start_date is not None:
        raise ValidationError("Give a start date or ASAP, not both.", field="start_date")


def add_assignment(db: Database, data: AssignmentInput) -> int:
    """Open an assignment for a client; returns its id."""
    values = {name: _clean(name, getattr(data, name)) for name in _EDITABLE}
    values["opened_on"] = data.opened_on or date.today()
    values["owner"] = values["owner"] or settings.current_user()
    with db.session() as session:
        org = load(session, Organisation, data.organisation_id, "organisation")
        if data.contact_id is not None:
            load(session, Person, data.contact_id, "hiring contact")
        if values["sector"] is None and org.sector:
            values["sector"] = org.sector  # the client's sector unless told otherwise
        assignment = Assignment(**values)
        _check(assignment)
        session.add(assignment)
        session.flush()
        audit.record(
            session,
            "assignment",
            assignment.id,
            "create",
            {"organisation": org.name, **{k: v for k, v in values.items() if v is not None}},
        )
        return assignment.id


def update_assignment(
    db: Database, assignment_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    """Edit an assignment; refused if someone saved it since ``expected_version``."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be edited on an assignment.")
    cleaned = {name: _clean(name, value) for name, value in changes.items()}
    with audit.versioned_edit(db, "assignment", assignment_id, "This assignment") as session:
        a = load(session, Assignment, assignment_id, "assignment")
        audit.check_version(
            session, "assignment", assignment_id, a.version, expected_version, "This assignment"
        )
        if "organisation_id" in cleaned:
            load(session, Organisation, cleaned["organisation_id"], "organisation")
        if cleaned.get("contact_id") is not None:
            load(session, Person, cleaned["contact_id"], "hiring contact")
        if "status" in cleaned and AssignmentStatus(a.status).is_closed:
            # Reopening: the closing reason and date no longer hold.
            a.closed_reason = None
            a.closed_on = None
        for name, value in cleaned.items():
            setattr(a, name, value)
        _check(a)
        a.updated_at = utcnow()
        audit.record(session, "assignment", assignment_id, "update", cleaned)
        session.flush()
        return a.version


def close_assignment(
    db: Database,
    assignment_id: int,
    status: str,
    reason: str,
    expected_version: int | None = None,
    on: date | None = None,
) -> int:
    """Close an assignment as filled, lost or cancelled, with the reason; returns the version."""
    closing = _choice(AssignmentStatus, status, "status", "an assignment status")
    if closing is None or not AssignmentStatus(closing).is_closed:
        raise ValidationError("An assignment closes as filled, lost or cancelled.", field="status")
    why = require_text(reason, "The reason", "reason", 2000)
    with audit.versioned_edit(db, "assignment", assignment_id, "This assignment") as session:
        a = load(session, Assignment, assignment_id, "assignment")
        audit.check_version(
            session, "assignment", assignment_id, a.version, expected_version, "This assignment"
        )
        if AssignmentStatus(a.status).is_closed:
            raise ValidationError(f"This assignment is already {a.status}.", field="status")
        _close(session, a, closing, why, on or date.today())
        session.flush()
        return a.version


def _close(session: Session, a: Assignment, status: str, reason: str, on: date) -> None:
    a.status = status
    a.closed_reason = reason
    a.closed_on = on
    a.updated_at = utcnow()
    audit.record(session, "assignment", a.id, "close", {"status": status, "reason": reason})


def _display_name(p: Person | None) -> str | None:
    return p.display_name if p is not None else None


def get_assignment(db: Database, assignment_id: int) -> AssignmentDetail:
    with db.read() as session:
        a = session.scalars(
            select(Assignment)
            .where(Assignment.id == assignment_id)
            .options(selectinload(Assignment.organisation), selectinload(Assignment.contact))
        ).first()
        if a is None:
            raise NotFoundError(f"There is no assignment with id {assignment_id}.")
        placements = list(
            session.scalars(
                select(Placement.id).where(Placement.assignment_id == a.id).order_by(Placement.id)
            )
        )
        return AssignmentDetail(
            id=a.id,
            version=a.version,
            organisation_id=a.organisation_id,
            organisation=a.organisation.name,
            contact_id=a.contact_id,
            contact=_display_name(a.contact),
            role=a.role,
            sector=a.sector,
            location=a.location,
            working_pattern=a.working_pattern,
            days_per_week=a.days_per_week,
            start_date=a.start_date,
            start_asap=a.start_asap,
            duration_weeks=a.duration_weeks,
            charge_rate_min=a.charge_rate_min,
            charge_rate_max=a.charge_rate_max,
            pay_rate=a.pay_rate,
            currency=a.currency,
            ir35=a.ir35,
            ir35_determined_on=a.ir35_determined_on,
            ir35_determined_by=a.ir35_determined_by,
            source=a.source,
            owner=a.owner,
            status=a.status,
            closed_reason=a.closed_reason,
            opened_on=a.opened_on,
            closed_on=a.closed_on,
            notes=a.notes,
            placement_ids=placements,
            shortlist=_cards(session, a),
        )


def _rate_ceiling(a: Assignment) -> Decimal | None:
    """What the interim can be paid: the expected pay rate, else the top of the charge range."""
    return a.pay_rate if a.pay_rate is not None else a.charge_rate_max


def _cards(session: Session, a: Assignment) -> list[ShortlistCard]:
    entries = session.scalars(
        select(ShortlistEntry)
        .where(ShortlistEntry.assignment_id == a.id)
        .options(selectinload(ShortlistEntry.person), selectinload(ShortlistEntry.history))
        .order_by(ShortlistEntry.stage_changed_at, ShortlistEntry.id)
    ).all()
    ceiling = _rate_ceiling(a)
    return [_card(e, ceiling) for e in entries]


def _card(e: ShortlistEntry, ceiling: Decimal | None) -> ShortlistCard:
    p = e.person
    return ShortlistCard(
        id=e.id,
        version=e.version,
        person_id=p.id,
        name=p.display_name,
        stage=e.stage,
        reason=e.reason,
        stage_changed_at=e.stage_changed_at,
        available_from=p.available_from,
        rate=p.day_rate_expectation,
        rate_fits=rate_within(p.day_rate_expectation, None, ceiling),
        last_contact=p.last_interaction_at,
        history=[
            StageChangeView(h.from_stage, h.to_stage, h.reason, h.at, h.by) for h in e.history
        ],
    )


def list_shortlist(db: Database, assignment_id: int) -> list[ShortlistCard]:
    with db.read() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        return _cards(session, a)


def list_assignments(
    db: Database,
    *,
    status: str | None = None,
    owner: str | None = None,
    sector: str | None = None,
    organisation_id: int | None = None,
    text: str | None = None,
    limit: int = 5000,
) -> list[AssignmentSummary]:
    """Assignments, newest opened first; ``status`` may be ``"active"`` (open or on hold).

    ``text`` keeps those whose role or client has every word of it (a word's start).
    """
    in_running = (
        select(func.count())
        .where(
            ShortlistEntry.assignment_id == Assignment.id,
            ShortlistEntry.stage.in_([s.value for s in (*PIPELINE_STAGES, ShortlistStage.PLACED)]),
        )
        .correlate(Assignment)
        .scalar_subquery()
    )
    stmt = select(Assignment, Organisation.name, in_running).join(
        Organisation, Organisation.id == Assignment.organisation_id
    )
    if status == "active":
        stmt = stmt.where(
            Assignment.status.in_([AssignmentStatus.OPEN.value, AssignmentStatus.ON_HOLD.value])
        )
    elif status:
        stmt = stmt.where(
            Assignment.status == _choice(AssignmentStatus, status, "status", "a status")
        )
    if owner:
        stmt = stmt.where(func.lower(Assignment.owner) == owner.strip().lower())
    if sector:
        stmt = stmt.where(Assignment.sector == _choice(Sector, sector, "sector", "a sector"))
    if organisation_id is not None:
        stmt = stmt.where(Assignment.organisation_id == organisation_id)
    for word in (text or "").lower().split():
        # A word's start in the role or the client's name ("fin" finds "Interim Finance...").
        like = _like_word(word)
        stmt = stmt.where(
            or_(
                func.lower(" " + Assignment.role).like(like, escape="\\"),
                func.lower(" " + Organisation.name).like(like, escape="\\"),
            )
        )
    stmt = stmt.order_by(Assignment.opened_on.desc(), Assignment.id.desc()).limit(limit)
    with db.read() as session:
        return [
            AssignmentSummary(
                id=a.id,
                role=a.role,
                organisation_id=a.organisation_id,
                organisation=org_name,
                status=a.status,
                sector=a.sector,
                owner=a.owner,
                start_date=a.start_date,
                start_asap=a.start_asap,
                charge_rate_min=a.charge_rate_min,
                charge_rate_max=a.charge_rate_max,
                currency=a.currency,
                opened_on=a.opened_on,
                shortlisted=int(count or 0),
            )
            for a, org_name, count in session.execute(stmt)
        ]


def _like_word(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped}%"


def search_assignments(db: Database, text: str, limit: int = 50) -> list[AssignmentSummary]:
    """Assignments whose role or client has each word typed (open ones first)."""
    if not (text or "").split():
        return []
    found = list_assignments(db, text=text, limit=limit)
    return sorted(found, key=lambda s: AssignmentStatus(s.status).is_closed)


def resolve_assignment(db: Database, ref: str) -> int:
    """An assignment from what a user types: its id or words of its role or client."""
    text = (ref or "").strip()
    if not text:
        raise ValidationError("Say which assignment: an id or words of its role or client.")
    if text.isdigit():
        with db.read() as session:
            load(session, Assignment, int(text), "assignment")
        return int(text)
    found = search_assignments(db, text)
    if not found:
        raise NotFoundError(f"No assignment matches {text!r}.")
    if len(found) > 1:
        raise AmbiguousError(
            f"{len(found)} assignments match {text!r}; give the id.",
            [(s.id, f"{s.role} at {s.organisation} ({s.status})") for s in found[:10]],
        )
    return found[0].id


# -- shortlist -------------------------------------------------------------------------------
def _stage(value: str) -> ShortlistStage:
    try:
        return ShortlistStage(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ShortlistStage)
        raise ValidationError(f"{value!r} is not a stage ({allowed}).", field="stage") from None


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
        entry = load(s, ShortlistEntry, entry_id, "shortlist entry")
        audit.check_version(
            s, "shortlist_entry", entry_id, entry.version, expected_version, "This candidate"
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
    charge = _rate(charge_rate, "charge_rate")
    pay = _rate(pay_rate, "pay_rate")
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
            from datetime import timedelta

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
        session.add(placement)
        session.flush()
        audit.record(
            session,
            "placement",
            placement.id,
            "create",
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
        _close(
            session, a, AssignmentStatus.FILLED.value, f"Placed {candidate.display_name}", _today()
        )
        others = [
            _card(e, _rate_ceiling(a))
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
        session.add(interaction)
        session.flush()
        audit.record(
            session,
            "interaction",
            interaction.id,
            "create",
            {"summary": interaction.summary, "assignment_id": a.id},
        )


# -- matching ---------------------------------------------------------------------------------
def _facts(a: Assignment, today: date) -> matching.AssignmentFacts:
    start = a.start_date if a.start_date is not None and a.start_date > today else today
    return matching.AssignmentFacts(
        role=a.role,
        sector=a.sector,
        start=start,
        location=a.location,
        remote=a.working_pattern == WorkingPattern.REMOTE.value,
        rate_ceiling=_rate_ceiling(a),
        ir35=a.ir35,
    )


def _score_sql(f: matching.AssignmentFacts, today: date) -> Any:
    """The score of :func:`crm.domain.matching.fit` as one SQL expression."""
    M = matching
    parts: list[Any] = [
        case((Person.available_from.is_(None), M.AVAILABILITY_UNKNOWN), else_=M.AVAILABLE)
    ]
    if f.sector:
        # Stored comma-separated without spaces; commas around make whole-value matches.
        parts.append(
            case(
                ((literal(",") + Person.candidate_sectors + ",").like(f"%,{f.sector},%"), M.SECTOR),
                else_=0,
            )
        )
    specialisms = func.lower(func.coalesce(Person.specialisms, ""))
    words = matching.role_words(f.role)
    if words:
        hits = [case((specialisms.like(f"%{w}%"), 1), else_=0) for w in words]
        total: Any = hits[0]
        for h in hits[1:]:
            total = total + h
        parts.append(
            case((total > M.MAX_SPECIALISM_WORDS, M.MAX_SPECIALISM_WORDS), else_=total)
            * M.SPECIALISM
        )
    if f.rate_ceiling is not None:
        rate = Person.day_rate_expectation
        parts.append(
            case(
                (rate.is_(None), 0),
                (rate <= f.rate_ceiling, M.RATE_WITHIN),
                (rate <= f.rate_ceiling * Decimal("1.1"), M.RATE_NEAR),
                else_=M.RATE_ABOVE,
            )
        )
    if f.ir35 in ("inside", "outside"):
        pref = Person.ir35_preference
        parts.append(
            case(
                (pref.is_(None), 0),
                (pref.in_([f.ir35, "either"]), M.IR35_SUITS),
                else_=M.IR35_CLASH,
            )
        )
    if f.remote:
        parts.append(literal(M.REMOTE))
    else:
        travels = case((Person.willing_to_travel.is_(True), M.TRAVELS), else_=0)
        if f.location:
            place = func.lower(func.coalesce(Person.location, ""))
            escaped = f.location.lower().replace("\\", "\\\\").replace("%", "\\%")
            escaped = escaped.replace("_", "\\_")
            parts.append(
                case((place.like(f"%{escaped}%", escape="\\"), M.SAME_PLACE), else_=travels)
            )
        else:
            parts.append(travels)
    recent, this_year = matching.contact_cutoffs(today)
    last = Person.last_interaction_at
    parts.append(
        case(
            (last.is_(None), 0),
            (last >= datetime.combine(recent, time(0), tzinfo=UTC), M.CONTACT_RECENT),
            (last >= datetime.combine(this_year, time(0), tzinfo=UTC), M.CONTACT_THIS_YEAR),
            else_=0,
        )
    )
    score = parts[0]
    for part in parts[1:]:
        score = score + part
    return score


def match_candidates(
    db: Database, assignment_id: int, *, limit: int = 25, today: date | None = None
) -> list[CandidateMatch]:
    """Candidates for an assignment, best fit first, each with the reasons.

    Only candidates free by the start date are ranked: their ``available_from`` is on or
    before it (or not recorded), and no placement of theirs runs past it. People marked
    do-not-contact and those already on the shortlist are left out.
    """
    day = today or date.today()
    with db.read() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        facts = _facts(a, day)
        # The few people busy past the start, and those already listed: each set is built
        # once (an index range each), not probed per candidate.
        busy = select(Placement.candidate_id).where(
            Placement.status.in_(_BUSY),
            or_(Placement.end_date.is_(None), Placement.end_date >= facts.start),
        )
        on_list = select(ShortlistEntry.person_id).where(ShortlistEntry.assignment_id == a.id)
        score = _score_sql(facts, day).label("score")
        stmt = (
            select(Person.id, score)
            .where(
                Person.is_candidate.is_(True),
                # One pass over the candidates' entries of ix_person_candidate_match (an OR
                # of two ranges would fetch every row from the table instead).
                func.coalesce(Person.available_from, facts.start) <= facts.start,
                Person.do_not_contact.is_(False),
                Person.id.not_in(busy),
                Person.id.not_in(on_list),
            )
            .order_by(score.desc(), Person.last_interaction_at.desc(), Person.id)
            .limit(limit)
        )
        ranked = list(session.execute(stmt))
        people = {
            p.id: p
            for p in session.scalars(select(Person).where(Person.id.in_([r[0] for r in ranked])))
        }
        out = []
        for person_id, sql_score in ranked:
            p = people[person_id]
            _points, reasons = matching.fit(facts, _candidate_facts(p), day)
            out.append(
                CandidateMatch(
                    person_id=p.id,
                    name=p.display_name,
                    score=int(sql_score),
                    reasons=reasons,
                    available_from=p.available_from,
                    rate=p.day_rate_expectation,
                    last_contact=p.last_interaction_at,
                )
            )
        return out


def _candidate_facts(p: Person) -> matching.CandidateFacts:
    return matching.CandidateFacts(
        available_from=p.available_from,
        sectors=p.candidate_sectors,
        specialisms=p.specialisms,
        rate=p.day_rate_expectation,
        ir35_preference=p.ir35_preference,
        location=p.location,
        willing_to_travel=p.willing_to_travel,
        last_contact=p.last_interaction_at,
    )


def fit_for(db: Database, assignment_id: int, person_id: int, today: date | None = None) -> int:
    """One candidate's score computed in Python (tests check it equals the ranked score)."""
    day = today or date.today()
    with db.read() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        p = load(session, Person, person_id, "person")
        return matching.fit(_facts(a, day), _candidate_facts(p), day)[0]
