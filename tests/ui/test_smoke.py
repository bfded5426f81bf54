"""``crm --smoke-test``: checks an installation without touching the user's data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.ui import smoke


@pytest.mark.slow
def test_the_smoke_test_passes_and_leaves_no_trace(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "crm", "--smoke-test"],
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "CRM_DATA_DIR": str(home / "data"),
            "CRM_CONFIG_DIR": str(home / "config"),
            "CRM_LOG_DIR": str(home / "logs"),
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Interim CRM ")
    assert any(line.startswith("database: migrations ran, schema at ") for line in lines)
    assert any(line.startswith("window: main window rendered offscreen") for line in lines)
    assert lines[-1].startswith("smoke test passed")
    # The user's folders were neither read nor written: the test ran in its own.
    assert not (home / "data").exists() or not any((home / "data").iterdir())


def test_a_failing_check_fails_the_smoke_test(
    qapp, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:  # type: ignore[no-untyped-def]
    from crm import resources

    def missing(name: str) -> Path:
        raise FileNotFoundError(f"{name} is missing: run `make resources`")

    monkeypatch.setattr(resources, "path", missing)
    said: list[str] = []
    assert smoke.run(said.append) == 1
    assert said[-1].startswith("smoke test FAILED: FileNotFoundError: ")
    assert said[-1].endswith("is missing: run `make resources`")
    # The environment is as it was.
    assert os.environ["CRM_DATA_DIR"] == str(isolated_home / "data")
