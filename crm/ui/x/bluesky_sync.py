"""Bluesky syncs off the GUI thread, one at a time, with progress and Cancel in the status bar.

The public AppView is free and needs no account, so a sync the user asks for starts at once
(its request count is in the status line); a cancel stops after the current request and
keeps every page already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from crm.services.bluesky import make_gateway
from crm.services.bluesky_sync import BlueskySyncReport, plan_bluesky_sync, run_bluesky_sync
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import Progress, Task
from crm.ui.x.status import announce_report, report_failure

log = logging.getLogger(__name__)


def sync_bluesky(
    db: Database,
    progress: Progress,
    person_ids: Sequence[int] = (),
    organisation_ids: Sequence[int] = (),
    all_linked: bool = False,
) -> BlueskySyncReport:
    """Plan and run a sync on a worker thread (the plan sends nothing; the AppView is free)."""
    plan = plan_bluesky_sync(
        db, person_ids=person_ids, organisation_ids=organisation_ids, all_linked=all_linked
    )
    progress.report(0, max(plan.requests, 1), plan.describe())
    return run_bluesky_sync(
        db,
        make_gateway(),
        plan,
        progress=progress.report,
        cancelled=lambda: progress.cancelled,
    )


class BlueskySyncRunner(QObject):
    """Runs Bluesky syncs one at a time. ``progress(done, total, text)``, ``running_changed``,
    ``finished(BlueskySyncReport)`` and ``failed(message)`` arrive on the GUI thread."""

    running_changed = Signal(bool)
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._task: Task | None = None
        self.last_report: BlueskySyncReport | None = None

    @property
    def is_running(self) -> bool:
        return self._task is not None

    def sync(
        self,
        person_ids: Sequence[int] = (),
        organisation_ids: Sequence[int] = (),
        *,
        all_linked: bool = False,
    ) -> Task | None:
        """Sync the named records' accounts (or every linked one) in the background."""
        if self._task is not None:
            self.ctx.message.emit("A Bluesky sync is already running.")
            return None
        db = self.ctx.db
        people, orgs = tuple(person_ids), tuple(organisation_ids)
        self.last_report = None
        self.running_changed.emit(True)
        task = self.ctx.runner.run_with_progress(
            lambda progress: sync_bluesky(db, progress, people, orgs, all_linked),
            self._done,
            self._error,
            label="Syncing Bluesky",
            on_progress=self.progress.emit,
        )
        # An inline runner (tests) has already finished the task by now.
        self._task = None if task.finished else task
        if task.finished:
            self.running_changed.emit(False)
        return task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.ctx.message.emit("Cancelling the Bluesky sync…")

    def _end(self) -> None:
        if self._task is not None:
            self._task = None
            self.running_changed.emit(False)

    def _done(self, report: BlueskySyncReport) -> None:
        self._end()
        self.last_report = report
        for result in report.accounts:
            if result.person_id is not None:
                self.ctx.notify("person", result.person_id)
            if result.organisation_id is not None:
                self.ctx.notify("organisation", result.organisation_id)
        announce_report(self.ctx, report, self.finished, self.failed)

    def _error(self, exc: BaseException) -> None:
        self._end()
        report_failure(self.ctx, "Bluesky", exc, self.failed)
