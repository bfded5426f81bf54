"""The X sync against the fake X API on SQLite and PostgreSQL: planning, paging, since_id, no
duplicates, mentions, batched profile refresh, renames, every fault, rate-limit pauses, cancel,
and the bulk store of 3,200 tweets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from crm import settings
from crm.domain.errors import CredentialsError
from crm.domain.social import SyncPlan, SyncReport, SyncSelection
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person, search_people
from crm.services.timeline import organisation_timeline, person_timeline
from crm.services.x_plan import plan_sync
from crm.services.x_store import store_tweet_pages
from crm.services.x_sync import make_gateway, run_sync
from crm.services.x_usage import requests_in_month, x_usage
from crm.services.xlink import link_x_account, set_own_account
from crm.storage.db import Database
from crm.storage.models import (
    AuditEntry,
    FollowerSnapshot,
    Person,
    Tweet,
    TweetMention,
    User,
    XAccount,
)
from crm.x.gateway import XGateway
from crm.x.types import TweetPage
from tests.x.fake_x_server import (
    JANE_ID,
    RITA_ID,
    SAM_ID,
    TRUST_ID,
    FakeUser,
    FakeXServer,
    Fault,
)


def gw(db: Database, fake_x: FakeXServer, **options: object) -> XGateway:
    """A counting gateway on the fake server with instant backoff."""
    kwargs: dict[str, object] = {"timeout": 2.0, "backoff_base": 0.0}
    kwargs.update(options)
    return make_gateway(db, token=fake_x.token, base_url=fake_x.base_url, **kwargs)  # type: ignore[arg-type]


def person(db: Database, first: str = "Jane", last: str = "Okafor") -> int:
    return add_person(db, PersonInput(first, last))


def linked(db: Database, fake_x: FakeXServer, handle: str, first: str = "Jane") -> int:
    pid = person(db, first, handle)
    link_x_account(db, person_id=pid, handle=handle, gateway=gw(db, fake_x))
    return pid


def sync(
    db: Database, fake_x: FakeXServer, selection: SyncSelection, **options: object
) -> SyncReport:
    gateway_options = {k: v for k, v in options.items() if k in ("timeout", "attempts")}
    run_options = {k: v for k, v in options.items() if k not in gateway_options}
    plan = plan_sync(db, selection)
    return run_sync(db, gw(db, fake_x, **gateway_options), plan, **run_options)  # type: ignore[arg-type]


def tweet_count(db: Database, account_id: int | None = None) -> int:
    with db.read() as s:
        stmt = select(func.count()).select_from(Tweet)
        if account_id is not None:
            stmt = stmt.where(Tweet.account_id == account_id)
        return int(s.scalar(stmt) or 0)


def account(db: Database, handle: str) -> XAccount:
    with db.read() as s:
        found = s.scalars(
            select(XAccount).where(func.lower(XAccount.handle) == handle.lower())
        ).one()
        s.expunge(found)
        return found


def no_wait(calls: list[datetime]) -> Callable[[datetime, Callable[[], bool]], None]:
    def sleep(resume_at: datetime, cancelled: Callable[[], bool]) -> None:
        calls.append(resume_at)

    return sleep


ONLY = SyncSelection(include_own=False)


def only(pid: int) -> SyncSelection:
    return SyncSelection(person_ids=(pid,), include_own=False)


# --------------------------------------------------------------------------- planning


def test_plan_says_how_many_requests_and_sends_none(any_db: Database, fake_x: FakeXServer) -> None:
    jane = person(any_db)
    link_x_account(any_db, person_id=jane, handle="@JaneOkaforCEO")  # unverified
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    link_x_account(any_db, organisation_id=org, handle="x.com/HarboursideNHS")
    plan = plan_sync(any_db, SyncSelection(all_linked=True))
    assert [t.handle for t in plan.targets] == ["JaneOkaforCEO", "HarboursideNHS"]
    assert plan.lookup_requests == 1  # both by username, one batch
    assert plan.timeline_requests == 64  # never synced, tweet count unknown: 32 pages each
    assert plan.mention_requests == 0  # no own account
    assert plan.requests == 65
    assert "about 65 requests" in plan.describe()
    assert fake_x.requests == []
    empty = plan_sync(any_db, SyncSelection(watched=True))
    assert empty.requests == 0 and "Nothing to sync" in empty.describe()


def test_first_sync_pages_through_every_tweet_then_resyncs_with_since_id(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = linked(any_db, fake_x, "JaneOkaforCEO")
    jane = account(any_db, "JaneOkaforCEO")
    assert jane.x_user_id == JANE_ID and jane.status == "ok"
    plan = plan_sync(any_db, only(pid))
    assert plan.lookup_requests == 1 and plan.timeline_requests == 3  # 250 tweets known
    fake_x.clear_requests()
    report = sync(any_db, fake_x, only(pid))
    assert report.error is None and not report.cancelled
    [result] = report.accounts
    assert result.complete and result.new_tweets == 250 and result.followers == 8420
    assert len(fake_x.requests_to("/tweets")) == 3
    assert report.requests == 4 == len(fake_x.requests)
    assert tweet_count(any_db, jane.id) == 250
    newest = max(int(t["id"]) for t in fake_x.tweets_of(JANE_ID))
    jane = account(any_db, "JaneOkaforCEO")
    assert jane.newest_tweet_id == newest and jane.last_synced_at is not None

    fake_x.add_tweet(JANE_ID, "Board papers are out: https://t.co/abc")
    fake_x.add_tweet(
        JANE_ID,
        "Thank you @RecruiterRita",
        entities={
            "mentions": [{"start": 10, "end": 24, "username": "RecruiterRita", "id": str(RITA_ID)}]
        },
    )
    fake_x.clear_requests()
    again = sync(any_db, fake_x, only(pid))
    [tweets_request] = fake_x.requests_to("/tweets")
    assert tweets_request.query["since_id"] == str(newest)
    assert again.accounts[0].new_tweets == 2
    assert tweet_count(any_db) == 252
    with any_db.read() as s:
        assert s.scalar(select(func.count(func.distinct(Tweet.id)))) == 252
        assert (RITA_ID,) in s.execute(select(TweetMention.x_user_id)).all()
        snapshots = s.scalars(
            select(FollowerSnapshot).where(FollowerSnapshot.account_id == jane.id)
        ).all()
        assert len(snapshots) == 3  # link, first sync, second sync
        actions = {
            a
            for a in s.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_type == "x_account")
            )
        }
        assert "sync" in actions
    # A third sync with nothing new stores nothing and costs one page.
    fake_x.clear_requests()
    third = sync(any_db, fake_x, only(pid))
    assert third.new_tweets == 0 and len(fake_x.requests_to("/tweets")) == 1
    assert tweet_count(any_db) == 252


def test_tweets_keep_references_metrics_and_raw_json(any_db: Database, fake_x: FakeXServer) -> None:
    pid = linked(any_db, fake_x, "JaneOkaforCEO")
    sync(any_db, fake_x, only(pid))
    with any_db.read() as s:
        retweets = s.scalars(select(Tweet).where(Tweet.retweeted_id.is_not(None))).all()
        replies = s.scalars(select(Tweet).where(Tweet.replied_to_id.is_not(None))).all()
        quotes = s.scalars(select(Tweet).where(Tweet.quoted_id.is_not(None))).all()
        assert retweets and replies and quotes
        reply = replies[0]
        assert reply.in_reply_to_user_id == TRUST_ID and reply.conversation_id != reply.id
        assert reply.raw["id"] == str(reply.id) and "edit_history_tweet_ids" in reply.raw
        assert reply.created_at.tzinfo is not None
        assert max(t.like_count for t in s.scalars(select(Tweet))) > 0
        assert TRUST_ID in reply.mentioned_user_ids


def test_mentions_between_the_own_account_and_linked_people(
    any_db: Database, fake_x: FakeXServer
) -> None:
    set_own_account(any_db, "RecruiterRita", gateway=gw(any_db, fake_x))
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    link_x_account(any_db, organisation_id=org, handle="HarboursideNHS")  # unverified
    pid = linked(any_db, fake_x, "JaneOkaforCEO")
    plan = plan_sync(any_db, SyncSelection(person_ids=(pid,)))
    assert plan.own_account_id == account(any_db, "RecruiterRita").id
    assert plan.mention_requests == 8  # mentions never fetched yet
    report = sync(any_db, fake_x, SyncSelection(person_ids=(pid,)))
    assert report.error is None
    rita = account(any_db, "RecruiterRita")
    trust = account(any_db, "HarboursideNHS")
    assert tweet_count(any_db, rita.id) == 30  # the own account's tweets
    assert rita.newest_mention_id is not None
    # The trust was not synced, but its tweets that mention Rita came with her mentions;
    # tweets by accounts nobody links to were not kept.
    assert tweet_count(any_db, trust.id) == 0  # unverified: no id to match mentions by
    with any_db.read() as s:
        authors = set(s.scalars(select(Tweet.author_x_user_id).distinct()))
    assert authors == {JANE_ID, RITA_ID}
    # Rita's tweets mention the trust: they show on the organisation's timeline once verified.
    sync(any_db, fake_x, SyncSelection(organisation_ids=(org,)))
    entries = organisation_timeline(any_db, org)
    assert any(e.subtype == "mention" for e in entries)
    assert tweet_count(any_db, account(any_db, "HarboursideNHS").id) == 40
    # Jane's timeline shows her tweets; Rita mentions only the trust, so no "mention" entries.
    assert {e.kind for e in person_timeline(any_db, pid)} == {"tweet"}


def test_timeline_finds_the_own_account_from_the_user_record(
    any_db: Database, fake_x: FakeXServer
) -> None:
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    link_x_account(any_db, organisation_id=org, handle="HarboursideNHS", gateway=gw(any_db, fake_x))
    set_own_account(any_db, "RecruiterRita", gateway=gw(any_db, fake_x))
    settings.set("x_own_handle", "")  # only the User row says which account is ours now
    with any_db.read() as s:
        me = s.scalars(select(User).where(User.name == settings.current_user())).one()
        assert me.x_account_id == account(any_db, "RecruiterRita").id
    sync(any_db, fake_x, SyncSelection(organisation_ids=(org,)))
    assert any(e.subtype == "mention" for e in organisation_timeline(any_db, org))


def test_profiles_refresh_in_batches_of_100_with_a_snapshot_each(
    any_db: Database, fake_x: FakeXServer
) -> None:
    ids = fake_x.add_bulk_users(150)
    with any_db.session() as s:
        for n, uid in enumerate(ids):
            acct = XAccount(
                handle=f"member{n + 1:04d}", x_user_id=uid, status="ok", watched=n < 120
            )
            s.add(Person(first_name="Member", last_name=str(n), sort_name=f"m {n}", x_account=acct))
    plan = plan_sync(any_db, SyncSelection(watched=True, include_own=False))
    assert len(plan.targets) == 120 and plan.lookup_requests == 2
    fake_x.clear_requests()
    report = sync(any_db, fake_x, SyncSelection(watched=True, include_own=False))
    lookups = fake_x.requests_to("/2/users")
    lookups = [r for r in lookups if r.path == "/2/users"]
    assert [len(r.query["ids"].split(",")) for r in lookups] == [100, 20]
    assert all(a.complete for a in report.accounts)
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(FollowerSnapshot)) == 120
        assert s.scalar(select(XAccount.followers_count).where(XAccount.x_user_id == ids[5])) == 15


def test_a_renamed_handle_is_followed_by_id_and_the_link_kept(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.rename(JANE_ID, "JaneOkaforNHS")
    report = sync(any_db, fake_x, only(pid))
    [result] = report.accounts
    assert result.renamed_from == "JaneOkaforCEO" and result.handle == "JaneOkaforNHS"
    with any_db.read() as s:
        p = s.get(Person, pid)
        assert p is not None and p.x_account is not None
        assert p.x_account.handle == "JaneOkaforNHS" and p.x_account.x_user_id == JANE_ID
    assert [p.id for p in search_people(any_db, "JaneOkaforNHS")] == [pid]


def test_two_linked_accounts_swapping_handles_both_follow(
    any_db: Database, fake_x: FakeXServer
) -> None:
    a = linked(any_db, fake_x, "JaneOkaforCEO")
    b = linked(any_db, fake_x, "CllrTomBriggs", first="Tom")
    fake_x.rename(JANE_ID, "swap_tmp")
    fake_x.rename(6 + 1402000000, "JaneOkaforCEO")  # TOM takes Jane's old handle
    fake_x.rename(JANE_ID, "CllrTomBriggs")
    sync(any_db, fake_x, SyncSelection(person_ids=(a, b), include_own=False))
    with any_db.read() as s:
        handles = dict(s.execute(select(XAccount.x_user_id, XAccount.handle)).all())
    assert handles[JANE_ID] == "CllrTomBriggs" and handles[1402000006] == "JaneOkaforCEO"


def test_suspended_protected_and_missing_accounts_are_marked_and_keep_their_tweets(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    sync(any_db, fake_x, only(jane))
    pat = person(any_db, "Pat", "Reilly")
    link_x_account(any_db, person_id=pat, handle="private_pat", gateway=gw(any_db, fake_x))
    ghost = person(any_db, "Gone", "Away")
    link_x_account(any_db, person_id=ghost, handle="nobody_here_x")  # unverified
    fake_x.suspend(JANE_ID)
    fake_x.clear_requests()
    report = sync(any_db, fake_x, SyncSelection(all_linked=True, include_own=False))
    by_handle = {r.handle: r for r in report.accounts}
    assert by_handle["JaneOkaforCEO"].status == "suspended"
    assert "suspended" in (by_handle["JaneOkaforCEO"].message or "")
    assert by_handle["private_pat"].status == "protected"
    assert by_handle["nobody_here_x"].status == "not_found"
    assert "does not exist" in (by_handle["nobody_here_x"].message or "")
    assert fake_x.requests_to("/tweets") == []  # none of them has a readable timeline
    assert tweet_count(any_db) == 250  # Jane's tweets stay
    assert account(any_db, "JaneOkaforCEO").status_detail


def test_a_user_suspended_between_lookup_and_timeline_is_marked(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    sync(any_db, fake_x, only(jane))
    fake_x.protect(JANE_ID)
    # X still reports her unprotected in the lookup cache; the timeline refuses.
    fake_x.users[JANE_ID].protected = False
    original = fake_x._serve

    def serve(endpoint: str, args: dict[str, str], query: dict[str, str]):  # type: ignore[no-untyped-def]
        if endpoint == "/2/users/:id/tweets":
            fake_x.users[JANE_ID].protected = True
        return original(endpoint, args, query)

    fake_x._serve = serve  # type: ignore[method-assign]
    report = sync(any_db, fake_x, only(jane))
    assert report.accounts[0].status == "protected"
    assert tweet_count(any_db) == 250


# --------------------------------------------------------------------------- faults


def test_401_stops_the_sync_with_a_clear_message_and_keeps_what_is_stored(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    sync(any_db, fake_x, only(jane))
    fake_x.fail_next(Fault.UNAUTHORIZED)
    report = sync(any_db, fake_x, only(jane))
    assert report.error is not None and "401" in report.error and "token" in report.error
    assert tweet_count(any_db) == 250
    assert "401" in (account(any_db, "JaneOkaforCEO").status_detail or "")


def test_client_not_enrolled_says_the_plan_cannot_read(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.fail_next(Fault.NOT_ENROLLED)
    report = sync(any_db, fake_x, only(jane))
    assert report.error is not None and "client-not-enrolled" in report.error
    assert "cannot read" in report.error
    assert len(fake_x.requests) == 2  # the link and the refused lookup; nothing more spent


def test_404_and_5xx_after_retries_mark_one_account_and_the_sync_goes_on(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    tom = linked(any_db, fake_x, "CllrTomBriggs", first="Tom")
    sel = SyncSelection(person_ids=(jane, tom), include_own=False)
    # Lookup succeeds; Jane's timeline answers 404 (not retried: it would answer the same).
    original = fake_x.handle
    failing = {"n": 0}

    def handle(method: str, raw_path: str, authorization: str | None):  # type: ignore[no-untyped-def]
        if f"/2/users/{JANE_ID}/tweets" in raw_path and failing["n"] < 3:
            failing["n"] += 1
            fake_x.fail_next(Fault.NOT_FOUND)
        return original(method, raw_path, authorization)

    fake_x.handle = handle  # type: ignore[method-assign]
    report = sync(any_db, fake_x, sel)
    by_handle = {r.handle: r for r in report.accounts}
    assert not by_handle["JaneOkaforCEO"].complete
    assert "404" in (by_handle["JaneOkaforCEO"].message or "")
    assert by_handle["JaneOkaforCEO"].status == "ok"  # X did not say the account is gone
    assert by_handle["CllrTomBriggs"].complete
    assert account(any_db, "JaneOkaforCEO").newest_tweet_id is None
    # A 503 once is retried and the sync completes.
    fake_x.handle = original  # type: ignore[method-assign]
    fake_x.fail_next(Fault.UNAVAILABLE)
    report = sync(any_db, fake_x, sel)
    assert all(r.complete for r in report.accounts)
    assert account(any_db, "JaneOkaforCEO").status_detail is None
    assert tweet_count(any_db) == 250


@pytest.mark.parametrize("fault", [Fault.MALFORMED_JSON, Fault.SLOW])
def test_malformed_json_and_timeouts_are_reported_on_the_account(
    any_db: Database, fake_x: FakeXServer, fault: Fault
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.slow_seconds = 1.0
    fake_x.fail_next(fault)
    report = sync(any_db, fake_x, only(jane), timeout=0.3)
    [result] = report.accounts
    assert report.error is None and not result.complete
    expected = "not the JSON" if fault is Fault.MALFORMED_JSON else "timed out"
    assert expected in (result.message or "")
    assert expected in (account(any_db, "JaneOkaforCEO").status_detail or "")


def test_users_with_errors_in_a_200_answer_are_marked_one_by_one(
    any_db: Database, fake_x: FakeXServer
) -> None:
    with any_db.session() as s:
        for handle, uid in (("JaneOkaforCEO", JANE_ID), ("spammy_sam", SAM_ID), ("gone_x", 42)):
            s.add(
                Person(
                    first_name=handle,
                    last_name="x",
                    sort_name=handle,
                    x_account=XAccount(handle=handle, x_user_id=uid, status="ok"),
                )
            )
    fake_x.clear_requests()
    report = sync(any_db, fake_x, SyncSelection(all_linked=True, include_own=False))
    by_handle = {r.handle: r for r in report.accounts}
    assert by_handle["JaneOkaforCEO"].complete
    assert by_handle["spammy_sam"].status == "suspended"
    assert by_handle["gone_x"].status == "not_found"
    assert len([r for r in fake_x.requests if r.path == "/2/users"]) == 1


# --------------------------------------------------------------------------- rate limits, cancel


def test_a_rate_limit_pauses_reports_the_resume_time_and_carries_on(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    waits: list[datetime] = []
    slept: list[datetime] = []
    original = fake_x.handle
    seen = {"pages": 0}

    def handle(method: str, raw_path: str, authorization: str | None):  # type: ignore[no-untyped-def]
        if "/tweets" in raw_path:
            seen["pages"] += 1
            if seen["pages"] == 2:
                fake_x.fail_next(Fault.RATE_LIMITED)
        return original(method, raw_path, authorization)

    fake_x.handle = handle  # type: ignore[method-assign]
    report = sync(any_db, fake_x, only(jane), on_wait=waits.append, sleep_until=no_wait(slept))
    assert len(waits) == 1 and waits == slept
    assert report.accounts[0].complete and report.accounts[0].new_tweets == 250
    tokens = [r.query.get("pagination_token") for r in fake_x.requests_to("/tweets")]
    assert tokens[1] == tokens[2] and tokens[1] is not None  # the limited page, asked again


def test_a_rate_limit_that_outlasts_the_waits_stops_the_sync(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.fail_next(Fault.RATE_LIMITED, times=5)
    report = sync(any_db, fake_x, only(jane), max_waits=2, sleep_until=no_wait([]))
    assert report.error is not None and "rate limit" in report.error


def test_cancel_between_pages_keeps_stored_pages_and_since_id(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    progress: list[str] = []
    stop = {"now": False}

    def on_progress(done: int, total: int, text: str) -> None:
        progress.append(text)
        if "page 2" in text:
            stop["now"] = True

    report = sync(any_db, fake_x, only(jane), progress=on_progress, cancelled=lambda: stop["now"])
    assert report.cancelled and "cancelled" in report.summary()
    assert tweet_count(any_db) == 200
    assert account(any_db, "JaneOkaforCEO").newest_tweet_id is None  # not moved on
    again = sync(any_db, fake_x, only(jane))
    assert again.accounts[0].new_tweets == 50 and tweet_count(any_db) == 250
    assert account(any_db, "JaneOkaforCEO").newest_tweet_id is not None


# --------------------------------------------------------------------------- usage, secrets, speed


def test_every_request_counts_against_the_month(any_db: Database, fake_x: FakeXServer) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.fail_next(Fault.UNAVAILABLE)  # a retry counts too
    sync(any_db, fake_x, only(jane))
    assert requests_in_month(any_db) == len(fake_x.requests) == 6
    assert x_usage(any_db).requests == 6


def test_no_token_means_a_clear_credentials_error(any_db: Database) -> None:
    with pytest.raises(CredentialsError, match="credentials set"):
        make_gateway(any_db)


def test_the_token_never_reaches_the_database_or_logs(
    db: Database, fake_x: FakeXServer, caplog: pytest.LogCaptureFixture, isolated_home: object
) -> None:
    caplog.set_level(logging.DEBUG)
    jane = linked(db, fake_x, "JaneOkaforCEO")
    fake_x.fail_next(Fault.UNAUTHORIZED)
    sync(db, fake_x, only(jane))
    sync(db, fake_x, only(jane))
    db.dispose()
    assert db.sqlite_path is not None
    secret = fake_x.token.encode()
    for path in db.sqlite_path.parent.glob("crm.sqlite3*"):
        assert secret not in path.read_bytes()
    assert fake_x.token not in caplog.text


def test_store_3200_tweets_from_a_page_sequence_in_bulk(
    any_db: Database, fake_x: FakeXServer
) -> None:
    fake_x.add_user(FakeUser(1500009999, "prolific", "Prolific"), tweet_count=3200, worker=9)
    gateway = XGateway(fake_x.token, fake_x.base_url, timeout=5)
    pages: list[TweetPage] = list(gateway.iter_user_tweets(1500009999))
    assert sum(len(p.tweets) for p in pages) == 3200 and len(pages) == 32
    with any_db.session() as s:
        acct = XAccount(handle="prolific", x_user_id=1500009999, status="ok")
        s.add(acct)
        s.flush()
        account_id = acct.id
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    # Speed is the benchmark's to measure (bench/); here a lost bulk path shows as one
    # statement per tweet instead of a few per page.
    event.listen(any_db.engine, "before_cursor_execute", count)
    try:
        stored = store_tweet_pages(any_db, account_id, pages)
    finally:
        event.remove(any_db.engine, "before_cursor_execute", count)
    assert stored == 3200 and tweet_count(any_db, account_id) == 3200
    assert len(statements) < 400, len(statements)
    assert store_tweet_pages(any_db, account_id, pages) == 0  # idempotent


def test_plan_counts_one_page_for_an_account_already_synced(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    sync(any_db, fake_x, only(jane))
    plan: SyncPlan = plan_sync(any_db, only(jane))
    assert (plan.lookup_requests, plan.timeline_requests, plan.max_requests) == (1, 1, 33)
    settings.set("x_monthly_request_budget", 10)
    assert plan_sync(any_db, only(jane)).over_budget
    assert "over the monthly budget" in plan_sync(any_db, only(jane)).describe()


def test_a_request_that_cannot_be_counted_is_not_sent(db: Database, fake_x: FakeXServer) -> None:
    jane = linked(db, fake_x, "JaneOkaforCEO")
    plan = plan_sync(db, only(jane))
    with db.session() as s:  # the counter cannot be written (as if the database were locked)
        for event in ("INSERT", "UPDATE"):
            s.execute(
                text(
                    f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON x_usage "
                    "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
                )
            )
    fake_x.clear_requests()
    report = run_sync(db, gw(db, fake_x), plan)
    assert report.error is not None and "Could not count the X API request" in report.error
    assert fake_x.requests == []
