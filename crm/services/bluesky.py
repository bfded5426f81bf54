"""Bluesky beside X: linking people and organisations to Bluesky accounts (kept by DID),
syncing their profiles, follower counts and new posts from the public AppView, and reading
them back for pages and the command line.

Linking resolves the handle with one ``getProfile`` request, so a link is always stored by
DID and survives a handle change. A sync refreshes profiles 25 a request (one follower
snapshot each) and then pages each account's feed back only as far as its newest stored
post; every page is stored in its own transaction, so a cancel or a fault keeps what was
fetched, and ``newest_post_at`` only moves once all of an account's pages are stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.bluesky import BlueskyActor
from crm.domain.errors import BlueskyApiError, Cancelled, CrmError, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount, BlueskySnapshot, Organisation, Person, Post
from crm.storage.types import utcnow
from crm.storage.upsert import insert_for
from crm.x.bluesky import (
    MAX_ACTORS_PER_REQUEST,
    BlueskyAccountUnavailable,
    BlueskyGateway,
    BlueskyPost,
    BlueskyProfile,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
MAX_FEED_PAGES = 10  # a first sync reads the newest 1,000 posts at most


def _never() -> bool:
    return False


def _no_progress(_done: int, _total: int, _text: str) -> None:
    return None


def _s(n: int) -> str:
    return "" if n == 1 else "s"


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


# --------------------------------------------------------------------------- sync plan


@dataclass(frozen=True)
class BlueskyTarget:
    account_id: int
    did: str
    handle: str
    newest_post_at: datetime | None
    person_id: int | None = None
    organisation_id: int | None = None

    @property
    def label(self) -> str:
        return "@" + self.handle


@dataclass(frozen=True)
class BlueskySyncPlan:
    """What a Bluesky sync will read, before it reads anything. The public AppView is free;
    the request count is shown so a large sync is not a surprise."""

    targets: tuple[BlueskyTarget, ...]
    profile_requests: int
    feed_requests: int  # expected: one page per account already synced, more for new ones
    max_requests: int

    @property
    def requests(self) -> int:
        return self.profile_requests + self.feed_requests

    def describe(self) -> str:
        if not self.targets:
            return "Nothing to sync: no linked Bluesky accounts were chosen."
        n = len(self.targets)
        return (
            f"This Bluesky sync will make about {self.requests} request{_s(self.requests)} "
            f"(at most {self.max_requests}) for {n} account{_s(n)}: "
            f"{self.profile_requests} profile lookup{_s(self.profile_requests)} "
            f"({MAX_ACTORS_PER_REQUEST} accounts each) and about {self.feed_requests} feed "
            f"page{_s(self.feed_requests)}. Bluesky's public API is free."
        )


def plan_bluesky_sync(
    db: Database,
    *,
    person_ids: Sequence[int] = (),
    organisation_ids: Sequence[int] = (),
    all_linked: bool = False,
) -> BlueskySyncPlan:
    """Which linked accounts a sync covers and how many requests it will make. Sends nothing."""
    with db.read() as session:
        stmt = select(BlueskyAccount)
        if all_linked:
            stmt = stmt.where(
                (BlueskyAccount.person_id.is_not(None))
                | (BlueskyAccount.organisation_id.is_not(None))
            )
        else:
            stmt = stmt.where(
                BlueskyAccount.person_id.in_(list(person_ids))
                | BlueskyAccount.organisation_id.in_(list(organisation_ids))
            )
        targets = tuple(
            BlueskyTarget(a.id, a.did, a.handle, a.newest_post_at, a.person_id, a.organisation_id)
            for a in session.scalars(stmt.order_by(BlueskyAccount.id))
        )
    profiles = math.ceil(len(targets) / MAX_ACTORS_PER_REQUEST)
    feeds = sum(1 if t.newest_post_at is not None else 2 for t in targets)
    return BlueskySyncPlan(
        targets=targets,
        profile_requests=profiles,
        feed_requests=feeds,
        max_requests=profiles + MAX_FEED_PAGES * len(targets),
    )


# --------------------------------------------------------------------------- the report


@dataclass
class BlueskyAccountResult:
    account_id: int
    handle: str
    person_id: int | None = None
    organisation_id: int | None = None
    new_posts: int = 0
    followers: int | None = None
    status: str = "ok"
    message: str | None = None
    complete: bool = False

    @property
    def label(self) -> str:
        return "@" + self.handle


@dataclass
class BlueskySyncReport:
    accounts: list[BlueskyAccountResult] = field(default_factory=list)
    requests: int = 0
    cancelled: bool = False
    error: str | None = None

    @property
    def new_posts(self) -> int:
        return sum(a.new_posts for a in self.accounts)

    @property
    def problems(self) -> list[BlueskyAccountResult]:
        return [a for a in self.accounts if a.message]

    @property
    def synced(self) -> int:
        return sum(1 for a in self.accounts if a.complete)

    def summary(self) -> str:
        n = len(self.accounts)
        text = (
            f"Bluesky sync: {self.synced} of {n} account{_s(n)} synced, {self.new_posts} new "
            f"post{_s(self.new_posts)}, {self.requests} request{_s(self.requests)}"
        )
        if self.problems:
            text += f", {len(self.problems)} with problems"
        if self.cancelled:
            text += "; cancelled (what was fetched is kept)"
        if self.error:
            text += f"; stopped: {self.error}"
        return text + "."


# --------------------------------------------------------------------------- storing posts


def store_posts(session: Session, account_id: int, posts: Iterable[BlueskyPost]) -> int:
    """Insert ``posts`` under ``account_id`` in the session's transaction, skipping those
    already stored (by URI); returns how many were new."""
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for p in posts:
        rows.setdefault(
            p.uri,
            {
                "uri": p.uri,
                "cid": p.cid,
                "account_id": account_id,
                "text": p.text,
                "created_at": p.created_at,
                "reply_parent_uri": p.reply_parent_uri,
                "reply_root_uri": p.reply_root_uri,
                "like_count": p.like_count,
                "repost_count": p.repost_count,
                "reply_count": p.reply_count,
                "quote_count": p.quote_count,
                "raw": p.raw,
                "fetched_at": now,
            },
        )
    if not rows:
        return 0
    existing = set(session.scalars(select(Post.uri).where(Post.uri.in_(list(rows)))))
    fresh = [row for uri, row in rows.items() if uri not in existing]
    if fresh:
        table: Table = Post.__table__  # type: ignore[assignment]
        # DO NOTHING: another recruiter's sync may store the same post at the same moment.
        session.execute(
            insert_for(session, table).on_conflict_do_nothing(index_elements=[table.c.uri]), fresh
        )
    return len(fresh)


# --------------------------------------------------------------------------- running a sync


def run_bluesky_sync(
    db: Database,
    gateway: BlueskyGateway,
    plan: BlueskySyncPlan,
    *,
    progress: Progress = _no_progress,
    cancelled: Callable[[], bool] = _never,
) -> BlueskySyncReport:
    """Carry out ``plan``: profiles and follower snapshots 25 accounts a request, then each
    account's posts newer than the newest stored one. A problem with one account is noted on
    it and the sync goes on; a cancel stops it. Whatever was stored stays stored."""
    report = BlueskySyncReport(
        accounts=[
            BlueskyAccountResult(t.account_id, t.handle, t.person_id, t.organisation_id)
            for t in plan.targets
        ]
    )
    results = {r.account_id: r for r in report.accounts}
    before = gateway.requests_sent
    total = plan.requests
    readable: set[int] = set()

    def tell(text: str) -> None:
        progress(min(gateway.requests_sent - before, total), total, text)

    try:
        for start in range(0, len(plan.targets), MAX_ACTORS_PER_REQUEST):
            if cancelled():
                raise Cancelled()
            batch = plan.targets[start : start + MAX_ACTORS_PER_REQUEST]
            tell(f"Bluesky profiles {start + 1}-{start + len(batch)} of {len(plan.targets)}")
            try:
                profiles = gateway.get_profiles([t.did for t in batch], cancelled=cancelled)
            except BlueskyApiError as exc:
                for t in batch:
                    results[t.account_id].message = f"Could not refresh the profile: {exc.message}"
                if exc.status == 429:
                    raise
                continue
            readable |= _apply_profiles(db, batch, profiles, results)
        for target in plan.targets:
            if target.account_id not in readable:
                continue
            if cancelled():
                raise Cancelled()
            _sync_posts(db, gateway, target, results[target.account_id], cancelled, tell)
    except Cancelled:
        report.cancelled = True
    except BlueskyApiError as exc:
        report.error = exc.message
    report.requests = gateway.requests_sent - before
    tell(report.summary())
    return report


def _apply_profiles(
    db: Database,
    batch: Sequence[BlueskyTarget],
    profiles: list[BlueskyProfile],
    results: dict[int, BlueskyAccountResult],
) -> set[int]:
    """Store a batch's profiles in one transaction; returns the accounts found."""
    by_did = {p.did: p for p in profiles}
    now = utcnow()
    found: set[int] = set()
    with db.session() as session:
        accounts = {
            a.id: a
            for a in session.scalars(
                select(BlueskyAccount).where(BlueskyAccount.id.in_([t.account_id for t in batch]))
            )
        }
        for target in batch:
            account = accounts.get(target.account_id)
            result = results[target.account_id]
            if account is None:
                continue
            profile = by_did.get(account.did)
            if profile is None:
                # getProfiles leaves out accounts it cannot show (deleted, deactivated,
                # taken down) without saying which: keep what we have and say so.
                account.status = "not_found"
                account.status_detail = (
                    f"Bluesky returned nothing for @{account.handle} (deleted, deactivated "
                    "or taken down)."
                )
                result.status, result.message = account.status, account.status_detail
                continue
            apply_profile(session, account, profile, now)
            result.handle = account.handle
            result.followers = account.followers_count
            result.status = account.status
            found.add(account.id)
    return found


def _sync_posts(
    db: Database,
    gateway: BlueskyGateway,
    target: BlueskyTarget,
    result: BlueskyAccountResult,
    cancelled: Callable[[], bool],
    tell: Callable[[str], None],
) -> None:
    newest: datetime | None = None
    try:
        pages = gateway.iter_new_posts(
            target.did, target.newest_post_at, max_pages=MAX_FEED_PAGES, cancelled=cancelled
        )
        for number, page in enumerate(pages, start=1):
            if page.posts:
                top = max(p.created_at for p in page.posts)
                newest = top if newest is None or top > newest else newest
            with db.session() as session:
                result.new_posts += store_posts(session, target.account_id, page.posts)
            tell(f"Fetching {result.label}'s posts: page {number}, {result.new_posts} new")
    except BlueskyAccountUnavailable as exc:
        _mark(db, target.account_id, result, exc.account_status, exc.message)
        return
    except BlueskyApiError as exc:
        if exc.status == 429:
            raise
        _mark(db, target.account_id, result, None, f"Last sync failed: {exc.message}")
        return
    except CrmError:
        raise
    with db.session() as session:
        account = session.get(BlueskyAccount, target.account_id)
        if account is None:
            return
        if newest is not None and (
            account.newest_post_at is None or newest > account.newest_post_at
        ):
            account.newest_post_at = newest
        account.last_synced_at = utcnow()
        audit.record(
            session, "bluesky_account", account.id, "sync", {"new_posts": result.new_posts}
        )
    result.complete = True


def _mark(
    db: Database,
    account_id: int,
    result: BlueskyAccountResult,
    status: str | None,
    message: str,
) -> None:
    with db.session() as session:
        account = session.get(BlueskyAccount, account_id)
        if account is None:
            return
        if status is not None:
            account.status = status
        account.status_detail = message[:500]
        result.status = account.status
        result.message = message


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
