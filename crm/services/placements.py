"""Placements: an interim at an organisation, with extensions and notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.orm import aliased, selectinload

from crm import settings
from crm.domain.enums import BUSY_PLACEMENT_STATUSES, IR35Determination, PlacementStatus
from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.rates import margin_over, margin_per_day
from crm.domain.values import check_date_range, member_of, parse_day_rate, require_text
from crm.services import audit
from crm.services.common import load
from crm.services.views import (
    ExtensionView,
    PlacementDetail,
    PlacementNoteView,
    PlacementSummary,
)
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    Extension,
    Organisation,
    Person,
    Placement,
    PlacementNote,
)
from crm.storage.types import utcnow

FINISHED_STATUSES = (PlacementStatus.ENDED.value, PlacementStatus.CANCELLED.value)


# Which status a placement may move to from each status. Extending is its own action
# (extend_placement), so "extended" is reached only that way; an ended or cancelled placement
# can be put back when it was closed by mistake.
_S = PlacementStatus
STATUS_CHANGES: dict[str, frozenset[str]] = {
    _S.PROPOSED.value: frozenset({_S.CONFIRMED.value, _S.ACTIVE.value, _S.CANCELLED.value}),
    _S.CONFIRMED.value: frozenset({_S.PROPOSED.value, _S.ACTIVE.value, _S.CANCELLED.value}),
    _S.ACTIVE.value: frozenset({_S.ENDED.value, _S.CANCELLED.value}),
    _S.EXTENDED.value: frozenset({_S.ACTIVE.value, _S.ENDED.value, _S.CANCELLED.value}),
    _S.ENDED.value: frozenset({_S.ACTIVE.value}),
    _S.CANCELLED.value: frozenset({_S.PROPOSED.value}),
}


@dataclass
class PlacementInput:
    candidate_id: int
    organisation_id: int
    role: str
    status: str = PlacementStatus.PROPOSED.value
    charge_rate: str | Decimal | None = None  # billed to the client per day
    currency: str = "GBP"
    start_date: date | None = None
    end_date: date | None = None
    client_contact_id: int | None = None
    ir35: str = IR35Determination.UNDETERMINED.value
    pay_rate: str | Decimal | None = None  # paid to the interim per day
    assignment_id: int | None = None


def _status(value: str) -> str:
    return member_of(PlacementStatus, value, "status", "a placement status").value


def _ir35(value: str) -> str:
    try:
        return IR35Determination(value).value
    except ValueError:
        raise ValidationError("IR35 is inside, outside or undetermined.", field="ir35") from None


def _currency(value: str) -> str:
    code = (value or "GBP").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(f"{value!r} is not a currency code like GBP.", field="currency")
    return code


def _rate(value: str | Decimal | None, field: str) -> Decimal | None:
    return None if value in (None, "") else parse_day_rate(value, field)


def add_placement(db: Database, data: PlacementInput) -> int:
    role = require_text(data.role, "Role", "role", 200)
    rate = _rate(data.charge_rate, "charge_rate")
    pay = _rate(data.pay_rate, "pay_rate")
    check_date_range(data.start_date, data.end_date)
    with db.session() as session:
        candidate = load(session, Person, data.candidate_id, "candidate")
        org = load(session, Organisation, data.organisation_id, "organisation")
        if data.client_contact_id is not None:
            load(session, Person, data.client_contact_id, "client contact")
        if data.assignment_id is not None:
            load(session, Assignment, data.assignment_id, "assignment")
        if not candidate.is_candidate:
            # Placing someone makes them a candidate; say so on their own record too.
            candidate.is_candidate = True
            audit.record(session, "person", candidate.id, "update", {"is_candidate": True})
        placement = Placement(
            candidate_id=candidate.id,
            organisation_id=org.id,
            client_contact_id=data.client_contact_id,
            role=role,
            status=_status(data.status),
            charge_rate=rate,
            pay_rate=pay,
            currency=_currency(data.currency),
            start_date=data.start_date,
            end_date=data.end_date,
            ir35=_ir35(data.ir35),
            assignment_id=data.assignment_id,
        )
        audit.add_new(
            session,
            "placement",
            placement,
            {
                "candidate": candidate.display_name,
                "organisation": org.name,
                "role": role,
                "charge_rate": rate,
                "pay_rate": pay,
                "assignment_id": data.assignment_id,
                "start_date": data.start_date,
                "end_date": data.end_date,
            },
        )
        return placement.id


def update_placement(
    db: Database, placement_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    allowed = {
        "role",
        "status",
        "charge_rate",
        "pay_rate",
        "currency",
        "start_date",
        "end_date",
        "client_contact_id",
        "ir35",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be edited on a placement.")
    with audit.versioned_edit(db, "placement", placement_id, "This placement") as session:
        placement = audit.load_for_edit(
            session, Placement, "placement", placement_id, expected_version, "This placement"
        )
        for name, value in changes.items():
            if name == "role":
                value = require_text(value, "Role", "role", 200)
            elif name == "status":
                value = _status(value)
                _check_status_change(placement.status, value)
            elif name in ("charge_rate", "pay_rate"):
                value = _rate(value, name)
            elif name == "currency":
                value = _currency(value)
            elif name == "ir35":
                value = _ir35(value)
            elif name == "client_contact_id" and value is not None:
                load(session, Person, value, "client contact")
            setattr(placement, name, value)
        check_date_range(placement.start_date, placement.end_date)
        placement.updated_at = utcnow()
        audit.record(session, "placement", placement_id, "update", dict(changes))
        session.flush()
        return placement.version


def extend_placement(
    db: Database,
    placement_id: int,
    new_end_date: date,
    day_rate: str | Decimal | None = None,
    reason: str | None = None,
) -> int:
    """Extend an assignment to a new end date (optionally at a new rate); returns the extension id."""
    rate = None if day_rate in (None, "") else parse_day_rate(day_rate)
    with db.session() as session:
        placement = load(session, Placement, placement_id, "placement")
        if placement.status == PlacementStatus.CANCELLED.value:
            raise ValidationError(
                f"A {placement.status} placement cannot be extended.", field="status"
            )
        if placement.end_date is not None and new_end_date <= placement.end_date:
            raise ValidationError(
                f"The new end date must be after the current one ({placement.end_date:%d/%m/%Y}).",
                field="new_end_date",
            )
        check_date_range(placement.start_date, new_end_date)
        extension = Extension(
            placement_id=placement.id,
            previous_end_date=placement.end_date,
            new_end_date=new_end_date,
            day_rate=rate,
            reason=(reason or "").strip() or None,
            created_by=settings.current_user(),
        )
        session.add(extension)
        placement.end_date = new_end_date
        if rate is not None:
            placement.charge_rate = rate
        # A proposal not yet agreed stays a proposal, with its planned end moved.
        if placement.status != PlacementStatus.PROPOSED.value:
            placement.status = PlacementStatus.EXTENDED.value
        placement.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            "placement",
            placement.id,
            "extend",
            {"new_end_date": new_end_date, "day_rate": rate, "reason": reason},
        )
        return extension.id


def _check_status_change(old: str, new: str) -> None:
    if new == old or new in STATUS_CHANGES.get(old, frozenset()):
        return
    allowed = sorted(STATUS_CHANGES.get(old, frozenset()))
    hint = " Extend it instead." if new == PlacementStatus.EXTENDED.value else ""
    raise ValidationError(
        f"A {old} placement cannot become {new}; it can become "
        + (", ".join(allowed) or "nothing else")
        + "."
        + hint,
        field="status",
    )


def change_status(
    db: Database, placement_id: int, status: str, expected_version: int | None = None
) -> int:
    """Move a placement to ``status`` if :data:`STATUS_CHANGES` allows it; returns the new
    version. Extending has its own action (:func:`extend_placement`)."""
    new = _status(status)
    with audit.versioned_edit(db, "placement", placement_id, "This placement") as session:
        placement = audit.load_for_edit(
            session, Placement, "placement", placement_id, expected_version, "This placement"
        )
        old = placement.status
        if new == old:
            return placement.version
        _check_status_change(old, new)
        placement.status = new
        placement.updated_at = utcnow()
        audit.record(session, "placement", placement_id, "status", {"from": old, "to": new})
        session.flush()
        return placement.version


def add_note(db: Database, placement_id: int, text: str) -> int:
    body = require_text(text, "Note", "text", 100_000)
    with db.session() as session:
        load(session, Placement, placement_id, "placement")
        note = PlacementNote(placement_id=placement_id, text=body, author=settings.current_user())
        audit.add_new(session, "placement_note", note, {"placement_id": placement_id})
        return note.id


def delete_placement(db: Database, placement_id: int) -> None:
    with db.session() as session:
        placement = load(session, Placement, placement_id, "placement")
        session.delete(placement)
        audit.record(session, "placement", placement_id, "delete", {"role": placement.role})


def get_placement(db: Database, placement_id: int) -> PlacementDetail:
    with db.read() as session:
        p = session.scalars(
            select(Placement)
            .where(Placement.id == placement_id)
            .options(
                selectinload(Placement.candidate),
                selectinload(Placement.organisation),
                selectinload(Placement.client_contact),
                selectinload(Placement.extensions),
                selectinload(Placement.notes),
                selectinload(Placement.assignment),
            )
        ).first()
        if p is None:
            raise NotFoundError(f"There is no placement with id {placement_id}.")
        return PlacementDetail(
            id=p.id,
            version=p.version,
            candidate_id=p.candidate_id,
            candidate=p.candidate.display_name,
            organisation_id=p.organisation_id,
            organisation=p.organisation.name,
            client_contact_id=p.client_contact_id,
            client_contact=p.client_contact.display_name if p.client_contact else None,
            role=p.role,
            status=p.status,
            charge_rate=p.charge_rate,
            pay_rate=p.pay_rate,
            currency=p.currency,
            start_date=p.start_date,
            end_date=p.end_date,
            ir35=p.ir35,
            assignment_id=p.assignment_id,
            margin_per_day=margin_per_day(p.charge_rate, p.pay_rate),
            margin_total=margin_over(
                p.charge_rate,
                p.pay_rate,
                p.start_date,
                p.end_date,
                p.assignment.days_per_week if p.assignment else None,
            ),
            extensions=[
                ExtensionView(
                    e.id,
                    e.previous_end_date,
                    e.new_end_date,
                    e.day_rate,
                    e.reason,
                    e.created_by,
                    e.created_at,
                )
                for e in p.extensions
            ],
            notes=[PlacementNoteView(n.id, n.text, n.author, n.created_at) for n in p.notes],
        )


def list_placements(
    db: Database,
    *,
    status: str | None = None,
    organisation_id: int | None = None,
    person_id: int | None = None,
    ending_within_days: int | None = None,
    today: date | None = None,
    limit: int = 5000,
) -> list[PlacementSummary]:
    """Placements, soonest ending first; ``ending_within_days`` keeps running ones ending soon."""
    candidate = aliased(Person)
    with db.read() as session:
        stmt = (
            select(Placement, candidate, Organisation)
            .join(candidate, candidate.id == Placement.candidate_id)
            .join(Organisation, Organisation.id == Placement.organisation_id)
        )
        if status:
            stmt = stmt.where(Placement.status == _status(status))
        if organisation_id is not None:
            stmt = stmt.where(Placement.organisation_id == organisation_id)
        if person_id is not None:
            stmt = stmt.where(
                or_(Placement.candidate_id == person_id, Placement.client_contact_id == person_id)
            )
        if ending_within_days is not None:
            start = today or date.today()
            stmt = stmt.where(
                Placement.status.in_(BUSY_PLACEMENT_STATUSES),
                Placement.end_date >= start,
                Placement.end_date <= start + timedelta(days=ending_within_days),
            )
        # Soonest ending first: running placements by end date (open-ended ones after them),
        # then the finished ones, most recently ended first.
        finished = Placement.status.in_(FINISHED_STATUSES)
        stmt = stmt.order_by(
            finished,
            Placement.end_date.is_(None),
            case((finished, None), else_=Placement.end_date).asc(),
            Placement.end_date.desc(),
            Placement.id,
        ).limit(limit)
        if ending_within_days is not None:
            stmt = stmt.order_by(None).order_by(Placement.end_date, Placement.id)
        return [
            PlacementSummary(
                id=p.id,
                candidate_id=c.id,
                candidate=c.display_name,
                organisation_id=o.id,
                organisation=o.name,
                role=p.role,
                status=p.status,
                start_date=p.start_date,
                end_date=p.end_date,
                charge_rate=p.charge_rate,
                currency=p.currency,
            )
            for p, c, o in session.execute(stmt)
        ]
