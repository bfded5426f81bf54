"""The log file: where it is, what it keeps and never keeps, hard crashes, --verbose."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm import app_identity, app_logging


@pytest.fixture
def logs() -> object:
    yield
    app_logging.shutdown()


def _flush() -> None:
    for handler in app_logging._handlers:
        handler.flush()


def test_the_log_file_is_in_the_log_folder(logs: object, isolated_home: Path) -> None:
    path = app_logging.setup()
    assert path == isolated_home / "logs" / "crm.log" == app_identity.log_file()
    logging.getLogger("crm.test").info("Merged person #%d into #%d", 3, 4)
    _flush()
    assert "INFO crm.test: Merged person #3 into #4" in path.read_text(encoding="utf-8")


def test_the_log_folder_follows_the_platform_without_an_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    monkeypatch.delenv("CRM_LOG_DIR")
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "plat"))
    assert app_identity.log_dir() == tmp_path / "plat"


def test_the_log_file_rotates(logs: object) -> None:
    app_logging.setup()
    handler = next(
        h for h in app_logging._handlers if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    assert handler.maxBytes == app_logging.MAX_BYTES and handler.backupCount == app_logging.BACKUPS
    handler.maxBytes = 2000
    for i in range(100):
        logging.getLogger("crm.test").info("line %d of a long run of lines", i)
    _flush()
    folder = app_identity.log_dir()
    assert (folder / "crm.log.1").exists()
    assert all(p.stat().st_size <= 2100 for p in folder.glob("crm.log*"))


def test_no_secret_or_e_mail_reaches_the_file(logs: object) -> None:
    path = app_logging.setup()
    token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
    log = logging.getLogger("crm.test")
    log.warning("Request failed with header Authorization: Bearer %s", token)
    log.warning("Token was %s", token)
    log.info("Could not reach amara.okafor@harbourlight.org.uk about #12")
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        log.exception("Unexpected error")
    _flush()
    text = path.read_text(encoding="utf-8")
    assert token not in text and "SJSI" not in text
    assert "harbourlight" not in text and "amara" not in text
    assert "Bearer [redacted]" in text and "[e-mail] about #12" in text


def test_the_terminal_gets_warnings_or_with_verbose_everything(
    logs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("crm.test")
    app_logging.setup()
    log.info("quiet progress")
    log.warning("a warning")
    err = capsys.readouterr().err
    assert "a warning" in err and "quiet progress" not in err
    app_logging.setup(verbose=True)
    log.info("loud progress")
    assert "INFO crm.test: loud progress" in capsys.readouterr().err
    assert len(app_logging._handlers) == 2  # setting up again replaced, not added


def test_the_command_logs_to_the_file(isolated_home: Path) -> None:
    from crm.cli import main

    try:
        assert main(["db", "upgrade"]) == 0
    finally:
        app_logging.shutdown()
    text = (isolated_home / "logs" / "crm.log").read_text(encoding="utf-8")
    assert "INFO crm.cli: Command: db" in text


def test_a_hard_crash_leaves_its_traceback_in_the_crash_file(tmp_path: Path) -> None:
    code = (
        "from crm import app_logging\n"
        "app_logging.enable_fault_handler()\n"
        "import ctypes\n"
        "def deep():\n"
        "    ctypes.string_at(0)\n"
        "deep()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "CRM_LOG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    crash = (tmp_path / "crash.log").read_text(encoding="utf-8")
    assert "Fatal Python error" in crash and "in deep" in crash
