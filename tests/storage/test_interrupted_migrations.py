"""Schema creation and upgrades on SQLite are all or nothing: a process killed (SIGKILL) at
any moment leaves a database that opens and upgrades, with its records and one backup."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from crm.storage.db import Database, alembic_config, head_revision

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")

PEOPLE = 400


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _make_0004(path: Path) -> None:
    """A database at revision 0004 holding people, their search documents and interactions
    (0005 rewrites every search document, so the upgrade has real work to interrupt)."""
    from alembic import command

    db = Database(_url(path))
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    with db.engine.begin() as conn:
        for i in range(PEOPLE):
            pid = conn.execute(
                text(
                    "INSERT INTO person (first_name, last_name, sort_name, lawful_basis, "
                    "consent_status, is_client_contact, is_candidate, do_not_contact, version, day_rate_currency, "
                    "created_at, updated_at) VALUES (:f, :l, :s, 'legitimate_interests', "
                    "'none', 1, 0, 0, 1, 'GBP', '2026-01-01', '2026-01-01') RETURNING id"
                ),
                {"f": f"First{i}", "l": f"Last{i}", "s": f"last{i} first{i}"},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO person_search (person_id, name, organisation, "
                    "past_organisations, title, contact, tags, notes) "
                    "VALUES (:p, :n, '', '', '', '', '', '')"
                ),
                {"p": pid, "n": f"First{i} Last{i}"},
            )
    db.dispose()


def _start(work: Callable[[], None]) -> int:
    """Run ``work`` in a forked child (the imports are done already, so the child starts
    working at once); returns its process id."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest machinery, straight out when done
        code = 3
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


def _run_killed(work: Callable[[], None], delay: float) -> bool:
    """Run ``work`` in a child and SIGKILL it after ``delay`` seconds; True if it was killed
    before it finished."""
    pid = _start(work)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        assert os.WEXITSTATUS(status) == 0, "the migration failed on its own"
        return False
    return True


def _timed(work: Callable[[], None]) -> float:
    """How long ``work`` takes in a child left to finish (at most a minute)."""
    started = time.perf_counter()
    pid = _start(work)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - started > 60:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the migration did not finish within a minute")
        time.sleep(0.005)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return time.perf_counter() - started


def _assert_sound_at_head(path: Path) -> Database:
    db = Database(_url(path))
    db.upgrade()
    assert db.check() == "current"
    assert db.current_revision() == head_revision()
    db.dispose()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    return db


def _kill_loop(
    tmp_path: Path, name: str, prepare: Callable[[Path], None], trials: int, seed: int
) -> tuple[int, list[Path]]:
    """Prepare a database, start opening it in a child and kill that at a random moment;
    then open it here. Returns how many children were killed, and the databases."""
    rng = random.Random(seed)
    sample = tmp_path / f"{name}-timing" / "crm.sqlite3"
    sample.parent.mkdir()
    prepare(sample)
    duration = _timed(lambda: Database(_url(sample)).upgrade())
    killed = 0
    paths = []
    for trial in range(trials):
        path = tmp_path / f"{name}-{trial}" / "crm.sqlite3"
        path.parent.mkdir()
        prepare(path)
        delay = rng.uniform(0, 0.8 * duration)
        if _run_killed(lambda p=path: Database(_url(p)).upgrade(), delay):
            killed += 1
        else:  # it finished sooner than that: the machine is less busy than when timed
            duration = min(duration, delay)
        paths.append(path)
    return killed, paths


@pytest.mark.slow
def test_killing_schema_creation_never_leaves_a_database_that_cannot_open(
    tmp_path: Path,
) -> None:
    killed, paths = _kill_loop(tmp_path, "new", lambda path: None, trials=10, seed=11)
    for path in paths:
        _assert_sound_at_head(path)
    assert killed >= 3  # kills landed while the schema was being created


@pytest.mark.slow
def test_killing_an_upgrade_never_leaves_a_database_that_cannot_open(tmp_path: Path) -> None:
    template = tmp_path / "template.sqlite3"
    _make_0004(template)
    killed, paths = _kill_loop(
        tmp_path, "old", lambda path: shutil.copyfile(template, path), trials=14, seed=12
    )
    for path in paths:
        _assert_sound_at_head(path)
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT count(*) FROM person").fetchone() == (PEOPLE,)
            assert conn.execute(
                "SELECT count(*) FROM person_search WHERE sort_name = ''"
            ).fetchone() == (0,)
        finally:
            conn.close()
        # One backup per upgrade, however many attempts were cut short.
        backups = list(path.parent.glob("crm.before-upgrade-*.sqlite3"))
        assert len(backups) == 1, backups
        copy = sqlite3.connect(backups[0])
        try:
            assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
            assert copy.execute("SELECT count(*) FROM person").fetchone() == (PEOPLE,)
        finally:
            copy.close()
    assert killed >= 4  # kills landed during the backup or the upgrade
