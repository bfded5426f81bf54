"""The desktop app's figures, measured in a child process with Qt offscreen.

Each mode prints one JSON object on its last line of output, which :mod:`bench.run` reads:

``interactive``  keystroke to first rows painted, opening the people list, and opening the
                 heavy person's page, all through the real main window and its worker threads.
``startup``      the app as ``crm --database URL`` starts it; prints the wall-clock time at
                 which the main window first painted (the parent knows when it started us).
``bare``         the same for a bare PySide6 ``QMainWindow``: the floor for start-up.
``rss``          resident memory after scrolling the whole people list, row page by page.

Modules are imported late on purpose: start-up time includes every import the app makes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB, from /proc."""
    current = peak = 0.0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        import resource

        peak = current = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(current, 1), round(peak, 1)


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(payload) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # PySide6 can crash while the interpreter finalises; the measurement is already out.
    os._exit(0)


# -- start-up ------------------------------------------------------------------------------------
def _first_paint_hook(app: Any, want_main_window: bool) -> Any:
    """An application-wide event filter that notes the first paint of the main window."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QMainWindow, QWidget

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.at: float | None = None

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                self.at is None
                and event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and isinstance(watched.window(), QMainWindow)
                and (not want_main_window or watched.window().objectName() == "MainWindow")
            ):
                self.at = time.time()
                # Let this paint finish, then leave: the app's own exit path runs as usual.
                QTimer.singleShot(0, app.quit)
            return False

    hook = FirstPaint()
    app.installEventFilter(hook)
    return hook


def startup(url: str) -> None:
    """Start the app the way ``crm --database URL`` does; report when its window painted.

    The paint hook goes onto the application the app makes itself, so modules are imported
    in the order ``crm`` imports them (the storage layer before Qt: once PySide6 is loaded,
    every module imported after it costs more).
    """
    import crm.storage.db  # noqa: F401  (what crm.cli.app.run_app imports first)
    import crm.ui.app as ui_app

    hooks: list[Any] = []
    make_application = ui_app.make_application

    def hooked(*args: Any, **kwargs: Any) -> Any:
        app = make_application(*args, **kwargs)
        hooks.append(_first_paint_hook(app, want_main_window=True))
        return app

    ui_app.make_application = hooked  # type: ignore[assignment]
    from crm.cli import main as crm_main

    code = crm_main(["--database", url])
    rss, peak = _rss_mb()
    shown_at = hooks[0].at if hooks else None
    _emit({"shown_at": shown_at, "exit_code": code, "rss_mb": rss, "peak_rss_mb": peak})


def bare() -> None:
    """A bare PySide6 window: the same work as start-up without any of the app."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([sys.argv[0]])
    hook = _first_paint_hook(app, want_main_window=False)
    window = QMainWindow()
    window.setCentralWidget(QLabel("Hello"))
    window.resize(1400, 900)
    window.show()
    app.exec()
    rss, peak = _rss_mb()
    _emit({"shown_at": hook.at, "exit_code": 0, "rss_mb": rss, "peak_rss_mb": peak})


# -- the running app -----------------------------------------------------------------------------
class _App:
    """The main window on a database, shown offscreen, with helpers to wait for its work."""

    def __init__(self, url: str) -> None:
        from crm.storage.db import open_database
        from crm.ui.app import make_application
        from crm.ui.main_window import MainWindow

        self.app = make_application([sys.argv[0]])
        self.db = open_database(url)
        self.window = MainWindow(self.db, settings=None)
        self.window.resize(1400, 900)
        self.window.show()
        self.page = self.window.people_page
        self.wait_idle()

    def wait_idle(self, timeout_s: float = 120.0) -> None:
        """Until no background task is running and every result has been delivered."""
        deadline = time.monotonic() + timeout_s
        runner = self.window.runner
        while time.monotonic() < deadline:
            runner.wait(int(timeout_s * 1000))
            self.app.processEvents()
            if runner.busy == 0:
                return
            time.sleep(0.001)
        raise TimeoutError("background work did not finish")

    def wait_signal(self, signal: Any, timeout_s: float = 60.0) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        signal.connect(loop.quit)
        timer.start(int(timeout_s * 1000))
        loop.exec()
        signal.disconnect(loop.quit)
        if not timer.isActive():
            raise TimeoutError("a signal did not arrive")
        timer.stop()

    def search(self, text: str, *, whole_list: bool = False) -> float:
        """Type ``text`` and wait for the first rows to be painted (``whole_list``: for every
        matching id to be in the table as well); milliseconds.

        The typing pause (the search box waits a moment for the next key) is skipped: the
        clock starts when the search starts, as it would when the pause ends.
        """
        started = time.perf_counter()
        if self.window.search.text() != text:
            self.window.search.setText(text)
        self.page.refresh()
        ready = self.page.results_ready if whole_list else self.page.first_rows_ready
        self.wait_signal(ready)
        self.page.table.viewport().repaint()
        elapsed = (time.perf_counter() - started) * 1000
        assert self.page.model.rowCount() == 0 or self.page.model.summary(0) is not None
        return elapsed

    def open_person(self, person_id: int) -> float:
        """Open a person's page from the list and wait until its first screen is painted."""
        person_page = self.window.person_page
        started = time.perf_counter()
        self.window.open_record("person", person_id)
        pending = {"person": True, "timeline": True}

        def person_done(_id: int) -> None:
            pending["person"] = False

        def timeline_done(_n: int) -> None:
            pending["timeline"] = False

        person_page.loaded.connect(person_done)
        person_page.timeline.loaded.connect(timeline_done)
        deadline = time.monotonic() + 60
        try:
            while any(pending.values()):
                if time.monotonic() > deadline:
                    raise TimeoutError("the person page did not load")
                self.app.processEvents()
                if any(pending.values()):
                    time.sleep(0.0002)
        finally:
            person_page.loaded.disconnect(person_done)
            person_page.timeline.loaded.disconnect(timeline_done)
        person_page.repaint()
        return (time.perf_counter() - started) * 1000

    def back_to_people(self) -> None:
        self.window.show_people()
        self.wait_idle()


def interactive(url: str, heavy: int, queries: list[str], repeat: int) -> None:
    """The timed runs follow one untimed pass, as the data-layer figures do; that first,
    cold pass is reported on its own (``*_first_ms``): a word typed for the first time."""
    started = time.perf_counter()
    probe = _App(url)
    out: dict[str, Any] = {"window_ready_ms": (time.perf_counter() - started) * 1000}
    keystrokes: dict[str, list[float]] = {text: [] for text in queries}
    first: dict[str, float] = {}
    for n in range(repeat + 1):
        for text in queries:
            elapsed = probe.search(text)
            if n == 0:
                first[text] = elapsed
            else:
                keystrokes[text].append(elapsed)
            probe.wait_idle()
    out["keystroke_ms"] = keystrokes
    out["keystroke_first_ms"] = first
    people_list: list[float] = []
    for _ in range(repeat + 1):
        probe.search("smith")  # leave the full list, so opening it does real work
        probe.wait_idle()
        people_list.append(probe.search("", whole_list=True))
        probe.wait_idle()
    out["people_list_first_ms"] = people_list.pop(0)
    out["people_list_ms"] = people_list
    out["people_list_rows"] = probe.page.model.rowCount()
    person: list[float] = []
    for _ in range(repeat + 1):
        person.append(probe.open_person(heavy))
        probe.wait_idle()
        probe.back_to_people()
    out["person_page_first_ms"] = person.pop(0)
    out["person_page_ms"] = person
    out["timeline_entries"] = len(probe.window.person_page.timeline.entries)
    probe.window.runner.shutdown()
    probe.db.dispose()
    _emit(out)


def rss(url: str) -> None:
    """Open the people list, scroll it end to end a screen at a time, then report memory."""
    probe = _App(url)
    before, _ = _rss_mb()
    table = probe.page.table
    bar = table.verticalScrollBar()
    rows = probe.page.model.rowCount()
    started = time.perf_counter()
    value = 0
    steps = 0
    while True:
        bar.setValue(value)
        table.viewport().repaint()
        probe.app.processEvents()
        steps += 1
        if value >= bar.maximum():
            break
        value = min(bar.maximum(), value + max(1, bar.pageStep()))
    seconds = time.perf_counter() - started
    last = probe.page.model.summary(rows - 1) if rows else None
    after, peak = _rss_mb()
    probe.window.runner.shutdown()
    probe.db.dispose()
    _emit(
        {
            "rows": rows,
            "steps": steps,
            "scroll_seconds": round(seconds, 2),
            "pages_loaded": probe.page.model.pages_loaded,
            "last_row_loaded": last is not None,
            "rss_before_mb": before,
            "rss_mb": after,
            "peak_rss_mb": peak,
        }
    )


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    mode = argv[0]
    if mode == "startup":
        startup(argv[1])
    elif mode == "bare":
        bare()
    elif mode == "interactive":
        interactive(argv[1], int(argv[2]), json.loads(argv[3]), int(argv[4]))
    elif mode == "rss":
        rss(argv[1])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
