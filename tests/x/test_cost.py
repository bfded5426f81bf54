"""The X bill: plans priced in dollars and pounds before they run, resources counted once per
UTC day, the monthly budget refusing and stopping a sync, legacy caps, refresh cadences and
the usage summary; against the fake X API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from crm.cli import main
from crm.domain.social import SyncSelection
from crm.domain.xcost import Cadence, ResourceKind, XPlan
from crm.services import x_settings
from crm.services.x_cadence import cadence_of, set_cadence
from crm.services.x_plan import plan_sync
from crm.services.x_usage import month_spend, usage_month
from crm.services.xlink import set_watched
from crm.storage.db import Database
from crm.storage.models import XAccount
from crm.storage.types import utcnow
from tests.x.fake_x_server import FakeXServer
from tests.x.test_sync import account, linked, only, sync, tweet_count
from tests.x.test_sync_limits import cli_with_jane_linked


def test_a_plan_prices_the_resources_it_will_read_in_dollars_and_pounds(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")  # the lookup reads her profile: $0.01
    plan = plan_sync(any_db, only(jane))
    assert plan.cost is not None
    # 250 posts known, never synced: all 250 at $0.005; her profile is free again today.
    assert plan.cost.expected[ResourceKind.POST] == 250
    assert plan.cost.expected[ResourceKind.USER] == 0 and plan.cost.free_profiles == 1
    assert plan.cost.expected_micros == 1_250_000
    text = plan.describe()
    assert "Estimated cost: $1.25 (£0.99)" in text
    assert "This month so far: $0.01 (£0.01) of a $20.00 (£15.80) budget." in text
    assert len(fake_x.requests) == 1  # the lookup at linking; planning sent nothing


def test_a_sync_counts_resources_once_per_utc_day_and_the_usage_sums_them(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    report = sync(any_db, fake_x, only(jane))
    assert report.reads == {"post": 250}  # her profile was read at linking, today
    assert report.cost == "$1.25 (£0.99)"
    assert "$1.25 (£0.99)" in report.summary()
    again = sync(any_db, fake_x, only(jane))  # same day: the profile again, no new posts
    assert again.reads == {} and again.cost == "$0.00 (£0.00)"
    month = usage_month(any_db, x_settings.pricing())
    assert month.counts[ResourceKind.POST] == 250 and month.counts[ResourceKind.USER] == 1
    assert month.micros == 1_260_000 and len(month.days) == 1
    assert month.days[0].counts == {ResourceKind.POST: 250, ResourceKind.USER: 1}
    assert month.requests == len(fake_x.requests)
    assert "$1.26 (£1.00) of a $20.00 (£15.80) budget" in month.summary()


def test_the_budget_stops_a_sync_midway_keeping_what_it_stored_then_refuses(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    # $0.01 spent; a page of 100 posts is $0.50: the first page fits, the second could not.
    x_settings.set_pricing(budget_usd="0.60")
    plan = plan_sync(any_db, only(jane))
    assert plan.refusal is None and plan.cost is not None and plan.cost.may_pass_budget
    assert "stops there" in plan.describe()
    report = sync(any_db, fake_x, only(jane))
    assert report.error is not None and "budget of $0.60" in report.error
    assert tweet_count(any_db) == 100  # the page read before the stop is kept
    assert account(any_db, "JaneOkaforCEO").newest_tweet_id is None  # the next sync fills in
    assert month_spend(any_db)[0] == 510_000
    refused = plan_sync(any_db, only(jane))
    assert refused.refusal is not None and "budget" in refused.refusal
    x_settings.set_pricing(budget_usd="0")  # no budget: the rest comes in
    assert sync(any_db, fake_x, only(jane)).error is None and tweet_count(any_db) == 250


def test_a_legacy_plan_costs_nothing_per_read_and_stops_at_its_post_cap(
    any_db: Database, fake_x: FakeXServer
) -> None:
    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    pricing = x_settings.set_pricing(plan=XPlan.LEGACY, legacy_post_cap=150)
    assert pricing.plan is XPlan.LEGACY and "150 posts read a month" in pricing.describe()
    plan = plan_sync(any_db, only(jane))
    assert plan.cost is not None and plan.cost.expected_micros == 0
    assert "0 of 150 posts read" in plan.describe()
    report = sync(any_db, fake_x, only(jane))
    assert report.error is not None and "150 posts" in report.error
    assert tweet_count(any_db) == 100


def test_settings_refuse_nonsense_before_storing_anything() -> None:
    from crm.domain.errors import ValidationError

    with pytest.raises(ValidationError):
        x_settings.set_pricing(budget_usd="10", usd_to_gbp="lots")
    with pytest.raises(ValidationError):
        x_settings.set_pricing(prices={ResourceKind.POST: "-1"})
    with pytest.raises(ValidationError):
        x_settings.set_pricing(plan="gold")
    pricing = x_settings.pricing()
    assert pricing.budget_usd == 20 and pricing.price_micros(ResourceKind.POST) == 5000
    assert x_settings.set_pricing(usd_to_gbp="0.8").money(1_000_000) == "$1.00 (£0.80)"


def test_cadence_tiers_default_from_tags_and_a_due_sync_reads_only_what_is_due(
    any_db: Database, fake_x: FakeXServer
) -> None:
    from crm.services.people import PersonInput, add_person
    from crm.services.xlink import link_x_account
    from tests.x.test_sync import gw

    jane = linked(any_db, fake_x, "JaneOkaforCEO")
    client = add_person(any_db, PersonInput("Tom", "Briggs", is_client_contact=True))
    link_x_account(any_db, person_id=client, handle="CllrTomBriggs", gateway=gw(any_db, fake_x))
    ids = [account(any_db, h).id for h in ("JaneOkaforCEO", "CllrTomBriggs")]
    for account_id in ids:
        set_watched(any_db, account_id, True)
    assert cadence_of(any_db, ids) == {ids[0]: Cadence.MONTHLY, ids[1]: Cadence.WEEKLY}
    due = SyncSelection(watched=True, include_own=False, due_only=True)
    assert {t.handle for t in plan_sync(any_db, due).targets} == {"JaneOkaforCEO", "CllrTomBriggs"}
    sync(any_db, fake_x, SyncSelection(watched=True, include_own=False))
    assert plan_sync(any_db, due).targets == ()  # both synced just now
    eight_days_ago = utcnow() - timedelta(days=8)
    with any_db.session() as s:
        s.execute(update(XAccount).values(last_synced_at=eight_days_ago))
    assert [t.handle for t in plan_sync(any_db, due).targets] == ["CllrTomBriggs"]  # weekly
    assert set_cadence(any_db, ids[0], "daily") is Cadence.DAILY
    assert len(plan_sync(any_db, due).targets) == 2
    # Profiles read today are skipped by a scheduled (due) sync, not by one asked for.
    assert plan_sync(any_db, due).skip_profiles == frozenset(ids)
    assert plan_sync(any_db, SyncSelection(watched=True, include_own=False)).skip_profiles == set()
    assert jane


def test_crm_x_sync_prints_the_cost_and_exits_non_zero_when_refused(
    fake_x: FakeXServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_with_jane_linked(fake_x, monkeypatch)
    capsys.readouterr()
    assert main(["x", "sync", "--all", "--no-own", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Estimated cost: $1.25 (£0.99), at most" in out
    assert main(["x", "plan", "--budget", "0.01", "--gbp-rate", "0.8"]) == 0
    assert "Monthly budget: $0.01 (£0.01)." in capsys.readouterr().out
    assert main(["x", "sync", "--all", "--no-own"]) == 1
    out, err = capsys.readouterr()
    assert "budget" in err and err.startswith("crm: ")
    assert len([r for r in fake_x.requests if "/tweets" in r.path]) == 0
    assert main(["x", "usage"]) == 0
    out = capsys.readouterr().out
    assert "User profiles read" in out and "$0.01 (£0.01)" in out
    assert main(["x", "cadence", "Jane Okafor", "daily"]) == 0
    assert "read daily" in capsys.readouterr().out


def test_the_usage_summary_counts_requests_in_words() -> None:
    from crm.domain.xcost import XPricing, XUsageMonth

    def summary(requests: int) -> str:
        none = {k: 0 for k in ResourceKind}
        return XUsageMonth("2026-12", XPricing(), none, none, (), requests).summary()

    assert summary(1).endswith(", 1 request.")
    assert summary(2_500).endswith(", 2,500 requests.")
