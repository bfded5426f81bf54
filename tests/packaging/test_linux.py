"""Linux desktop integration: desktop file, AppStream metainfo, icons, completion, man page,
and install.sh, checked with the freedesktop validators (required in CI)."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from crm import app_identity

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{app_identity.APP_ID}.desktop"
METAINFO = LINUX / f"{app_identity.APP_ID}.metainfo.xml"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is missing in CI (.ci/run installs it)")
        pytest.skip(f"{name} is not installed (apt-get install desktop-file-utils appstream)")
    return path


def _validate(desktop: Path, metainfo: Path) -> None:
    result = subprocess.run(
        [_tool("desktop-file-validate"), str(desktop)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    result = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(metainfo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _stage_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "stage_share", ROOT / "packaging" / "stage_share.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_desktop_file_names_the_app() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    group = entry["Desktop Entry"]
    assert group["Name"] == app_identity.DISPLAY_NAME
    assert group["Icon"] == app_identity.ICON_NAME
    assert group["Exec"] == "interim-crm"  # the gui-scripts entry and the bundle's program
    assert "Office" in group["Categories"].split(";")


def test_the_metainfo_agrees_with_the_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == app_identity.APP_ID
    assert root.find("launchable").text == DESKTOP.name  # type: ignore[union-attr]
    assert root.findtext("name") == app_identity.DISPLAY_NAME
    releases = [r.get("version") for r in root.iter("release")]
    assert releases[0] == app_identity.version(), "add a <release> for the new version"
    for image in root.iter("image"):
        name = (image.text or "").rsplit("/", 1)[-1]
        assert (ROOT / "docs" / "screenshots" / name).is_file(), name


def test_the_sources_validate() -> None:
    _validate(DESKTOP, METAINFO)


@pytest.mark.slow
def test_install_sh_puts_everything_in_place(tmp_path: Path) -> None:
    bundle = tmp_path / "interim-crm"
    bundle.mkdir()
    for program in ("crm", "interim-crm"):  # stand-ins for the bundle's programs
        (bundle / program).write_text("#!/bin/sh\necho crm 0\n", encoding="utf-8")
        (bundle / program).chmod(0o755)
    (bundle / "_internal").mkdir()
    _stage_script().stage(bundle)
    dest = tmp_path / "dest"
    result = subprocess.run(
        ["sh", str(bundle / "install.sh")],
        env={**os.environ, "DESTDIR": str(dest), "PREFIX": "/usr"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    usr = dest / "usr"
    assert os.readlink(usr / "bin" / "crm") == "/usr/lib/interim-crm/crm"
    assert (usr / "lib" / "interim-crm" / "interim-crm").stat().st_mode & 0o111
    assert (usr / "lib" / "interim-crm" / "_internal").is_dir()
    assert not (usr / "lib" / "interim-crm" / "share").exists()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (usr / f"share/icons/hicolor/{size}x{size}/apps/interim-crm.png").is_file()
    assert (usr / "share/icons/hicolor/scalable/apps/interim-crm.svg").is_file()
    desktop = usr / "share" / "applications" / DESKTOP.name
    metainfo = usr / "share" / "metainfo" / METAINFO.name
    assert oct(desktop.stat().st_mode & 0o777) == "0o644"
    _validate(desktop, metainfo)

    bash = (usr / "share/bash-completion/completions/crm").read_text(encoding="utf-8")
    for command in ("search", "placement", "import", "screenshot", "--database", "--version"):
        assert command in bash, command
    assert (
        subprocess.run(
            ["bash", "-n", str(usr / "share/bash-completion/completions/crm")]
        ).returncode
        == 0
    )
    assert "#compdef crm" in (usr / "share/zsh/site-functions/_crm").read_text(encoding="utf-8")
    man = (usr / "share/man/man1/crm.1").read_text(encoding="utf-8")
    assert man.startswith(".TH") and "Interim CRM" in man and "\\-\\-smoke\\-test" in man
    if shutil.which("man"):
        shown = subprocess.run(
            ["man", "-l", str(usr / "share/man/man1/crm.1")],
            capture_output=True,
            text=True,
            env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "100"},
            check=False,
        )
        assert shown.returncode == 0 and "COMMAND" in shown.stdout


def test_the_bundle_spec_ships_migrations_resources_and_metadata() -> None:
    spec = (ROOT / "packaging" / "pyinstaller" / "interim-crm.spec").read_text(encoding="utf-8")
    assert 'collect_submodules("crm")' in spec
    assert 'collect_data_files("crm.storage.migrations", include_py_files=True)' in spec
    assert 'collect_data_files("crm.resources")' in spec
    assert 'copy_metadata("interim-crm")' in spec
    assert "bundle_identifier=app_identity.APP_ID" in spec
    assert sys.platform != "win32" or "console=False" in spec
