"""Erasure: the person goes with their emails, phones, jobs, tags, search document, X
account (cached tweets and follower snapshots too) and Bluesky account (its posts and
follower snapshots too, and others' posts that mention them); interactions with no one else are
deleted, shared ones keep the others and lose every mention of the person; placements
where they were the candidate are deleted; earlier audit entries are scrubbed of their
details. One audit line without personal data records that an erasure happened.
On SQLite, freed pages are zeroed and the full-text indexes rebuilt so that deleted
words do not linger in the file."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm.services import audit
from crm.services.assignments import transfer as assignment_transfer
from crm.services.common import load_person
from crm.services.gdpr.identify import (
    BLANKED,
    FREE_JSON,
    FREE_TEXT,
    Redactor,
    about_entity,
    bluesky_account_of,
    like_text,
    posts_about,
    related_ids,
    terms_of,
)
from crm.storage.db import Database
from crm.storage.limits import LIMITS
from crm.storage.models import (
    Assignment,
    AuditEntry,
    BlueskyAccount,
    BlueskySnapshot,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    Placement,
    PlacementNote,
    Post,
    ShortlistEntry,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
)
from crm.storage.scrub import checkpoint, purge_search_indexes, secure_delete
from crm.storage.search import refresh_people

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureImpact:
    """What erasing a person removes, for the confirmation question."""

    person_id: int
    name: str
    interactions_deleted: int
    interactions_kept: int
    placements_deleted: int
    placements_as_contact: int
    employments: int
    emails: int
    phones: int
    x_handle: str | None
    tweets: int
    do_not_contact: bool
    shortlist_entries: int = 0
    assignments_as_contact: int = 0
    bluesky_handle: str | None = None
    bluesky_posts: int = 0


def _only_theirs(person_id: int) -> Any:
    return (
        select(interaction_people.c.interaction_id)
        .where(interaction_people.c.person_id == person_id)
        .except_(
            select(interaction_people.c.interaction_id).where(
                interaction_people.c.person_id != person_id
            )
        )
    )


def _account_is_theirs_alone(session: Session, person: Person) -> bool:
    if person.x_account_id is None:
        return False
    shared = session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.x_account_id == person.x_account_id)
    ) or session.scalar(
        select(func.count()).select_from(User).where(User.x_account_id == person.x_account_id)
    )
    return not shared


def _tweet_ids(session: Session, person: Person, account_deleted: bool) -> list[int]:
    """Cached tweets by or about the person: theirs, and others' that mention them."""
    account = person.x_account
    if account is None:
        return []
    conditions = []
    if account_deleted:
        conditions.append(Tweet.account_id == account.id)
    if account.x_user_id:
        conditions.append(Tweet.author_x_user_id == account.x_user_id)
        conditions.append(
            Tweet.id.in_(
                select(TweetMention.tweet_id).where(TweetMention.x_user_id == account.x_user_id)
            )
        )
    conditions.append(
        func.lower(Tweet.text).like(f"%@{like_text(account.handle.lower())}%", escape="\\")
    )
    return list(session.scalars(select(Tweet.id).where(or_(*conditions))))


def _post_ids(session: Session, account: BlueskyAccount | None) -> list[int]:
    """Stored Bluesky posts by or about the person: their account's, and others' that
    mention them or reply to them. (A Bluesky account has one owner, so it is never shared
    the way an X account can be with an organisation: it always goes with the person.)"""
    if account is None:
        return []
    return list(
        session.scalars(
            select(Post.id).where(or_(Post.account_id == account.id, posts_about(account)))
        )
    )


def erasure_impact(db: Database, person_id: int) -> ErasureImpact:
    with db.read() as session:
        person = load_person(session, person_id)
        linked = select(interaction_people.c.interaction_id).where(
            interaction_people.c.person_id == person_id
        )
        total = int(session.scalar(select(func.count()).select_from(linked.subquery())) or 0)
        alone = int(
            session.scalar(select(func.count()).select_from(_only_theirs(person_id).subquery()))
            or 0
        )
        own_account = _account_is_theirs_alone(session, person)
        bluesky = bluesky_account_of(session, person_id)
        return ErasureImpact(
            person_id=person.id,
            name=person.display_name,
            interactions_deleted=alone,
            interactions_kept=total - alone,
            placements_deleted=int(
                session.scalar(select(func.count()).where(Placement.candidate_id == person_id)) or 0
            ),
            placements_as_contact=int(
                session.scalar(select(func.count()).where(Placement.client_contact_id == person_id))
                or 0
            ),
            employments=len(person.employments),
            emails=len(person.emails),
            phones=len(person.phones),
            x_handle=person.x_account.handle if person.x_account else None,
            tweets=len(_tweet_ids(session, person, own_account)),
            do_not_contact=person.do_not_contact,
            bluesky_handle=bluesky.handle if bluesky is not None else None,
            bluesky_posts=len(_post_ids(session, bluesky)),
            **assignment_transfer.erasure_counts(session, person_id),
        )


@dataclass(frozen=True)
class ErasureReport:
    person_id: int
    removed: dict[str, int] = field(default_factory=dict)


def erase_person(
    db: Database, person_id: int, *, expected_version: int | None = None
) -> ErasureReport:
    """Erase a person and every personal detail held about them (see the module docstring)."""
    with audit.versioned_edit(db, "person", person_id, "This person") as session:
        secure_delete(session, True)
        report = _erase(session, person_id, expected_version)
        purge_search_indexes(session)
        secure_delete(session, False)
    checkpoint(db)
    return report


def erase_people(db: Database, person_ids: Sequence[int]) -> list[ErasureReport]:
    """Erase several people (a retention review's choice) in one transaction."""
    reports = []
    with db.session() as session:
        secure_delete(session, True)
        for person_id in dict.fromkeys(person_ids):
            reports.append(_erase(session, person_id, None))
        purge_search_indexes(session)
        secure_delete(session, False)
    checkpoint(db)
    return reports


def _erase(session: Session, person_id: int, expected_version: int | None) -> ErasureReport:
    person = load_person(session, person_id)
    audit.check_version(
        session, "person", person_id, person.version, expected_version, person.display_name
    )
    bluesky = bluesky_account_of(session, person_id)
    redactor = Redactor(
        terms_of(person, bluesky),
        [(person.first_name, person.last_name)]
        + ([(person.preferred_name, person.last_name)] if person.preferred_name else []),
    )
    related = related_ids(session, person_id)
    merged = _merged_into(session, person_id)
    removed: dict[str, int] = {}

    alone = list(session.scalars(_only_theirs(person_id)))
    if alone:
        session.execute(delete(Interaction).where(Interaction.id.in_(alone)))
    removed["interactions"] = len(alone)
    shared = related["interaction"] - set(alone)
    session.execute(delete(interaction_people).where(interaction_people.c.person_id == person_id))
    removed["interactions_unlinked"] = len(shared)

    placements = sorted(related["placement"])
    if placements:
        session.execute(delete(PlacementNote).where(PlacementNote.placement_id.in_(placements)))
        session.execute(delete(Extension).where(Extension.placement_id.in_(placements)))
        session.execute(
            update(Interaction)
            .where(Interaction.placement_id.in_(placements))
            .values(placement_id=None)
        )
        session.execute(delete(Placement).where(Placement.id.in_(placements)))
    removed["placements"] = len(placements)
    session.execute(
        update(Placement)
        .where(Placement.client_contact_id == person_id)
        .values(client_contact_id=None, version=Placement.version + 1)
    )
    shortlisted = sorted(related["shortlist_entry"])
    if shortlisted:
        # Their stage history goes with each entry (ON DELETE CASCADE).
        session.execute(delete(ShortlistEntry).where(ShortlistEntry.id.in_(shortlisted)))
    removed["shortlist_entries"] = len(shortlisted)
    session.execute(
        update(Assignment)
        .where(Assignment.contact_id == person_id)
        .values(contact_id=None, version=Assignment.version + 1)
    )

    own_account = _account_is_theirs_alone(session, person)
    tweet_ids = _tweet_ids(session, person, own_account)
    for start in range(0, len(tweet_ids), 500):
        chunk = tweet_ids[start : start + 500]
        session.execute(delete(TweetMention).where(TweetMention.tweet_id.in_(chunk)))
        session.execute(delete(Tweet).where(Tweet.id.in_(chunk)))
    removed["tweets"] = len(tweet_ids)
    bluesky_id = bluesky.id if bluesky is not None else None
    post_ids = _post_ids(session, bluesky)
    for start in range(0, len(post_ids), 500):
        session.execute(delete(Post).where(Post.id.in_(post_ids[start : start + 500])))
    removed["bluesky_posts"] = len(post_ids)
    if bluesky is not None:
        session.expunge(bluesky)  # deleted below, by statement
    account_id = person.x_account_id
    removed["employments"] = len(person.employments)
    removed["emails"] = len(person.emails)
    removed["phones"] = len(person.phones)

    session.expire(person)
    session.delete(person)
    session.flush()
    if account_id is not None and own_account:
        removed["follower_snapshots"] = int(
            session.execute(
                delete(FollowerSnapshot).where(FollowerSnapshot.account_id == account_id)
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
        session.execute(delete(XAccount).where(XAccount.id == account_id))
        removed["x_account"] = 1
    if bluesky_id is not None:
        removed["bluesky_follower_snapshots"] = int(
            session.execute(
                delete(BlueskySnapshot).where(BlueskySnapshot.account_id == bluesky_id)
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
        session.execute(delete(BlueskyAccount).where(BlueskyAccount.id == bluesky_id))
        removed["bluesky_account"] = 1

    # Audit entries about the person, their jobs, placements and only-theirs interactions
    # lose their details entirely; any other entry loses the words that identify them.
    blanked = BLANKED
    targets = [("person", [person_id, *merged])]
    targets += [("employment", sorted(related["employment"])), ("placement", placements)]
    targets += [("interaction", alone), ("shortlist_entry", shortlisted)]
    # Their accounts' renames name the handles they had before.
    own_x = [account_id] if account_id is not None and own_account else []
    targets += [("x_account", own_x)]
    targets += [("bluesky_account", [bluesky_id] if bluesky_id is not None else [])]
    scrubbed = 0
    for entity_type, ids in targets:
        for start in range(0, len(ids), 500):
            result = session.execute(
                update(AuditEntry)
                .where(about_entity(entity_type, ids[start : start + 500]))
                .values(changes=blanked)
            )
            scrubbed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed["audit_entries_scrubbed"] = scrubbed + _redact_everywhere(session, redactor)
    audit.record(session, "person", person_id, "erase", {"erased": True, "removed": removed})
    log.info("Erased person #%d", person_id)
    return ErasureReport(person_id, removed)


def _merged_into(session: Session, person_id: int) -> list[int]:
    """Ids of the records merged into this person (and into those, and so on): the same
    human, whose audit entries are theirs too."""
    found: list[int] = []
    todo = [person_id]
    while todo:
        survivor = todo.pop()
        for changes in session.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "person",
                AuditEntry.entity_id == survivor,
                AuditEntry.action == "merge",
            )
        ):
            other = changes.get("merged_person_id") if isinstance(changes, dict) else None
            if isinstance(other, int) and other not in found and other != person_id:
                found.append(other)
                todo.append(other)
    return found


def _redact_everywhere(session: Session, redactor: Redactor) -> int:
    """Replace the person's identifying words in every free-text column; returns the number
    of audit entries changed. People whose notes changed get fresh search documents."""
    if not redactor.terms:
        return 0
    touched_people: set[int] = set()
    audit_changed = 0
    for model, column_name in FREE_TEXT:
        column = getattr(model, column_name)
        key = model.__mapper__.primary_key[0]
        rows = session.execute(select(key, column).where(redactor.mentions(column))).all()
        # "[erased]" can be longer than the name it replaces: stay within the column.
        limit = LIMITS.get(model.__tablename__, {}).get(column_name)
        for row_id, value in rows:
            new = redactor.text(value)
            if limit is not None and new is not None and len(new) > limit:
                new = new[: limit - 1] + "…"
            if new != value:
                session.execute(update(model).where(key == row_id).values({column_name: new}))
                if model is Person:
                    touched_people.add(row_id)
    for model, column_name in FREE_JSON:
        column = getattr(model, column_name)
        key = model.__mapper__.primary_key[0]
        rows = session.execute(
            select(key, column).where(redactor.mentions(column, is_json=True))
        ).all()
        for row_id, value in rows:
            new = redactor.value(value)
            if new != value:
                session.execute(update(model).where(key == row_id).values({column_name: new}))
                audit_changed += model is AuditEntry
    if touched_people:
        refresh_people(session, touched_people)
    return audit_changed
