"""The window as a whole: first run, shortcuts in menus, settings, status bar, screenshots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QKeySequence

from crm.services.people import count_people
from crm.storage.db import Database
from crm.ui.kit.errors import CrashDialog, show_error
from crm.ui.kit.workers import TaskRunner
from tests.ui.conftest import Sample


def test_empty_database_shows_the_welcome_page(empty_window) -> None:  # type: ignore[no-untyped-def]
    w = empty_window
    assert w.stack.currentWidget() is w.welcome_page
    assert w.welcome_page.importer.button.isEnabled() and w.menu_actions.import_contacts.isEnabled()
    w.welcome_page.empty.button.click()
    assert w.stack.currentWidget() is w.people_page
    assert w.people_page.stack.currentWidget() is w.people_page.empty
    assert w.people_page.empty.title.text() == "No people yet"


def test_sample_data_goes_into_a_separate_demo_database(
    empty_window, db: Database, isolated_home: Path
) -> None:  # type: ignore[no-untyped-def]
    w = empty_window
    w.welcome_page.demo.button.click()
    assert w.ctx.is_demo
    assert w.ctx.db is not db
    assert str(w.ctx.db.sqlite_path).endswith("demo.sqlite3")
    assert Path(w.ctx.db.sqlite_path).parent == isolated_home / "data"
    assert count_people(w.ctx.db) > 100
    assert count_people(db) == 0  # the real database is untouched
    assert "sample data" in w.db_label.text()
    assert w.stack.currentWidget() is w.today_page  # the first screen of a full database
    assert w.today_page.report is not None and w.today_page.report.who_to_call
    assert w.people_page.model.rowCount() == count_people(w.ctx.db)


def test_status_bar_names_the_database(window, db: Database) -> None:  # type: ignore[no-untyped-def]
    assert window.db_label.text() == db.describe()
    assert "SQLite" in window.db_label.text()


def test_main_actions_show_their_shortcuts(window) -> None:  # type: ignore[no-untyped-def]
    assert window.menu_actions.log.shortcut() == QKeySequence("Ctrl+L")
    assert "Ctrl+L" in window.menu_actions.log.toolTip()
    assert "Ctrl+K" in window.menu_actions.find.toolTip()
    assert window.menu_actions.new_person.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert window.menu_actions.find_in_list.shortcut() == QKeySequence(
        QKeySequence.StandardKey.Find
    )
    assert window.menu_actions.back.shortcut() == QKeySequence(QKeySequence.StandardKey.Back)
    for action in window.actions():
        if not action.shortcut().isEmpty():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            assert keys in action.toolTip(), action.text()
    for widget in (
        window.search,
        window.nav,
        window.people_page.table,
        window.person_page.timeline.browser,
    ):
        assert widget.accessibleName()


def test_ctrl_k_focuses_search_from_anywhere(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    window.menu_actions.find.trigger()
    assert window.focusWidget() is window.search
    qtbot.keyClicks(window.search, "okafor")
    assert window.stack.currentWidget() is window.people_page


def test_column_layout_and_geometry_persist(
    qtbot, db: Database, sample: Sample, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    first = MainWindow(db, runner=TaskRunner(inline=True), settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.people_page.table.setColumnWidth(0, 333)
    first.open_record("person", sample.tom)
    first.person_page.splitter.setSizes([500, 700])
    sizes = first.person_page.splitter.sizes()
    first.close()
    assert settings.value("window/geometry") is not None
    # (The offscreen screen is 800x600, so the restored geometry itself is clamped.)
    second = MainWindow(db, runner=TaskRunner(inline=True), settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert second.people_page.table.columnWidth(0) == 333
    assert settings.value("splitters/person") is not None
    assert sizes[0] > 0


def test_errors_have_one_place(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from crm.domain.errors import Cancelled, NotFoundError

    box = show_error(NotFoundError("There is no person with id 99."), window)
    assert box is not None and box.isVisible() and "id 99" in box.text()
    box.close()
    assert show_error(Cancelled(), window) is None
    assert "Cancelled" in window.statusBar().currentMessage()
    crash = show_error(ZeroDivisionError("bug"), window)
    assert isinstance(crash, CrashDialog)
    assert "ZeroDivisionError" in crash.details.toPlainText()
    crash.close()


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_screenshot_command_renders_views(db: Database, sample: Sample, tmp_path: Path) -> None:
    # A process of its own, as a user runs it: the command makes its own application and
    # window, which the widgets other tests left behind in this process must not meet.
    url = str(db.url)
    out = tmp_path / "person.png"
    view = f"person:{sample.priya}"
    result = _crm("--database", url, "screenshot", str(out), "--view", view, "--size", "1100x700")
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1100, 700)
    result = _crm("--database", url, "screenshot", str(out), "--view", "person:nobody")
    assert result.returncode == 1 and "person:ID" in result.stderr, result.stderr


def test_screenshot_command_in_dark(db: Database, sample: Sample, tmp_path: Path) -> None:
    # A process of its own: switching the whole app to dark would restyle every widget the
    # other tests left behind.
    dark = tmp_path / "dark.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm.cli",
            "--database",
            str(db.url),
            "screenshot",
            str(dark),
            "--dark",
            "--view",
            "placements",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pixel = QImage(str(dark)).pixelColor(5, 300)
    assert pixel.lightness() < 80  # the sidebar is dark


# Run as `crm --database URL`, with no command: once the window is up, say what it shows and
# which modules start-up imported, then quit.
_START_APP = """
import json, os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from crm.cli import main

app = QApplication([sys.argv[0]])
seen = {}

def look():
    window = next(w for w in app.topLevelWidgets() if w.objectName() == "MainWindow")
    seen.update(
        visible=window.isVisible(),
        today_shown=window.stack.currentWidget() is window._pages.get("today"),
        modules=sorted(sys.modules),
    )
    app.quit()

QTimer.singleShot(0, look)
code = main(["--database", sys.argv[1]])
print(json.dumps({"code": code, **seen}))
sys.stdout.flush()
os._exit(0)  # PySide6 can crash while the interpreter finalises
"""


def test_crm_with_no_command_opens_the_window_without_the_rarely_used_parts(
    db: Database, sample: Sample, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _START_APP, str(db.url)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)},
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    seen = json.loads(lines[-1])
    assert seen["code"] == 0 and seen["visible"] and seen["today_shown"]
    # Start-up time: these load when first opened, not before the window is shown.
    for module in (
        "PySide6.QtCharts",
        "crm.ui.people.person",
        "crm.ui.organisations.page",
        "crm.ui.placements.page",
        "crm.ui.kit.forms",
        "crm.ui.kit.pickers",
        "crm.ui.people.dialogs",
        "crm.ui.organisations.dialogs",
        "crm.ui.placements.dialogs",
        "crm.ui.transfer.import_wizard",
        "crm.ui.transfer.export_dialog",
        "crm.ui.transfer.duplicates",
        "crm.ui.transfer.gdpr",
        "crm.ui.transfer.retention",
        "crm.ui.x.settings",
        "crm.cli.records",
        "crm.cli.transfer",
        "email_validator",
        "phonenumbers",
    ):
        assert module not in seen["modules"], module


def test_x_menu_is_wired(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.x.settings import XSettingsDialog

    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Data", "X", "Bluesky", "Help"]
    dialog = window.x_settings()
    assert isinstance(dialog, XSettingsDialog) and dialog.isVisible()
    dialog.close()
    window.show_people()
    window.sync_current()  # nothing open to sync: says so, does nothing
    assert "Open a person" in window.statusBar().currentMessage()
    assert not window.x_status.isVisible()


def test_data_dialogs_open_from_the_menus(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.transfer.duplicates import DuplicatesDialog
    from crm.ui.transfer.export_dialog import ExportDialog
    from crm.ui.transfer.gdpr import ErasureDialog, SubjectAccessDialog
    from crm.ui.transfer.import_wizard import ImportWizard

    wizard = window.import_contacts()
    assert isinstance(wizard, ImportWizard) and wizard.isVisible()
    wizard.reject()
    window.set_search_text_now("patel")
    export = window.export()
    assert isinstance(export, ExportDialog) and export.ids == window.people_page.model.ids
    export.reject()
    duplicates = window.find_duplicates("person")
    assert isinstance(duplicates, DuplicatesDialog)
    duplicates.reject()
    review = window.retention_review()
    assert review.isVisible()
    review.close()
    window.open_record("person", sample.tom)
    window.person_page.subject_access()
    assert window.person_page.findChild(SubjectAccessDialog) is not None
    window.person_page.erase()
    erasure = window.person_page.findChild(ErasureDialog)
    assert erasure is not None and erasure.isVisible()
    erasure.reject()


def test_closing_waits_for_background_work(qtbot, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    import time

    from crm.services.interactions import InteractionInput, interactions_for, log_interaction
    from crm.ui.main_window import MainWindow

    window = MainWindow(db, settings=None)  # real worker threads
    qtbot.addWidget(window)

    def slow_save() -> int:
        time.sleep(0.3)
        return log_interaction(db, InteractionInput(person_ids=[sample.tom], summary="Late save"))

    window.runner.run(slow_save, write=True, label="Saving")
    window.close()  # returns only when the save is done
    assert [i.summary for i in interactions_for(db, person_id=sample.tom)] == ["Late save"]
    assert window.runner.busy == 0
