"""Bluesky syncs: plan which linked accounts to read and how many requests that takes, then
refresh their profiles 25 a request (one follower snapshot each) and page each account's
feed back only as far as its newest stored post. Every page is stored in its own
transaction, so a cancel or a fault keeps what was fetched, and ``newest_post_at`` only
moves once all of an account's pages are stored.
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

from crm.domain.errors import BlueskyApiError, Cancelled, CrmError
from crm.domain.social import sync_summary
from crm.services import audit
from crm.services.bluesky import Progress, apply_profile
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount, Post
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

MAX_FEED_PAGES = 10  # a first sync reads the newest 1,000 posts at most


def _never() -> bool:
    return False


def _no_progress(_done: int, _total: int, _text: str) -> None:
    return None


def _s(n: int) -> str:
    return "" if n == 1 else "s"


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
        return sync_summary(
            "Bluesky",
            self.synced,
            len(self.accounts),
            self.new_posts,
            "post",
            self.requests,
            len(self.problems),
            self.cancelled,
            self.error,
        )


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
