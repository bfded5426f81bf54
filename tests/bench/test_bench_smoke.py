"""The benchmark runs end to end at a tiny size and produces every figure.

Only that it completes is checked here, never how fast: timings belong to ``make bench``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from bench import generate, run
from tests.conftest import PG_URL

SIZE = 300

EVERY_FIGURE = {
    "search.1_letter",
    "search.2_letters",
    "search.3_letters",
    "search.surname",
    "search.organisation_word",
    "search.two_words",
    "data.people_list",
    "data.person_page",
    "data.match_candidates",
    "data.today",
    "x.store_tweets",
    "import.people_csv",
    "league.default",
    "league.growth",
    "league.posts",
    "league.nhs_x",
    "qt.keystroke.1_letter",
    "qt.keystroke.2_letters",
    "qt.keystroke.3_letters",
    "qt.keystroke.surname",
    "qt.keystroke.organisation_word",
    "qt.keystroke.two_words",
    "qt.people_list",
    "qt.person_page",
    "qt.startup",
    "qt.rss",
}

QUICK = [
    "--size",
    str(SIZE),
    "--repeat",
    "2",
    "--qt-repeat",
    "1",
    "--startup-repeat",
    "1",
    "--import-repeat",
    "1",
    "--tweet-repeat",
    "1",
    "-q",
]


def _results(out: Path) -> dict:
    (path,) = out.glob("*.json")
    data: dict = json.loads(path.read_text())
    return data


def test_benchmark_produces_every_figure(tmp_path: Path) -> None:
    code = run.main(
        [*QUICK, "--backend", "sqlite", "--work-dir", str(tmp_path / "w"), "--out", str(tmp_path)]
    )

    assert code == 0
    data = _results(tmp_path)
    figures = {f["key"]: f for f in data["figures"]}
    assert set(figures) == EVERY_FIGURE
    for key, figure in figures.items():
        assert figure["status"] == "measured", (key, figure["note"])
        assert figure["samples"] and all(s >= 0 for s in figure["samples"]), key
        if figure["floor"] is not None:
            assert figure["floor"]["samples"], key
    assert figures["data.person_page"]["extra"]["entries"] == 100
    today = figures["data.today"]["extra"]
    assert today["follow_ups"] and today["keep_in_touch"] and today["who_to_call"]
    assert figures["x.store_tweets"]["extra"]["new_tweets"] == 3_200
    assert figures["import.people_csv"]["extra"]["created"] == SIZE
    assert figures["qt.people_list"]["label"].startswith(f"open the people list ({SIZE}")
    assert data["database"]["generation"]["rows"]["person"] == SIZE
    assert data["machine"]["cores"]


def _digest(path: Path) -> str:
    con = sqlite3.connect(path)
    digest = hashlib.sha256()
    for table in ("person", "organisation", "employment", "interaction", "tweet", "person_search"):
        for row in con.execute(f"SELECT * FROM {table} ORDER BY 1"):
            digest.update(repr(row).encode())
    con.close()
    return digest.hexdigest()


def test_generator_is_deterministic_and_consistent(tmp_path: Path) -> None:
    first = generate.generate_sqlite(tmp_path / "a.sqlite3", 120, seed=5)
    second = generate.generate_sqlite(tmp_path / "b.sqlite3", 120, seed=5)
    generate.generate_sqlite(tmp_path / "c.sqlite3", 120, seed=6)

    assert first.rows == second.rows
    assert _digest(tmp_path / "a.sqlite3") == _digest(tmp_path / "b.sqlite3")
    assert _digest(tmp_path / "a.sqlite3") != _digest(tmp_path / "c.sqlite3")
    con = sqlite3.connect(tmp_path / "a.sqlite3")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    heavy = first.heavy_person_id
    assert con.execute(
        "SELECT count(*) FROM interaction_person WHERE person_id = ?", (heavy,)
    ).fetchone() == (500,)
    assert con.execute(
        "SELECT count(*) FROM tweet JOIN person p ON p.x_account_id = tweet.account_id "
        "WHERE p.id = ?",
        (heavy,),
    ).fetchone() == (3_200,)
    # The full-text index holds every person, and finds them as the app's search does.
    assert con.execute("SELECT count(*) FROM person_fts").fetchone() == (120,)
    (some_surname,) = con.execute("SELECT lower(last_name) FROM person LIMIT 1").fetchone()
    assert (
        con.execute(
            "SELECT count(*) FROM person_fts WHERE person_fts MATCH ?", (f'"{some_surname}"*',)
        ).fetchone()[0]
        >= 1
    )
    con.close()


@pytest.mark.postgres
def test_benchmark_runs_on_postgresql(tmp_path: Path) -> None:
    if not generate.postgres_available(PG_URL):
        pytest.skip("no PostgreSQL server")
    size = SIZE + 1  # its own schema, apart from any benchmark run by hand
    args = [*QUICK, "--size", str(size), "--backend", "postgresql", "--no-qt"]
    try:
        code = run.main(
            [*args, "--pg-url", PG_URL, "--work-dir", str(tmp_path / "w"), "--out", str(tmp_path)]
        )
        assert code == 0
        data = _results(tmp_path)
        figures = {f["key"]: f for f in data["figures"]}
        assert {k for k in EVERY_FIGURE if not k.startswith("qt.")} == set(figures)
        assert all(f["status"] == "measured" for f in figures.values())
    finally:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE"))
            league = run.league_organisations(size)
            conn.execute(text(f"DROP SCHEMA IF EXISTS bench_league_{league} CASCADE"))
        engine.dispose()


def test_cached_database_of_an_older_revision_is_migrated_not_regenerated(
    tmp_path: Path,
) -> None:
    from alembic import command

    from crm.storage.db import Database, alembic_config, head_revision

    _db, made = generate.sqlite_database(120, seed=5, work_dir=tmp_path)
    _db.dispose()
    path = tmp_path / f"bench-{made.key}.sqlite3"
    # Make it what the cache held before the newest migration: an older schema and key.
    older = "0012"
    engine = Database(f"sqlite:///{path}").engine
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), older)
    engine.dispose()
    old_key = generate.cache_key(120, 5, older)
    old_path = tmp_path / f"bench-{old_key}.sqlite3"
    path.replace(old_path)
    info = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").unlink()
    old_path.with_suffix(".json").write_text(json.dumps({**info, "key": old_key}))
    before = _digest_rows(old_path)

    db, again = generate.sqlite_database(120, seed=5, work_dir=tmp_path)
    db.dispose()

    assert again.cached and again.key == made.key == generate.cache_key(120, 5)
    assert again.seconds == made.seconds  # the generation's, not a new one
    assert path.exists() and not old_path.exists() and not old_path.with_suffix(".json").exists()
    assert json.loads(path.with_suffix(".json").read_text())["key"] == made.key
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    con.close()
    assert _digest_rows(path) == before
    # Another generator version or seed is never taken for this one.
    assert generate._revision_of(old_key, 120, 6) is None
    assert generate._revision_of(old_key.replace("-g", "-gx"), 120, 5) is None
    assert generate._revision_of(old_key, 120, 5) == older


def _digest_rows(path: Path) -> str:
    con = sqlite3.connect(path)
    rows = con.execute("SELECT * FROM person ORDER BY id").fetchall()
    con.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()
