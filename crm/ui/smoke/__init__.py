"""``crm --smoke-test``: does this installation work? For bundles and installers.

In a fresh temporary folder (nothing of the user's is read or written): create a database and
run every migration, check the schema is current, render the main window offscreen, and load
the packaged images (the icon and the theme's SVG check mark, which needs Qt's SVG plugin).
Prints one line per step; returns 0 when all pass.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def run(out: Callable[[str], None] = print) -> int:
    """Run the checks in a temporary folder; 0 if every one passed, 1 otherwise."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crm-smoke-") as folder:
        home = Path(folder)
        saved = {k: os.environ.get(k) for k in _ENV}
        os.environ.update(
            CRM_DATA_DIR=str(home / "data"),
            CRM_CONFIG_DIR=str(home / "config"),
            CRM_LOG_DIR=str(home / "logs"),
        )
        os.environ.pop("CRM_DATABASE_URL", None)
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        try:
            _checks(home, out)
        except Exception as exc:  # any failure is the answer: say which, exit 1
            out(f"smoke test FAILED: {type(exc).__name__}: {exc}")
            return 1
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    out(f"smoke test passed in {time.perf_counter() - started:.1f} s")
    return 0


_ENV = ("CRM_DATA_DIR", "CRM_CONFIG_DIR", "CRM_LOG_DIR", "CRM_DATABASE_URL", "QT_QPA_PLATFORM")


def _checks(home: Path, out: Callable[[str], None]) -> None:
    from crm import app_identity
    from crm.storage.db import Database

    out(f"{app_identity.DISPLAY_NAME} {app_identity.version()}")
    db = Database(f"sqlite:///{home / 'smoke.sqlite3'}")
    try:
        db.upgrade(backup=False)
        revision = db.current_revision()
        state = db.check()
        if revision is None or state != "current":
            raise RuntimeError(f"the schema is {state} after the migrations")
        out(f"database: migrations ran, schema at {revision}")

        from PySide6.QtGui import QImage

        from crm import resources
        from crm.ui.app import make_application
        from crm.ui.screenshot import render

        app = make_application(["crm"])
        if app.windowIcon().isNull():
            raise RuntimeError("the application icon did not load")
        tick = QImage(str(resources.path("check.svg")))
        if tick.isNull():
            raise RuntimeError("check.svg did not load: is Qt's SVG image plugin missing?")
        out(f"resources: icon in {len(app.windowIcon().availableSizes())} sizes, SVG images load")
        shot = render(db, home / "window.png", "people", (1200, 800))
        image = QImage(str(shot))
        if (image.width(), image.height()) != (1200, 800):
            raise RuntimeError(f"the window rendered at {image.width()}x{image.height()}")
        colours = {image.pixel(x, y) for x in range(0, 1200, 40) for y in range(0, 800, 40)}
        if len(colours) < 3:
            raise RuntimeError("the main window rendered blank")
        out(f"window: main window rendered offscreen ({app.platformName()})")
    finally:
        db.dispose()
