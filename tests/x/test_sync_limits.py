"""X sync against a hostile or broken server (issue 11 item 11): absurd rate-limit resets,
ids past 64 bits, tokens that cannot travel in a header, a server trickling its answers,
a rate limit ten years away, and credentials written into the API address."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crm.cli import main
from crm.domain.errors import CredentialsError, XApiError
from crm.services.x_plan import plan_sync
from crm.services.x_sync import run_sync
from crm.storage import secrets as credentials
from crm.storage.db import Database
from crm.storage.models import Tweet, XAccount
from crm.x.gateway import XGateway
from tests.x.fake_x_server import JANE_ID, FakeXServer, Fault
from tests.x.test_sync import gw, linked, no_wait, only, sync, tweet_count

TEN_YEARS = 10 * 365 * 86400


@pytest.mark.parametrize(
    "reset", ["99999999999999999999", "-99999999999", "1e30", "253402300800", "soon"]
)
def test_an_absurd_rate_limit_reset_on_a_200_is_ignored(
    fake_x: FakeXServer, gateway: XGateway, reset: str
) -> None:
    fake_x.reset_header = reset
    user = gateway.get_user_by_username("JaneOkaforCEO")
    assert user.id == JANE_ID
    limit = gateway.rate_limit
    assert limit is not None and limit.reset_at is None and limit.remaining is not None


def test_an_absurd_reset_on_a_429_waits_the_default_minute(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.reset_header = "99999999999999999999"
    fake_x.fail_next(Fault.RATE_LIMITED)
    waits: list[datetime] = []
    report = sync(any_db, fake_x, only(jane), sleep_until=no_wait(waits))
    assert report.error is None and report.accounts[0].complete
    [resume_at] = waits
    assert 0 < (resume_at - datetime.now(UTC)).total_seconds() <= 62


def test_a_rate_limit_ten_years_away_stops_the_sync_with_a_clear_message(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.rate_limit_reset_seconds = TEN_YEARS
    fake_x.fail_next(Fault.RATE_LIMITED, times=5)
    waits: list[datetime] = []
    started = time.monotonic()
    report = sync(any_db, fake_x, only(jane), sleep_until=no_wait(waits))
    assert time.monotonic() - started < 10
    assert waits == []  # never asked to sleep for ten years
    assert report.error is not None and "more than 15 minutes away" in report.error
    assert f"{datetime.now(UTC).year + 10}" in report.error  # the date, not just a time


def test_a_tweet_id_past_64_bits_is_skipped_not_fatal(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.add_tweet(JANE_ID, "From the future", id="99999999999999999999")
    fake_x.add_tweet(
        JANE_ID,
        "Quoting a giant",
        referenced_tweets=[{"type": "quoted", "id": "18446744073709551616"}],
        edit_history_tweet_ids=["99999999999999999999"],
    )
    report = sync(any_db, fake_x, only(jane))
    assert report.error is None and report.accounts[0].complete
    assert tweet_count(any_db) == 251  # the 250 and the quote; the giant is skipped
    with any_db.read() as s:
        texts = set(s.scalars(select(Tweet.text)))
    assert "Quoting a giant" in texts and "From the future" not in texts


@pytest.mark.parametrize("token", ["AAAA\u201dBBBB", "AAAAé", "AAAA\u200bBBBB", "AAAA\x07"])
def test_a_token_with_a_character_no_header_can_carry(
    fake_x: FakeXServer,
    token: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(CredentialsError, match="paste it again"):
        XGateway(token, fake_x.base_url)
    with pytest.raises(CredentialsError, match="paste it again"):
        credentials.set_bearer_token(token)
    monkeypatch.setenv("CRM_X_API_URL", fake_x.base_url)
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", token)
    assert main(["person", "add", "Jane", "Okafor"]) == 0
    capsys.readouterr()
    assert main(["x", "link", "Jane Okafor", "@JaneOkaforCEO"]) == 0  # stored unverified
    _, err = capsys.readouterr()
    assert "paste it again" in err and "Traceback" not in err
    assert main(["x", "sync", "--all"]) == 1
    _, err = capsys.readouterr()
    assert "paste it again" in err and "Traceback" not in err


def test_a_trickling_server_cannot_hold_a_request(fake_x: FakeXServer) -> None:
    """Every read gets a byte within its timeout; the whole answer never comes in time."""
    fake_x.trickle_seconds = 0.1  # the answer is ~1,000 bytes: about 100 s in all
    fake_x.fail_next(Fault.TRICKLE)
    gateway = XGateway(fake_x.token, fake_x.base_url, timeout=0.5, request_deadline=1.5)
    started = time.monotonic()
    with pytest.raises(XApiError, match="too slowly") as info:
        gateway.get_user_by_username("JaneOkaforCEO")
    assert time.monotonic() - started < 5
    assert info.value.reason == "deadline"
    # The connection was cut, not the gateway: the next request is answered.
    assert gateway.get_user_by_username("JaneOkaforCEO").id == JANE_ID


def test_a_trickling_server_stops_the_sync_within_its_deadline(
    any_db: Database, fake_x: FakeXServer
) -> None:
    people = [linked(any_db, fake_x, h) for h in ("JaneOkaforCEO", "HarboursideNHS")]
    fake_x.trickle_seconds = 0.1
    fake_x.fail_next(Fault.TRICKLE, times=20)
    plan = plan_sync(any_db, only(people[0]))
    gateway = gw(any_db, fake_x, timeout=0.5)  # each request may take 1.5 s in all
    started = time.monotonic()
    report = run_sync(any_db, gateway, plan, deadline=3.0)
    elapsed = time.monotonic() - started
    assert elapsed < 6
    assert report.error is not None and "too slowly" in report.error


def test_the_overall_deadline_bounds_a_sync(any_db: Database, fake_x: FakeXServer) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    fake_x.slow_seconds = 0.4
    fake_x.fail_next(Fault.SLOW, times=50)  # slow but within each request's time
    plan = plan_sync(any_db, only(jane))
    started = time.monotonic()
    report = run_sync(any_db, gw(any_db, fake_x, timeout=2.0), plan, deadline=1.0)
    assert time.monotonic() - started < 4
    assert report.error is not None and "time is up" in report.error
    assert not report.accounts[0].complete


def test_credentials_in_the_api_url_are_never_shown_or_stored(
    any_db: Database, fake_x: FakeXServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "hunter2secret"
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    port = int(fake_x.base_url.rsplit(":", 1)[1])
    with_secret = f"http://admin:{secret}@127.0.0.1:{port}"
    gateway = XGateway(fake_x.token, with_secret, timeout=2)
    assert secret not in repr(gateway) and secret not in gateway.base_url
    assert gateway.get_user_by_username("JaneOkaforCEO").id == JANE_ID
    fake_x.stop()  # now every request fails to connect, with the host in the message
    plan = plan_sync(any_db, only(jane))
    dead = XGateway(fake_x.token, with_secret, timeout=1, backoff_base=0)
    report = run_sync(any_db, dead, plan)
    details = [a.message or "" for a in report.accounts] + [report.error or ""]
    with any_db.read() as s:
        details += [x.status_detail or "" for x in s.scalars(select(XAccount))]
    assert any("127.0.0.1" in d for d in details)  # the host is named...
    assert not any(secret in d or "admin" in d for d in details)  # ...never the credentials
    assert secret not in caplog.text
    with pytest.raises(Exception) as info:
        XGateway(fake_x.token, f"ftp://admin:{secret}@example.org")
    assert secret not in str(info.value)


def cli_with_jane_linked(fake_x: FakeXServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """``crm`` in this process against the fake X API, with Jane Okafor linked."""
    monkeypatch.setenv("CRM_X_API_URL", fake_x.base_url)
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    assert main(["person", "add", "Jane", "Okafor"]) == 0
    assert main(["x", "link", "Jane Okafor", "@JaneOkaforCEO"]) == 0


def test_crm_x_sync_exits_non_zero_when_nothing_synced(
    fake_x: FakeXServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_with_jane_linked(fake_x, monkeypatch)
    fake_x.fail_next(Fault.FORBIDDEN)  # the lookup is refused (a 403 is not retried)
    capsys.readouterr()
    assert main(["x", "sync", "--all", "--no-own"]) == 1
    out, err = capsys.readouterr()
    assert "0 of 1 account synced" in out
    assert err.startswith("crm: ") and "nothing was synced" in err
    assert main(["x", "sync", "--all", "--no-own"]) == 0  # the server is back: all is well
