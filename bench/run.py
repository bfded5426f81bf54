"""Run the benchmark: every figure of the performance issue, each beside its floor.

    python -m bench.run --size 100000 [--backend sqlite|postgresql|all]

For each backend it opens (or generates, then caches) the synthetic database, measures every
figure with repeated runs, prints a table (median, p95, floor, ratio, target) and writes
``bench/results/<date>-<backend>-<size>.json``. A figure's floor is the database doing the
least work that could answer the same question, measured in the same run and interleaved
with the figure itself, so that the ratio survives a noisy machine.

The figures themselves live in :mod:`bench.figures` (the data layer, through the services)
and :mod:`bench.qt_figures` (the desktop app, in child processes with Qt offscreen, see
:mod:`bench.qt_probe`); the league table's in :mod:`bench.league`. What they share (options,
one backend's run, what is typed) is in :mod:`bench.runs`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy

from bench import figures, generate, qt_figures
from bench.runs import RESULTS_DIR, ROOT, Options, Run, cpu_extra
from bench.stats import Figure, paired, render_table
from crm.storage.db import Database

log = logging.getLogger(__name__)


# -- the whole run ------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            memory_gb = round(int(info.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    import sqlite3

    pyside_version: str | None
    try:
        from PySide6 import __version__ as pyside_version
    except ImportError:
        pyside_version = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "pyside6": pyside_version,
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def open_backend(backend: str, options: Options) -> tuple[Database, generate.GenerationInfo]:
    if options.only == frozenset({"league"}):
        # The league figures use a database of their own (bench/league.py): do not build
        # the main one just for them.
        from bench import league

        organisations = league_organisations(options.size)
        if backend == "sqlite":
            db = league.sqlite_database(options.work_dir, organisations)
        else:
            db = league.postgres_database(options.pg_url, organisations)
        info = generate.GenerationInfo(backend, options.size, options.seed, "league", 0, 0.0)
        return db, info
    if backend == "sqlite":
        return generate.sqlite_database(
            options.size, options.seed, work_dir=options.work_dir, rebuild=options.rebuild
        )
    return generate.postgres_database(
        options.size, options.seed, options.pg_url, rebuild=options.rebuild
    )


# -- the league table ------------------------------------------------------------------------------
LEAGUE_QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("default", "combined, by followers", {}),
    ("growth", "combined, by 12-week growth", {"measure": "growth_12w"}),
    ("posts", "combined, by posts a week", {"measure": "posts_per_week"}),
    ("nhs_x", "X, NHS trusts only", {"network": "x", "org_types": ("nhs",)}),
]


def league_organisations(size: int) -> int:
    """The league database's organisations: 10,000 at the usual 100,000 people (as many as
    the main database has), fewer for quick runs."""
    return max(20, min(10_000, size // 10))


def measure_league(run: Run) -> None:
    """The league page's work: rank every organisation and fill the first screenful of rows
    (what the page's worker does), then the text of the first 40 rows' cells."""
    from bench import league
    from crm.services.league import LeagueQuery, league_table
    from crm.ui.league.page import FIRST_ROWS, columns

    organisations = league_organisations(run.options.size)
    if run.sqlite:
        db = league.sqlite_database(run.options.work_dir, organisations)
    else:
        db = league.postgres_database(run.options.pg_url, organisations)
    cells = columns("organisation")
    raw = db.engine.raw_connection()
    floor_sql = (
        "SELECT o.id, o.name, x.followers_count FROM organisation o "
        "JOIN x_account x ON x.id = o.x_account_id ORDER BY x.followers_count DESC, o.name"
    )

    def floor() -> None:
        cursor = raw.cursor()
        try:
            cursor.execute(floor_sql)
            cursor.fetchall()
        finally:
            cursor.close()

    try:
        for key, label, options in LEAGUE_QUERIES:
            counted: dict[str, int] = {}

            def page(options: dict[str, Any] = options, counted: dict[str, int] = counted) -> None:
                table = league_table(db, LeagueQuery(**options), detail_rows=FIRST_ROWS)
                for row in table.rows[:40]:
                    for column in cells:
                        column.text(row)
                counted["rows"] = len(table.rows)

            timing = paired(page, floor, max(5, run.options.repeat // 6))
            run.add(
                Figure(
                    key=f"league.{key}",
                    label=f"league page: {label} (services)",
                    samples=timing.samples,
                    floor_label="raw organisations by stored follower count",
                    floor_samples=timing.floors,
                    stat="median",
                    target=200.0,
                    note=f"{organisations:,} organisations, 16 weekly snapshots each",
                    extra={"rows": counted.get("rows", 0), **cpu_extra(run, timing)},
                )
            )
    finally:
        raw.close()
        db.dispose()


def run_backend(backend: str, options: Options) -> Run:
    db, info = open_backend(backend, options)
    run = Run(options, backend, db, info.heavy_person_id, info)
    # Keep the pool's wrapper: dropping it would hand this connection back to the pool,
    # and the services would then share the floor's connection and its page cache.
    pooled = db.engine.raw_connection()
    run.raw = pooled.driver_connection
    if backend == "postgresql":
        run.raw.autocommit = True
    try:
        for key, measure in (
            ("search", figures.measure_search),
            ("data.people_list", figures.measure_people_list_data),
            ("data.person_page", figures.measure_person_page_data),
            ("data.match_candidates", figures.measure_matching),
            ("data.today", figures.measure_today),
            ("x.store_tweets", figures.measure_tweet_store),
            ("import.people_csv", figures.measure_import),
            ("league.league", measure_league),
        ):
            if options.only and key.split(".")[-1] not in options.only:
                continue
            try:
                measure(run)
            except Exception as exc:  # one broken figure must not hide the others
                log.exception("%s could not be measured", key)
                run.add(Figure(key=key, label=key, status="failed", note=repr(exc)[:300]))
        floors: dict[str, list[float]] = {}
        for f in run.figures:
            if f.key.startswith("search."):
                floors[f"search:{f.extra['query']}"] = f.floor_samples
            elif f.key == "data.people_list":
                floors["people_list"] = f.floor_samples
            elif f.key == "data.person_page":
                floors["person_page"] = f.floor_samples
        if options.qt and backend == "sqlite" and (not options.only or "qt" in options.only):
            qt_figures.measure_qt(run, floors)
    finally:
        pooled.close()
        db.dispose()
    return run


def report(run: Run, started: datetime, argv: list[str]) -> dict[str, Any]:
    met = [f.met() for f in run.figures]
    return {
        "schema": 1,
        "date": started.strftime("%Y-%m-%d"),
        "started_at": started.isoformat(timespec="seconds"),
        "backend": run.backend,
        "size": run.options.size,
        "seed": run.options.seed,
        "command": "python -m bench.run " + " ".join(argv),
        "machine": machine(),
        "database": {
            "url": run.db.url.render_as_string(hide_password=True),
            "generation": run.generation.to_json(),
        },
        "repeats": {
            "search": run.options.repeat,
            "qt": run.options.qt_repeat,
            "startup": run.options.startup_repeat,
            "import": run.options.import_repeat,
            "tweets": run.options.tweet_repeat,
        },
        "figures": [f.to_json() for f in run.figures],
        "totals": {
            "met": met.count(True),
            "missed": met.count(False),
            "pending": sum(1 for f in run.figures if f.status == "pending"),
        },
    }


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, Options]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Interim CRM performance benchmark."
    )
    parser.add_argument("--size", type=int, default=100_000, help="people (default 100,000)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "all"),
        default="all",
        help="all = SQLite, and PostgreSQL when its server answers (default)",
    )
    parser.add_argument("--repeat", type=int, default=60, help="runs of each search (60)")
    parser.add_argument("--qt-repeat", type=int, default=15)
    parser.add_argument("--startup-repeat", type=int, default=5)
    parser.add_argument("--import-repeat", type=int, default=3)
    parser.add_argument("--tweet-repeat", type=int, default=5)
    parser.add_argument("--no-qt", action="store_true", help="skip the desktop app's figures")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", generate.DEFAULT_PG_URL))
    parser.add_argument("--work-dir", type=Path, default=generate.WORK_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the database")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts to run: search, people_list, person_page, today, "
        "match_candidates, store_tweets, people_csv, league, qt (results go to a -partial file)",
    )
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    options = Options(
        size=args.size,
        seed=args.seed,
        repeat=max(1, args.repeat),
        qt_repeat=max(1, args.qt_repeat),
        startup_repeat=max(1, args.startup_repeat),
        import_repeat=max(1, args.import_repeat),
        tweet_repeat=max(1, args.tweet_repeat),
        qt=not args.no_qt,
        work_dir=args.work_dir,
        pg_url=args.pg_url,
        rebuild=args.rebuild,
        only=frozenset(p.strip() for p in args.only.split(",") if p.strip()),
    )
    return args, options


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, options = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    written: list[Path] = []
    failed = 0
    for backend in backends:
        if backend == "postgresql" and not generate.postgres_available(options.pg_url):
            if args.backend == "postgresql":
                sys.stderr.write(f"PostgreSQL does not answer at {options.pg_url}\n")
                return 2
            sys.stdout.write(f"\nPostgreSQL does not answer at {options.pg_url}: skipped.\n")
            continue
        started = datetime.now(UTC)
        run = run_backend(backend, options)
        data = report(run, started, argv)
        args.out.mkdir(parents=True, exist_ok=True)
        partial = "-partial" if options.only else ""
        path = args.out / f"{data['date']}-{backend}-{options.size}{partial}.json"
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        written.append(path)
        failed += sum(1 for f in run.figures if f.status == "failed")
        gen = run.generation
        sys.stdout.write(
            f"\n{backend}, {options.size:,} people (seed {options.seed}); database "
            + ("from cache" if gen.cached else "generated")
            + f" (generation took {gen.seconds:.0f} s)\n\n"
            + render_table(run.figures)
            + "\n"
            + f"\n{data['totals']['met']} met, {data['totals']['missed']} missed, "
            f"{data['totals']['pending']} pending; written to {path}\n"
        )
    if failed:
        sys.stderr.write(f"{failed} figure(s) could not be measured; see the notes above.\n")
    return 0 if written and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
