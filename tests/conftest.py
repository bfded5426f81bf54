"""Shared fixtures: a fresh database per test on SQLite and PostgreSQL, an isolated home,
an in-memory keyring, and Qt offscreen."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import pytest

from crm.storage.db import Database

PG_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Keyring ships no in-memory backend; tests must never touch the real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Settings, data and keyring are private to each test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CRM_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("CRM_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CRM_LOG_DIR", str(home / "logs"))
    monkeypatch.setenv("CRM_USER", "Test Recruiter")
    for name in ("CRM_DATABASE_URL", "CRM_X_BEARER_TOKEN", "CRM_X_API_URL", "CRM_X_OWN_HANDLE"):
        monkeypatch.delenv(name, raising=False)
    keyring.set_keyring(MemoryKeyring())
    return home


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test costs seconds)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    """The default test database: a fresh, migrated SQLite file."""
    return sqlite_db


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3
        ):
            return None
    except Exception as exc:  # any failure means "not available here"
        return str(exc)


@pytest.fixture(scope="session")
def _pg_reason() -> str | None:
    return _pg_available()


def pg_database(reason: str | None) -> Iterator[Database]:
    if reason is not None:
        message = f"PostgreSQL is not available on 127.0.0.1:5432: {reason}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
    ) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    db = Database(f"{PG_URL}?options=-csearch_path%3D{schema}")
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
        ) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_db(_pg_reason: str | None) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL schema in the ``test`` database."""
    yield from pg_database(_pg_reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(
    request: pytest.FixtureRequest, _pg_reason: str | None, _sqlite_template: Path, tmp_path: Path
) -> Iterator[Database]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
    else:
        yield from pg_database(_pg_reason)


@pytest.fixture
def fake_bsky(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh fake Bluesky AppView on 127.0.0.1, set as the ``bluesky_appview_url``."""
    from tests.x.fake_bluesky_server import FakeBlueskyServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeBlueskyServer().start()
    monkeypatch.setenv("CRM_BLUESKY_APPVIEW_URL", server.base_url)
    try:
        yield server
    finally:
        server.stop()
