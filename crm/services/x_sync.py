"""Incremental X sync: profiles and follower counts in batches of 100, each account's tweets
since the last sync, and mentions between the user's own account and linked people.

Frugal and honest about cost: :func:`plan_sync` says how many requests a sync will make before
anything is sent, and every request bumps the month's counter (:func:`record_request`) in its
own short transaction. Each page of tweets is stored in its own transaction as it arrives, so a
cancel or a fault keeps what was fetched; an account's ``newest_tweet_id`` (the next
``since_id``) only moves once all its pages are stored, so the next sync fills any gap and the
``ON CONFLICT DO NOTHING`` insert skips what is already there.

The gateway module is imported only when a sync actually runs. What was fetched is stored
through :mod:`crm.services.x_store`; requests are counted by :mod:`crm.services.x_usage`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import XAccountStatus
from crm.domain.errors import (
    BudgetReached,
    Cancelled,
    CredentialsError,
    CrmError,
    DatabaseError,
    RateLimitedError,
    XApiError,
)
from crm.domain.social import (
    ENV_BEARER_TOKEN,
    AccountResult,
    AccountTarget,
    SyncPlan,
    SyncReport,
    SyncSelection,
)
from crm.domain.xcost import CostEstimate, ResourceKind
from crm.services import audit, x_settings
from crm.services.x_cadence import due
from crm.services.x_store import (
    account_message,
    apply_profile,
    linked_account_ids,
    own_account,
    rename_accounts,
    store_tweet_pages,
    store_tweets,
)
from crm.services.x_usage import (
    check_budget,
    current_month,
    month_spend,
    read_today,
    record_reads,
    record_request,
    requests_in_month,
)
from crm.storage import secrets
from crm.storage.db import Database
from crm.storage.models import Organisation, Person, Tweet, XAccount, XUsage
from crm.storage.types import utcnow
from crm.x import ratelimit
from crm.x.types import AccountProblem, UserError, XAccountUnavailable, XUser

if TYPE_CHECKING:
    from crm.x.gateway import XGateway

log = logging.getLogger(__name__)

MAX_USERS_PER_REQUEST = 100
MAX_TIMELINE_PAGES = 32  # X serves the 3,200 most recent tweets, 100 a page
MAX_MENTION_PAGES = 8  # and the 800 most recent mentions
PAGE_SIZE = 100
MAX_POSTS = MAX_TIMELINE_PAGES * PAGE_SIZE
RATE_DAYS = 28  # the posting rate behind an estimate is over the last four weeks

# Statuses whose timeline X will not serve to an app-only token: skip it, keep what we have.
_NO_TIMELINE = frozenset(
    {XAccountStatus.SUSPENDED.value, XAccountStatus.NOT_FOUND.value, XAccountStatus.PROTECTED.value}
)

Progress = Callable[[int, int, str], None]
OnWait = Callable[[datetime], None]


def _never() -> bool:
    return False


def _no_progress(_done: int, _total: int, _text: str) -> None:
    return None


def _no_wait(_resume_at: datetime) -> None:
    return None


# --------------------------------------------------------------------------- the gateway


def make_gateway(
    db: Database,
    *,
    token: str | None = None,
    base_url: str | None = None,
    timeout: float = 10.0,
    **options: Any,
) -> XGateway:
    """A gateway with the configured token and API URL that counts every request in ``db``
    and refuses to send one past this month's budget (:class:`BudgetReached`).

    Raises :class:`CredentialsError` when no token is set (or the keyring cannot be read).
    """
    from crm.x.gateway import XGateway

    token = token or secrets.get_bearer_token()
    if not token:
        raise CredentialsError(
            "No X bearer token is set. Add one in the X settings, run "
            f"'crm x credentials set', or set {ENV_BEARER_TOKEN}."
        )
    url = base_url or str(settings.get("x_api_url"))

    def before_request() -> None:
        # Stop at the month's budget before anything is sent; count what is sent.
        check_budget(db, x_settings.pricing())
        record_request(db)

    return XGateway(token, url, timeout, on_request=before_request, **options)


def optional_gateway(db: Database) -> XGateway | None:
    """A gateway when a token is at hand, else None: for linking, which without one stores
    the handle unverified (a later sync verifies it). Never raises for a missing token or
    an unusable keyring."""
    try:
        return make_gateway(db)
    except CredentialsError as exc:
        log.info("Linking without looking up the handle: %s", exc.message)
        return None


# --------------------------------------------------------------------------- what to sync


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
    if target.status in _NO_TIMELINE:
        return 0  # unless the profile lookup finds it readable again
    if target.newest_tweet_id is not None:
        return 1
    if target.tweet_count is not None:
        return max(1, math.ceil(min(target.tweet_count, 3200) / PAGE_SIZE))
    return MAX_TIMELINE_PAGES


def _expected_posts(target: AccountTarget, now: datetime) -> int:
    """How many posts a sync of ``target`` will probably read: all X serves on a first sync,
    else its stored posting rate over the last four weeks times the days since its last."""
    if target.status in _NO_TIMELINE:
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


def _is_fatal(exc: BaseException) -> bool:
    """Failures that every further request would hit too: stop rather than spend more."""
    if isinstance(
        exc, (Cancelled, CredentialsError, RateLimitedError, DatabaseError, BudgetReached)
    ):
        return True
    # A server too slow to finish one answer in time (or a sync out of time) would hold every
    # further request just as long.
    return isinstance(exc, XApiError) and exc.reason in ("client-not-enrolled", "deadline")


def sync_deadline(plan: SyncPlan) -> float:
    """Seconds a sync of ``plan`` may take, waits for X's rate limit aside: five minutes,
    and three seconds more for each request it may make."""
    return 300.0 + 3.0 * plan.max_requests


# --------------------------------------------------------------------------- running a sync


def run_sync(
    db: Database,
    gateway: XGateway,
    plan: SyncPlan,
    *,
    progress: Progress = _no_progress,
    on_wait: OnWait = _no_wait,
    cancelled: Callable[[], bool] = _never,
    max_waits: int = 3,
    sleep_until: Callable[[datetime, Callable[[], bool]], None] | None = None,
    deadline: float | None = None,
) -> SyncReport:
    """Carry out ``plan``: refresh profiles, then each account's new tweets, then the own
    account's mentions by linked people.

    Rate limits pause inside this call: ``on_wait(resume_at)`` is told when it will resume
    (for a countdown) and ``cancelled()`` is polled while waiting. Problems with one account
    are reported on it and the sync goes on; a refused token or API plan, a rate limit that
    outlasts ``max_waits`` and a cancel stop it. Whatever was stored stays stored.

    The whole sync has ``deadline`` seconds (default :func:`sync_deadline`), not counting
    rate-limit waits; each request has its own limit too, so a server that trickles its
    answers cannot hold a sync for long.
    """
    sleep = sleep_until or ratelimit.sleep_until

    def wait_for_x(resume_at: datetime, is_cancelled: Callable[[], bool]) -> None:
        started = time.monotonic()
        try:
            sleep(resume_at, is_cancelled)
        finally:
            gateway.extend_deadline(time.monotonic() - started)

    waiter = ratelimit.RateLimitWait(on_wait=on_wait, sleep_until=wait_for_x, max_waits=max_waits)
    gateway.set_deadline(sync_deadline(plan) if deadline is None else deadline)
    month = current_month()
    before = requests_in_month(db, month)
    results = {
        t.account_id: AccountResult(
            account_id=t.account_id,
            handle=t.handle,
            person_ids=t.person_ids,
            organisation_ids=t.organisation_ids,
            is_own=t.is_own,
            status=t.status,
        )
        for t in plan.targets
    }
    report = SyncReport(accounts=list(results.values()))
    job = _SyncJob(db, gateway, waiter, cancelled, progress, results, plan)
    try:
        job.run()
    except Cancelled:
        report.cancelled = True
        log.info("X sync cancelled; pages already stored are kept")
    except CrmError as exc:
        if not _is_fatal(exc):
            raise
        report.error = exc.message
        log.warning("X sync stopped: %s", exc.message)
    finally:
        gateway.set_deadline(None)
    report.requests = max(0, requests_in_month(db, month) - before)
    report.reads = {kind.value: n for kind, n in job.reads.items() if n}
    report.cost = job.pricing.money(job.pricing.cost_micros(job.reads))
    log.info("%s", report.summary())
    return report


@dataclass(frozen=True)
class _AccountState:
    """An account's sync state as stored now (after the profile refresh)."""

    x_user_id: int | None
    status: str
    newest_tweet_id: int | None
    newest_mention_id: int | None


class _SyncJob:
    """The steps of one sync; holds the state they share."""

    def __init__(
        self,
        db: Database,
        gateway: XGateway,
        waiter: ratelimit.RateLimitWait,
        cancelled: Callable[[], bool],
        progress: Progress,
        results: dict[int, AccountResult],
        plan: SyncPlan,
    ) -> None:
        self.db = db
        self.gateway = gateway
        self.waiter = waiter
        self.cancelled = cancelled
        self.progress = progress
        self.results = results
        self.plan = plan
        self.failed_lookup: set[int] = set()
        self.pricing = x_settings.pricing()
        self.reads: dict[ResourceKind, int] = dict.fromkeys(ResourceKind, 0)
        own = [t.account_id for t in plan.targets if t.is_own]
        self.own_account_id = own[0] if own else None
        self.steps = 1 + len(plan.targets) + (1 if plan.own_account_id is not None else 0)
        self.step = 0

    def _read(self, kind: ResourceKind, ids: list[int]) -> None:
        """Note resources X returned (and billed) as read today."""
        self.reads[kind] += record_reads(self.db, kind, ids, self.pricing)

    def _report(self, text: str) -> None:
        self.progress(self.step, self.steps, text)

    def _check(self) -> None:
        if self.cancelled():
            raise Cancelled()

    def run(self) -> None:
        if not self.plan.targets:
            return
        self._report("Refreshing X profiles and follower counts")
        self.refresh_profiles()
        self.step += 1
        for target in self.plan.targets:
            self._check()
            self._report(f"Fetching {target.label}'s tweets")
            self.sync_timeline(target.account_id)
            self.step += 1
        if self.plan.own_account_id is not None:
            self._check()
            self._report("Fetching mentions of your account")
            self.sync_mentions(self.plan.own_account_id)
            self.step += 1
        self.progress(self.steps, self.steps, "X sync finished")

    # -- profiles ------------------------------------------------------------------------

    def refresh_profiles(self) -> None:
        skip = self.plan.skip_profiles
        by_id = [
            t for t in self.plan.targets if t.x_user_id is not None and t.account_id not in skip
        ]
        by_name = [t for t in self.plan.targets if t.x_user_id is None]
        for group, use_ids in ((by_id, True), (by_name, False)):
            for start in range(0, len(group), MAX_USERS_PER_REQUEST):
                self._check()
                self._refresh_batch(group[start : start + MAX_USERS_PER_REQUEST], use_ids)

    def _refresh_batch(self, batch: list[AccountTarget], use_ids: bool) -> None:
        try:
            if use_ids:
                found = self.gateway.get_users(
                    ids=[t.x_user_id for t in batch if t.x_user_id is not None],
                    rate_limit_wait=self.waiter,
                    cancelled=self.cancelled,
                )
            else:
                found = self.gateway.get_users(
                    usernames=[t.handle for t in batch],
                    rate_limit_wait=self.waiter,
                    cancelled=self.cancelled,
                )
        except CrmError as exc:
            if isinstance(exc, Cancelled):
                raise
            message = f"Could not refresh the profile: {exc.message}"
            self._note_problem([t.account_id for t in batch], message)
            self.failed_lookup.update(t.account_id for t in batch)
            if _is_fatal(exc):
                raise
            return
        own_user = next((t.x_user_id for t in batch if t.is_own), None)
        self._read(ResourceKind.USER, [u.id for u in found.users if u.id != own_user])
        self._read(ResourceKind.OWNED, [u.id for u in found.users if u.id == own_user])
        users_by_id = found.by_id()
        users_by_name = found.by_username()
        errors: dict[str, UserError] = {e.value.lower(): e for e in found.errors}
        with self.db.session() as session:
            accounts = {
                a.id: a
                for a in session.scalars(
                    select(XAccount).where(XAccount.id.in_([t.account_id for t in batch]))
                )
            }
            matched: list[tuple[XAccount, XUser]] = []
            for target in batch:
                account = accounts.get(target.account_id)
                if account is None:
                    continue  # unlinked and deleted meanwhile
                result = self.results[target.account_id]
                user = (
                    users_by_id.get(target.x_user_id)
                    if use_ids and target.x_user_id is not None
                    else users_by_name.get(target.handle.lower())
                )
                if user is not None:
                    matched.append((account, user))
                    continue
                key = str(target.x_user_id) if use_ids else target.handle.lower()
                error = errors.get(key)
                self.failed_lookup.add(account.id)
                if error is None:
                    self._mark(
                        session, account, result, None, f"X returned nothing for {target.label}."
                    )
                    continue
                status = None if error.problem is AccountProblem.OTHER else str(error.problem.value)
                self._mark(session, account, result, status, account_message(account, error))
            self._apply_users(session, matched)

    def _apply_users(self, session: Session, matched: list[tuple[XAccount, XUser]]) -> None:
        """Profiles, counts, snapshots and renames for the accounts X returned."""
        now = utcnow()
        renames: list[tuple[XAccount, str]] = []
        for account, user in matched:
            result = self.results[account.id]
            if account.x_user_id is None:
                holder = session.scalars(
                    select(XAccount).where(XAccount.x_user_id == user.id, XAccount.id != account.id)
                ).first()
                if holder is not None:
                    self.failed_lookup.add(account.id)
                    self._mark(
                        session,
                        account,
                        result,
                        None,
                        f"@{user.username} is the X account already stored as @{holder.handle}; "
                        "unlink one of the two records.",
                    )
                    continue
                account.x_user_id = user.id
            if account.handle != user.username:
                renames.append((account, user.username))
            was = account.status
            apply_profile(session, account, user, now)
            result.followers = user.followers_count
            result.status = account.status
            result.message = account.status_detail
            if was != account.status:
                audit.record(
                    session, "x_account", account.id, "status", {"status": [was, account.status]}
                )
        self._rename(session, renames)

    def _rename(self, session: Session, renames: list[tuple[XAccount, str]]) -> None:
        olds = {account.id: account.handle for account, _ in renames}
        refused = rename_accounts(session, renames)
        for account, new in renames:
            result = self.results[account.id]
            if account.id in refused:
                result.message = refused[account.id]
                continue
            old = olds[account.id]
            if old.lower() != new.lower():
                result.renamed_from = old
            result.handle = new

    # -- timelines -----------------------------------------------------------------------

    def _state(self, account_id: int) -> _AccountState | None:
        with self.db.read() as session:
            account = session.get(XAccount, account_id)
            if account is None:
                return None
            return _AccountState(
                account.x_user_id,
                account.status,
                account.newest_tweet_id,
                account.newest_mention_id,
            )

    def sync_timeline(self, account_id: int) -> None:
        result = self.results[account_id]
        if account_id in self.failed_lookup:
            return  # its problem is already on it; spending more requests would not help
        account = self._state(account_id)
        if account is None or account.x_user_id is None:
            return
        if account.status in _NO_TIMELINE:
            result.complete = account.status == XAccountStatus.PROTECTED.value
            if result.complete:
                self._finish(account_id, tweets_newest=None, mentions_newest=None, new=0)
            return
        newest: int | None = None
        try:
            pages = self.gateway.iter_user_tweets(
                account.x_user_id,
                since_id=account.newest_tweet_id,
                cancelled=self.cancelled,
                rate_limit_wait=self.waiter,
            )
            for number, page in enumerate(pages, start=1):
                if number == 1:
                    newest = page.newest_id
                kind = (
                    ResourceKind.OWNED if account_id == self.own_account_id else ResourceKind.POST
                )
                self._read(kind, [t.id for t in page.tweets])
                result.new_tweets += store_tweet_pages(self.db, account_id, [page])
                self._report(
                    f"Fetching {result.label}'s tweets: page {number}, {result.new_tweets} new"
                )
        except CrmError as exc:
            self._fail(account_id, exc)
            return
        self._finish(account_id, tweets_newest=newest, mentions_newest=None, new=result.new_tweets)
        result.complete = True

    def sync_mentions(self, own_id: int) -> None:
        result = self.results[own_id]
        if own_id in self.failed_lookup:
            return
        account = self._state(own_id)
        if account is None or account.x_user_id is None or account.status in _NO_TIMELINE:
            return
        with self.db.read() as session:
            linked = linked_account_ids(session)
            authors = {
                uid: aid
                for uid, aid in session.execute(
                    select(XAccount.x_user_id, XAccount.id).where(
                        XAccount.id.in_(linked), XAccount.x_user_id.is_not(None)
                    )
                )
            }
        newest: int | None = None
        try:
            pages = self.gateway.iter_users_mentions(
                account.x_user_id,
                since_id=account.newest_mention_id,
                cancelled=self.cancelled,
                rate_limit_wait=self.waiter,
            )
            for number, page in enumerate(pages, start=1):
                if number == 1:
                    newest = page.newest_id
                self._read(ResourceKind.OWNED, [t.id for t in page.tweets])  # all are billed
                # Only mentions by linked people: the rest of X is not the CRM's business.
                with self.db.session() as session:
                    result.new_mentions += store_tweets(
                        session, page.tweets, lambda t: authors.get(t.author_id)
                    )
                self._report(f"Fetching mentions of your account: page {number}")
        except CrmError as exc:
            self._fail(own_id, exc)
            return
        self._finish(own_id, tweets_newest=None, mentions_newest=newest, new=result.new_mentions)

    def _finish(
        self,
        account_id: int,
        *,
        tweets_newest: int | None,
        mentions_newest: int | None,
        new: int,
    ) -> None:
        """Every page is stored: move since_id on and note the sync, in one transaction."""
        with self.db.session() as session:
            account = session.get(XAccount, account_id)
            if account is None:
                return
            changes: dict[str, Any] = {"new_tweets": new}
            if tweets_newest is not None and tweets_newest > (account.newest_tweet_id or 0):
                account.newest_tweet_id = tweets_newest
                changes["newest_tweet_id"] = str(tweets_newest)
            if mentions_newest is not None and mentions_newest > (account.newest_mention_id or 0):
                account.newest_mention_id = mentions_newest
                changes["newest_mention_id"] = str(mentions_newest)
            account.last_synced_at = utcnow()
            if account.status == XAccountStatus.OK.value:
                account.status_detail = None
            audit.record(session, "x_account", account_id, "sync", changes)

    def _fail(self, account_id: int, exc: CrmError) -> None:
        """Put the problem on the account (and its status when X says why); stop if fatal."""
        if isinstance(exc, Cancelled):
            raise exc
        status: str | None = None
        message = exc.message
        if isinstance(exc, XAccountUnavailable) and exc.problem is not AccountProblem.OTHER:
            status = exc.problem.value
        elif not _is_fatal(exc):
            message = f"Last sync failed: {exc.message}"
        with self.db.session() as session:
            account = session.get(XAccount, account_id)
            if account is not None:
                self._mark(session, account, self.results[account_id], status, message)
        if _is_fatal(exc):
            raise exc

    def _note_problem(self, account_ids: list[int], message: str) -> None:
        with self.db.session() as session:
            for account in session.scalars(select(XAccount).where(XAccount.id.in_(account_ids))):
                self._mark(session, account, self.results[account.id], None, message)

    def _mark(
        self,
        session: Session,
        account: XAccount,
        result: AccountResult,
        status: str | None,
        message: str,
    ) -> None:
        """Record a problem on an account; its tweets and counts stay as they were."""
        was = account.status
        if status is not None and status != was:
            account.status = status
            audit.record(session, "x_account", account.id, "status", {"status": [was, status]})
        account.status_detail = message[:500]
        result.status = account.status
        result.message = message
