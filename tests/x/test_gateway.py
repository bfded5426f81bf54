"""The X gateway against the fake X API server: lookups, paging, batching, faults, rate limits
and the promise that the token never leaks into an exception or a log line."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from crm.domain.errors import (
    Cancelled,
    CredentialsError,
    CrmError,
    RateLimitedError,
    ValidationError,
    XApiError,
)
from crm.x.gateway import USER_TWEETS, USERS_BY_IDS, XGateway
from crm.x.ratelimit import RateLimitWait, call_with_rate_limit_wait, sleep_until
from crm.x.transport import rewrite_url
from crm.x.types import AccountProblem, XAccountUnavailable
from tests.x.fake_x_server import (
    JANE_ID,
    PAT_ID,
    RITA_ID,
    SAM_ID,
    TOM_ID,
    TRUST_ID,
    FakeXServer,
    Fault,
)


def make_gateway(
    fake_x: FakeXServer, sleeps: list[float] | None = None, **kwargs: object
) -> XGateway:
    """A gateway on the fake server that records backoff sleeps instead of sleeping."""
    recorded = sleeps if sleeps is not None else []
    options: dict[str, object] = {"timeout": 2, "backoff_base": 0.5, "sleep": recorded.append}
    options.update(kwargs)
    return XGateway(fake_x.token, fake_x.base_url, **options)  # type: ignore[arg-type]


def no_sleep(calls: list[datetime]) -> Callable[[datetime, Callable[[], bool]], None]:
    def sleep(resume_at: datetime, cancelled: Callable[[], bool]) -> None:
        calls.append(resume_at)

    return sleep


# --------------------------------------------------------------------------- redirect


def test_rewrite_url_replaces_both_official_hosts_and_keeps_path_and_query() -> None:
    assert (
        rewrite_url("https://api.twitter.com/2/users/by?usernames=a", "http://127.0.0.1:9/")
        == "http://127.0.0.1:9/2/users/by?usernames=a"
    )
    assert (
        rewrite_url("https://api.x.com/2/users/1/tweets", "https://proxy.example.org/x-api")
        == "https://proxy.example.org/x-api/2/users/1/tweets"
    )
    assert rewrite_url("https://example.org/2/users", "http://127.0.0.1:9") == (
        "https://example.org/2/users"
    )


def test_requests_go_to_the_configured_server_with_the_bearer_token(
    fake_x: FakeXServer, gateway: XGateway, requests_sent: list[int]
) -> None:
    gateway.get_user_by_username("@JaneOkaforCEO")

    [request] = fake_x.requests
    assert request.path == "/2/users/by/username/JaneOkaforCEO"
    assert request.authorization == f"Bearer {fake_x.token}"
    assert "public_metrics" in request.query["user.fields"].split(",")
    assert requests_sent == [1]


def test_an_invalid_api_url_or_an_empty_token_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        XGateway("token", "ftp://example.org")
    assert info.value.field == "x_api_url"
    with pytest.raises(CredentialsError):
        XGateway("   ", "https://api.x.com")


# --------------------------------------------------------------------------- users


def test_user_lookup_returns_the_profile_with_counts_and_aware_utc_dates(
    gateway: XGateway,
) -> None:
    user = gateway.get_user_by_username("janeokaforceo")

    assert user.id == JANE_ID
    assert user.username == "JaneOkaforCEO"
    assert user.name == "Dr Jane Okafor"
    assert user.location == "Bristol, England"
    assert user.url == "https://www.harbourside.nhs.uk/about/board"  # expanded, not t.co
    assert user.created_at == datetime(2011, 2, 3, 10, 15, tzinfo=UTC)
    assert user.created_at.utcoffset() == timedelta(0)
    assert (user.followers_count, user.following_count, user.tweet_count) == (8420, 1211, 250)
    assert user.listed_count == 97
    assert user.protected is False


def test_a_handle_that_is_not_a_handle_is_refused_before_any_request(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    for bad in ("../../2/tweets", "jane okafor", "", "a" * 16):
        with pytest.raises(ValidationError):
            gateway.get_user_by_username(bad)
    assert fake_x.requests == []


def test_user_lookup_of_a_missing_or_suspended_account_says_which(gateway: XGateway) -> None:
    with pytest.raises(XAccountUnavailable) as missing:
        gateway.get_user_by_username("nobody_here")
    assert missing.value.problem is AccountProblem.NOT_FOUND
    assert "@nobody_here does not exist" in missing.value.message

    with pytest.raises(XAccountUnavailable) as suspended:
        gateway.get_user_by_username("spammy_sam")
    assert suspended.value.problem is AccountProblem.SUSPENDED
    assert isinstance(suspended.value, XApiError)


def test_get_users_batches_250_ids_into_three_requests(
    fake_x: FakeXServer, gateway: XGateway, requests_sent: list[int]
) -> None:
    ids = fake_x.add_bulk_users(250)

    result = gateway.get_users(ids=ids)

    sent = fake_x.requests_to("/2/users")
    assert [len(r.query["ids"].split(",")) for r in sent] == [100, 100, 50]
    assert len(requests_sent) == 3
    assert sorted(result.by_id()) == ids
    assert result.errors == ()
    assert result.by_username()["member0250"].followers_count == 259


def test_get_users_reports_missing_and_suspended_accounts_per_user(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    result = gateway.get_users(ids=[JANE_ID, SAM_ID, 999, PAT_ID, JANE_ID])

    assert sorted(result.by_id()) == [JANE_ID, PAT_ID]  # duplicates asked for once
    assert result.by_id()[PAT_ID].protected is True
    problems = {e.value: e.problem for e in result.errors}
    assert problems == {str(SAM_ID): AccountProblem.SUSPENDED, "999": AccountProblem.NOT_FOUND}
    assert all(e.parameter == "ids" for e in result.errors)
    assert len(fake_x.requests) == 1

    by_name = gateway.get_users(usernames=["@HarboursideNHS", "nobody_here"])
    assert [u.id for u in by_name.users] == [TRUST_ID]
    [error] = by_name.errors
    assert (error.value, error.problem) == ("nobody_here", AccountProblem.NOT_FOUND)
    assert "does not exist" in error.message


def test_get_users_with_nothing_to_ask_sends_nothing(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    assert gateway.get_users(ids=[], usernames=[]).users == ()
    assert fake_x.requests == []


def test_a_renamed_account_is_found_by_id_with_its_new_handle(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    fake_x.rename(JANE_ID, "JaneOkaforNHS")

    [user] = gateway.get_users(ids=[JANE_ID]).users
    assert (user.id, user.username) == (JANE_ID, "JaneOkaforNHS")
    with pytest.raises(XAccountUnavailable):
        gateway.get_user_by_username("JaneOkaforCEO")


# --------------------------------------------------------------------------- timelines


def test_iter_user_tweets_follows_next_token_through_all_250_tweets(
    fake_x: FakeXServer, gateway: XGateway, requests_sent: list[int]
) -> None:
    pages = list(gateway.iter_user_tweets(JANE_ID))

    assert [len(p.tweets) for p in pages] == [100, 100, 50]
    ids = [t.id for p in pages for t in p.tweets]
    assert ids == sorted(set(ids), reverse=True)  # unique, newest first
    assert ids == [int(t["id"]) for t in fake_x.tweets_of(JANE_ID)]
    created = [t.created_at for p in pages for t in p.tweets]
    assert created == sorted(created, reverse=True)
    assert pages[0].newest_id == ids[0]
    assert pages[-1].oldest_id == ids[-1]
    assert pages[-1].next_token is None

    sent = fake_x.requests_to("/tweets")
    assert "pagination_token" not in sent[0].query
    assert sent[1].query["pagination_token"] == pages[0].next_token
    assert sent[2].query["pagination_token"] == pages[1].next_token
    assert len(requests_sent) == 3


def test_since_id_fetches_only_newer_tweets(fake_x: FakeXServer, gateway: XGateway) -> None:
    newest = int(fake_x.tweets_of(JANE_ID)[0]["id"])
    first = fake_x.add_tweet(JANE_ID, "Board papers are out today.")
    second = fake_x.add_tweet(JANE_ID, "Thank you, volunteers!")

    pages = list(gateway.iter_user_tweets(JANE_ID, since_id=newest))

    assert [t.id for p in pages for t in p.tweets] == [int(second["id"]), int(first["id"])]
    [request] = fake_x.requests
    assert request.query["since_id"] == str(newest)


def test_an_up_to_date_timeline_is_one_empty_page(fake_x: FakeXServer, gateway: XGateway) -> None:
    newest = int(fake_x.tweets_of(JANE_ID)[0]["id"])

    [page] = list(gateway.iter_user_tweets(JANE_ID, since_id=newest))

    assert (page.tweets, page.result_count, page.newest_id, page.next_token) == ((), 0, None, None)
    assert len(fake_x.requests) == 1


def test_an_account_that_never_tweeted_has_an_empty_timeline(gateway: XGateway) -> None:
    page = gateway.get_user_tweets(TOM_ID)
    assert page.tweets == () and page.next_token is None


def test_max_tweets_caps_the_requests_and_the_tweets(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    pages = list(gateway.iter_user_tweets(JANE_ID, max_tweets=120))

    assert sum(len(p.tweets) for p in pages) == 120
    assert [r.query["max_results"] for r in fake_x.requests] == ["100", "20"]

    fake_x.clear_requests()
    [page] = list(gateway.iter_user_tweets(JANE_ID, max_tweets=3))
    assert len(page.tweets) == 3 and page.next_token is None
    assert fake_x.requests[0].query["max_results"] == "5"  # X's minimum page size


def test_tweets_carry_references_mentions_metrics_and_raw_json(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    page = gateway.get_user_tweets(JANE_ID, max_results=12)
    tweets = {i: t for i, t in enumerate(page.tweets)}

    first = tweets[0]
    assert first.author_id == JANE_ID
    assert first.conversation_id == first.id
    assert first.mentioned_user_ids == (TRUST_ID,)
    assert first.metrics["impression_count"] == 400
    stored = fake_x.tweets_of(JANE_ID)[0]
    assert first.raw == {k: v for k, v in stored.items() if k != "lang"}  # lang not asked for
    assert first.created_at.tzinfo is not None

    reply = tweets[1]
    assert reply.in_reply_to_user_id == TRUST_ID
    assert reply.replied_to_id is not None and reply.conversation_id == reply.replied_to_id

    edited = tweets[2]
    assert len(edited.edit_history_ids) == 2 and edited.edit_history_ids[-1] == edited.id

    quote = tweets[3]
    assert quote.quoted_id is not None and quote.mentioned_user_ids == (RITA_ID,)

    retweet = tweets[4]
    assert retweet.retweeted_id is not None and retweet.text.startswith("RT @HarboursideNHS")

    assert {u.id for u in page.users} >= {JANE_ID, TRUST_ID, RITA_ID}
    query = fake_x.requests[0].query
    assert set(query["tweet.fields"].split(",")) >= {
        "created_at",
        "conversation_id",
        "in_reply_to_user_id",
        "referenced_tweets",
        "entities",
        "public_metrics",
        "edit_history_tweet_ids",
        "author_id",
    }


def test_a_mention_without_an_id_is_resolved_from_the_included_users(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    fake_x.add_tweet(
        JANE_ID,
        "Welcome @RecruiterRita",
        entities={"mentions": [{"start": 8, "end": 22, "username": "RecruiterRita"}]},
    )

    tweet = gateway.get_user_tweets(JANE_ID, max_results=5).tweets[0]

    assert tweet.mentioned_user_ids == (RITA_ID,)


def test_mentions_are_tweets_by_others_naming_the_account(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    pages = list(gateway.iter_users_mentions(RITA_ID))
    tweets = [t for p in pages for t in p.tweets]

    assert tweets and all(RITA_ID in t.mentioned_user_ids for t in tweets)
    assert all(t.author_id != RITA_ID for t in tweets)
    assert fake_x.requests[0].path == f"/2/users/{RITA_ID}/mentions"


def test_timeline_of_protected_suspended_or_missing_accounts_says_which(
    gateway: XGateway,
) -> None:
    for user_id, problem in (
        (PAT_ID, AccountProblem.PROTECTED),
        (SAM_ID, AccountProblem.SUSPENDED),
        (4242, AccountProblem.NOT_FOUND),
    ):
        with pytest.raises(XAccountUnavailable) as info:
            gateway.get_user_tweets(user_id)
        assert info.value.problem is problem
    with pytest.raises(XAccountUnavailable, match="protects their tweets"):
        list(gateway.iter_user_tweets(PAT_ID))


# --------------------------------------------------------------------------- faults


def test_401_means_the_token_was_refused_and_is_not_retried(fake_x: FakeXServer) -> None:
    fake_x.fail_next(Fault.UNAUTHORIZED, times=3)

    with pytest.raises(CredentialsError, match="X refused the token"):
        make_gateway(fake_x).get_user_by_username("JaneOkaforCEO")
    assert len(fake_x.requests) == 1


def test_a_wrong_token_is_refused_by_the_server(fake_x: FakeXServer) -> None:
    gateway = XGateway("not-the-token", fake_x.base_url, backoff_base=0)
    with pytest.raises(CredentialsError):
        gateway.get_users(ids=[JANE_ID])


def test_client_not_enrolled_says_the_api_plan_cannot_read(fake_x: FakeXServer) -> None:
    fake_x.fail_next(Fault.NOT_ENROLLED, times=3)

    with pytest.raises(XApiError) as info:
        make_gateway(fake_x).get_user_tweets(JANE_ID)

    assert info.value.status == 403
    assert info.value.reason == "client-not-enrolled"
    assert "API plan" in info.value.message and "cannot read" in info.value.message
    assert len(fake_x.requests) == 1


def test_server_errors_are_retried_with_backoff_then_reported(fake_x: FakeXServer) -> None:
    fake_x.fail_next(Fault.UNAVAILABLE, times=3)
    sleeps: list[float] = []

    with pytest.raises(XApiError) as info:
        make_gateway(fake_x, sleeps).get_users(ids=[JANE_ID])

    assert info.value.status == 503
    assert "HTTP 503" in info.value.message
    assert len(fake_x.requests) == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff


@pytest.mark.parametrize(("fault", "status"), [(Fault.FORBIDDEN, 403), (Fault.NOT_FOUND, 404)])
def test_403_and_404_are_not_retried(fake_x: FakeXServer, fault: Fault, status: int) -> None:
    # Each retry would be billed or wasted: X answers a 403 or a 404 the same way again.
    fake_x.fail_next(fault, times=3)
    sleeps: list[float] = []

    with pytest.raises(XApiError) as info:
        make_gateway(fake_x, sleeps).get_users(ids=[JANE_ID])

    assert info.value.status == status and f"HTTP {status}" in info.value.message
    assert len(fake_x.requests) == 1 and sleeps == []


def test_a_503_then_success_returns_the_answer(fake_x: FakeXServer) -> None:
    fake_x.fail_next(Fault.UNAVAILABLE)
    sleeps: list[float] = []
    counted: list[int] = []

    gateway = make_gateway(fake_x, sleeps, on_request=lambda: counted.append(1))
    user = gateway.get_user_by_username("HarboursideNHS")

    assert user.id == TRUST_ID
    assert len(fake_x.requests) == 2 and len(counted) == 2
    assert sleeps == [0.5]


def test_malformed_json_is_an_api_error(fake_x: FakeXServer, gateway: XGateway) -> None:
    fake_x.fail_next(Fault.MALFORMED_JSON)

    with pytest.raises(XApiError, match="not the JSON"):
        gateway.get_user_tweets(JANE_ID)
    assert len(fake_x.requests) == 1


def test_a_slow_server_times_out_with_a_clear_message(fake_x: FakeXServer) -> None:
    fake_x.fail_next(Fault.SLOW)
    fake_x.slow_seconds = 1.0

    with pytest.raises(XApiError, match="timed out"):
        make_gateway(fake_x, timeout=0.2).get_user_by_username("JaneOkaforCEO")


def test_no_server_at_the_api_url_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = XGateway("token", f"http://127.0.0.1:{port}", timeout=1, backoff_base=0)

    with pytest.raises(XApiError, match=r"Could not connect to the X API at 127\.0\.0\.1"):
        gateway.get_user_by_username("JaneOkaforCEO")


def test_on_request_can_stop_a_request_before_it_is_sent(fake_x: FakeXServer) -> None:
    def over_budget() -> None:
        raise CrmError("This month's X request budget is used up.")

    gateway = make_gateway(fake_x, on_request=over_budget)
    with pytest.raises(CrmError, match="budget"):
        gateway.get_users(ids=[JANE_ID])
    assert fake_x.requests == []


# --------------------------------------------------------------------------- rate limits


def test_rate_limit_headers_are_remembered_per_endpoint(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    gateway.get_users(ids=[JANE_ID])
    gateway.get_users(ids=[TRUST_ID])
    gateway.get_user_tweets(JANE_ID)

    users_limit = gateway.rate_limit_for(USERS_BY_IDS)
    assert users_limit is not None
    assert (users_limit.limit, users_limit.remaining) == (300, 298)
    assert users_limit.reset_at is not None and users_limit.reset_at > datetime.now(UTC)
    assert gateway.rate_limit is not None and gateway.rate_limit.endpoint == USER_TWEETS


def test_429_raises_rate_limited_with_the_reset_time(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    fake_x.fail_next(Fault.RATE_LIMITED)

    with pytest.raises(RateLimitedError) as info:
        gateway.get_user_tweets(JANE_ID)

    seconds = (info.value.reset_at - datetime.now(UTC)).total_seconds()
    assert 0 < seconds <= 2.5
    assert len(fake_x.requests) == 1  # no retry and no tweepy wait
    assert gateway.rate_limit is not None and gateway.rate_limit.remaining == 0


def test_waiting_out_a_rate_limit_resumes_after_the_reset(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    fake_x.fail_next(Fault.RATE_LIMITED)
    countdown: list[datetime] = []

    user = call_with_rate_limit_wait(
        lambda: gateway.get_user_by_username("JaneOkaforCEO"),
        on_wait=countdown.append,
        margin=timedelta(0),
    )

    assert user.id == JANE_ID
    assert len(countdown) == 1
    assert datetime.now(UTC) >= countdown[0]  # it really waited for the reset
    assert len(fake_x.requests) == 2


def test_cancelling_during_a_rate_limit_wait_raises_cancelled(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    fake_x.fail_next(Fault.RATE_LIMITED)
    fake_x.rate_limit_reset_seconds = 30
    cancel = {"now": False}

    def on_wait(_resume_at: datetime) -> None:
        cancel["now"] = True  # the user presses Cancel as the countdown appears

    started = datetime.now(UTC)
    with pytest.raises(Cancelled):
        call_with_rate_limit_wait(
            lambda: gateway.get_user_tweets(JANE_ID),
            on_wait=on_wait,
            cancelled=lambda: cancel["now"],
        )
    assert (datetime.now(UTC) - started).total_seconds() < 5
    assert len(fake_x.requests) == 1


def test_rate_limit_waits_are_bounded(fake_x: FakeXServer, gateway: XGateway) -> None:
    fake_x.fail_next(Fault.RATE_LIMITED, times=5)
    slept: list[datetime] = []

    with pytest.raises(RateLimitedError):
        call_with_rate_limit_wait(
            lambda: gateway.get_user_tweets(JANE_ID), sleep_until=no_sleep(slept), max_waits=2
        )
    assert len(slept) == 2 and len(fake_x.requests) == 3


def test_paging_pauses_for_a_rate_limit_and_carries_on_where_it_stopped(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    slept: list[datetime] = []
    waiter = RateLimitWait(sleep_until=no_sleep(slept))
    pages = gateway.iter_user_tweets(JANE_ID, rate_limit_wait=waiter)

    first = next(pages)
    fake_x.fail_next(Fault.RATE_LIMITED)
    rest = list(pages)

    ids = [t.id for p in [first, *rest] for t in p.tweets]
    assert len(ids) == len(set(ids)) == 250
    assert len(slept) == 1
    tokens = [r.query.get("pagination_token") for r in fake_x.requests]
    assert tokens == [None, first.next_token, first.next_token, rest[0].next_token]


def test_cancelling_between_pages_stops_paging(fake_x: FakeXServer, gateway: XGateway) -> None:
    pages_seen: list[int] = []

    with pytest.raises(Cancelled):
        for page in gateway.iter_user_tweets(JANE_ID, cancelled=lambda: bool(pages_seen)):
            pages_seen.append(len(page.tweets))
    assert pages_seen == [100]
    assert len(fake_x.requests) == 1


def test_batched_lookup_waits_per_batch_without_refetching(
    fake_x: FakeXServer, gateway: XGateway
) -> None:
    ids = fake_x.add_bulk_users(150)
    fake_x.fail_next(Fault.RATE_LIMITED)
    slept: list[datetime] = []

    result = gateway.get_users(ids=ids, rate_limit_wait=RateLimitWait(sleep_until=no_sleep(slept)))

    assert len(result.users) == 150
    assert len(fake_x.requests) == 3  # the limited batch again, not the whole lookup
    assert len(slept) == 1


def test_sleep_until_returns_at_once_for_a_past_time_and_raises_when_cancelled() -> None:
    sleep_until(datetime.now(UTC) - timedelta(seconds=5), lambda: False)
    with pytest.raises(Cancelled):
        sleep_until(datetime.now(UTC) + timedelta(hours=1), lambda: True)


# --------------------------------------------------------------------------- secrecy


FAULTS_TO_LEAK_THROUGH = [
    Fault.UNAUTHORIZED,
    Fault.NOT_ENROLLED,
    Fault.FORBIDDEN,
    Fault.NOT_FOUND,
    Fault.UNAVAILABLE,
    Fault.MALFORMED_JSON,
    Fault.RATE_LIMITED,
    Fault.SLOW,
]


@pytest.mark.parametrize("fault", FAULTS_TO_LEAK_THROUGH)
def test_the_token_never_appears_in_exceptions_or_logs(
    fake_x: FakeXServer, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_x.fail_next(fault, times=3)
    fake_x.slow_seconds = 0.5
    gateway = make_gateway(fake_x, timeout=0.2)

    with pytest.raises(CrmError) as info:
        gateway.get_user_tweets(JANE_ID)

    error = info.value
    token = fake_x.token
    assert error.__cause__ is None and error.__context__ is None  # nothing chained to it
    texts = [
        str(error),
        repr(error),
        repr(error.args),
        "".join(traceback.format_exception(error)),
        repr(gateway),
        caplog.text,
        *(record.getMessage() for record in caplog.records),
    ]
    for text in texts:
        assert token not in text
        assert token[20:40] not in text
    # tweepy did log the request headers: redacted, which is what makes this test mean something
    assert "Bearer [redacted]" in caplog.text


def test_the_token_never_appears_in_logs_of_a_successful_sync(
    fake_x: FakeXServer, gateway: XGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    list(gateway.iter_user_tweets(JANE_ID))
    gateway.get_users(usernames=["JaneOkaforCEO", "spammy_sam"])

    assert fake_x.token not in caplog.text
    assert fake_x.token not in repr(gateway)
