"""What identifies a person in the records: the words that name them, the records about
them, and rewriting free text without them (shared by subject access and erasure)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from crm.domain.values import fold, format_phone
from crm.storage.models import (
    Assignment,
    AuditEntry,
    BlueskyAccount,
    Employment,
    Extension,
    Interaction,
    Organisation,
    Person,
    Placement,
    PlacementNote,
    Post,
    ShortlistEntry,
    ShortlistStageChange,
    Tweet,
    XAccount,
    interaction_people,
)

ERASED = "[erased]"
BLANKED = {"redacted": "erased person"}


def terms_of(person: Person, bluesky: BlueskyAccount | None = None) -> list[str]:
    """Text that identifies ``person`` wherever it appears: names, addresses, numbers, their X
    handle and their Bluesky handle and DID (``bluesky``: their account, see
    :func:`bluesky_account_of`).

    A first name alone is not one (it would blank every other Jo); the full name is.
    """
    terms: set[str] = set()
    names: set[str] = set()
    for first in {person.first_name, person.preferred_name}:
        # Stripped: a person with a single name has an empty first or last name, and that
        # one name is their full name (which may be short: 최유림 is three letters).
        full = f"{first or ''} {person.last_name}".strip()
        if full and (first or first == person.first_name):
            names.add(full)
    terms.update(e.email for e in person.emails)
    for phone in person.phones:
        terms.update({phone.number, format_phone(phone.number)})
    if person.x_account is not None:
        handle = person.x_account.handle
        terms.update({"@" + handle, f"x.com/{handle}", f"twitter.com/{handle}"})
        if len(handle) >= 5:
            terms.add(handle)
    if bluesky is not None:
        # A Bluesky handle is a domain name (jo.bsky.social), long enough to stand alone.
        handle = bluesky.handle
        terms.update({"@" + handle, f"bsky.app/profile/{handle}", handle, bluesky.did})
    if person.linkedin_url:
        terms.add(person.linkedin_url.rstrip("/"))
    terms = {t for t in terms if len(t.strip()) >= 4} | {n for n in names if len(n) >= 2}
    return sorted(terms, key=len, reverse=True)


class Redactor:
    def __init__(self, terms: Sequence[str], names: Iterable[tuple[str, str]] = ()) -> None:
        self.terms = list(terms)
        # (first, last) pairs: a record of fields naming them (an audit entry of a person
        # later merged into them, say) loses all its fields, not only the matching text.
        self.names = {(fold(first), fold(last)) for first, last in names if first or last}
        # The JSON columns store non-ASCII text escaped (\u00e1): look for that form too.
        self.json_terms = sorted(
            {t.lower() for t in terms} | {json.dumps(t)[1:-1].lower() for t in terms},
            key=len,
            reverse=True,
        )
        self.pattern = (
            re.compile("|".join(re.escape(t) for t in self.terms), re.IGNORECASE)
            if self.terms
            else None
        )

    def text(self, value: str | None) -> str | None:
        if value is None or self.pattern is None:
            return value
        return self.pattern.sub(ERASED, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            first, last = value.get("first_name"), value.get("last_name")
            named = isinstance(first, str) and isinstance(last, str)
            if named and (fold(str(first)), fold(str(last))) in self.names:
                return dict(BLANKED)
            return {k: self.value(v) for k, v in value.items()}
        return value

    def mentions(self, column: Any, is_json: bool = False) -> Any:
        """A SQL condition: the column may hold one of the terms (checked again in Python)."""
        searched = func.lower(cast(column, Text)) if is_json else func.lower(column)
        terms = self.json_terms if is_json else [t.lower() for t in self.terms]
        return or_(*(searched.like(f"%{like_text(t)}%", escape="\\") for t in terms))


def like_text(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Free text where other records may name the person. Identity columns of other records
# (names, addresses) are not touched: they belong to someone else.
FREE_TEXT: list[tuple[Any, str]] = [
    (Interaction, "summary"),
    (Interaction, "body"),
    (Placement, "role"),
    (PlacementNote, "text"),
    (Extension, "reason"),
    (Person, "notes"),
    (Person, "specialisms"),
    (Organisation, "notes"),
    (Assignment, "notes"),
    (Assignment, "closed_reason"),
    (ShortlistEntry, "reason"),
    (ShortlistStageChange, "reason"),
    (XAccount, "bio"),
    (Tweet, "text"),
    (BlueskyAccount, "bio"),
    (Post, "text"),
]
FREE_JSON: list[tuple[Any, str]] = [(Tweet, "raw"), (Post, "raw"), (AuditEntry, "changes")]


def bluesky_account_of(session: Session, person_id: int) -> BlueskyAccount | None:
    """The Bluesky account linked to the person, if any. It names one owner (a person or an
    organisation, never both, and never two people), so it is theirs alone."""
    return session.scalars(
        select(BlueskyAccount).where(BlueskyAccount.person_id == person_id)
    ).first()


def related_ids(session: Session, person_id: int) -> dict[str, set[int]]:
    """Ids of the records that are about the person: their jobs, placements, interactions."""
    return {
        "employment": set(
            session.scalars(select(Employment.id).where(Employment.person_id == person_id))
        ),
        "placement": set(
            session.scalars(select(Placement.id).where(Placement.candidate_id == person_id))
        ),
        "shortlist_entry": set(
            session.scalars(select(ShortlistEntry.id).where(ShortlistEntry.person_id == person_id))
        ),
        "interaction": set(
            session.scalars(
                select(interaction_people.c.interaction_id).where(
                    interaction_people.c.person_id == person_id
                )
            )
        ),
    }


def about_entity(entity_type: str, ids: Sequence[int]) -> Any:
    return (AuditEntry.entity_type == entity_type) & AuditEntry.entity_id.in_(ids)


def posts_about(account: BlueskyAccount) -> Any:
    """A SQL condition: a post names the account, by ``@handle`` in its text or by DID in
    what Bluesky sent (a mention's facet, the post it replies to or quotes)."""
    return or_(
        func.lower(Post.text).like(f"%@{like_text(account.handle.lower())}%", escape="\\"),
        cast(Post.raw, Text).like(f"%{like_text(account.did)}%", escape="\\"),
    )
