"""Retention review: people with no interaction (and no review) for N months, and renewing
the reason to keep them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from crm import settings
from crm.domain.errors import ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import (
    AuditEntry,
    Employment,
    Organisation,
    Person,
)

RENEWED = "retention_renewed"


@dataclass(frozen=True)
class RetentionCandidate:
    person_id: int
    name: str
    organisation: str | None
    last_interaction_at: datetime | None
    last_reviewed_at: datetime | None
    created_at: datetime
    lawful_basis: str | None
    consent_status: str
    do_not_contact: bool


def retention_months() -> int:
    return int(settings.get("retention_months"))


def retention_review(
    db: Database, months: int | None = None, *, now: datetime | None = None, limit: int = 10_000
) -> list[RetentionCandidate]:
    """People with no interaction for ``months`` (the ``retention_months`` setting by
    default), nor a retention renewal, who were added before then; longest silent first."""
    months = retention_months() if months is None else months
    if months < 1:
        raise ValidationError("The retention period is at least one month.")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=round(months * 30.44))
    with db.read() as session:
        last_at = Person.last_interaction_at  # kept by the database (migration 0004)
        last_review = (
            select(AuditEntry.entity_id.label("pid"), func.max(AuditEntry.at).label("reviewed"))
            .where(AuditEntry.entity_type == "person", AuditEntry.action == RENEWED)
            .group_by(AuditEntry.entity_id)
            .subquery()
        )
        current = (
            select(Employment.person_id.label("pid"), func.min(Organisation.name).label("org"))
            .join(Organisation, Organisation.id == Employment.organisation_id)
            .where(Employment.end_date.is_(None))
            .group_by(Employment.person_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Person.id,
                Person.first_name,
                Person.preferred_name,
                Person.last_name,
                Person.created_at,
                Person.lawful_basis,
                Person.consent_status,
                Person.do_not_contact,
                last_at.label("last_at"),
                last_review.c.reviewed,
                current.c.org,
            )
            .outerjoin(last_review, last_review.c.pid == Person.id)
            .outerjoin(current, current.c.pid == Person.id)
            .where(
                Person.created_at < cutoff,
                or_(last_at.is_(None), last_at < cutoff),
                or_(last_review.c.reviewed.is_(None), last_review.c.reviewed < cutoff),
            )
            .order_by(last_at.is_not(None), last_at, Person.sort_name)
            .limit(limit)
        ).all()
    return [
        RetentionCandidate(
            person_id=r.id,
            name=f"{r.preferred_name or r.first_name} {r.last_name}",
            organisation=r.org,
            last_interaction_at=_utc(r.last_at),
            last_reviewed_at=_utc(r.reviewed),
            created_at=r.created_at,
            lawful_basis=r.lawful_basis,
            consent_status=r.consent_status,
            do_not_contact=r.do_not_contact,
        )
        for r in rows
    ]


def _utc(value: Any) -> datetime | None:
    """Aggregates over SQLite come back as naive text or datetimes: make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    result: datetime = value
    return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


def renew_retention(db: Database, person_ids: Sequence[int], reason: str = "") -> int:
    """Record that these people were reviewed and are kept: they leave the review list until
    another retention period passes without contact."""
    reason = (reason or "").strip()[:500]
    with db.session() as session:
        for person_id in dict.fromkeys(person_ids):
            load(session, Person, person_id, "person")
            audit.record(
                session, "person", person_id, RENEWED, {"reason": reason} if reason else {}
            )
    return len(set(person_ids))
