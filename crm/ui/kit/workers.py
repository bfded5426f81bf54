"""Running database and network work off the GUI thread, in the style of Picard's run_task.

``TaskRunner.run(fn, on_done, on_error)`` runs ``fn`` in a QThreadPool and calls ``on_done``
with its result (or ``on_error`` with its exception) back on the GUI thread through a queued
signal. Writes go through a separate one-thread pool so that saves happen in the order the
user made them. Work never touches a widget: results and progress come back as signals.

Tests construct ``TaskRunner(inline=True)``, which runs everything at once on the calling
thread, so they are deterministic (Picard's tests do the same).

``LatestRequest`` is the "latest request wins" guard of a page that loads in the background:
a result that arrives after a newer load started is dropped.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from crm.domain.errors import Cancelled

log = logging.getLogger(__name__)

Done = Callable[[Any], object]
Failed = Callable[[BaseException], object]
Progressed = Callable[[int, int, str], object]
P = ParamSpec("P")


class Progress:
    """Handed to long work: report how far it has got, and notice when the user cancels."""

    def __init__(
        self,
        report: Callable[[int, int, str], None],
        partial: Callable[[object], None] = lambda _r: None,
    ) -> None:
        self._report = report
        self._partial = partial
        self._cancel = threading.Event()

    def report(self, done: int, total: int, text: str = "") -> None:
        self._report(done, total, text)

    def partial(self, result: object) -> None:
        """Hand over a first part of the result early (the first page of a long list)."""
        self._partial(result)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled if the user asked to stop (call between steps of long work)."""
        if self._cancel.is_set():
            raise Cancelled()


@dataclass
class Task:
    """A handle on work in progress: its label, and a way to cancel it."""

    id: int
    label: str
    progress: Progress
    on_done: Done | None = None
    on_error: Failed | None = None
    on_progress: Progressed | None = None
    on_partial: Done | None = None
    finished: bool = field(default=False)

    def cancel(self) -> None:
        self.progress.cancel()


class LatestRequest:
    """ "Latest request wins" for a page that loads in the background.

    Each load calls :meth:`start`; its callbacks, wrapped with :meth:`Request.guard`, run only
    while no newer load has started, so a slow result of an older one never replaces a newer.
    """

    def __init__(self) -> None:
        self._current = Request(self)

    def start(self) -> Request:
        """A new request: every older one is stale from now on."""
        self._current = Request(self)
        return self._current

    @property
    def current(self) -> Request:
        """The newest request (for follow-up work that belongs to the load on screen)."""
        return self._current


class Request:
    """One load of a :class:`LatestRequest`; stale once a newer one starts."""

    __slots__ = ("_latest",)

    def __init__(self, latest: LatestRequest) -> None:
        self._latest = latest

    @property
    def is_current(self) -> bool:
        return self._latest.current is self

    def guard(self, fn: Callable[P, object]) -> Callable[P, None]:
        """``fn``, but doing nothing once this request is stale."""

        def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
            if self.is_current:
                fn(*args, **kwargs)

        return guarded


class _Runnable(QRunnable):
    def __init__(self, runner: TaskRunner, task: Task, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._runner = runner
        self._task = task
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:
            self._runner._finished.emit(self._task.id, False, exc)
        else:
            self._runner._finished.emit(self._task.id, True, result)


class TaskRunner(QObject):
    """One place that runs work in the background and reports back on the GUI thread."""

    # Emitted from worker threads; connected to slots of this GUI-thread object, so queued.
    _finished = Signal(int, bool, object)
    _progressed = Signal(int, int, int, str)
    _partial = Signal(int, object)
    #: How many tasks are running and the label of the newest, for the status bar.
    busy_changed = Signal(int, str)

    def __init__(self, parent: QObject | None = None, *, inline: bool = False) -> None:
        super().__init__(parent)
        self.inline = inline
        self._ids = itertools.count(1)
        self._tasks: dict[int, Task] = {}
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(4)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._closing = False
        self.default_error: Failed | None = None
        self._finished.connect(self._deliver)
        self._progressed.connect(self._deliver_progress)
        self._partial.connect(self._deliver_partial)

    # -- starting work ---------------------------------------------------------------------
    def run(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        *,
        write: bool = False,
        label: str = "",
        on_progress: Progressed | None = None,
    ) -> Task:
        """Run ``fn()`` in the background; ``on_done(result)`` or ``on_error(exc)`` follow."""
        return self._start(lambda _p: fn(), on_done, on_error, write, label, on_progress)

    def run_with_progress(
        self,
        fn: Callable[[Progress], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        *,
        write: bool = False,
        label: str = "",
        on_progress: Progressed | None = None,
        on_partial: Done | None = None,
    ) -> Task:
        """Like :meth:`run` for long work: ``fn(progress)`` reports, hands over partial
        results and checks for cancel."""
        return self._start(fn, on_done, on_error, write, label, on_progress, on_partial)

    def _start(
        self,
        fn: Callable[[Progress], Any],
        on_done: Done | None,
        on_error: Failed | None,
        write: bool,
        label: str,
        on_progress: Progressed | None,
        on_partial: Done | None = None,
    ) -> Task:
        task_id = next(self._ids)
        if self.inline:
            progress = Progress(
                lambda d, t, s: self._deliver_progress(task_id, d, t, s),
                lambda r: self._deliver_partial(task_id, r),
            )
        else:
            progress = Progress(
                lambda d, t, s: self._progressed.emit(task_id, d, t, s),
                lambda r: self._partial.emit(task_id, r),
            )
        task = Task(task_id, label, progress, on_done, on_error, on_progress, on_partial)
        if self._closing:
            log.debug("Not starting %r: the window is closing", label)
            task.finished = True
            return task
        self._tasks[task_id] = task
        self.busy_changed.emit(len(self._tasks), label)
        if self.inline:
            try:
                result = fn(progress)
            except BaseException as exc:
                self._deliver(task_id, False, exc)
            else:
                self._deliver(task_id, True, result)
            return task
        pool = self._writes if write else self._reads
        pool.start(_Runnable(self, task, lambda: fn(progress)))
        return task

    # -- results come back here, on the GUI thread -----------------------------------------
    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: object) -> None:
        task = self._tasks.pop(task_id, None)
        if task is None:
            return
        task.finished = True
        self.busy_changed.emit(len(self._tasks), self._newest_label())
        if self._closing:
            return
        if ok:
            if task.on_done is not None:
                task.on_done(payload)
            return
        assert isinstance(payload, BaseException)
        if isinstance(payload, Cancelled) and task.progress.cancelled and task.on_error is None:
            log.info("%s cancelled", task.label or "Task")
            return
        handler = task.on_error or self.default_error
        if handler is None:
            log.error("Unhandled error in %s", task.label or "a task", exc_info=payload)
            return
        handler(payload)

    @Slot(int, int, int, str)
    def _deliver_progress(self, task_id: int, done: int, total: int, text: str) -> None:
        task = self._tasks.get(task_id)
        if task is not None and task.on_progress is not None and not self._closing:
            task.on_progress(done, total, text)

    @Slot(int, object)
    def _deliver_partial(self, task_id: int, result: object) -> None:
        task = self._tasks.get(task_id)
        if task is not None and task.on_partial is not None and not self._closing:
            task.on_partial(result)

    def _newest_label(self) -> str:
        return next((t.label for t in reversed(self._tasks.values()) if t.label), "")

    # -- state and shutdown ------------------------------------------------------------------
    @property
    def busy(self) -> int:
        return len(self._tasks)

    def labels(self) -> list[str]:
        return [t.label for t in self._tasks.values() if t.label]

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel what can be cancelled and wait for every worker; True if all finished."""
        self._closing = True
        for task in self._tasks.values():
            task.cancel()
        ok = self._writes.waitForDone(timeout_ms)
        ok = self._reads.waitForDone(timeout_ms) and ok
        if not ok:
            log.warning("Some background work did not finish within %d ms", timeout_ms)
        else:
            self._tasks.clear()  # finished; their results go nowhere once closing
        return ok

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for running work without closing (tests and screenshots use this)."""
        ok = self._writes.waitForDone(timeout_ms)
        return self._reads.waitForDone(timeout_ms) and ok
