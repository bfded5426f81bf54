"""The X bill in the app: the usage page (by kind, by day, against the budget), the question
before a sync with its cost in dollars and pounds (Sync disabled once the budget is reached),
and the plan, prices and cadence in the X settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from PySide6.QtTest import QAbstractItemModelTester

from crm.domain.social import SyncPlan, SyncSelection
from crm.domain.xcost import ResourceKind, XPlan
from crm.services import x_settings
from crm.services.x_plan import plan_sync
from crm.services.x_usage import record_reads, utc_today
from crm.services.xlink import set_watched, x_account_of
from crm.storage.db import Database
from crm.storage.models import XRead
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import TaskRunner
from crm.ui.x.plan_dialog import SyncPlanDialog
from crm.ui.x.settings import XSettingsPage
from crm.ui.x.sync import XSyncRunner, XSyncScheduler
from crm.ui.x.usage import XUsagePage
from tests.ui.x.test_x_ui import fake_x, jane  # noqa: F401 - fixtures
from tests.x.fake_x_server import FakeXServer


@pytest.fixture
def ctx(qtbot, db: Database) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    runner = TaskRunner(inline=True)
    yield AppContext(db, runner)


def test_the_usage_page_shows_this_months_reads_by_kind_and_day_against_the_budget(
    qtbot, ctx: AppContext, db: Database
) -> None:  # type: ignore[no-untyped-def]
    pricing = x_settings.set_pricing(budget_usd="10")
    record_reads(db, ResourceKind.POST, range(1, 401), pricing)  # $2.00
    record_reads(db, ResourceKind.USER, range(1, 51), pricing)  # $0.50
    yesterday = utc_today() - timedelta(days=1)
    if yesterday.month == utc_today().month:
        with db.session() as s:
            s.add(XRead(day=yesterday, kind="post", resource_id=1, cost_micros=5000))
    page = XUsagePage(ctx)
    qtbot.addWidget(page)
    QAbstractItemModelTester(page.kinds)
    QAbstractItemModelTester(page.days)
    usage = page.usage
    assert usage is not None and usage.counts[ResourceKind.POST] >= 400
    kinds = {
        page.kinds.data(page.kinds.index(r, 0)): page.kinds.data(page.kinds.index(r, 3))
        for r in range(page.kinds.rowCount())
    }
    assert kinds["Posts read"].startswith("$2.0") and kinds["User profiles read"] == (
        "$0.50 (£0.40)"
    )
    today_row = page.days.data(page.days.index(0, 0))
    assert today_row == utc_today().strftime("%a %d %b")  # newest day first
    assert page.days.data(page.days.index(0, 1)) == "400"
    assert "of a $10.00 (£7.90) budget" in page.summary.text()
    assert page.budget_bar.value() >= 250  # $2.50 of $10: a quarter
    assert "$10.00" in page.budget_bar.format()


def test_the_plan_dialog_shows_the_cost_and_refuses_past_the_budget(
    qtbot,
    ctx: AppContext,
    db: Database,
    jane: int,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    selection = SyncSelection(person_ids=(jane,), include_own=False)
    ran: list[bool] = []
    dialog = SyncPlanDialog(plan_sync(db, selection), lambda: ran.append(True))
    qtbot.addWidget(dialog)
    QAbstractItemModelTester(dialog.model)
    assert "Estimated cost: $1.25 (£0.99)" in dialog.cost_label.text()
    rows = {
        dialog.model.data(dialog.model.index(r, 0)): dialog.model.data(dialog.model.index(r, 3))
        for r in range(dialog.model.rowCount())
    }
    assert rows["Posts read"] == "$1.25 (£0.99)"
    assert dialog.sync_button.isEnabled()
    dialog.sync_button.click()
    assert ran == [True]

    x_settings.set_pricing(budget_usd="0.40")  # less than one page of posts: refused
    refused = SyncPlanDialog(plan_sync(db, selection), lambda: ran.append(False))
    qtbot.addWidget(refused)
    assert not refused.sync_button.isEnabled()
    assert "budget" in refused.cost_label.text()


def test_the_settings_page_saves_the_plan_prices_rate_and_budget(qtbot, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    page = XSettingsPage(ctx)
    qtbot.addWidget(page)
    page._show_pricing(x_settings.pricing())
    assert page.prices[ResourceKind.POST].text() == "0.005"
    assert page.budget_usd.text() == "20"
    page.plan.setCurrentIndex(page.plan.findData(XPlan.LEGACY))
    page.legacy_cap.setValue(10_000)
    page.gbp_rate.setText("0.8")
    page.budget_usd.setText("35")
    page.prices[ResourceKind.USER].setText("0.02")
    page.pricing_save.click()
    pricing = x_settings.pricing()
    assert pricing.plan is XPlan.LEGACY and pricing.legacy_post_cap == 10_000
    assert str(pricing.usd_to_gbp) == "0.8" and str(pricing.budget_usd) == "35"
    assert str(pricing.prices[ResourceKind.USER]) == "0.02"
    assert "Legacy plan" in page.pricing_note.toolTip()


def test_the_schedule_syncs_only_the_watched_accounts_that_are_due(
    qtbot,
    ctx: AppContext,
    db: Database,
    jane: int,  # noqa: F811
    fake_x: FakeXServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    account = x_account_of(db, person_id=jane)
    assert account is not None
    set_watched(db, account.id, True)
    runner = XSyncRunner(ctx)
    scheduler = XSyncScheduler(runner)
    started: list[SyncPlan] = []
    runner.started.connect(started.append)
    scheduler.run_once()
    assert [t.handle for t in started[0].targets] == ["JaneOkaforCEO"]
    assert started[0].skip_profiles == {account.id}  # read at linking, today: not again
    assert runner.last_report is not None and runner.last_report.accounts[0].complete
    scheduler.run_once()  # synced just now, and read monthly by default: nothing is due
    assert len(started) == 1
