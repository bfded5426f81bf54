"""Small helpers the service modules share: loading rows, tags, X account views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.values import MAX_RECORD_ID
from crm.services.views import XAccountView
from crm.storage.models import Employment, Organisation, Person, Tag, XAccount

T = TypeVar("T")


def load(session: Session, model: type[T], entity_id: int, label: str) -> T:
    # An id the database cannot hold would overflow in the driver, not just be missing.
    obj = session.get(model, entity_id) if 0 < entity_id <= MAX_RECORD_ID else None
    if obj is None:
        raise NotFoundError(f"There is no {label} with id {entity_id}.")
    return obj


def load_organisation(session: Session, organisation_id: int) -> Organisation:
    """An organisation with what its page and a merge read: tags, X account and parent."""
    org = session.scalars(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .options(
            selectinload(Organisation.tags),
            selectinload(Organisation.x_account),
            selectinload(Organisation.parent),
        )
    ).first()
    if org is None:
        raise NotFoundError(f"There is no organisation with id {organisation_id}.")
    return org


def load_person(session: Session, person_id: int) -> Person:
    """A person with what their page, a merge and an erasure read: emails, phones, tags,
    X account and jobs (each with its organisation), loaded in a few queries."""
    person = session.scalars(
        select(Person)
        .where(Person.id == person_id)
        .options(
            selectinload(Person.emails),
            selectinload(Person.phones),
            selectinload(Person.tags),
            selectinload(Person.x_account),
            selectinload(Person.employments).selectinload(Employment.organisation),
        )
    ).first()
    if person is None:
        raise NotFoundError(f"There is no person with id {person_id}.")
    return person


def tags_named(session: Session, names: Iterable[str]) -> list[Tag]:
    """Existing tags by name (case-insensitive), creating the missing ones."""
    result: list[Tag] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(raw.split())
        if not name or name.lower() in seen:
            continue
        if len(name) > 60:
            raise ValidationError(
                f"The tag {name[:20]!r}... is too long (60 characters at most).", field="tags"
            )
        seen.add(name.lower())
        tag = session.scalars(select(Tag).where(func.lower(Tag.name) == name.lower())).first()
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
        result.append(tag)
    return result


def x_view(account: XAccount | None) -> XAccountView | None:
    if account is None:
        return None
    return XAccountView(
        id=account.id,
        handle=account.handle,
        x_user_id=account.x_user_id,
        display_name=account.display_name,
        bio=account.bio,
        followers_count=account.followers_count,
        following_count=account.following_count,
        tweet_count=account.tweet_count,
        last_synced_at=account.last_synced_at,
        status=account.status,
        status_detail=account.status_detail,
        verified=account.verified,
        protected=account.protected,
        watched=account.watched,
    )
