"""The desktop app's figures: each runs :mod:`bench.qt_probe` in a child process with Qt
offscreen (keystroke to first rows, the people list, the heavy person's page, start-up and
memory); start-up is timed from before the child process is created."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.runs import QUERIES, ROOT, Run
from bench.stats import Figure

log = logging.getLogger(__name__)


# -- the desktop app (child processes, Qt offscreen) ---------------------------------------------
def _child_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CRM_CONFIG_DIR=str(tmp / "config"),
        CRM_DATA_DIR=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "xdg"),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("CRM_DATABASE_URL", None)
    # An installed app keeps its compiled bytecode; start-up must not recompile every module.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _probe(args: list[str], env: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.qt_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("{"):
            payload: dict[str, Any] = json.loads(line)
            return payload
    raise RuntimeError(
        f"qt_probe {args[0]} gave no result (exit {result.returncode}): "
        + (result.stderr.strip().splitlines() or ["no output"])[-1]
    )


def _database_url(run: Run) -> str:
    return run.db.url.render_as_string(hide_password=False)


QT_FIGURES = {
    "interactive": [f"qt.keystroke.{label.replace(' ', '_')}" for label, _ in QUERIES]
    + ["qt.people_list", "qt.person_page"],
    "startup": ["qt.startup"],
    "rss": ["qt.rss"],
}


def measure_qt(run: Run, floors: dict[str, list[float]]) -> None:
    """The desktop app's figures; a step that cannot run is reported, not fatal."""
    if importlib.util.find_spec("PySide6") is None:
        for keys in QT_FIGURES.values():
            for key in keys:
                run.add(Figure(key=key, label=key, status="pending", note="PySide6 missing"))
        return
    url = _database_url(run)
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp_name:
        env = _child_env(Path(tmp_name))
        steps: list[tuple[str, Callable[[], None]]] = [
            ("interactive", lambda: _qt_interactive(run, url, env, floors)),
            ("startup", lambda: _qt_startup(run, url, env)),
            ("rss", lambda: _qt_rss(run, url, env)),
        ]
        for step, measure in steps:
            try:
                measure()
            except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
                log.error("Qt %s figures failed: %s", step, exc)
                for key in QT_FIGURES[step]:
                    run.add(Figure(key=key, label=key, status="failed", note=str(exc)[:300]))


def _qt_interactive(
    run: Run, url: str, env: dict[str, str], floors: dict[str, list[float]]
) -> None:
    queries = [q for _, q in QUERIES]
    out = _probe(
        ["interactive", url, str(run.heavy), json.dumps(queries), str(run.options.qt_repeat)],
        env,
    )
    for label, text_query in QUERIES:
        run.add(
            Figure(
                key=f"qt.keystroke.{label.replace(' ', '_')}",
                label=f"keystroke '{text_query}' to first rows painted",
                samples=out["keystroke_ms"][text_query],
                floor_label="raw search",
                floor_samples=floors.get(f"search:{text_query}", []),
                stat="p95",
                target=50.0,
                note="all matching ids + first page + paint; typing pause excluded",
                extra={"first_ms": round(out["keystroke_first_ms"][text_query], 3)},
            )
        )
    run.add(
        Figure(
            key="qt.people_list",
            label=f"open the people list ({out['people_list_rows']:,} people)",
            samples=out["people_list_ms"],
            floor_label="raw ordered ids",
            floor_samples=floors.get("people_list", []),
            stat="median",
            target=150.0,
            extra={"first_ms": round(out["people_list_first_ms"], 3)},
        )
    )
    run.add(
        Figure(
            key="qt.person_page",
            label="heavy person page: first screen of timeline",
            samples=out["person_page_ms"],
            floor_label="raw person + newest rows",
            floor_samples=floors.get("person_page", []),
            stat="median",
            target=50.0,
            extra={
                "timeline_entries": out.get("timeline_entries"),
                "first_ms": round(out["person_page_first_ms"], 3),
            },
        )
    )


def _qt_startup(run: Run, url: str, env: dict[str, str]) -> None:
    app_s: list[float] = []
    bare_s: list[float] = []
    bare_rss: list[float] = []
    if run.options.startup_repeat > 1:
        _probe(["startup", url], env)  # untimed: writes bytecode, warms the file cache
    for i in range(run.options.startup_repeat):
        for mode in ("bare", "app") if i % 2 else ("app", "bare"):
            started = time.time()
            shown = _probe(["bare"] if mode == "bare" else ["startup", url], env)
            if shown.get("shown_at") is None:
                raise RuntimeError(f"the {mode} window never painted")
            seconds = float(shown["shown_at"]) - started
            if mode == "bare":
                bare_s.append(seconds)
                bare_rss.append(float(shown["rss_mb"]))
            else:
                app_s.append(seconds)
    run.bare_rss = bare_rss
    run.add(
        Figure(
            key="qt.startup",
            label="process start to main window shown",
            unit="s",
            samples=app_s,
            floor_label="bare PySide6 window",
            floor_samples=bare_s,
            stat="median",
            target=0.8,
            target_ratio=5.0,
        )
    )


def _qt_rss(run: Run, url: str, env: dict[str, str]) -> None:
    memory = _probe(["rss", url], env)
    bare_rss = run.bare_rss or [float(_probe(["bare"], env)["rss_mb"])]
    run.add(
        Figure(
            key="qt.rss",
            label="resident memory after scrolling the whole list",
            unit="MB",
            samples=[float(memory["rss_mb"])],
            floor_label="bare PySide6 window",
            floor_samples=bare_rss,
            stat="median",
            target=350.0,
            extra={k: v for k, v in memory.items() if k != "rss_mb"},
        )
    )
