"""Assignments: a client's requirement opened, edited, closed, listed and found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain.enums import (
    PIPELINE_STAGES,
    AssignmentStatus,
    IR35Determination,
    Sector,
    ShortlistStage,
    WorkingPattern,
)
from crm.domain.errors import AmbiguousError, NotFoundError, ValidationError
from crm.domain.rates import rate_within
from crm.domain.values import parse_choice, parse_day_rate, require_text
from crm.services import audit
from crm.services.assignments.views import (
    AssignmentDetail,
    AssignmentSummary,
    ShortlistCard,
    StageChangeView,
)
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import Assignment, Organisation, Person, Placement, ShortlistEntry
from crm.storage.types import utcnow


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


EDITABLE = frozenset(f.name for f in fields(AssignmentInput))


def clean_rate(value: Any, field_name: str) -> Decimal | None:
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


def clean_field(name: str, value: Any) -> Any:
    """One field of an assignment, checked and normalised."""
    if name == "role":
        return require_text(value, "Role", "role", 200)
    if name == "sector":
        return parse_choice(value, Sector, "sector", "a sector")
    if name == "working_pattern":
        return parse_choice(value, WorkingPattern, "working_pattern", "a working pattern")
    if name == "days_per_week":
        return _whole(value, "Days a week", "days_per_week", 1, 7)
    if name == "duration_weeks":
        return _whole(value, "Duration in weeks", "duration_weeks", 1, 520)
    if name in ("charge_rate_min", "charge_rate_max", "pay_rate"):
        return clean_rate(value, name)
    if name == "currency":
        code = str(value or "GBP").strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValidationError(f"{value!r} is not a currency code like GBP.", field="currency")
        return code
    if name == "ir35":
        return parse_choice(value or "undetermined", IR35Determination, "ir35", "an IR35 status")
    if name == "status":
        status = parse_choice(value or "open", AssignmentStatus, "status", "an assignment status")
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


def check_values(a: Assignment) -> None:
    low, high = a.charge_rate_min, a.charge_rate_max
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"The charge-rate range is upside down ({low} to {high}).", field="charge_rate_max"
        )
    if a.start_asap and a.start_date is not None:
        raise ValidationError("Give a start date or ASAP, not both.", field="start_date")


def add_assignment(db: Database, data: AssignmentInput) -> int:
    """Open an assignment for a client; returns its id."""
    values = {name: clean_field(name, getattr(data, name)) for name in EDITABLE}
    values["opened_on"] = data.opened_on or date.today()
    values["owner"] = values["owner"] or settings.current_user()
    with db.session() as session:
        org = load(session, Organisation, data.organisation_id, "organisation")
        if data.contact_id is not None:
            load(session, Person, data.contact_id, "hiring contact")
        if values["sector"] is None and org.sector:
            values["sector"] = org.sector  # the client's sector unless told otherwise
        assignment = Assignment(**values)
        check_values(assignment)
        audit.add_new(
            session,
            "assignment",
            assignment,
            {"organisation": org.name, **{k: v for k, v in values.items() if v is not None}},
        )
        return assignment.id


def update_assignment(
    db: Database, assignment_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    """Edit an assignment; refused if someone saved it since ``expected_version``."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be edited on an assignment.")
    cleaned = {name: clean_field(name, value) for name, value in changes.items()}
    with audit.versioned_edit(db, "assignment", assignment_id, "This assignment") as session:
        a = audit.load_for_edit(
            session, Assignment, "assignment", assignment_id, expected_version, "This assignment"
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
        check_values(a)
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
    closing = parse_choice(status, AssignmentStatus, "status", "an assignment status")
    if closing is None or not AssignmentStatus(closing).is_closed:
        raise ValidationError("An assignment closes as filled, lost or cancelled.", field="status")
    why = require_text(reason, "The reason", "reason", 2000)
    with audit.versioned_edit(db, "assignment", assignment_id, "This assignment") as session:
        a = audit.load_for_edit(
            session, Assignment, "assignment", assignment_id, expected_version, "This assignment"
        )
        if AssignmentStatus(a.status).is_closed:
            raise ValidationError(f"This assignment is already {a.status}.", field="status")
        close_as(session, a, closing, why, on or date.today())
        session.flush()
        return a.version


def close_as(session: Session, a: Assignment, status: str, reason: str, on: date) -> None:
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


def rate_ceiling(a: Assignment) -> Decimal | None:
    """What the interim can be paid: the expected pay rate, else the top of the charge range."""
    return a.pay_rate if a.pay_rate is not None else a.charge_rate_max


def _cards(session: Session, a: Assignment) -> list[ShortlistCard]:
    entries = session.scalars(
        select(ShortlistEntry)
        .where(ShortlistEntry.assignment_id == a.id)
        .options(selectinload(ShortlistEntry.person), selectinload(ShortlistEntry.history))
        .order_by(ShortlistEntry.stage_changed_at, ShortlistEntry.id)
    ).all()
    ceiling = rate_ceiling(a)
    return [card_of(e, ceiling) for e in entries]


def card_of(e: ShortlistEntry, ceiling: Decimal | None) -> ShortlistCard:
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
            Assignment.status == parse_choice(status, AssignmentStatus, "status", "a status")
        )
    if owner:
        stmt = stmt.where(func.lower(Assignment.owner) == owner.strip().lower())
    if sector:
        stmt = stmt.where(Assignment.sector == parse_choice(sector, Sector, "sector", "a sector"))
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
