"""Linking people and organisations to X accounts, the watch list, the own account, usage,
follower history and logging a tweet as an interaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm import settings
from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.social import SyncSelection
from crm.services.interactions import get_interaction
from crm.services.organisations import OrganisationInput, add_organisation, get_organisation
from crm.services.people import PersonInput, add_person, get_person, resolve_person, search_people
from crm.services.x_plan import plan_sync
from crm.services.x_settings import set_api_url, set_schedule_minutes
from crm.services.x_sync import make_gateway, run_sync
from crm.services.x_usage import record_request, usage_history, x_usage
from crm.services.xlink import (
    clear_own_account,
    follower_history,
    get_own_account,
    link_x_account,
    linked_accounts,
    list_watched,
    log_tweet_as_interaction,
    set_own_account,
    set_watched,
    unlink_x_account,
    x_account_of,
)
from crm.storage.db import Database
from crm.storage.models import AuditEntry, FollowerSnapshot, Tweet, XAccount
from crm.x.gateway import XGateway
from tests.x.fake_x_server import JANE_ID, RITA_ID, FakeXServer


def gw(db: Database, fake_x: FakeXServer) -> XGateway:
    return make_gateway(db, token=fake_x.token, base_url=fake_x.base_url, timeout=2)


def jane(db: Database) -> int:
    return add_person(db, PersonInput("Jane", "Okafor", job_title="Chief Executive"))


@pytest.mark.parametrize(
    "typed",
    [
        "JaneOkaforCEO",
        "@JaneOkaforCEO",
        "x.com/JaneOkaforCEO",
        "https://twitter.com/JaneOkaforCEO/status/1?s=20",
        "  www.x.com/JaneOkaforCEO  ",
    ],
)
def test_link_without_credentials_stores_the_handle_unverified(db: Database, typed: str) -> None:
    pid = jane(db)
    view = link_x_account(db, person_id=pid, handle=typed)
    assert view.handle == "JaneOkaforCEO" and view.x_user_id is None
    assert view.status == "unverified"
    detail = get_person(db, pid)
    assert detail.x_account is not None and detail.x_account.status == "unverified"
    assert [p.id for p in search_people(db, "JaneOkaforCEO")] == [pid]
    assert resolve_person(db, "@janeokaforceo") == pid


def test_an_invalid_handle_is_refused(db: Database) -> None:
    pid = jane(db)
    with pytest.raises(ValidationError, match="not a valid X handle"):
        link_x_account(db, person_id=pid, handle="jane okafor!")
    with pytest.raises(ValidationError, match="not an X profile"):
        link_x_account(db, person_id=pid, handle="facebook.com/jane")
    with pytest.raises(ValidationError, match="not both"):
        link_x_account(db, handle="jane")
    assert get_person(db, pid).x_account is None


def test_link_with_a_gateway_stores_the_user_id_profile_and_a_snapshot(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = jane(any_db)
    view = link_x_account(
        any_db, person_id=pid, handle="@janeokaforceo", gateway=gw(any_db, fake_x)
    )
    assert (view.handle, view.x_user_id, view.status) == ("JaneOkaforCEO", JANE_ID, "ok")
    assert view.followers_count == 8420 and view.display_name == "Dr Jane Okafor"
    assert x_usage(any_db).requests == 1 == len(fake_x.requests)
    history = follower_history(any_db, view.id)
    assert [n for _, n in history] == [8420]
    with any_db.read() as s:
        actions = list(
            s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "person"))
        )
        assert "link_x" in actions


def test_link_to_a_missing_account_is_refused_and_a_suspended_one_is_marked(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = jane(any_db)
    with pytest.raises(NotFoundError, match="does not exist"):
        link_x_account(any_db, person_id=pid, handle="nobody_at_all", gateway=gw(any_db, fake_x))
    assert get_person(any_db, pid).x_account is None
    view = link_x_account(any_db, person_id=pid, handle="spammy_sam", gateway=gw(any_db, fake_x))
    assert view.status == "suspended" and "suspended" in (view.status_detail or "")


def test_verifying_an_unverified_link_reuses_its_row(any_db: Database, fake_x: FakeXServer) -> None:
    pid = jane(any_db)
    first = link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO")
    again = link_x_account(
        any_db, person_id=pid, handle="JaneOkaforCEO", gateway=gw(any_db, fake_x)
    )
    assert again.id == first.id and again.x_user_id == JANE_ID


def test_an_account_linked_elsewhere_is_refused(any_db: Database) -> None:
    pid = jane(any_db)
    other = add_person(any_db, PersonInput("Someone", "Else"))
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO")
    with pytest.raises(ValidationError, match="already linked to Jane Okafor"):
        link_x_account(any_db, person_id=other, handle="@JANEOKAFORCEO")
    with pytest.raises(ValidationError, match="already linked"):
        link_x_account(any_db, organisation_id=org, handle="JaneOkaforCEO")
    view = link_x_account(any_db, organisation_id=org, handle="HarboursideNHS")
    detail = get_organisation(any_db, org)
    assert detail.x_account is not None and detail.x_account.id == view.id
    assert x_account_of(any_db, organisation_id=org) == detail.x_account


def test_a_link_found_by_id_after_a_rename_keeps_its_history(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = jane(any_db)
    first = link_x_account(
        any_db, person_id=pid, handle="JaneOkaforCEO", gateway=gw(any_db, fake_x)
    )
    fake_x.rename(JANE_ID, "JaneOkaforNHS")
    # Linking by the new handle finds the same X user and renames the stored account.
    again = link_x_account(
        any_db, person_id=pid, handle="JaneOkaforNHS", gateway=gw(any_db, fake_x)
    )
    assert again.id == first.id and again.handle == "JaneOkaforNHS"
    assert len(follower_history(any_db, first.id)) == 2


def test_unlink_keeps_tweets_and_relinking_finds_them(
    any_db: Database, fake_x: FakeXServer
) -> None:
    pid = jane(any_db)
    view = link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO", gateway=gw(any_db, fake_x))
    set_watched(any_db, view.id, True)
    run_sync(any_db, gw(any_db, fake_x), plan_sync(any_db, SyncSelection(person_ids=(pid,))))
    unlink_x_account(any_db, person_id=pid)
    assert get_person(any_db, pid).x_account is None
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Tweet)) == 250
        stored = s.get(XAccount, view.id)
        assert stored is not None and not stored.watched
    relinked = link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO")
    assert relinked.id == view.id
    unlink_x_account(any_db, person_id=pid)
    unlink_x_account(any_db, person_id=pid)  # nothing linked: nothing to do


def test_watch_list_and_linked_accounts(any_db: Database) -> None:
    pid = jane(any_db)
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    a = link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO")
    link_x_account(any_db, organisation_id=org, handle="HarboursideNHS")
    set_own_account(any_db, "RecruiterRita")
    assert list_watched(any_db) == []
    assert set_watched(any_db, a.id, True).watched
    [watched] = list_watched(any_db)
    assert (watched.kind, watched.record_id, watched.name) == ("person", pid, "Jane Okafor")
    every = linked_accounts(any_db)
    assert [(x.account.handle, x.kind) for x in every] == [
        ("HarboursideNHS", "organisation"),
        ("JaneOkaforCEO", "person"),
        ("RecruiterRita", "own"),
    ]
    with pytest.raises(NotFoundError):
        set_watched(any_db, 999_999, True)


def test_own_account_is_kept_on_the_user_and_in_settings(
    any_db: Database, fake_x: FakeXServer
) -> None:
    assert get_own_account(any_db) is None
    view = set_own_account(any_db, "@recruiterrita", gateway=gw(any_db, fake_x))
    assert view.x_user_id == RITA_ID and view.handle == "RecruiterRita"
    assert settings.get("x_own_handle") == "RecruiterRita"
    assert get_own_account(any_db) == view
    settings.set("x_own_handle", "")
    own = get_own_account(any_db)
    assert own is not None and own.id == view.id  # found through the user record
    clear_own_account(any_db)
    assert get_own_account(any_db) is None


def test_usage_counts_per_month(any_db: Database) -> None:
    assert x_usage(any_db).requests == 0
    for _ in range(3):
        record_request(any_db)
    usage = x_usage(any_db)
    assert usage.requests == 3 and usage.budget == 10000
    assert "3 X API requests of a budget of 10000" in usage.text
    assert [u.requests for u in usage_history(any_db)] == [3]


def test_follower_history_is_oldest_first(any_db: Database) -> None:
    pid = jane(any_db)
    view = link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO")
    now = datetime.now(UTC)
    with any_db.session() as s:
        for days, n in ((1, 120), (10, 100), (5, 110)):
            s.add(
                FollowerSnapshot(
                    account_id=view.id,
                    taken_at=now - timedelta(days=days),
                    followers=n,
                    following=1,
                    tweets=1,
                )
            )
    history = follower_history(any_db, view.id)
    assert [n for _, n in history] == [100, 110, 120]
    assert all(t.tzinfo is not None for t, _ in history)
    with pytest.raises(NotFoundError):
        follower_history(any_db, 999_999)


def test_log_a_stored_tweet_as_an_interaction_once(any_db: Database, fake_x: FakeXServer) -> None:
    pid = jane(any_db)
    colleague = add_person(any_db, PersonInput("Ade", "Bello"))
    link_x_account(any_db, person_id=pid, handle="JaneOkaforCEO", gateway=gw(any_db, fake_x))
    run_sync(
        any_db,
        gw(any_db, fake_x),
        plan_sync(any_db, SyncSelection(person_ids=(pid,), include_own=False)),
    )
    with any_db.read() as s:
        tweet = s.scalars(select(Tweet).order_by(Tweet.created_at.desc()).limit(1)).one()
        tweet_id, text = tweet.id, tweet.text
    interaction_id = log_tweet_as_interaction(any_db, tweet_id, pid)
    view = get_interaction(any_db, interaction_id)
    assert view.kind == "tweet" and view.direction == "in"
    assert view.summary.startswith("Tweet by @JaneOkaforCEO: ")
    assert view.body is not None and text in view.body and f"/status/{tweet_id}" in view.body
    assert view.people == [(pid, "Jane Okafor")]
    assert log_tweet_as_interaction(any_db, tweet_id, pid) == interaction_id
    assert log_tweet_as_interaction(any_db, tweet_id, colleague) == interaction_id
    assert {p for p, _ in get_interaction(any_db, interaction_id).people} == {pid, colleague}
    with pytest.raises(NotFoundError):
        log_tweet_as_interaction(any_db, 1, pid)


def test_api_url_and_schedule_settings_are_checked() -> None:
    assert set_api_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert settings.get("x_api_url") == "http://127.0.0.1:8080"
    assert set_api_url("") == "https://api.x.com"
    with pytest.raises(ValidationError, match="https"):
        set_api_url("http://proxy.example.org")
    with pytest.raises(ValidationError, match="not a web address"):
        set_api_url("ftp://x")
    set_schedule_minutes(60)
    assert settings.get("x_schedule_minutes") == 60
    set_schedule_minutes(0)
    with pytest.raises(ValidationError, match="15 minutes"):
        set_schedule_minutes(5)
