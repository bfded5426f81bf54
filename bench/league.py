"""The league table's benchmark database: 10,000 organisations with a full social history.

The main synthetic database has organisations but little follower history (two snapshots an
account), so the league table gets a database of its own, cached beside it: every
organisation on X with 16 weekly follower snapshots, four in ten also on Bluesky, about two
posts a week on each network over the last five weeks, and a chief executive for each, half
of them on X. Deterministic for a given seed.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from crm.domain.enums import OrganisationType, Sector
from crm.storage.db import Database
from crm.storage.models import (
    BlueskyAccount,
    BlueskySnapshot,
    Employment,
    FollowerSnapshot,
    Organisation,
    Person,
    Post,
    Tweet,
    XAccount,
)

log = logging.getLogger(__name__)

ORGANISATIONS = 10_000
AS_OF = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WEEKS = 16
BLUESKY_SHARE = 0.4
_TYPES = [t.value for t in OrganisationType]
_SECTORS = [s.value for s in Sector if s is not Sector.OTHER]


def _batches(rows: Iterator[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(db: Database, organisations: int = ORGANISATIONS, seed: int = 17) -> None:
    """Fill an empty, migrated database with the league's organisations and history."""
    rng = random.Random(seed)
    now = AS_OF
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with db.session() as session:
        session.execute(
            insert(XAccount),
            [
                {
                    "id": i,
                    "handle": f"org{i}",
                    "x_user_id": 10_000_000 + i,
                    "status": "ok",
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(1, 2 * organisations + 1)
            ],
        )
        session.execute(
            insert(Organisation),
            [
                {
                    "id": i,
                    "name": f"Organisation {i:05d}",
                    "sector": rng.choice(_SECTORS),
                    "org_type": rng.choice(_TYPES),
                    "client_status": "prospect",
                    "x_account_id": i,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(1, organisations + 1)
            ],
        )
        session.execute(
            insert(Person),
            [
                {
                    "id": i,
                    "first_name": "Chief",
                    "last_name": f"Executive {i}",
                    "sort_name": f"chief executive {i}",
                    "job_title": "Chief Executive",
                    "consent_status": "none",
                    "day_rate_currency": "GBP",
                    "x_account_id": organisations + i if i % 2 == 0 else None,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(1, organisations + 1)
            ],
        )
        session.execute(
            insert(Employment),
            [
                {
                    "person_id": i,
                    "organisation_id": i,
                    "title": "Chief Executive",
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(1, organisations + 1)
            ],
        )
        bluesky = [i for i in range(1, organisations + 1) if rng.random() < BLUESKY_SHARE]
        session.execute(
            insert(BlueskyAccount),
            [
                {
                    "id": n,
                    "did": f"did:plc:league{i:08d}",
                    "handle": f"org{i}.bsky.social",
                    "status": "ok",
                    "organisation_id": i,
                    "created_at": created,
                    "updated_at": created,
                }
                for n, i in enumerate(bluesky, start=1)
            ],
        )

    def x_snapshots() -> Iterator[dict[str, Any]]:
        for account in range(1, 2 * organisations + 1):
            base = int(rng.lognormvariate(8, 1.2))
            weekly = rng.uniform(-0.005, 0.03)
            weeks = WEEKS if account <= organisations else 1
            for week in range(weeks):
                yield {
                    "account_id": account,
                    "taken_at": now - timedelta(days=7 * week, hours=rng.random() * 20),
                    "followers": max(0, int(base * (1 + weekly) ** (WEEKS - week))),
                    "following": 100,
                    "tweets": 1000,
                }

    def b_snapshots() -> Iterator[dict[str, Any]]:
        for account in range(1, len(bluesky) + 1):
            base = int(rng.lognormvariate(6, 1.2))
            weekly = rng.uniform(0.0, 0.08)
            for week in range(WEEKS):
                yield {
                    "account_id": account,
                    "taken_at": now - timedelta(days=7 * week, hours=rng.random() * 20),
                    "followers": int(base * (1 + weekly) ** (WEEKS - week)),
                    "follows": 50,
                    "posts": 200,
                }

    def tweets() -> Iterator[dict[str, Any]]:
        tweet_id = 1
        for account in range(1, organisations + 1):
            for _ in range(rng.randint(0, 20)):
                tweet_id += 1
                yield {
                    "id": tweet_id,
                    "account_id": account,
                    "author_x_user_id": 10_000_000 + account,
                    "text": "An update from the trust.",
                    "created_at": now - timedelta(days=rng.random() * 35),
                    "mentioned_user_ids": [],
                    "like_count": rng.randint(0, 200),
                    "retweet_count": rng.randint(0, 30),
                    "reply_count": rng.randint(0, 10),
                    "quote_count": 0,
                    "raw": {},
                    "fetched_at": now,
                }

    def posts() -> Iterator[dict[str, Any]]:
        n = 0
        for account in range(1, len(bluesky) + 1):
            for _ in range(rng.randint(0, 20)):
                n += 1
                yield {
                    "uri": f"at://did:plc:league/app.bsky.feed.post/{n}",
                    "cid": "bafy",
                    "account_id": account,
                    "text": "An update from the trust.",
                    "created_at": now - timedelta(days=rng.random() * 35),
                    "like_count": rng.randint(0, 100),
                    "repost_count": rng.randint(0, 20),
                    "reply_count": rng.randint(0, 10),
                    "quote_count": 0,
                    "raw": {},
                    "fetched_at": now,
                }

    for model, rows in (
        (FollowerSnapshot, x_snapshots()),
        (BlueskySnapshot, b_snapshots()),
        (Tweet, tweets()),
        (Post, posts()),
    ):
        for batch in _batches(rows):
            with db.session() as session:
                session.execute(insert(model), batch)
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("follower_snapshot", "bluesky_snapshot", "tweet", "bluesky_post"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))


def _filled(db: Database, organisations: int) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Organisation)) == organisations


def sqlite_database(work_dir: Path, organisations: int = ORGANISATIONS) -> Database:
    """The cached SQLite league database (built on first use)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"league-{organisations}.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    if not _filled(db, organisations):
        db.dispose()
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        db.upgrade(backup=False)
        log.info("Building the league database (%d organisations)", organisations)
        build(db, organisations)
    return db


def postgres_database(server_url: str, organisations: int = ORGANISATIONS) -> Database:
    """The league database in schema ``bench_league_<n>`` (rebuilt when incomplete)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from bench.generate import postgres_url

    schema = f"bench_league_{organisations}"
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        with admin.begin() as conn:
            filled = (
                conn.execute(text(f'SELECT count(*) FROM "{schema}".organisation')).scalar()
                == organisations
            )
    except Exception:  # no such schema or table yet
        filled = False
    if filled:
        admin.dispose()
        db = Database(postgres_url(server_url, schema))
        db.upgrade(backup=False)
        return db
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    db = Database(postgres_url(server_url, schema))
    db.upgrade(backup=False)
    log.info("Building the league database on PostgreSQL (%d organisations)", organisations)
    build(db, organisations)
    return db
