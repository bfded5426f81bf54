"""Who the application is: its name, id, version, licence and the folders it uses.

One place for what the desktop file, the AppStream metainfo, the bundle and the About box
must agree on; a test checks the packaging files against these values.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import platformdirs

from crm.settings import APP_NAME, config_dir, data_dir

DISTRIBUTION = "interim-crm"  # the name on PyPI and of the wheel
DISPLAY_NAME = "Interim CRM"
# Reverse-DNS id: the desktop file is APP_ID.desktop, the AppStream id and the macOS bundle
# identifier are APP_ID, and QGuiApplication.setDesktopFileName(APP_ID) links the running
# window to the desktop file (Wayland picks the icon and name from it).
APP_ID = "uk.co.interimcrm.InterimCRM"
ICON_NAME = "interim-crm"  # the hicolor icon theme name
LICENCE = "Proprietary: all rights reserved. For use by licensed agencies only."
LICENCE_ID = "LicenseRef-Proprietary"
COPYRIGHT = "© 2026 Interim CRM"


def version() -> str:
    """The installed distribution's version (pyproject.toml is its only source)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def log_dir() -> Path:
    """The folder for the log files (``CRM_LOG_DIR`` overrides the platform's log folder)."""
    override = os.environ.get("CRM_LOG_DIR")
    path = (
        Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_file() -> Path:
    return log_dir() / "crm.log"


def fault_file() -> Path:
    """Where a hard crash (a segfault in Qt, an abort) writes its Python traceback."""
    return log_dir() / "crash.log"


def folders() -> dict[str, Path]:
    """The folders the About box and ``crm --version --verbose`` show, by what they hold."""
    return {"Data and backups": data_dir(), "Settings": config_dir(), "Logs": log_dir()}
