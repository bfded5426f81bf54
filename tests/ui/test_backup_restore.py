"""The File menu backs the database up and restores it: a refused backup changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from crm.services.people import PersonInput, add_person, count_people
from crm.storage.db import Database
from crm.ui.transfer.backup import back_up, restore


def test_back_up_then_restore_from_the_app(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = count_people(db)
    backup = tmp_path / "backup.sqlite3"
    back_up(window, window.ctx, backup)
    assert backup.exists()
    add_person(db, PersonInput("Ada", "Lovelace"))
    restore(window, window.ctx, backup, ask=False)
    assert count_people(db) == before
    assert window.people_page.model.rowCount() == before
    assert "Restored from" in window.statusBar().currentMessage()
    assert db.sqlite_path is not None
    assert list(db.sqlite_path.parent.glob("crm.before-restore-*.sqlite3"))


def test_a_newer_backup_is_refused_in_the_app_and_nothing_changes(  # type: ignore[no-untyped-def]
    window, db: Database, tmp_path: Path, qtbot
) -> None:
    before = count_people(db)
    newer = tmp_path / "newer.sqlite3"
    db.backup(newer)
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    restore(window, window.ctx, newer, ask=False)
    box = window.findChild(QMessageBox, "ErrorMessage")
    assert box is not None and "newer version" in box.text()
    box.close()
    assert count_people(db) == before
