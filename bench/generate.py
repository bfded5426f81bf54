"""A deterministic synthetic CRM database for the benchmark, at any size, seeded.

At ``size=100_000``: 100,000 people, 10,000 organisations, 1,000,000 interactions,
500,000 tweets and 20,000 placements; other sizes scale every count in proportion. One
"heavy" person always has 500 interactions, 3,200 tweets and 50 placement notes, whatever
the size, because the person-page figure is defined on such a person.

Rows are made by seeded generators (one random stream per table, so a change to one table
does not reshuffle the others) and written with SQLAlchemy Core bulk inserts on SQLite and
with COPY on PostgreSQL; search documents come from the application's own
:func:`crm.storage.search.documents_for`, so the index holds exactly what the app would write.

Generated databases are cached under ``bench/work/`` (SQLite files) or in a schema
``bench_<size>`` (PostgreSQL), keyed by size, seed, schema revision and
:data:`GENERATOR_VERSION`, so a second run starts measuring at once. A cached database whose
key differs only in the schema revision is migrated in place and its key rewritten, not
generated again.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.world import Scale, World
from crm.domain.errors import DatabaseError
from crm.storage.db import Database, head_revision
from crm.storage.models import (
    Base,
    Employment,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    PersonSearch,
    Placement,
    PlacementNote,
    Tag,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
    person_tags,
)
from crm.storage.search import documents_for

log = logging.getLogger(__name__)

# Bump whenever the generated data changes, so that cached databases are rebuilt.
GENERATOR_VERSION = 2

DEFAULT_SEED = 20261126
WORK_DIR = Path(__file__).resolve().parent / "work"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


_BATCH = 20_000


@dataclass
class GenerationInfo:
    """What was generated, and how long it took (kept beside a cached database)."""

    backend: str
    size: int
    seed: int
    key: str
    heavy_person_id: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cache_key(size: int, seed: int, revision: str | None = None) -> str:
    return f"{size}-s{seed}-r{revision or head_revision()}-g{GENERATOR_VERSION}"


def _revision_of(key: str, size: int, seed: int) -> str | None:
    """The schema revision in ``key`` if it differs from :func:`cache_key` in nothing else.

    Such a database holds the same rows under an older schema: migrating it brings it to
    what a fresh generation would make, in seconds instead of minutes.
    """
    prefix, suffix = f"{size}-s{seed}-r", f"-g{GENERATOR_VERSION}"
    if not (key.startswith(prefix) and key.endswith(suffix)):
        return None
    revision = key[len(prefix) : len(key) - len(suffix)]
    return revision if revision and "-" not in revision else None


def _upgrade(db: Database) -> bool:
    """Migrate a cached database to the head revision; False if it cannot be (then regenerate)."""
    try:
        db.upgrade(backup=False)
    except DatabaseError as exc:  # newer than this program, or not ours
        log.info("cached benchmark database not upgraded: %s", exc)
        return False
    return True


# -- writing ---------------------------------------------------------------------------------
def _batches(rows: Iterable[dict[str, Any]], size: int = _BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Loader:
    """Writes generated rows into one open connection: executemany, or COPY on PostgreSQL.

    On SQLite the rows go through each column type's own bind processor (what a Core
    ``insert()`` would do) and then straight to the driver's ``executemany``: the per-row
    bookkeeping of a Core executemany costs more than SQLite's insert itself.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    def load(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        started = time.perf_counter()
        count = self._copy(table, rows) if self.postgres else self._insert(table, rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + count
        log.debug("%s: %d rows in %.2f s", table.name, count, time.perf_counter() - started)
        return count

    def _insert(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        for batch in _batches(rows):
            columns = list(batch[0])
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
            pick = itemgetter(*columns)
            values = [list(pick(row)) for row in batch] if len(columns) > 1 else None
            if values is None:
                values = [[row[columns[0]]] for row in batch]
            for index, column in enumerate(columns):
                process = table.c[column].type.bind_processor(self.conn.dialect)
                if process is None:
                    continue
                for value in values:
                    if value[index] is not None:
                        value[index] = process(value[index])
            self.conn.exec_driver_sql(sql, [tuple(v) for v in values])
            count += len(batch)
        return count

    def _copy(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        columns = list(first)
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        names = ", ".join(f'"{c}"' for c in columns)
        raw = self.conn.connection.driver_connection
        assert raw is not None
        count = 0
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for row in itertools.chain([first], iterator):
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )
                count += 1
        return count


@contextmanager
def _deferred_indexes(conn: Connection, tables: Iterable[str]) -> Iterator[None]:
    """Build the loaded tables' indexes (and SQLite's full-text indexes) once, after loading.

    Creating an index over loaded rows is several times faster than keeping it up to date
    row by row. Only secondary indexes (and on SQLite the triggers that feed FTS5 tables)
    are set aside; the schema's own SQL puts them back, so the result is the migrated schema.
    """
    if conn.dialect.name == "postgresql":
        with _deferred_postgres_indexes(conn, list(tables)):
            yield
        return
    fts = [
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
    ]
    saved: list[tuple[str, str, str]] = []
    fed: set[str] = set()
    for table in tables:
        for kind, name, sql in conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            (table,),
        ).all():
            if kind == "trigger":
                feeds = {f for f in fts if f in sql}
                if not feeds:
                    continue  # a trigger with other duties must keep firing
                fed |= feeds
            saved.append((kind, name, sql))
            conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    started = time.perf_counter()
    for _kind, _name, sql in saved:
        conn.exec_driver_sql(sql)
    for name in sorted(fed):
        conn.exec_driver_sql(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
    log.info("indexes and full-text indexes built in %.1f s", time.perf_counter() - started)


@contextmanager
def _deferred_postgres_indexes(conn: Connection, tables: list[str]) -> Iterator[None]:
    # Indexes that back a constraint (primary keys, unique) stay: foreign keys need them.
    saved = conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "::regclass)"
        ),
        {"tables": tables},
    ).all()
    for name, _sql in saved:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    started = time.perf_counter()
    for _name, sql in saved:
        conn.execute(text(sql))
    log.info("indexes built in %.1f s", time.perf_counter() - started)


@contextmanager
def _last_contact_deferred(conn: Connection) -> Iterator[None]:
    """Load interactions without the triggers that keep ``person.last_interaction_at``, then
    set it for everyone in one statement.

    The triggers (migration 0004) update a person row for every interaction link: 11.5
    million updates at a million people. The statement below gives the same values.
    """
    if conn.dialect.name == "postgresql":
        tables = ("interaction_person", "interaction")
        for table in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        yield
        for table in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    else:
        saved = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%last_interaction_at%'"
        ).all()
        for name, _sql in saved:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in saved:
            conn.exec_driver_sql(sql)
    started = time.perf_counter()
    conn.exec_driver_sql(
        "UPDATE person SET last_interaction_at = newest.at FROM ("
        "SELECT ip.person_id, max(i.occurred_at) AS at FROM interaction_person ip "
        "JOIN interaction i ON i.id = ip.interaction_id GROUP BY ip.person_id) AS newest "
        "WHERE person.id = newest.person_id"
    )
    log.info("last contact set in %.1f s", time.perf_counter() - started)


def _fill(conn: Connection, size: int, seed: int) -> dict[str, int]:
    world = World(size, seed)
    loader = _Loader(conn)
    t = Base.metadata.tables
    loaded = [name for name in t if name not in (PersonSearch.__tablename__,)]
    with _deferred_indexes(conn, loaded):
        # Accounts carry their organisation's name, and organisations point at accounts.
        organisations = list(world.organisations())
        loader.load(t[XAccount.__tablename__], world.x_accounts())
        loader.load(t[Organisation.__tablename__], organisations)
        del organisations
        loader.load(t[User.__tablename__], world.users())
        loader.load(t[Person.__tablename__], world.people())
        loader.load(t[Tag.__tablename__], world.tags())
        loader.load(person_tags, world.person_tags())
        loader.load(t[Employment.__tablename__], world.employments())
        loader.load(t[PersonEmail.__tablename__], world.person_emails())
        loader.load(t[PersonPhone.__tablename__], world.person_phones())
        loader.load(t[Placement.__tablename__], world.placements())
        loader.load(t[Extension.__tablename__], world.placement_extensions())
        loader.load(t[PlacementNote.__tablename__], world.placement_notes())
        links: list[dict[str, Any]] = []
        interactions = t[Interaction.__tablename__]
        with _last_contact_deferred(conn):
            for batch in _batches(world.interactions(links)):
                loader.load(interactions, batch)
                loader.load(interaction_people, links)
                links.clear()
        mentions: list[dict[str, Any]] = []
        tweets = t[Tweet.__tablename__]
        for batch in _batches(world.tweets(mentions)):
            loader.load(tweets, batch)
            loader.load(t[TweetMention.__tablename__], mentions)
            mentions.clear()
        loader.load(t[FollowerSnapshot.__tablename__], world.follower_snapshots())
    log.info("rows loaded: %s", loader.counts)
    # Search documents exactly as the application computes them (which needs the indexes).
    started = time.perf_counter()
    with _deferred_indexes(conn, [PersonSearch.__tablename__]):
        session = Session(bind=conn)
        search = t[PersonSearch.__tablename__]
        for first in range(1, size + 1, 5_000):
            ids = list(range(first, min(first + 5_000, size + 1)))
            loader.load(search, documents_for(session, ids))
    log.info("search documents in %.1f s", time.perf_counter() - started)
    if loader.postgres:
        _advance_sequences(conn)
    return loader.counts


def _advance_sequences(conn: Connection) -> None:
    """Rows were written with explicit ids; PostgreSQL's sequences must start after them."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        if sequence is not None:
            conn.execute(
                text(
                    f'SELECT setval(:s, coalesce((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )


# -- cached databases -------------------------------------------------------------------------
def _bulk_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # A throwaway file being filled: no journal, no fsync, a big page cache.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=OFF")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def generate_sqlite(path: Path, size: int, seed: int = DEFAULT_SEED) -> GenerationInfo:
    """Create a new SQLite database at ``path`` filled with the synthetic world."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    db.dispose()
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _bulk_pragmas)
    with engine.begin() as conn:
        rows = _fill(conn, size, seed)
    with engine.connect() as conn:
        # The app opens its files in WAL mode; leave this one as the app would find it.
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()
    return GenerationInfo(
        backend="sqlite",
        size=size,
        seed=seed,
        key=cache_key(size, seed),
        heavy_person_id=Scale.for_size(size).heavy_person_id,
        seconds=round(time.perf_counter() - started, 2),
        rows=rows,
    )


def sqlite_database(
    size: int, seed: int = DEFAULT_SEED, work_dir: Path = WORK_DIR, rebuild: bool = False
) -> tuple[Database, GenerationInfo]:
    """The cached SQLite benchmark database for ``size`` and ``seed``, generated if missing."""
    key = cache_key(size, seed)
    path = work_dir / f"bench-{key}.sqlite3"
    info_path = path.with_suffix(".json")
    if not rebuild and path.exists() and info_path.exists():
        info = GenerationInfo(**json.loads(info_path.read_text()))
        info.cached = True
        return Database(f"sqlite:///{path}"), info
    if not rebuild:
        upgraded = _upgrade_cached_sqlite(size, seed, work_dir, path)
        if upgraded is not None:
            return upgraded
    partial = work_dir / f"partial-{os.getpid()}-{key}.sqlite3"
    info = generate_sqlite(partial, size, seed)
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(partial) + suffix)
        if leftover.exists():
            leftover.unlink()
    partial.replace(path)
    info_path.write_text(json.dumps(info.to_json(), indent=2))
    return Database(f"sqlite:///{path}"), info


def _upgrade_cached_sqlite(
    size: int, seed: int, work_dir: Path, path: Path
) -> tuple[Database, GenerationInfo] | None:
    """A cached file of an older schema revision, migrated and renamed to ``path``."""
    for old in sorted(work_dir.glob(f"bench-{cache_key(size, seed, '*')}.sqlite3")):
        old_info = old.with_suffix(".json")
        if not old_info.exists():
            continue
        info = GenerationInfo(**json.loads(old_info.read_text()))
        if _revision_of(info.key, size, seed) is None:
            continue
        db = Database(f"sqlite:///{old}")
        upgraded = _upgrade(db)
        db.dispose()
        if not upgraded:
            continue
        _checkpoint(old)
        old.replace(path)
        info.key = cache_key(size, seed)
        path.with_suffix(".json").write_text(json.dumps(info.to_json(), indent=2))
        old_info.unlink()
        info.cached = True
        return Database(f"sqlite:///{path}"), info
    return None


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone can be renamed."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(path) + suffix)
        if leftover.exists():
            leftover.unlink()


def postgres_url(server_url: str, schema: str) -> str:
    url = make_url(server_url)
    url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def postgres_available(server_url: str = DEFAULT_PG_URL) -> bool:
    try:
        engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:  # any failure means "no server here"
        log.info("PostgreSQL not available at %s: %s", server_url, exc)
        return False


def postgres_database(
    size: int, seed: int = DEFAULT_SEED, server_url: str = DEFAULT_PG_URL, rebuild: bool = False
) -> tuple[Database, GenerationInfo]:
    """The benchmark database in schema ``bench_<size>``, regenerated if its key differs."""
    key = cache_key(size, seed)
    schema = f"bench_{size}"
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        comment = conn.execute(
            text(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"
            ),
            {"s": schema},
        ).scalar()
    if comment and not rebuild:
        try:
            info = GenerationInfo(**json.loads(comment))
        except (ValueError, TypeError):
            info = None
        if info is not None and info.key == key:
            admin.dispose()
            info.cached = True
            return Database(postgres_url(server_url, schema)), info
        if info is not None and _revision_of(info.key, size, seed) is not None:
            db = Database(postgres_url(server_url, schema))
            if _upgrade(db):
                _analyze(db)
                info.key = key
                _comment(admin, schema, info)
                admin.dispose()
                info.cached = True
                return db, info
            db.dispose()
    started = time.perf_counter()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(postgres_url(server_url, schema))
    db.upgrade(backup=False)
    with db.engine.begin() as conn:
        rows = _fill(conn, size, seed)
    _analyze(db)
    info = GenerationInfo(
        backend="postgresql",
        size=size,
        seed=seed,
        key=key,
        heavy_person_id=Scale.for_size(size).heavy_person_id,
        seconds=round(time.perf_counter() - started, 2),
        rows=rows,
    )
    _comment(admin, schema, info)
    admin.dispose()
    return db, info


def _analyze(db: Database) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Only this schema's tables: a bare VACUUM would walk every schema of the shared
        # database (other benchmarks' millions of rows) and take minutes.
        for table in inspect(conn).get_table_names():
            conn.execute(text(f'VACUUM ANALYZE "{table}"'))


def _comment(admin: Engine, schema: str, info: GenerationInfo) -> None:
    """Record what the schema holds (its cache key) as the schema's comment."""
    with admin.begin() as conn:
        payload = json.dumps(info.to_json()).replace("'", "''")
        conn.execute(text(f"COMMENT ON SCHEMA \"{schema}\" IS '{payload}'"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.backend == "sqlite":
        db, info = sqlite_database(args.size, args.seed, rebuild=args.rebuild)
    else:
        db, info = postgres_database(args.size, args.seed, args.pg_url, rebuild=args.rebuild)
    db.dispose()
    log.info("%s", json.dumps(info.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
