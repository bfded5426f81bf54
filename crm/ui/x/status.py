"""The status-bar widget every social sync shares: what the sync is doing, a progress bar,
the rate-limit countdown where the network has one, and Cancel. Hidden while no sync runs."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from crm.domain.errors import CrmError
from crm.ui.kit import errors
from crm.ui.kit.context import AppContext
from crm.ui.kit.widgets import plain_label

log = logging.getLogger(__name__)

_LONGEST = 80  # characters of a progress line before it is cut with an ellipsis


class SyncRunner(Protocol):
    """What the widget needs of a runner (:class:`XSyncRunner`, :class:`BlueskySyncRunner`)."""

    running_changed: SignalInstance
    progress: SignalInstance

    def cancel(self) -> None: ...


def fmt_countdown(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class SyncStatus(QWidget):
    """For the status bar: ``network``'s sync progress and Cancel. A runner with
    ``countdown``/``resumed`` signals (X) also shows its rate-limit countdown."""

    def __init__(
        self, runner: SyncRunner, network: str, fetched: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.network = network
        self._waiting = False
        self.setObjectName(f"{network}SyncStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = plain_label("")
        self.label.setAccessibleName(f"{network} sync status")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip(
            f"Stop the {network} sync; {fetched} already fetched are kept"
        )
        self.cancel_button.clicked.connect(runner.cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        runner.running_changed.connect(self._running)
        runner.progress.connect(self._progress)
        countdown: SignalInstance | None = getattr(runner, "countdown", None)
        resumed: SignalInstance | None = getattr(runner, "resumed", None)
        if countdown is not None and resumed is not None:
            countdown.connect(self._countdown)
            resumed.connect(self._resumed)
        self.setVisible(False)

    def _running(self, running: bool) -> None:
        self.setVisible(running)
        self._waiting = False
        if running:
            self.label.setText(f"{self.network} sync: starting…")
            self.bar.setRange(0, 0)

    def _progress(self, done: int, total: int, text: str) -> None:
        if self._waiting:
            return  # the countdown has the label
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        self.label.setText(text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…")

    def _countdown(self, seconds: int) -> None:
        self._waiting = seconds > 0
        self.label.setText(f"{self.network} rate limit: resuming in {fmt_countdown(seconds)}")

    def _resumed(self) -> None:
        self._waiting = False
        self.label.setText(f"{self.network} sync: carrying on…")


def announce_report(
    ctx: AppContext, report: Any, finished: SignalInstance, failed: SignalInstance
) -> None:
    """A sync ended: its summary in the status bar, ``finished(report)``, and ``failed`` with
    the reason when it stopped early."""
    ctx.message.emit(report.summary())
    finished.emit(report)
    if report.error:
        failed.emit(report.error)


def report_failure(
    ctx: AppContext, network: str, exc: BaseException, failed: SignalInstance
) -> None:
    """A sync could not run: a known problem goes to the status bar and ``failed``; a bug
    gets the crash report."""
    if isinstance(exc, CrmError):
        ctx.message.emit(exc.message)
        failed.emit(exc.message)
        return
    log.error("%s sync failed", network, exc_info=exc)
    failed.emit(f"The {network} sync failed unexpectedly ({type(exc).__name__}).")
    errors.show_crash(exc)
