"""One app per database, with real processes: a second start with the same database brings
the first window forward and exits; another database gets its own app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.ui.instance import database_identity, instance_key

LISTENING = "Listening for second starts"
ASKED = "A second start asked for this window"


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CRM_DATA_DIR": str(home / "data"),
        "CRM_CONFIG_DIR": str(home / "config"),
        "CRM_LOG_DIR": str(home / "logs"),
        "XDG_CONFIG_HOME": str(home / "xdg"),
    }


def _start(url: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crm", "--database", url],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, text: str, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"the app exited early: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.fixture
def apps() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=10)  # reads and closes its pipes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.mark.slow
def test_a_second_start_brings_the_first_window_forward(
    tmp_path: Path, apps: list[subprocess.Popen[str]]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    first_home, second_home = tmp_path / "first", tmp_path / "second"
    first = _start(url, first_home)
    apps.append(first)
    first_log = first_home / "logs" / "crm.log"
    _wait_for(first_log, LISTENING, first)

    second = subprocess.run(
        [sys.executable, "-m", "crm", "--database", url],
        env=_env(second_home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert second.returncode == 0, second.stderr
    assert "already open on this database" in second.stderr
    _wait_for(first_log, ASKED, first)
    assert first.poll() is None  # the first app goes on

    # Another database is another app: it starts and listens on its own.
    other = _start(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path / "third")
    apps.append(other)
    _wait_for(tmp_path / "third" / "logs" / "crm.log", LISTENING, other)
    assert other.poll() is None

    # Once the first app has gone (even killed, leaving its lock file), a start is a first.
    first.kill()
    first.wait()
    again = _start(url, tmp_path / "fourth")
    apps.append(again)
    _wait_for(tmp_path / "fourth" / "logs" / "crm.log", LISTENING, again)


def test_the_same_database_is_the_same_key_however_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    absolute = instance_key(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    assert instance_key("sqlite:///crm.sqlite3") == absolute
    assert instance_key("sqlite:///sub/../crm.sqlite3") == absolute
    assert instance_key(f"sqlite:///{tmp_path / 'other.sqlite3'}") != absolute
    assert instance_key("sqlite:///:memory:") is None
    # The default database is the file in the data folder.
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    assert instance_key(None) == absolute


def test_postgresql_identity_leaves_out_the_password() -> None:
    one = database_identity("postgresql://recruiter:secret@db.example.internal/crm")
    assert one == "postgresql:recruiter@db.example.internal:5432/crm"
    assert instance_key("postgresql://recruiter:other@db.example.internal:5432/crm") == (
        instance_key("postgresql://recruiter:secret@db.example.internal/crm")
    )
    assert instance_key("postgresql://someone@db.example.internal/crm") != instance_key(
        "postgresql://recruiter@db.example.internal/crm"
    )
