"""The X pieces of the app: the sync runner against the fake X API (progress, rate-limit
countdown and resume, cancel), the follower chart, and the settings page (which never shows
the token)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from crm import settings
from crm.domain.social import SyncPlan, SyncReport, SyncSelection
from crm.services.people import PersonInput, add_person
from crm.services.x_sync import make_gateway
from crm.services.xlink import link_x_account, list_watched, set_watched
from crm.storage import secrets as credentials
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import TaskRunner
from crm.ui.x.chart import FollowerChart
from crm.ui.x.settings import WatchListModel, XSettingsDialog, XSettingsPage
from crm.ui.x.status import SyncStatus, fmt_countdown
from crm.ui.x.sync import XSyncRunner, XSyncScheduler
from tests.x.fake_x_server import FakeXServer, Fault


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeXServer().start()
    monkeypatch.setenv("CRM_X_API_URL", server.base_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ctx(qtbot, db: Database) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    runner = TaskRunner()  # real threads: the sync waits and reports across them
    context = AppContext(db, runner)
    yield context
    runner.shutdown(10_000)


@pytest.fixture
def jane(db: Database, fake_x: FakeXServer) -> int:
    pid = add_person(db, PersonInput("Jane", "Okafor"))
    gateway = make_gateway(db, token=fake_x.token, base_url=fake_x.base_url)
    link_x_account(db, person_id=pid, handle="JaneOkaforCEO", gateway=gateway)
    return pid


def all_text(widget: QWidget) -> str:
    parts = [w.text() for w in widget.findChildren(QLabel)]
    parts += [w.text() for w in widget.findChildren(QLineEdit)]
    return "\n".join(parts)


# --------------------------------------------------------------------------- sync runner


def test_the_sync_runner_reports_progress_and_refreshes_pages(
    qtbot, ctx: AppContext, fake_x: FakeXServer, jane: int, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    runner = XSyncRunner(ctx)
    status = SyncStatus(runner, "X", "tweets")
    qtbot.addWidget(status)
    with qtbot.waitSignal(runner.planned, timeout=10_000) as planned:
        runner.plan(SyncSelection(person_ids=(jane,), include_own=False))
    plan: SyncPlan = planned.args[0]
    assert plan.requests == 4 and "about 4 requests" in plan.describe()
    progress: list[str] = []
    changed: list[tuple[str, int]] = []
    runner.progress.connect(lambda d, t, text: progress.append(text))
    ctx.changed.connect(lambda kind, i: changed.append((kind, i)))
    with qtbot.waitSignal(runner.finished, timeout=20_000) as done:
        runner.run(plan)
        assert runner.is_running and not status.isHidden()
    report: SyncReport = done.args[0]
    assert report.accounts[0].new_tweets == 250 and report.error is None
    assert any("page 3" in text for text in progress)
    assert ("person", jane) in changed
    assert not runner.is_running and status.isHidden()


def test_rate_limit_pause_shows_a_countdown_then_resumes(
    qtbot, ctx: AppContext, fake_x: FakeXServer, jane: int, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    fake_x.rate_limit_reset_seconds = 2
    fake_x.fail_next(Fault.RATE_LIMITED)
    runner = XSyncRunner(ctx)
    status = SyncStatus(runner, "X", "tweets")
    qtbot.addWidget(status)
    counts: list[int] = []
    labels: list[str] = []
    runner.countdown.connect(counts.append)
    runner.countdown.connect(lambda _s: labels.append(status.label.text()))
    with qtbot.waitSignals([runner.rate_limited, runner.resumed, runner.finished], timeout=20_000):
        runner.sync_now(SyncSelection(person_ids=(jane,), include_own=False))
    assert counts and counts[0] >= 1 and counts[-1] == 0
    assert any(text.startswith("X rate limit: resuming in 0:0") for text in labels)
    assert runner.last_report is not None and runner.last_report.accounts[0].complete
    assert runner.waiting_until is None


def test_cancel_while_waiting_keeps_what_was_stored(
    qtbot, ctx: AppContext, fake_x: FakeXServer, jane: int, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    fake_x.rate_limit_reset_seconds = 60
    fake_x.fail_next(Fault.RATE_LIMITED)
    runner = XSyncRunner(ctx)
    runner.rate_limited.connect(lambda _at: runner.cancel())
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.sync_now(SyncSelection(person_ids=(jane,), include_own=False))
    report: SyncReport = done.args[0]
    assert report.cancelled and "cancelled" in report.summary()
    assert not runner.is_running


def test_no_token_is_reported_as_failed(
    qtbot, ctx: AppContext, fake_x: FakeXServer, jane: int
) -> None:  # type: ignore[no-untyped-def]
    runner = XSyncRunner(ctx)
    with qtbot.waitSignal(runner.failed, timeout=10_000) as failed:
        runner.sync_now(SyncSelection(person_ids=(jane,), include_own=False))
    assert "No X bearer token" in failed.args[0]
    assert not runner.is_running


def test_confirm_and_sync_says_how_many_requests_first(
    qtbot, ctx: AppContext, fake_x: FakeXServer, jane: int, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    runner = XSyncRunner(ctx)
    parent = QWidget()
    qtbot.addWidget(parent)
    runner.confirm_and_sync(SyncSelection(person_ids=(jane,), include_own=False), parent)

    qtbot.waitUntil(lambda: runner.plan_dialog is not None, timeout=10_000)
    question = runner.plan_dialog
    assert question is not None and question.isVisible()
    assert "about 4 requests" in question.requests_label.text()
    assert "Estimated cost: $1.25 (£0.99)" in question.cost_label.text()
    assert fake_x.requests_to("/tweets") == []  # nothing sent before the answer
    with qtbot.waitSignal(runner.finished, timeout=20_000):
        question.sync_button.click()
    assert len(fake_x.requests_to("/tweets")) == 3


def test_the_schedule_is_off_unless_set(qtbot, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    runner = XSyncRunner(ctx)
    scheduler = XSyncScheduler(runner)
    assert not scheduler.active
    settings.set("x_schedule_minutes", 30)
    scheduler.reload()
    assert scheduler.active and scheduler.timer.interval() == 30 * 60_000
    settings.set("x_schedule_minutes", 0)
    scheduler.reload()
    assert not scheduler.active
    assert fmt_countdown(75) == "1:15"


# --------------------------------------------------------------------------- chart


def test_follower_chart_renders_history_and_an_empty_hint(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = FollowerChart()
    qtbot.addWidget(chart)
    chart.resize(420, 220)
    chart.show()
    assert chart.stack.currentIndex() == 0 and chart.point_count() == 0
    now = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    chart.set_snapshots([(now - timedelta(days=d), 8000 + 10 * (60 - d)) for d in (60, 30, 0)])
    assert chart.point_count() == 3 and chart.stack.currentIndex() == 1
    assert chart.summary.text().startswith("8,600 followers on 14 Mar 2025 (+600 since")
    assert chart.y_axis.min() <= 8000 and chart.y_axis.max() >= 8600
    image = chart.grab().toImage()
    assert not image.isNull() and image.width() > 0
    chart.set_snapshots([(now, 120)])  # a single snapshot still shows, as a dot
    assert chart.point_count() == 1 and chart.dots.count() == 1
    chart.clear()
    assert chart.stack.currentIndex() == 0 and "No follower history" in chart.empty.text()


# --------------------------------------------------------------------------- settings


def test_settings_page_shows_where_the_token_comes_from_never_the_token(
    qtbot, db: Database, jane: int
) -> None:  # type: ignore[no-untyped-def]
    ctx = AppContext(db, TaskRunner(inline=True))
    dialog = XSettingsDialog(ctx)
    qtbot.addWidget(dialog)
    page = dialog.page
    assert "not set" in page.credential_status.text()
    token = "AAAAAAAAAAAAAAAAAAAAAuiSecretToken42"
    page.token_edit.setText(token)
    qtbot.mouseClick(page.save_token, Qt.MouseButton.LeftButton)
    assert page.token_edit.text() == ""  # the secret left the widget
    assert credentials.get_bearer_token() == token
    assert "stored in the keyring" in page.credential_status.text()
    page.refresh()
    assert token not in all_text(dialog)
    assert token[-8:] not in all_text(dialog)
    assert "X API request" in page.usage.text() and "budget" in page.usage.text()


def test_settings_page_watch_list_schedule_and_url(
    qtbot, db: Database, jane: int, fake_x: FakeXServer
) -> None:  # type: ignore[no-untyped-def]
    ctx = AppContext(db, TaskRunner(inline=True))
    page = XSettingsPage(ctx)
    qtbot.addWidget(page)
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert page.model.rowCount() == 1
    index = page.model.index(0, WatchListModel.WATCHED)
    assert page.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert page.model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert [w.account.handle for w in list_watched(db)] == ["JaneOkaforCEO"]
    assert page.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert page.model.data(page.model.index(0, WatchListModel.HANDLE)) == "@JaneOkaforCEO"
    assert page.model.data(page.model.index(0, WatchListModel.FOLLOWERS)) == "8,420"
    set_watched(db, list_watched(db)[0].account.id, False)

    assert page.url_edit.isReadOnly()  # CRM_X_API_URL is set by the fake_x fixture
    assert "CRM_X_API_URL" in page.url_note.text()
    changes: list[int] = []
    page.schedule_changed.connect(changes.append)
    page.schedule.setValue(60)
    page._save_schedule()
    assert changes == [60] and settings.get("x_schedule_minutes") == 60

    page.own_edit.setText("@RecruiterRita")
    page._save_own()  # no token: stored unverified
    assert "@RecruiterRita: unverified" in page.own_status.text()
