"""Running X syncs from the app: off the GUI thread through the app's TaskRunner, with
progress, a visible rate-limit countdown, cancel, a confirmation that says how many requests
a sync will make, and the optional schedule for the watch list (the status-bar widget is
:class:`crm.ui.x.status.SyncStatus`).

The sync itself is :mod:`crm.services.x_sync`; everything here only carries its callbacks back to the
GUI thread as signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from crm.domain.social import SyncPlan, SyncReport, SyncSelection
from crm.services import x_settings
from crm.services.x_plan import plan_sync
from crm.services.x_sync import make_gateway, run_sync
from crm.storage.db import Database
from crm.ui.kit import errors
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import Progress, Task
from crm.ui.x.plan_dialog import SyncPlanDialog
from crm.ui.x.status import announce_report, report_failure

log = logging.getLogger(__name__)

GatewayFactory = Callable[[Database], object]


def seconds_until(moment: datetime, now: datetime | None = None) -> int:
    return max(0, round((moment - (now or datetime.now(UTC))).total_seconds()))


class XSyncRunner(QObject):
    """Plans and runs X syncs one at a time.

    Signals (all on the GUI thread):

    - ``planned(SyncPlan)``: a plan asked for with :meth:`plan` is ready.
    - ``started(SyncPlan)`` / ``running_changed(bool)``.
    - ``progress(done, total, text)``: a step of the sync, for a status bar.
    - ``rate_limited(resume_at)``: X asked us to wait until ``resume_at`` (aware UTC).
    - ``countdown(seconds_left)``: every second while waiting; ``resumed()`` when it is over.
    - ``finished(SyncReport)``: the sync ended (complete, cancelled, or stopped with
      ``report.error``); stored tweets stay in every case.
    - ``failed(message)``: the sync could not run or stopped (no token, token refused, the API
      plan cannot read, a rate limit that would not lift); also emitted after ``finished``
      when ``report.error`` is set.
    """

    planned = Signal(object)
    started = Signal(object)
    running_changed = Signal(bool)
    progress = Signal(int, int, str)
    rate_limited = Signal(object)
    countdown = Signal(int)
    resumed = Signal()
    finished = Signal(object)
    failed = Signal(str)
    #: A sync was asked for but no X token is set: the window offers the X settings.
    token_needed = Signal()

    # Emitted from the worker thread; this object lives on the GUI thread, so it is queued.
    _waiting = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QObject | None = None,
        *,
        gateway_factory: GatewayFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._gateway_factory: GatewayFactory = gateway_factory or (lambda db: make_gateway(db))
        self._task: Task | None = None
        self._running = False
        self._resume_at: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._waiting.connect(self._on_waiting)
        self.last_report: SyncReport | None = None
        self.plan_dialog: SyncPlanDialog | None = None  # the last question asked

    # -- state ------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def waiting_until(self) -> datetime | None:
        """When a rate-limit pause ends, while there is one."""
        return self._resume_at

    # -- planning ---------------------------------------------------------------------------
    def plan(self, selection: SyncSelection) -> Task:
        """Work out (off the GUI thread, without any request) what a sync would cost;
        ``planned`` follows."""
        db = self.ctx.db
        return self.ctx.runner.run(
            lambda: plan_sync(db, selection),
            self.planned.emit,
            self._on_plan_error,
            label="Planning X sync",
        )

    def confirm_and_sync(
        self, selection: SyncSelection, parent: QWidget | None = None
    ) -> Task | None:
        """Plan, ask the user with the request count (warning past the monthly budget), and
        run if they agree: what the Sync button and "Sync watched now" call. Without a token
        it says so first, instead of asking about requests it could never make."""
        if not x_settings.has_token():
            errors.ask(
                parent,
                "X token needed",
                "Syncing with X needs an X API bearer token, and none is set yet. "
                "Nothing was sent to X.",
                "Open X settings…",
                self.token_needed.emit,
            )
            return None
        db = self.ctx.db

        def ask(plan: SyncPlan) -> None:
            if not plan.targets:
                self.ctx.message.emit(plan.describe())
                return

            def go() -> None:
                self.run(plan)

            dialog = SyncPlanDialog(plan, go, parent)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.plan_dialog = dialog
            dialog.open()

        return self.ctx.runner.run(
            lambda: plan_sync(db, selection), ask, self._on_plan_error, label="Planning X sync"
        )

    # -- running ----------------------------------------------------------------------------
    def run(self, plan: SyncPlan) -> Task | None:
        """Run ``plan`` in the background. One sync at a time: returns None if one is running."""
        if self.is_running:
            self.ctx.message.emit("An X sync is already running.")
            return None
        db = self.ctx.db
        factory = self._gateway_factory
        waiting = self._waiting

        def work(progress: Progress) -> SyncReport:
            gateway = factory(db)
            return run_sync(
                db,
                gateway,  # type: ignore[arg-type]
                plan,
                progress=progress.report,
                on_wait=waiting.emit,
                cancelled=lambda: progress.cancelled,
            )

        self.last_report = None
        self._running = True
        self.running_changed.emit(True)
        self.started.emit(plan)
        self._task = self.ctx.runner.run_with_progress(
            work,
            self._on_done,
            self._on_error,
            label="Syncing X",
            on_progress=self._on_progress,
        )
        return self._task

    def sync_now(self, selection: SyncSelection) -> None:
        """Plan and run without asking (the schedule, and tests)."""
        db = self.ctx.db

        def go(plan: SyncPlan) -> None:
            if plan.targets:
                self.run(plan)

        self.ctx.runner.run(lambda: plan_sync(db, selection), go, self._on_plan_error)

    def cancel(self) -> None:
        """Stop after the current request (or at once while waiting); stored pages stay."""
        if self._task is not None and self._running:
            self._task.cancel()
            self.ctx.message.emit("Cancelling the X sync…")

    # -- callbacks on the GUI thread ---------------------------------------------------------
    @Slot(object)
    def _on_waiting(self, resume_at: datetime) -> None:
        self._resume_at = resume_at
        self.rate_limited.emit(resume_at)
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        if self._resume_at is None:
            self._timer.stop()
            return
        left = seconds_until(self._resume_at)
        if left <= 0:
            self._end_wait()
            return
        self.countdown.emit(left)

    def _end_wait(self) -> None:
        self._timer.stop()
        if self._resume_at is not None:
            self._resume_at = None
            self.countdown.emit(0)
            self.resumed.emit()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self._resume_at is not None and seconds_until(self._resume_at) <= 0:
            self._end_wait()
        self.progress.emit(done, total, text)

    def _finish(self) -> None:
        self._end_wait()
        self._task = None
        if self._running:
            self._running = False
            self.running_changed.emit(False)

    def _on_done(self, report: SyncReport) -> None:
        self._finish()
        self.last_report = report
        # Each account's problem stays known (its page shows it) until a sync of it works.
        for result in report.accounts:
            reason = result.message or (None if result.complete else report.error)
            if reason:
                self.ctx.x_problems[result.account_id] = reason
            else:
                self.ctx.x_problems.pop(result.account_id, None)
        for result in report.accounts:
            for person_id in result.person_ids:
                self.ctx.notify("person", person_id)
            for organisation_id in result.organisation_ids:
                self.ctx.notify("organisation", organisation_id)
        announce_report(self.ctx, report, self.finished, self.failed)

    def _on_error(self, exc: BaseException) -> None:
        self._finish()
        self._report_error(exc)

    def _on_plan_error(self, exc: BaseException) -> None:
        self._report_error(exc)

    def _report_error(self, exc: BaseException) -> None:
        report_failure(self.ctx, "X", exc, self.failed)


class XSyncScheduler(QObject):
    """Syncs the watch list every ``x_schedule_minutes`` while the app runs (never when the
    setting is 0, the default), reading only the accounts their refresh cadence says are due;
    skips a run that could pass the monthly budget."""

    def __init__(self, runner: XSyncRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.run_once)
        self.reload()

    def reload(self) -> None:
        """Read the setting again (the X settings page calls this after a change)."""
        minutes = x_settings.get_schedule_minutes()
        if minutes <= 0:
            self.timer.stop()
            return
        self.timer.start(minutes * 60_000)

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    def run_once(self) -> None:
        if self.runner.is_running:
            return
        db = self.runner.ctx.db

        def go(plan: SyncPlan) -> None:
            if not plan.targets:
                return
            if plan.refusal or plan.may_pass_budget:
                self.runner.ctx.message.emit(
                    "Scheduled X sync skipped: it could pass this month's budget."
                )
                return
            self.runner.run(plan)

        self.runner.ctx.runner.run(
            lambda: plan_sync(db, SyncSelection(watched=True, due_only=True)),
            go,
            lambda exc: log.warning("Scheduled X sync could not be planned: %s", exc),
            label="Planning X sync",
        )
