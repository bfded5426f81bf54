"""Backing the database up and restoring it from the app (File menu), off the GUI thread.

The checks are the storage layer's (:meth:`crm.storage.db.Database.restore`): a backup that
is damaged, another program's or newer than this version is refused before anything
changes, and a copy of the current database is kept first.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from crm import settings
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.workers import Task


def _default_backup_path(ctx: AppContext) -> Path:
    suffix = ".sqlite3" if ctx.db.is_sqlite else ".sql"
    return Path.home() / f"interim-crm-backup-{datetime.now():%Y-%m-%d}{suffix}"


def back_up(parent: QWidget, ctx: AppContext, path: Path | None = None) -> Task | None:
    """Ask where (unless ``path`` is given) and copy the database there in the background."""
    if path is None:
        chosen, _ = QFileDialog.getSaveFileName(
            parent, "Back up the database", str(_default_backup_path(ctx))
        )
        if not chosen:
            return None
        path = Path(chosen)
    target = path
    db = ctx.db
    return ctx.runner.run(
        lambda: db.backup(target),
        lambda _r: ctx.message.emit(f"Backed up to {target}"),
        lambda exc: show_error(exc, parent),
        write=True,
        label="Backing up",
    )


def restore(
    parent: QWidget, ctx: AppContext, path: Path | None = None, *, ask: bool = True
) -> Task | None:
    """Ask for a backup (unless ``path`` is given), confirm, and put it in place of the
    database in the background; every page reloads afterwards."""
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            parent, "Restore from a backup", str(settings.data_dir())
        )
        if not chosen:
            return None
        path = Path(chosen)
    source = path
    if ask:
        answer = QMessageBox.question(
            parent,
            "Restore from a backup",
            f"Replace everything in {ctx.db.describe()} with the backup {source}?\n\n"
            "The backup is checked first, and a copy of the database as it is now is kept "
            "beside it.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
    db = ctx.db

    def done(safety: object) -> None:
        kept = f"; the previous database is kept in {safety}" if safety else ""
        ctx.set_database(db, demo=ctx.is_demo)
        ctx.message.emit(f"Restored from {source}{kept}")

    return ctx.runner.run(
        lambda: db.restore(source),
        done,
        lambda exc: show_error(exc, parent),
        write=True,
        label="Restoring",
    )
