"""The app's identity on screen: icon, desktop file name, About box, version, crash report."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from PySide6.QtWidgets import QApplication, QLabel

from crm import app_identity, app_logging
from crm.storage.db import Database
from crm.ui.about import AboutDialog
from crm.ui.kit.errors import CrashDialog

ROOT = Path(__file__).resolve().parents[2]


def test_version_has_one_source() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert app_identity.version() == metadata.version("interim-crm") == declared["version"]


def test_crm_version(capsys: pytest.CaptureFixture[str]) -> None:
    from crm.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"crm {metadata.version('interim-crm')}\n"


def test_the_application_carries_the_icon_and_the_desktop_file_id(qapp) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.app import make_application

    app = make_application()
    assert app.desktopFileName() == app_identity.APP_ID
    assert app.applicationVersion() == app_identity.version()
    sizes = {s.width() for s in app.windowIcon().availableSizes()}
    assert {16, 32, 48, 256, 512} <= sizes


def test_about_box_from_the_help_menu(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log_file = app_logging.setup()
    help_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"
    )
    about = next(a for a in help_menu.actions() if "About" in a.text())
    about.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog))
    assert dialog.isVisible()
    shown = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert shown["AboutDatabase"] == db.describe()
    assert str(app_identity.log_dir()) in shown["AboutLogs"]
    assert str(app_identity.folders()["Settings"]) in shown["AboutSettings"]
    assert str(app_identity.folders()["Data and backups"]) in shown["AboutDataandbackups"]
    assert shown["AboutLogfile"] == str(log_file)
    assert shown["AboutLicence"] == app_identity.LICENCE
    assert f"Version {app_identity.version()}" in shown["AboutTitle"]
    dialog.copy_details()
    copied = QApplication.clipboard().text()
    assert copied.startswith(f"Interim CRM {app_identity.version()}\n")
    assert f"Database: {db.describe()}" in copied
    dialog.grab().save("/tmp/about.png")
    dialog.close()
    app_logging.shutdown()


def test_about_box_never_shows_a_password() -> None:
    db = Database("postgresql+psycopg://recruiter:s3cret@db.example.internal:5433/crm")
    try:
        rows = dict(AboutDialog(db).rows)
    finally:
        db.dispose()
    assert rows["Database"] == "PostgreSQL: db.example.internal:5433/crm"
    assert "s3cret" not in repr(rows)


def test_the_crash_dialog_says_where_the_report_is(window) -> None:  # type: ignore[no-untyped-def]
    log_file = app_logging.setup()
    try:
        dialog = CrashDialog(ZeroDivisionError("bug"), window)
        intro = dialog.findChild(QLabel, "CrashIntro")
        assert intro is not None and str(log_file) in intro.text()
        from crm.ui.kit.errors import show_crash

        show_crash(RuntimeError("a bug with an id #42"), window).close()
        for handler in app_logging._handlers:
            handler.flush()
        assert "RuntimeError: a bug with an id #42" in log_file.read_text(encoding="utf-8")
    finally:
        app_logging.shutdown()
