"""Logged conversations: calls, meetings, emails, tweets, DMs, notes, with follow-ups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm import settings
from crm.domain.enums import Direction, InteractionKind
from crm.domain.errors import ValidationError
from crm.domain.values import limit_text, member_of, require_text
from crm.services import audit
from crm.services.common import load
from crm.services.views import InteractionView
from crm.storage.db import Database
from crm.storage.models import Interaction, Organisation, Person, Placement, interaction_people
from crm.storage.search import search_interaction_ids
from crm.storage.types import utcnow


@dataclass
class InteractionInput:
    person_ids: list[int]
    summary: str
    kind: str = InteractionKind.CALL.value
    direction: str | None = Direction.OUTBOUND.value
    occurred_at: datetime | None = None  # now when not given
    body: str | None = None
    organisation_id: int | None = None  # the first person's current organisation by default
    placement_id: int | None = None
    follow_up_due: date | None = None
    source_ref: str | None = None
    allow_do_not_contact: bool = False


def _kind(value: str) -> str:
    return member_of(InteractionKind, value, "kind", "a kind of interaction").value


def _direction(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    try:
        return Direction(value).value
    except ValueError:
        raise ValidationError("Direction is 'in' or 'out'.", field="direction") from None


def _when(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise ValidationError("A time needs a time zone.", field="occurred_at")
    return value


def log_interaction(db: Database, data: InteractionInput) -> int:
    """Log a conversation with one or more people; returns its id."""
    summary = require_text(data.summary, "Summary", "summary", 500)
    body = limit_text(data.body, "Notes", "body", 1_000_000) or None
    kind = _kind(data.kind)
    direction = _direction(data.direction)
    occurred_at = _when(data.occurred_at)
    if not data.person_ids:
        raise ValidationError("An interaction needs at least one person.", field="people")
    with db.session() as session:
        people = [load(session, Person, pid, "person") for pid in dict.fromkeys(data.person_ids)]
        if (
            direction == Direction.OUTBOUND.value
            and kind != InteractionKind.NOTE.value
            and not data.allow_do_not_contact
        ):
            blocked = [p.display_name for p in people if p.do_not_contact]
            if blocked:
                raise ValidationError(
                    f"{', '.join(blocked)} asked not to be contacted; an outbound "
                    f"{InteractionKind(kind).label.lower()} cannot be logged without confirming.",
                    field="do_not_contact",
                )
        organisation_id = data.organisation_id
        if organisation_id is None:
            current = [e for e in people[0].employments if e.end_date is None]
            organisation_id = current[0].organisation_id if current else None
        else:
            load(session, Organisation, organisation_id, "organisation")
        if data.placement_id is not None:
            load(session, Placement, data.placement_id, "placement")
        interaction = Interaction(
            kind=kind,
            direction=direction,
            occurred_at=occurred_at,
            summary=summary,
            body=body,
            logged_by=settings.current_user(),
            organisation_id=organisation_id,
            placement_id=data.placement_id,
            follow_up_due=data.follow_up_due,
            source_ref=data.source_ref,
        )
        interaction.people = people
        audit.add_new(
            session,
            "interaction",
            interaction,
            {"kind": kind, "summary": summary, "people": [p.id for p in people]},
        )
        return interaction.id


_EDITABLE = {
    "summary",
    "body",
    "kind",
    "direction",
    "occurred_at",
    "follow_up_due",
    "follow_up_done",
    "person_ids",
    "placement_id",
}


def update_interaction(
    db: Database, interaction_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be edited on an interaction.")
    with audit.versioned_edit(db, "interaction", interaction_id, "This interaction") as session:
        interaction = audit.load_for_edit(
            session,
            Interaction,
            "interaction",
            interaction_id,
            expected_version,
            "This interaction",
        )
        for name, value in changes.items():
            if name == "summary":
                value = require_text(value, "Summary", "summary", 500)
            elif name == "body":
                value = limit_text(value, "Notes", "body", 1_000_000) or None
            elif name == "kind":
                value = _kind(value)
            elif name == "direction":
                value = _direction(value)
            elif name == "occurred_at":
                value = _when(value)
            elif name == "person_ids":
                if not value:
                    raise ValidationError(
                        "An interaction needs at least one person.", field="people"
                    )
                interaction.people = [load(session, Person, p, "person") for p in value]
                continue
            setattr(interaction, name, value)
        interaction.updated_at = utcnow()
        audit.record(session, "interaction", interaction_id, "update", dict(changes))
        session.flush()
        return interaction.version


def delete_interaction(db: Database, interaction_id: int) -> None:
    with db.session() as session:
        interaction = load(session, Interaction, interaction_id, "interaction")
        summary = interaction.summary
        session.delete(interaction)
        audit.record(session, "interaction", interaction_id, "delete", {"summary": summary})


def _view(i: Interaction) -> InteractionView:
    return InteractionView(
        id=i.id,
        version=i.version,
        kind=i.kind,
        direction=i.direction,
        occurred_at=i.occurred_at,
        summary=i.summary,
        body=i.body,
        logged_by=i.logged_by,
        people=[(p.id, p.display_name) for p in i.people],
        organisation_id=i.organisation_id,
        organisation=i.organisation.name if i.organisation else None,
        placement_id=i.placement_id,
        follow_up_due=i.follow_up_due,
        follow_up_done=i.follow_up_done,
    )


def get_interaction(db: Database, interaction_id: int) -> InteractionView:
    with db.read() as session:
        return _view(load(session, Interaction, interaction_id, "interaction"))


def interactions_for(
    db: Database,
    *,
    person_id: int | None = None,
    organisation_id: int | None = None,
    limit: int = 200,
) -> list[InteractionView]:
    """Newest first: with a person, or with the organisation (or anyone there)."""
    with db.read() as session:
        stmt = select(Interaction).options(
            selectinload(Interaction.people), selectinload(Interaction.organisation)
        )
        if person_id is not None:
            stmt = stmt.where(
                Interaction.id.in_(
                    select(interaction_people.c.interaction_id).where(
                        interaction_people.c.person_id == person_id
                    )
                )
            )
        if organisation_id is not None:
            stmt = stmt.where(Interaction.organisation_id == organisation_id)
        stmt = stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)
        return [_view(i) for i in session.scalars(stmt)]


def search_interactions(db: Database, text: str, limit: int = 50) -> list[InteractionView]:
    with db.read() as session:
        ids = search_interaction_ids(session, text, limit)
        if not ids:
            return []
        rows = {
            i.id: i
            for i in session.scalars(
                select(Interaction)
                .where(Interaction.id.in_(ids))
                .options(selectinload(Interaction.people), selectinload(Interaction.organisation))
            )
        }
        return [_view(rows[i]) for i in ids if i in rows]


def follow_ups_due(db: Database, until: date, limit: int = 200) -> list[InteractionView]:
    with db.read() as session:
        stmt = (
            select(Interaction)
            .where(
                Interaction.follow_up_due.is_not(None),
                Interaction.follow_up_due <= until,
                Interaction.follow_up_done.is_(False),
            )
            .options(selectinload(Interaction.people), selectinload(Interaction.organisation))
            .order_by(Interaction.follow_up_due)
            .limit(limit)
        )
        return [_view(i) for i in session.scalars(stmt)]


def mark_follow_up_done(db: Database, interaction_ids: Sequence[int]) -> None:
    """Tick off follow-ups: one transaction, so an unknown id leaves every one as it was."""
    with db.session() as session:
        for interaction_id in dict.fromkeys(interaction_ids):
            interaction = load(session, Interaction, interaction_id, "interaction")
            interaction.follow_up_done = True
            interaction.updated_at = utcnow()
            audit.record(session, "interaction", interaction_id, "update", {"follow_up_done": True})
