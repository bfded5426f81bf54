"""Incremental X sync: profiles and follower counts in batches of 100, each account's tweets
since the last sync, and mentions between the user's own account and linked people.

Frugal and honest about cost: :func:`crm.services.x_plan.plan_sync` says what a sync will read
and cost before anything is sent, and every request bumps the month's counter (:func:`record_request`) in its
own short transaction. Each page of tweets is stored in its own transaction as it arrives, so a
cancel or a fault keeps what was fetched; an account's ``newest_tweet_id`` (the next
``since_id``) only moves once all its pages are stored, so the next sync fills any gap and the
``ON CONFLICT DO NOTHING`` insert skips what is already there.

The gateway module is imported only when a sync actually runs. What was fetched is stored
through :mod:`crm.services.x_store`; requests are counted by :mod:`crm.services.x_usage`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
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
)
from crm.domain.xcost import ResourceKind
from crm.services import audit, x_settings
from crm.services.x_plan import MAX_USERS_PER_REQUEST, NO_TIMELINE
from crm.services.x_store import (
    account_message,
    apply_profile,
    linked_account_ids,
    rename_accounts,
    store_tweet_pages,
    store_tweets,
)
from crm.services.x_usage import (
    check_budget,
    current_month,
    record_reads,
    record_request,
    requests_in_month,
)
from crm.storage import secrets
from crm.storage.db import Database
from crm.storage.models import XAccount
from crm.storage.types import utcnow
from crm.x import ratelimit
from crm.x.types import AccountProblem, UserError, XAccountUnavailable, XUser

if TYPE_CHECKING:
    from crm.x.gateway import XGateway

log = logging.getLogger(__name__)

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
        if account.status in NO_TIMELINE:
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
        if account is None or account.x_user_id is None or account.status in NO_TIMELINE:
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
