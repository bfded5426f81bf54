"""``crm x`` end to end: separate processes against the fake X API, the way a user runs them;
and the proof that the token never reaches the database, the settings or any output."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import main
from tests.x.fake_x_server import JANE_ID, FakeXServer, Fault
from tests.x.test_archive import build_zip


def crm(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture
def env(
    fake_x: FakeXServer, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> dict[str, str]:
    """The environment of a ``crm`` process: the test's own data and config folders (so quick
    set-up steps can run in-process with :func:`inproc`), the fake X API and its token."""
    monkeypatch.setenv("CRM_X_API_URL", fake_x.base_url)
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    e = dict(os.environ)
    e.update(
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        # Never the developer's real keyring: the failing backend, as on a headless server.
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return e


def inproc(*args: str) -> None:
    """Set-up steps run in this process (a process start costs a second)."""
    assert main(list(args)) == 0


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_link_dry_run_sync_resync_rename_and_usage(
    env: dict[str, str], fake_x: FakeXServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inproc("person", "add", "Jane", "Okafor")
    inproc("org", "add", "Harbourside NHS Foundation Trust")
    out = ok(crm("x", "link", "Jane Okafor", "https://x.com/JaneOkaforCEO", env=env))
    assert f"X user {JANE_ID}" in out and "8,420 followers" in out
    inproc("x", "link", "Harbourside", "@HarboursideNHS", "--org", "--offline")
    sent = len(fake_x.requests)

    out = ok(crm("x", "sync", "Jane Okafor", "--no-own", "--dry-run", env=env))
    assert "about 4 requests" in out and "at most 33" in out
    assert len(fake_x.requests) == sent  # a dry run sends nothing

    out = ok(crm("-v", "x", "sync", "Jane Okafor", "--no-own", env=env))
    assert "@JaneOkaforCEO" in out and " 250 " in out
    assert "1 of 1 account synced, 250 new tweets, 4 requests" in out

    fake_x.add_tweet(JANE_ID, "Board papers out today")
    fake_x.rename(JANE_ID, "JaneOkaforNHS")
    fake_x.clear_requests()
    out = ok(crm("x", "sync", "--all", "--no-own", env=env))
    assert "@JaneOkaforNHS (was @JaneOkaforCEO)" in out
    assert "@HarboursideNHS" in out and "2 of 2 accounts synced, 41 new tweets" in out
    assert fake_x.requests_to(f"/2/users/{JANE_ID}/tweets")[0].query.get("since_id")
    capsys.readouterr()
    inproc("search", "JaneOkaforNHS")
    inproc("x", "usage")
    inproc("x", "watch", "Jane Okafor")
    inproc("x", "sync", "--watched", "--no-own", "--dry-run")
    out = capsys.readouterr().out
    assert "Jane Okafor" in out and "@JaneOkaforNHS" in out
    assert "X API requests" in out and "of a budget of 10000" in out
    assert "on the watch list" in out and "for 1 account" in out


def test_faults_give_one_clear_line_and_keep_what_is_stored(
    env: dict[str, str], fake_x: FakeXServer
) -> None:
    inproc("person", "add", "Jane", "Okafor")
    inproc("x", "link", "Jane", "JaneOkaforCEO")
    fake_x.fail_next(Fault.UNAUTHORIZED)
    result = crm("x", "sync", "Jane", "--no-own", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "crm: X refused the token (HTTP 401" in result.stderr
    fake_x.fail_next(Fault.NOT_ENROLLED)
    result = crm("x", "sync", "Jane", "--no-own", env=env)
    assert result.returncode == 1 and "cannot read" in result.stderr
    fake_x.suspend(JANE_ID)
    out = ok(crm("x", "sync", "Jane", "--no-own", env=env))
    assert "suspended" in out
    result = crm("x", "sync", env=env)
    assert result.returncode == 1 and "Say what to sync" in result.stderr
    result = crm("x", "link", "Nobody Here", "someone", env=env)
    assert result.returncode == 1 and "No person or organisation matches" in result.stderr


def test_rate_limit_pause_is_announced_and_the_sync_finishes(
    env: dict[str, str], fake_x: FakeXServer
) -> None:
    inproc("person", "add", "Jane", "Okafor")
    inproc("x", "link", "Jane", "JaneOkaforCEO")
    fake_x.fail_next(Fault.RATE_LIMITED)
    result = crm("x", "sync", "Jane", "--no-own", env=env)
    out = ok(result)
    assert "X rate limit reached: pausing until" in result.stderr
    assert "250 new tweets" in out


def test_import_archive_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    inproc("person", "add", "Jane", "Okafor")
    inproc("x", "link", "Jane", "JaneOkaforCEO")
    inproc("person", "add", "Tom", "Briggs")
    inproc("x", "link", "Tom", "CllrTomBriggs", "--offline")
    path = build_zip(tmp_path)
    out = ok(crm("x", "import-archive", str(path), env=env))
    assert "Archive of @RecruiterRita: 5 tweets, 5 new." in out
    assert "Logged 2 tweet(s) and 2 DM" in out and "matched Jane Okafor: 3" in out
    out = ok(crm("x", "import-archive", str(path), env=env))
    assert "5 tweets, 0 new" in out and "4 already logged" in out
    assert main(["x", "own"]) == 0
    assert main(["x", "import-archive", str(tmp_path / "nothing.zip")]) == 1


def test_the_token_never_reaches_the_database_settings_logs_or_output(
    env: dict[str, str], fake_x: FakeXServer, isolated_home: Path
) -> None:
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None) -> None:
        result = crm(*args, env=env, stdin=stdin)
        outputs.extend([result.stdout, result.stderr])

    inproc("person", "add", "Jane", "Okafor")
    run("-v", "x", "link", "Jane", "JaneOkaforCEO")
    run("-v", "x", "own", "RecruiterRita")
    run("-v", "x", "sync", "--all")
    fake_x.fail_next(Fault.UNAUTHORIZED)
    run("-v", "x", "sync", "--all")
    fake_x.fail_next(Fault.MALFORMED_JSON)
    run("-v", "x", "sync", "--all", "--json")
    run("x", "credentials", "status")
    run("x", "credentials", "set", stdin=fake_x.token + "\n")  # no keyring: refused
    assert any("Rita" in o for o in outputs)
    token = fake_x.token
    for text in outputs:
        assert token not in text
    files = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert any(p.name.startswith("crm.sqlite3") for p in files)
    assert any(p.name == "settings.json" for p in files)
    for path in files:
        data = path.read_bytes()
        assert token.encode() not in data, path
        assert token[-20:].encode() not in data, path


def test_credentials_set_status_clear_read_the_token_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAcliSecretToken123"
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    assert main(["x", "credentials", "set"]) == 0
    assert main(["x", "credentials", "status"]) == 0
    from crm.storage import secrets as credentials

    assert credentials.get_bearer_token() == token
    assert main(["x", "credentials", "clear"]) == 0
    out = capsys.readouterr().out
    assert "stored in the keyring" in out and "not set" in out
    assert token not in out
    assert credentials.get_bearer_token() is None


def test_without_a_keyring_credentials_set_says_so_plainly(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "CRM_X_BEARER_TOKEN"}
    result = crm("x", "credentials", "set", env=env, stdin="AAAAsecretToken\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "No system keyring is available" in result.stderr
    assert "this run only" in result.stderr and "CRM_X_BEARER_TOKEN" in result.stderr
    assert "AAAAsecretToken" not in result.stderr + result.stdout
    out = ok(crm("x", "credentials", "status", env=env))
    assert "not set" in out and "No system keyring" in out
    # Linking still works without a token: unverified, and it says why.
    inproc("person", "add", "Jane", "Okafor")
    result = crm("x", "link", "Jane", "JaneOkaforCEO", env=env)
    assert "unverified" in ok(result) and "keyring" in result.stderr
    result = crm("x", "sync", "Jane", env=env)
    assert result.returncode == 1 and "keyring" in result.stderr
