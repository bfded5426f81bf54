"""Planning an X sync: which accounts a selection names (watched, linked, due by their
cadence), how many requests it will make, and what the resources it reads are expected to
cost (and at most), before anything is sent. :mod:`crm.services.x_sync` carries it out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import XAccountStatus
from crm.domain.social import AccountTarget, SyncPlan, SyncSelection
from crm.domain.xcost import CostEstimate, ResourceKind
from crm.services import x_settings
from crm.services.x_cadence import due
from crm.services.x_store import linked_account_ids, own_account
from crm.services.x_usage import current_month, month_spend, read_today
from crm.storage.db import Database
from crm.storage.models import Organisation, Person, Tweet, XAccount, XUsage
from crm.storage.types import utcnow

MAX_USERS_PER_REQUEST = 100
MAX_TIMELINE_PAGES = 32  # X serves the 3,200 most recent tweets, 100 a page
MAX_MENTION_PAGES = 8  # and the 800 most recent mentions
PAGE_SIZE = 100
MAX_POSTS = MAX_TIMELINE_PAGES * PAGE_SIZE
RATE_DAYS = 28  # the posting rate behind an estimate is over the last four weeks

# Statuses whose timeline X will not serve to an app-only token: skip it, keep what we have.
NO_TIMELINE = frozenset(
    {XAccountStatus.SUSPENDED.value, XAccountStatus.NOT_FOUND.value, XAccountStatus.PROTECTED.value}
)


def select_account_ids(session: Session, selection: SyncSelection) -> list[int]:
    """The XAccount ids a selection names (people's and organisations' accounts, watched or
    all linked), without the own account; in a stable order."""
    ids: list[int] = list(selection.account_ids)
    if selection.person_ids:
        ids += [
            i
            for i in session.scalars(
                select(Person.x_account_id)
                .where(Person.id.in_(selection.person_ids), Person.x_account_id.is_not(None))
                .order_by(Person.id)
            )
            if i is not None
        ]
    if selection.organisation_ids:
        ids += [
            i
            for i in session.scalars(
                select(Organisation.x_account_id)
                .where(
                    Organisation.id.in_(selection.organisation_ids),
                    Organisation.x_account_id.is_not(None),
                )
                .order_by(Organisation.id)
            )
            if i is not None
        ]
    if selection.watched or selection.all_linked:
        linked = linked_account_ids(session)
        stmt = select(XAccount.id).where(XAccount.id.in_(linked)).order_by(XAccount.id)
        if selection.watched and not selection.all_linked:
            stmt = stmt.where(XAccount.watched.is_(True))
        ids += list(session.scalars(stmt))
    return list(dict.fromkeys(ids))


def _targets(
    session: Session, account_ids: Sequence[int], own_id: int | None
) -> list[AccountTarget]:
    if not account_ids:
        return []
    accounts = {
        a.id: a for a in session.scalars(select(XAccount).where(XAccount.id.in_(account_ids)))
    }
    people: dict[int, list[int]] = {}
    for pid, aid in session.execute(
        select(Person.id, Person.x_account_id).where(Person.x_account_id.in_(account_ids))
    ):
        if aid is not None:
            people.setdefault(aid, []).append(pid)
    orgs: dict[int, list[int]] = {}
    for oid, aid in session.execute(
        select(Organisation.id, Organisation.x_account_id).where(
            Organisation.x_account_id.in_(account_ids)
        )
    ):
        if aid is not None:
            orgs.setdefault(aid, []).append(oid)
    since = utcnow() - timedelta(days=RATE_DAYS)
    recent: dict[int, int] = {
        int(aid): int(n)
        for aid, n in session.execute(
            select(Tweet.account_id, func.count())
            .where(Tweet.account_id.in_(account_ids), Tweet.created_at >= since)
            .group_by(Tweet.account_id)
        )
        if aid is not None
    }
    return [
        AccountTarget(
            account_id=a.id,
            handle=a.handle,
            x_user_id=a.x_user_id,
            status=a.status,
            newest_tweet_id=a.newest_tweet_id,
            newest_mention_id=a.newest_mention_id,
            tweet_count=a.tweet_count,
            person_ids=tuple(people.get(a.id, ())),
            organisation_ids=tuple(orgs.get(a.id, ())),
            is_own=a.id == own_id,
            last_synced_at=a.last_synced_at,
            recent_posts=recent.get(a.id, 0),
        )
        for aid in account_ids
        if (a := accounts.get(aid)) is not None
    ]


def _timeline_pages(target: AccountTarget) -> int:
    """Expected timeline requests for one account (the maximum is always 32)."""
    if target.status in NO_TIMELINE:
        return 0  # unless the profile lookup finds it readable again
    if target.newest_tweet_id is not None:
        return 1
    if target.tweet_count is not None:
        return max(1, math.ceil(min(target.tweet_count, 3200) / PAGE_SIZE))
    return MAX_TIMELINE_PAGES


def _expected_posts(target: AccountTarget, now: datetime) -> int:
    """How many posts a sync of ``target`` will probably read: all X serves on a first sync,
    else its stored posting rate over the last four weeks times the days since its last."""
    if target.status in NO_TIMELINE:
        return 0
    if target.newest_tweet_id is None:
        return min(target.tweet_count if target.tweet_count is not None else MAX_POSTS, MAX_POSTS)
    days = (now - target.last_synced_at).total_seconds() / 86_400 if target.last_synced_at else 1
    return min(MAX_POSTS, math.ceil(target.recent_posts / RATE_DAYS * max(days, 0)))


def _estimate(
    db: Database,
    targets: Sequence[AccountTarget],
    read_today: frozenset[int],
    own_id: int | None,
    mention_pages: int,
) -> CostEstimate:
    """The resources a sync of ``targets`` is expected to read (and at most), priced."""
    now = utcnow()
    expected = dict.fromkeys(ResourceKind, 0)
    at_most = dict.fromkeys(ResourceKind, 0)
    for t in targets:
        post_kind = ResourceKind.OWNED if t.is_own else ResourceKind.POST
        profile = ResourceKind.OWNED if t.is_own else ResourceKind.USER
        if t.account_id not in read_today:
            expected[profile] += 1
            at_most[profile] += 1
        expected[post_kind] += _expected_posts(t, now)
        at_most[post_kind] += MAX_POSTS
    if own_id is not None:
        # Every mention X returns is billed, not only those by linked people that are kept.
        expected[ResourceKind.OWNED] += mention_pages * PAGE_SIZE
        at_most[ResourceKind.OWNED] += MAX_MENTION_PAGES * PAGE_SIZE
    micros, posts = month_spend(db)
    return CostEstimate(
        pricing=x_settings.pricing(),
        expected=expected,
        at_most=at_most,
        month_micros=micros,
        month_posts=posts,
        free_profiles=len(read_today),
    )


def _read_today(session: Session, targets: Sequence[AccountTarget]) -> frozenset[int]:
    """The targets whose profile was read this UTC day already (X bills it once a day)."""
    by_user = {t.x_user_id: t for t in targets if t.x_user_id is not None}
    read = read_today(session, ResourceKind.USER, by_user) | read_today(
        session, ResourceKind.OWNED, by_user
    )
    return frozenset(by_user[uid].account_id for uid in read)


def plan_sync(db: Database, selection: SyncSelection) -> SyncPlan:
    """What a sync of ``selection`` would fetch and how many requests it would make.

    Sends nothing: this is what ``crm x sync --dry-run`` prints and the app asks about.
    """
    with db.read() as session:
        ids = select_account_ids(session, selection)
        own = own_account(session) if selection.include_own else None
        own_id = own.id if own is not None and own.x_user_id is not None else None
        if own is not None and own.id not in ids:
            ids.append(own.id)
        if selection.due_only:
            ids = due(session, ids)
            if own is not None and own.id not in ids:
                own_id = None  # not due: no mentions either
        targets = _targets(session, ids, own.id if own is not None else None)
        month = session.scalar(select(XUsage.requests).where(XUsage.month == current_month()))
        read = _read_today(session, targets)
    # X bills a resource once a UTC day: a profile read today is free to read again (fresh
    # counts); a scheduled sync skips it all the same, to spare the rate limit.
    skip = read if selection.due_only else frozenset()
    with_id = sum(1 for t in targets if t.x_user_id is not None and t.account_id not in skip)
    by_name = sum(1 for t in targets if t.x_user_id is None)
    lookups = math.ceil(with_id / MAX_USERS_PER_REQUEST) + math.ceil(
        by_name / MAX_USERS_PER_REQUEST
    )
    timelines = sum(_timeline_pages(t) for t in targets)
    mentions = 0
    if own_id is not None:
        own_target = next(t for t in targets if t.account_id == own_id)
        mentions = 1 if own_target.newest_mention_id is not None else MAX_MENTION_PAGES
    return SyncPlan(
        targets=tuple(targets),
        own_account_id=own_id,
        lookup_requests=lookups,
        timeline_requests=timelines,
        mention_requests=mentions,
        max_requests=lookups
        + MAX_TIMELINE_PAGES * len(targets)
        + (MAX_MENTION_PAGES if own_id is not None else 0),
        month_requests=int(month or 0),
        budget=int(settings.get("x_monthly_request_budget") or 0),
        cost=_estimate(db, targets, read, own_id, mentions),
        skip_profiles=skip,
    )
