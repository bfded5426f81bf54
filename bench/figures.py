"""The data-layer figures: search, the people list, the Today page, the heavy person, storing
tweets, importing a CSV file and matching candidates, each through the application's services
and each beside its floor (the least SQL that answers the same question)."""

from __future__ import annotations

import csv
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import generate, words, world
from bench.runs import CSV_ROWS_MAX, QUERIES, TWEETS_TO_STORE, Run, cpu_extra
from bench.stats import Figure, paired, timed_ms
from crm.domain.values import search_words
from crm.storage.db import Database
from crm.storage.search import fts5_query, tsquery_text

log = logging.getLogger(__name__)


# -- search --------------------------------------------------------------------------------------
def raw_search(run: Run, text_query: str) -> Callable[[], Any]:
    words_ = search_words(text_query)
    if run.sqlite:
        match = fts5_query(words_)
        sql = (
            "SELECT rowid FROM person_fts WHERE person_fts MATCH ? "
            "ORDER BY bm25(person_fts) LIMIT 50"
        )
        return lambda: run.rows(sql, (match,))
    query = tsquery_text(words_)
    # The tsquery parsed once (an InitPlan): written inline, the generic plan PostgreSQL uses
    # once psycopg has prepared the statement re-parses it for every hit it ranks, which
    # made this floor up to 1.6x slower than it need be (crm.storage.search._tsquery_once).
    sql = (
        "SELECT person_id FROM person_search WHERE vector @@ (SELECT to_tsquery('simple', %s)) "
        "ORDER BY ts_rank(vector, (SELECT to_tsquery('simple', %s))) DESC LIMIT 50"
    )
    return lambda: run.rows(sql, (query, query))


def measure_search(run: Run) -> None:
    from crm.services.people import search_people

    floor_name = "raw FTS5 + bm25" if run.sqlite else "raw tsquery + ts_rank"
    for label, text_query in QUERIES:
        results: dict[str, int] = {}

        def service(q: str = text_query, out: dict[str, int] = results) -> None:
            out["rows"] = len(search_people(run.db, q))

        timing = paired(service, raw_search(run, text_query), run.options.repeat)
        figure = Figure(
            key=f"search.{label.replace(' ', '_')}",
            label=f"search '{text_query}' ({label})",
            samples=timing.samples,
            floor_label=floor_name,
            floor_samples=timing.floors,
            stat="p95",
            target=30.0 if run.sqlite else None,
            target_ratio=2.0,
            extra={"query": text_query, "rows": results.get("rows", 0), **cpu_extra(run, timing)},
        )
        run.add(figure)


# -- people list and person page, through the services ------------------------------------------
def measure_people_list_data(run: Run) -> None:
    from crm.services.people import person_summaries, search_people_id_list

    counted: dict[str, int] = {}

    def service() -> None:
        ids = search_people_id_list(run.db, "")
        person_summaries(run.db, ids[:100])
        counted["ids"] = len(ids)

    sql = "SELECT id FROM person ORDER BY sort_name, id"
    timing = paired(service, lambda: run.rows(sql), max(5, run.options.repeat // 3))
    run.add(
        Figure(
            key="data.people_list",
            label="people list: all ids + first 100 rows (services)",
            samples=timing.samples,
            floor_label="raw ordered ids",
            floor_samples=timing.floors,
            stat="median",
            note="what the list's worker does; the Qt figure adds the window",
            extra={"ids": counted.get("ids", 0), **cpu_extra(run, timing)},
        )
    )


def today_floor(run: Run, today: Any) -> Callable[[], Any]:
    """The Today page's questions asked of the database directly: each section's count and
    first 100 rows, by the same indexes, without building the report."""
    week = today + timedelta(days=7)
    horizon = today + timedelta(weeks=8)
    since = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    if run.sqlite:
        false, true = "0", "1"
        since_arg: Any = since.replace(tzinfo=None).isoformat(sep=" ")
    else:
        false, true = "false", "true"
        since_arg = since
    flags = (
        f"coalesce(is_candidate, {false}) = {true} AND coalesce(do_not_contact, {false}) = {false}"
    )
    busy = (
        "SELECT candidate_id FROM placement WHERE status IN ('confirmed','active','extended') "
        "AND (end_date IS NULL OR end_date >= ?)"
    )
    cutoff = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    cutoffs: list[Any] = [cutoff - timedelta(weeks=w) for w in (4, 6)]
    if run.sqlite:
        cutoffs = [c.replace(tzinfo=None).isoformat(sep=" ") for c in cutoffs]
    keep = (
        f"FROM person WHERE is_candidate = {{kind}} AND do_not_contact = {false} "
        "AND contact_every_weeks IS NULL AND last_interaction_at < ?"
    )
    statements: list[tuple[str, tuple[Any, ...]]] = [
        (
            f"SELECT count(*) FROM interaction WHERE follow_up_done = {false} "
            "AND follow_up_due IS NOT NULL AND follow_up_due <= ?",
            (week,),
        ),
        (
            f"SELECT id, follow_up_due FROM interaction WHERE follow_up_done = {false} "
            "AND follow_up_due IS NOT NULL AND follow_up_due <= ? ORDER BY follow_up_due, id "
            "LIMIT 100",
            (today,),
        ),
        (
            "SELECT id, end_date FROM placement WHERE status IN ('confirmed','active','extended') "
            "AND end_date >= ? AND end_date <= ? ORDER BY end_date, id LIMIT 100",
            (today, horizon),
        ),
        (f"SELECT count(*) FROM person WHERE available_from <= ? AND {flags}", (horizon,)),
        (
            f"SELECT id, first_name, last_name, available_from FROM person "
            f"WHERE available_from <= ? AND {flags} AND id NOT IN ({busy}) "
            "ORDER BY available_from DESC, id DESC LIMIT 100",
            (today, today),
        ),
    ]
    for kind, before in ((true, cutoffs[0]), (false, cutoffs[1])):
        statements.append((f"SELECT count(*) {keep.format(kind=kind)}", (before,)))
        statements.append(
            (
                f"SELECT id, first_name, last_name, last_interaction_at {keep.format(kind=kind)} "
                "ORDER BY last_interaction_at, created_at LIMIT 100",
                (before,),
            )
        )
    statements.append(
        (
            "SELECT account_id + 0, count(*) FROM tweet WHERE created_at > ? "
            "GROUP BY account_id + 0",
            (since_arg,),
        )
    )
    marked = [(run.mark(sql), params) for sql, params in statements]

    def floor() -> None:
        for sql, params in marked:
            run.rows(sql, params)

    return floor


def measure_today(run: Run) -> None:
    from crm.services.today.report import today_report
    from crm.services.today.rules import TodayRules

    today = world.TODAY
    counted: dict[str, int] = {}

    def service() -> None:
        report = today_report(run.db, today, TodayRules())
        counted.update(
            follow_ups=report.follow_up_counts.overdue
            + report.follow_up_counts.today
            + report.follow_up_counts.upcoming,
            ending=report.ending_total,
            available=report.available_total,
            keep_in_touch=report.keep_in_touch_total,
            x_signals=len(report.x_signals),
            who_to_call=len(report.who_to_call),
        )

    timing = paired(service, today_floor(run, today), max(5, run.options.repeat // 3))
    run.add(
        Figure(
            key="data.today",
            label="Today page: every section + who to call (services)",
            samples=timing.samples,
            floor_label="raw counts + first rows",
            floor_samples=timing.floors,
            stat="p95",
            target=100.0,
            note="what the Today page's worker does; counts complete, 100 rows a section",
            extra={**counted, **cpu_extra(run, timing)},
        )
    )


def person_page_floor(run: Run) -> Callable[[], Any]:
    account = run.rows(run.mark("SELECT x_account_id FROM person WHERE id = ?"), (run.heavy,))[0][0]
    person = run.mark("SELECT * FROM person WHERE id = ?")
    jobs = run.mark(
        "SELECT e.*, o.name FROM employment e JOIN organisation o ON o.id = e.organisation_id "
        "WHERE e.person_id = ?"
    )
    interactions = run.mark(
        "SELECT i.* FROM interaction i JOIN interaction_person ip ON ip.interaction_id = i.id "
        "WHERE ip.person_id = ? ORDER BY i.occurred_at DESC LIMIT 100"
    )
    tweets = run.mark("SELECT * FROM tweet WHERE account_id = ? ORDER BY created_at DESC LIMIT 100")
    notes = run.mark(
        "SELECT n.* FROM placement_note n JOIN placement p ON p.id = n.placement_id "
        "WHERE p.candidate_id = ? OR p.client_contact_id = ? ORDER BY n.created_at DESC LIMIT 100"
    )

    def floor() -> None:
        run.rows(person, (run.heavy,))
        run.rows(jobs, (run.heavy,))
        run.rows(interactions, (run.heavy,))
        run.rows(tweets, (account,))
        run.rows(notes, (run.heavy, run.heavy))

    return floor


def measure_person_page_data(run: Run) -> None:
    from crm.services.people import get_person
    from crm.services.timeline import person_timeline

    counted: dict[str, int] = {}

    def service() -> None:
        get_person(run.db, run.heavy)
        counted["entries"] = len(person_timeline(run.db, run.heavy))

    timing = paired(service, person_page_floor(run), max(5, run.options.repeat // 2))
    run.add(
        Figure(
            key="data.person_page",
            label="heavy person: details + first 100 timeline entries (services)",
            samples=timing.samples,
            floor_label="raw person + newest rows",
            floor_samples=timing.floors,
            stat="median",
            note="500 interactions, 3,200 tweets, 50 placement notes",
            extra={
                "entries": counted.get("entries", 0),
                "person_id": run.heavy,
                **cpu_extra(run, timing),
            },
        )
    )


# -- storing tweets -----------------------------------------------------------------------------
def _tweet_pages(account_x_id: int, first_id: int) -> list[Any]:
    from crm.x.types import TweetPage, XTweet

    rng = random.Random(7)
    start = world.NOW - timedelta(days=400)
    tweets = []
    for i in range(TWEETS_TO_STORE):
        tweet_id = first_id + i * 17
        text_ = words.TWEET_PHRASES[i % len(words.TWEET_PHRASES)] + " " + words.HASHTAGS[i % 11]
        created = start + timedelta(minutes=180 * i)
        tweets.append(
            XTweet(
                id=tweet_id,
                author_id=account_x_id,
                text=text_,
                created_at=created,
                conversation_id=tweet_id,
                in_reply_to_user_id=None,
                replied_to_id=None,
                quoted_id=None,
                retweeted_id=None,
                mentioned_user_ids=(account_x_id + 7,) if i % 10 == 0 else (),
                edit_history_ids=(tweet_id,),
                metrics={"like_count": rng.randrange(50), "retweet_count": rng.randrange(5)},
                raw={
                    "id": str(tweet_id),
                    "author_id": str(account_x_id),
                    "text": text_,
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "edit_history_tweet_ids": [str(tweet_id)],
                },
            )
        )
    tweets.reverse()  # X sends the newest first
    return [
        TweetPage(
            tweets=tuple(tweets[i : i + 100]),
            result_count=len(tweets[i : i + 100]),
            newest_id=tweets[i].id,
            oldest_id=tweets[min(i + 99, len(tweets) - 1)].id,
            next_token=f"page{i // 100 + 1}" if i + 100 < len(tweets) else None,
        )
        for i in range(0, len(tweets), 100)
    ]


def measure_tweet_store(run: Run) -> None:
    try:
        from crm.services.x_store import store_tweet_pages
    except ImportError as exc:
        run.add(
            Figure(
                key="x.store_tweets",
                label="store 3,200 tweets (32 API pages)",
                status="pending",
                note=f"crm.services.x_store.store_tweet_pages is not available: {exc}",
            )
        )
        return
    x_user_id = 8_000_000_000 + run.options.size
    with run.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM x_account WHERE x_user_id = :u"), {"u": x_user_id})
        now = world.NOW
        account_id = conn.execute(
            text(
                "INSERT INTO x_account (x_user_id, handle, verified, protected, status, watched, "
                "version, created_at, updated_at) VALUES (:u, 'bench_store', :f, :f, 'ok', :f, 1, "
                ":now, :now) RETURNING id"
            ),
            {"u": x_user_id, "f": False, "now": _db_time(run.sqlite, now)},
        ).scalar_one()
        newest = conn.execute(text("SELECT coalesce(max(id), 0) FROM tweet")).scalar_one()
    pages = _tweet_pages(x_user_id, int(newest) + 1_000)
    ids = [t.id for p in pages for t in p.tweets]
    rows = [_raw_tweet_row(run, t, account_id) for p in pages for t in p.tweets]
    columns = list(_RAW_TWEET_COLUMNS)
    insert_sql = run.mark(
        f"INSERT INTO tweet ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )

    def clean() -> None:
        with run.db.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM tweet_mention WHERE tweet_id >= :a AND tweet_id <= :b"),
                {"a": min(ids), "b": max(ids)},
            )
            conn.execute(text("DELETE FROM tweet WHERE account_id = :a"), {"a": account_id})

    stored: dict[str, int] = {}

    def service() -> None:
        # As the sync stores them: each page in its own transaction as it arrives.
        new = 0
        for page in pages:
            new += store_tweet_pages(run.db, account_id, [page])
        stored["new"] = new

    def floor() -> None:
        cursor = run.raw.cursor()
        if run.sqlite:
            cursor.execute("BEGIN")
            cursor.executemany(insert_sql, rows)
            run.raw.commit()
        else:
            with run.raw.transaction():
                cursor.executemany(insert_sql, rows)
        cursor.close()

    samples: list[float] = []
    floors: list[float] = []
    try:
        for i in range(run.options.tweet_repeat):
            clean()
            if i % 2:
                floors.append(timed_ms(floor))
                clean()
                samples.append(timed_ms(service))
            else:
                samples.append(timed_ms(service))
                clean()
                floors.append(timed_ms(floor))
    finally:
        clean()
        with run.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM x_account WHERE id = :a"), {"a": account_id})
    run.add(
        Figure(
            key="x.store_tweets",
            label="store 3,200 tweets (32 API pages)",
            samples=samples,
            floor_label="raw executemany, one transaction",
            floor_samples=floors,
            stat="median",
            target=500.0 if run.sqlite else None,
            note="crm.services.x_store.store_tweet_pages once per page, as the sync does",
            extra={"new_tweets": stored.get("new", 0)},
        )
    )


_RAW_TWEET_COLUMNS = (
    "id",
    "account_id",
    "author_x_user_id",
    "text",
    "created_at",
    "conversation_id",
    "mentioned_user_ids",
    "like_count",
    "retweet_count",
    "reply_count",
    "quote_count",
    "raw",
    "fetched_at",
)


def _raw_tweet_row(run: Run, tweet: Any, account_id: int) -> tuple[Any, ...]:
    return (
        tweet.id,
        account_id,
        tweet.author_id,
        tweet.text,
        _db_time(run.sqlite, tweet.created_at),
        tweet.conversation_id,
        json.dumps(list(tweet.mentioned_user_ids)),
        tweet.metrics.get("like_count", 0),
        tweet.metrics.get("retweet_count", 0),
        0,
        0,
        json.dumps(tweet.raw),
        _db_time(run.sqlite, world.NOW),
    )


def _db_time(sqlite: bool, moment: datetime) -> Any:
    """A UTC time as the app stores it: SQLAlchemy's text format on SQLite, aware on PostgreSQL."""
    if sqlite:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


# -- importing a CSV file -----------------------------------------------------------------------
CSV_HEADER = [
    "First name",
    "Last name",
    "Job title",
    "Organisation",
    "Email",
    "Mobile",
    "Location",
    "Tags",
    "Notes",
]


def people_csv(work_dir: Path, rows: int, seed: int) -> Path:
    """A deterministic CSV of ``rows`` people, as a recruiter's export might look."""
    path = work_dir / f"people-{rows}-s{seed}-g{generate.GENERATOR_VERSION}-c2.csv"
    if path.exists():
        return path
    rng = random.Random(f"{seed}:csv")
    synthetic = world.World(max(rows, 50), seed)
    organisations = [row["name"] for row in synthetic.organisations()]
    partial = path.with_suffix(".partial")
    work_dir.mkdir(parents=True, exist_ok=True)
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for n in range(1, rows + 1):
            first, last, _preferred = synthetic.names[n]
            org = organisations[int(len(organisations) * rng.random() ** 2)]
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            writer.writerow(
                [
                    first,
                    last,
                    words.JOB_TITLES[int(rng.random() * len(words.JOB_TITLES))],
                    org,
                    f"{local}.{n}@example.org",
                    f"07400 {n % 1_000_000:06d}",
                    words.PLACES[int(rng.random() * len(words.PLACES))],
                    words.TAGS[int(rng.random() * len(words.TAGS))] if rng.random() < 0.3 else "",
                    words.BODY_SENTENCES[int(rng.random() * len(words.BODY_SENTENCES))]
                    if rng.random() < 0.2
                    else "",
                ]
            )
    partial.replace(path)
    return path


class _Scratch:
    """Fresh empty databases for the import: copies of a migrated SQLite file, or a schema."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.template: Path | None = None
        self.current: Database | None = None
        if run.sqlite:
            self.template = run.options.work_dir / f"empty-{os.getpid()}.sqlite3"
            db = Database(f"sqlite:///{self.template}")
            db.upgrade(backup=False)
            db.dispose()

    def fresh(self) -> Database:
        self.drop()
        if self.template is not None:
            path = self.template.with_name(f"scratch-{os.getpid()}.sqlite3")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            shutil.copyfile(self.template, path)
            self.current = Database(f"sqlite:///{path}")
            return self.current
        schema = f"bench_scratch_{os.getpid()}"
        admin = create_engine(
            make_url(self.run.options.pg_url).set(drivername="postgresql+psycopg")
        )
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        self.current = Database(generate.postgres_url(self.run.options.pg_url, schema))
        self.current.upgrade(backup=False)
        return self.current

    def drop(self) -> None:
        if self.current is not None:
            self.current.dispose()
            self.current = None

    def close(self) -> None:
        self.drop()
        if self.template is not None:
            for path in self.template.parent.glob(f"*-{os.getpid()}.sqlite3*"):
                path.unlink(missing_ok=True)
        else:
            admin = create_engine(
                make_url(self.run.options.pg_url).set(drivername="postgresql+psycopg")
            )
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "bench_scratch_{os.getpid()}" CASCADE'))
            admin.dispose()


def _raw_people_load(db: Database, csv_path: Path) -> None:
    """The floor of an import: the people and their search rows, straight to the driver."""
    with csv_path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        people = []
        documents = []
        now = _db_time(db.is_sqlite, world.NOW)
        for n, row in enumerate(reader, start=1):
            first, last, title, org, email, _mobile, location, tags, notes = row
            people.append((n, first, last, f"{last} {first}".lower(), title, location, now, now))
            documents.append(
                (n, f"{first} {last}".lower(), org.lower(), "", title.lower(), email, tags, notes)
            )
    person_sql = (
        "INSERT INTO person (id, first_name, last_name, sort_name, job_title, location, "
        "is_client_contact, is_candidate, consent_status, do_not_contact, day_rate_currency, "
        "version, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, TRUE, FALSE, 'none', FALSE, 'GBP', 1, ?, ?)"
    )
    search_sql = (
        "INSERT INTO person_search (person_id, name, organisation, past_organisations, title, "
        "contact, tags, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not db.is_sqlite:
            person_sql = person_sql.replace("?", "%s")
            search_sql = search_sql.replace("?", "%s")
        cursor.executemany(person_sql, people)
        cursor.executemany(search_sql, documents)
        raw.commit()
        cursor.close()
    finally:
        raw.close()


def measure_import(run: Run) -> None:
    try:
        from crm.services.importing import import_file
    except ImportError as exc:
        run.add(
            Figure(
                key="import.people_csv",
                label="import a people CSV (one transaction)",
                status="pending",
                note=f"crm.services.importing.import_file is not available: {exc}",
            )
        )
        return
    rows = min(run.options.size, CSV_ROWS_MAX)
    path = people_csv(run.options.work_dir, rows, run.options.seed)
    scratch = _Scratch(run)
    samples: list[float] = []
    floors: list[float] = []
    report: Any = None
    try:
        for i in range(run.options.import_repeat):
            order = ("floor", "import") if i % 2 else ("import", "floor")
            for what in order:
                db = scratch.fresh()
                if what == "import":
                    started = time.perf_counter()
                    report = import_file(db, path, "people")
                    samples.append(time.perf_counter() - started)
                else:
                    started = time.perf_counter()
                    _raw_people_load(db, path)
                    floors.append(time.perf_counter() - started)
    finally:
        scratch.close()
    extra: dict[str, Any] = {"rows": rows}
    if report is not None:
        extra.update(
            created=report.created,
            refused=report.refused,
            organisations_created=report.organisations_created_count,
        )
    run.add(
        Figure(
            key="import.people_csv",
            label=f"import a {rows:,}-row people CSV (one transaction)",
            unit="s",
            samples=samples,
            floor_label="raw insert of people + search rows",
            floor_samples=floors,
            stat="median",
            target=10.0 if run.sqlite and rows >= CSV_ROWS_MAX else None,
            note="into an empty database; search index included",
            extra=extra,
        )
    )


# -- matching candidates to an assignment ----------------------------------------------------------
def measure_matching(run: Run) -> None:
    """Candidates ranked for an assignment, with reasons; the assignment is made for the run
    and deleted after it, so the cached database stays as generated."""
    from sqlalchemy import delete

    from crm.services.assignments.matching import match_candidates
    from crm.services.assignments.records import AssignmentInput, add_assignment
    from crm.storage.models import Assignment, AuditEntry

    start = world.TODAY + timedelta(days=30)
    organisation_id = run.rows("SELECT min(id) FROM organisation")[0][0]
    assignment_id = add_assignment(
        run.db,
        AssignmentInput(
            organisation_id=organisation_id,
            role="Interim Director of Finance",
            sector="health_social_care",
            location=words.PLACES[0],
            working_pattern="hybrid",
            start_date=start,
            charge_rate_min="800",
            charge_rate_max="950",
            pay_rate="700",
            ir35="outside",
        ),
    )
    counted: dict[str, int] = {}
    # The floor: the candidates free by the start date, newest contact first, straight from
    # the driver; the service adds the score, the placements check and the reasons.
    floor_sql = run.mark(
        "SELECT id FROM person WHERE is_candidate = ? AND do_not_contact = ? "
        "AND (available_from <= ? OR available_from IS NULL) "
        "ORDER BY last_interaction_at DESC LIMIT 25"
    )
    flag = (1, 0) if run.sqlite else (True, False)

    def service() -> None:
        counted["matches"] = len(match_candidates(run.db, assignment_id, today=world.TODAY))

    def floor() -> None:
        run.rows(floor_sql, (*flag, start))

    try:
        timing = paired(service, floor, max(5, run.options.repeat // 3))
    finally:
        with run.db.session() as session:
            session.execute(delete(Assignment).where(Assignment.id == assignment_id))
            session.execute(
                delete(AuditEntry).where(
                    AuditEntry.entity_type == "assignment", AuditEntry.entity_id == assignment_id
                )
            )
    run.add(
        Figure(
            key="data.match_candidates",
            label="match candidates to an assignment, 25 with reasons (services)",
            samples=timing.samples,
            floor_label="raw available candidates, newest contact",
            floor_samples=timing.floors,
            stat="p95",
            target=150.0,
            note="every candidate free by the start date scored in the database",
            extra={"matches": counted.get("matches", 0), **cpu_extra(run, timing)},
        )
    )
