"""pyproject.toml and requirements.lock: the licence in PEP 639 form, the entry points, and a
lock that pins every dependency with hashes and names no local index."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")


def _name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _pins() -> dict[str, list[str]]:
    """Pinned name -> the lines of its entry (version, markers, hashes)."""
    entries: dict[str, list[str]] = {}
    current: list[str] = []
    for line in LOCK.splitlines():
        if re.match(r"[A-Za-z0-9]", line):
            current = [line]
            entries[_name(line)] = current
        elif line.strip().startswith("--hash"):
            current.append(line.strip())
    return entries


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    project = PROJECT["project"]
    assert project["license"] == "LicenseRef-Proprietary"
    for pattern in project["license-files"]:
        assert list(ROOT.glob(pattern)), pattern
    assert not any(c.startswith("License ::") for c in project["classifiers"])
    (requirement,) = PROJECT["build-system"]["requires"]
    assert requirement == "setuptools>=77"  # the first to accept a licence expression


def test_entry_points_for_the_terminal_and_the_windowed_app() -> None:
    assert PROJECT["project"]["scripts"] == {"crm": "crm.cli:main"}
    assert PROJECT["project"]["gui-scripts"] == {"interim-crm": "crm.cli:main"}


def test_every_package_data_glob_matches_a_file() -> None:
    for package, globs in PROJECT["tool"]["setuptools"]["package-data"].items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in globs:
            assert list(folder.glob(pattern)), f"{package}: {pattern} matches nothing"


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    pins = _pins()
    wanted = list(PROJECT["project"]["dependencies"])
    for extra in PROJECT["project"]["optional-dependencies"].values():
        wanted += extra
    for requirement in wanted:
        assert _name(requirement) in pins, f"{requirement} is not in requirements.lock"
    for name, lines in pins.items():
        assert re.search(r"==\S+", lines[0]), f"{name} is not pinned"
        assert any(line.startswith("--hash=sha256:") for line in lines[1:]), f"{name} has no hash"


def test_the_lock_names_no_local_index_or_path() -> None:
    for line in LOCK.splitlines():
        assert not line.startswith(("--index-url", "--extra-index-url", "--find-links", "-f ")), (
            line
        )
        assert "file:" not in line and "/opt/" not in line, line


def test_the_lock_covers_the_supported_pythons() -> None:
    """Resolved for every Python from 3.11 (markers, not one interpreter's choices)."""
    assert "--universal" in LOCK and "--python-version 3.11" in LOCK
    assert PROJECT["project"]["requires-python"] == ">=3.11"
    classifiers = PROJECT["project"]["classifiers"]
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
