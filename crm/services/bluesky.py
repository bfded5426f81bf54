"""Bluesky beside X: linking people and organisations to Bluesky accounts (kept by DID),
reading them back for pages and the command line, and finding people who left X.

Linking resolves the handle with one ``getProfile`` request, so a link is always stored by
DID and survives a handle change. Syncs are in :mod:`crm.services.bluesky_sync`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.bluesky import BlueskyActor
from crm.domain.errors import Cancelled, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount, BlueskySnapshot, Organisation, Person, Post
from crm.storage.types import utcnow
from crm.x.bluesky import (
    BlueskyAccountUnavailable,
    BlueskyGateway,
    BlueskyProfile,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def _never() -> bool:
    return False


def _no_progress(_done: int, _total: int, _text: str) -> None:
    return None


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class BlueskyAccountView:
    id: int
    did: str
    handle: str
    display_name: str | None
    bio: str | None
    followers_count: int | None
    follows_count: int | None
    posts_count: int | None
    last_synced_at: datetime | None
    newest_post_at: datetime | None
    status: str
    status_detail: str | None
    person_id: int | None
    organisation_id: int | None


def account_view(account: BlueskyAccount) -> BlueskyAccountView:
    return BlueskyAccountView(
        id=account.id,
        did=account.did,
        handle=account.handle,
        display_name=account.display_name,
        bio=account.bio,
        followers_count=account.followers_count,
        follows_count=account.follows_count,
        posts_count=account.posts_count,
        last_synced_at=account.last_synced_at,
        newest_post_at=account.newest_post_at,
        status=account.status,
        status_detail=account.status_detail,
        person_id=account.person_id,
        organisation_id=account.organisation_id,
    )


def make_gateway(timeout: float = 10.0, **options: Any) -> BlueskyGateway:
    """A gateway on the configured AppView (the ``bluesky_appview_url`` setting). No token."""
    return BlueskyGateway(str(settings.get("bluesky_appview_url")), timeout, **options)


def get_appview_url() -> str:
    return str(settings.get("bluesky_appview_url"))


def set_appview_url(url: str) -> str:
    """Store the AppView base URL (empty restores the public one); returns what was stored."""
    from crm.x.bluesky import checked_base_url

    text = (url or "").strip()
    stored = checked_base_url(text or str(settings.OPTIONS["bluesky_appview_url"].default))
    settings.set("bluesky_appview_url", stored)
    return stored


# --------------------------------------------------------------------------- linking


def _one_target(person_id: int | None, organisation_id: int | None) -> None:
    if (person_id is None) == (organisation_id is None):
        raise ValidationError("Link a Bluesky account to a person or to an organisation, not both.")


def apply_profile(
    session: Session, account: BlueskyAccount, profile: BlueskyProfile, now: datetime
) -> None:
    """Copy the AppView's profile and counts onto ``account`` and add a follower snapshot
    (when the profile carries counts)."""
    if account.handle and account.handle != profile.handle:
        audit.record(
            session,
            "bluesky_account",
            account.id,
            "rename",
            {"handle": [account.handle, profile.handle]},
        )
    account.handle = profile.handle[:253]
    account.display_name = (profile.display_name or "")[:640] or None
    account.bio = profile.description
    account.bsky_created_at = profile.created_at or account.bsky_created_at
    account.status = "ok"
    account.status_detail = None
    account.updated_at = now
    if profile.followers_count is None:
        return
    account.followers_count = profile.followers_count
    account.follows_count = profile.follows_count
    account.posts_count = profile.posts_count
    session.add(
        BlueskySnapshot(
            account_id=account.id,
            taken_at=now,
            followers=profile.followers_count,
            follows=profile.follows_count or 0,
            posts=profile.posts_count or 0,
        )
    )


def _owner_label(session: Session, account: BlueskyAccount) -> str | None:
    if account.person_id is not None:
        person = session.get(Person, account.person_id)
        return person.display_name if person is not None else None
    if account.organisation_id is not None:
        org = session.get(Organisation, account.organisation_id)
        return org.name if org is not None else None
    return None


def link_bluesky(
    db: Database,
    *,
    person_id: int | None = None,
    organisation_id: int | None = None,
    handle: str,
    gateway: BlueskyGateway,
) -> BlueskyAccountView:
    """Link a person or an organisation to the Bluesky account ``handle`` (a handle, a custom
    domain handle, a bsky.app profile address or a DID).

    One ``getProfile`` request resolves it to its DID (outside any transaction); an account
    Bluesky does not know is refused, and so is one already linked to another record.
    """
    _one_target(person_id, organisation_id)
    actor = BlueskyActor.parse(handle)
    try:
        profile = gateway.get_profile(actor.value)
    except BlueskyAccountUnavailable as exc:
        raise ValidationError(
            f"{exc.message} Nothing was linked.", field="bluesky_handle"
        ) from None
    now = utcnow()
    with db.session() as session:
        if person_id is not None:
            person = load(session, Person, person_id, "person")
            label, entity = person.display_name, "person"
        else:
            assert organisation_id is not None
            org = load(session, Organisation, organisation_id, "organisation")
            label, entity = org.name, "organisation"
        account = session.scalars(
            select(BlueskyAccount).where(BlueskyAccount.did == profile.did)
        ).first()
        if account is None:
            account = BlueskyAccount(did=profile.did, handle=profile.handle, status="ok")
            session.add(account)
            session.flush()
        elif (account.person_id, account.organisation_id) != (person_id, organisation_id) and (
            account.person_id is not None or account.organisation_id is not None
        ):
            raise ValidationError(
                f"@{account.handle} is already linked to {_owner_label(session, account)}; "
                "unlink it there first.",
                field="bluesky_handle",
            )
        owner_column = (
            BlueskyAccount.person_id if person_id is not None else BlueskyAccount.organisation_id
        )
        previous = session.scalars(
            select(BlueskyAccount).where(
                owner_column == (person_id if person_id is not None else organisation_id),
                BlueskyAccount.id != account.id,
            )
        ).first()
        old_handle = None
        if previous is not None:
            old_handle = previous.handle
            previous.person_id = previous.organisation_id = None
            session.flush()  # the owner's unique slot is free before the new link takes it
        account.person_id, account.organisation_id = person_id, organisation_id
        apply_profile(session, account, profile, now)
        session.flush()
        audit.record(
            session,
            entity,
            person_id if person_id is not None else organisation_id,
            "link_bluesky",
            {"bluesky_handle": [old_handle, account.handle], "did": account.did},
        )
        log.info("Linked %s to Bluesky @%s (%s)", label, account.handle, account.did)
        return account_view(account)


def unlink_bluesky(
    db: Database, *, person_id: int | None = None, organisation_id: int | None = None
) -> bool:
    """Remove the link; the account's posts and follower history stay in case it is linked
    again. Returns whether there was a link."""
    _one_target(person_id, organisation_id)
    with db.session() as session:
        entity = "person" if person_id is not None else "organisation"
        record_id = person_id if person_id is not None else organisation_id
        assert record_id is not None
        load(session, Person if person_id is not None else Organisation, record_id, entity)
        column = (
            BlueskyAccount.person_id if person_id is not None else BlueskyAccount.organisation_id
        )
        account = session.scalars(select(BlueskyAccount).where(column == record_id)).first()
        if account is None:
            return False
        account.person_id = account.organisation_id = None
        audit.record(
            session, entity, record_id, "unlink_bluesky", {"bluesky_handle": [account.handle, None]}
        )
        return True


def bluesky_account_of(
    db: Database, *, person_id: int | None = None, organisation_id: int | None = None
) -> BlueskyAccountView | None:
    """The Bluesky account linked to a person or an organisation, if any."""
    _one_target(person_id, organisation_id)
    with db.read() as session:
        column = (
            BlueskyAccount.person_id if person_id is not None else BlueskyAccount.organisation_id
        )
        record_id = person_id if person_id is not None else organisation_id
        account = session.scalars(select(BlueskyAccount).where(column == record_id)).first()
        return account_view(account) if account is not None else None


def linked_bluesky_accounts(db: Database) -> list[BlueskyAccountView]:
    """Every Bluesky account linked to a person or an organisation, by handle."""
    with db.read() as session:
        rows = session.scalars(
            select(BlueskyAccount)
            .where(
                (BlueskyAccount.person_id.is_not(None))
                | (BlueskyAccount.organisation_id.is_not(None))
            )
            .order_by(BlueskyAccount.handle, BlueskyAccount.id)
        )
        return [account_view(a) for a in rows]


def follower_history(db: Database, account_id: int) -> list[tuple[datetime, int]]:
    """``(taken_at, followers)`` of a Bluesky account's snapshots, oldest first."""
    with db.read() as session:
        load(session, BlueskyAccount, account_id, "Bluesky account")
        rows = session.execute(
            select(BlueskySnapshot.taken_at, BlueskySnapshot.followers)
            .where(BlueskySnapshot.account_id == account_id)
            .order_by(BlueskySnapshot.taken_at, BlueskySnapshot.id)
        )
        return [(taken_at, int(followers)) for taken_at, followers in rows]


# --------------------------------------------------------------------------- who left X


@dataclass(frozen=True)
class SocialActivity:
    """When a person or organisation last posted on each network, and whether they look
    like they moved: silent on X for 90 days but active on Bluesky."""

    last_x_post: datetime | None
    last_bluesky_post: datetime | None
    has_x: bool
    has_bluesky: bool
    moved_to_bluesky: bool


SILENT_DAYS = 90


def social_activity(
    db: Database,
    *,
    person_id: int | None = None,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> SocialActivity:
    """Last post per network of a person's or organisation's linked accounts."""
    from datetime import timedelta

    from sqlalchemy import func

    from crm.storage.models import Tweet

    _one_target(person_id, organisation_id)
    moment = now or utcnow()
    with db.read() as session:
        record: Person | Organisation
        if person_id is not None:
            record = load(session, Person, person_id, "person")
            bsky_owner = BlueskyAccount.person_id == person_id
        else:
            assert organisation_id is not None
            record = load(session, Organisation, organisation_id, "organisation")
            bsky_owner = BlueskyAccount.organisation_id == organisation_id
        x_id = record.x_account_id
        last_x = (
            session.scalar(select(func.max(Tweet.created_at)).where(Tweet.account_id == x_id))
            if x_id is not None
            else None
        )
        b_id = session.scalar(select(BlueskyAccount.id).where(bsky_owner))
        last_b = (
            session.scalar(select(func.max(Post.created_at)).where(Post.account_id == b_id))
            if b_id is not None
            else None
        )
    silent = timedelta(days=SILENT_DAYS)
    moved = (
        x_id is not None
        and (last_x is None or moment - last_x > silent)
        and last_b is not None
        and moment - last_b <= silent
    )
    return SocialActivity(last_x, last_b, x_id is not None, b_id is not None, moved)


@dataclass(frozen=True)
class BlueskyMatch:
    """A Bluesky account whose display name matches a person on X with no Bluesky link:
    offered for the recruiter to confirm, never linked by itself."""

    person_id: int
    name: str
    x_handle: str | None
    did: str
    handle: str
    display_name: str | None
    description: str | None


def _folded(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def name_matches(person_name: str, display_name: str | None) -> bool:
    """Whether a Bluesky display name is this person's name: every word of the name in it
    (ignoring case, accents and punctuation), so "Dr Jane Okafor OBE" matches Jane Okafor."""
    words = _folded(person_name).split()
    shown = set(_folded(display_name or "").split())
    return bool(words) and all(w in shown for w in words)


def people_to_look_up(db: Database, limit: int = 25) -> list[tuple[int, str, str | None]]:
    """People with an X link and no Bluesky link: (id, name, X handle), by name."""
    from crm.storage.models import XAccount

    with db.read() as session:
        rows = session.execute(
            select(
                Person.id,
                Person.preferred_name,
                Person.first_name,
                Person.last_name,
                XAccount.handle,
            )
            .join(XAccount, XAccount.id == Person.x_account_id)
            .where(
                ~Person.id.in_(
                    select(BlueskyAccount.person_id).where(BlueskyAccount.person_id.is_not(None))
                )
            )
            .order_by(Person.sort_name, Person.id)
            .limit(max(1, limit))
        )
        return [
            (pid, f"{pref or first} {last}".strip(), handle)
            for pid, pref, first, last, handle in rows
        ]


def find_on_bluesky(
    db: Database,
    gateway: BlueskyGateway,
    *,
    person_ids: Sequence[int] | None = None,
    limit: int = 25,
    progress: Progress = _no_progress,
    cancelled: Callable[[], bool] = _never,
) -> list[BlueskyMatch]:
    """Look people up on Bluesky by name (``app.bsky.actor.searchActors``, one request a
    person): the named people, or up to ``limit`` people with an X link and no Bluesky link.
    Returns the accounts whose display name matches, for the recruiter to confirm; links
    nothing. Accounts already linked to someone are left out."""
    if person_ids is not None:
        with db.read() as session:
            people = []
            for pid in person_ids:
                person = load(session, Person, pid, "person")
                handle = person.x_account.handle if person.x_account is not None else None
                people.append((person.id, person.display_name, handle))
    else:
        people = people_to_look_up(db, limit)
    with db.read() as session:
        taken = set(
            session.scalars(
                select(BlueskyAccount.did).where(
                    BlueskyAccount.person_id.is_not(None)
                    | BlueskyAccount.organisation_id.is_not(None)
                )
            )
        )
    matches: list[BlueskyMatch] = []
    for done, (pid, name, x_handle) in enumerate(people):
        if cancelled():
            raise Cancelled()
        progress(done, len(people), f"Looking for {name} on Bluesky")
        for profile in gateway.search_actors(name, limit=10):
            if profile.did in taken or not name_matches(name, profile.display_name):
                continue
            matches.append(
                BlueskyMatch(
                    pid,
                    name,
                    x_handle,
                    profile.did,
                    profile.handle,
                    profile.display_name,
                    profile.description,
                )
            )
    progress(
        len(people),
        len(people),
        f"{len(matches)} possible match{'es' if len(matches) != 1 else ''}",
    )
    return matches
