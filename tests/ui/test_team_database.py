"""The window on the team database (PostgreSQL): search, quick log and a stale save."""

from __future__ import annotations

import pytest

from PySide6.QtCore import Qt

from crm.services.interactions import interactions_for
from crm.services.people import get_person, update_person
from crm.storage.db import Database
from crm.ui.kit.forms import ConflictDialog
from crm.ui.kit.workers import TaskRunner
from crm.ui.main_window import MainWindow
from tests.ui.conftest import _build_sample

pytestmark = pytest.mark.postgres


def test_window_on_postgresql(qtbot, pg_db: Database) -> None:  # type: ignore[no-untyped-def]
    sample = _build_sample(pg_db)
    window = MainWindow(pg_db, runner=TaskRunner(inline=True), settings=None)
    qtbot.addWidget(window)
    window.show()
    assert window.db_label.text().startswith("PostgreSQL: 127.0.0.1:5432/test")
    qtbot.keyClicks(window.search, "patel")
    qtbot.waitUntil(lambda: window.people_page.model.rowCount() == 2, timeout=2000)

    window.open_record("person", sample.tom)
    dialog = window.quick_log()
    qtbot.keyClicks(dialog.summary, "Called about the York brief")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    assert [i.summary for i in interactions_for(pg_db, person_id=sample.tom)] == [
        "Called about the York brief"
    ]

    # A colleague on another connection saves first; ours is refused, theirs shown.
    colleague = Database(pg_db.url)
    update_person(colleague, sample.tom, {"job_title": "Managing Director"}, None)
    colleague.dispose()
    window.person_page.fields["location"].setText("York")
    window.person_page.save()
    conflict = window.findChild(ConflictDialog)
    assert conflict is not None and conflict.isVisible()
    assert get_person(pg_db, sample.tom).location is None
    conflict.reload_button.click()
    assert window.person_page.fields["job_title"].text() == "Managing Director"
