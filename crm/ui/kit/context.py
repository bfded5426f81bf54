"""What every page of the window shares: the open database, the task runner, and a bus.

Pages never call each other: they ask the context to open a record (``open_requested``) and
announce what they saved (``changed``), so every view that shows that record can refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from crm.storage.db import Database
from crm.ui.kit.workers import Task, TaskRunner


class AppContext(QObject):
    #: ("person" | "organisation" | "placement" | "interaction" | "employment", id)
    changed = Signal(str, int)
    #: ("person" | "organisation" | "placement", id): show that record's page.
    open_requested = Signal(str, int)
    #: A different database is open (the demo database, say): everything reloads.
    database_changed = Signal()
    #: A short message for the status bar: the one way messages go (``errors.status`` and
    #: a cancelled job come here too).
    message = Signal(str)

    def __init__(self, db: Database, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner
        self.is_demo = False
        #: The user's own database while the demo one is open (to go back in one step).
        self.own_db: Database | None = None
        #: Why the last X sync of an account failed, by account id (until one succeeds).
        self.x_problems: dict[int, str] = {}
        #: A timeline entry (kind, ref id) to scroll to once the page being opened shows it.
        self.pending_entry: tuple[str, int] | None = None

    def set_database(self, db: Database, *, demo: bool = False) -> None:
        if demo and not self.is_demo:
            self.own_db = self.db
        elif not demo:
            self.own_db = None
        self.db = db
        self.is_demo = demo
        self.database_changed.emit()

    def back_to_own_database(self) -> bool:
        """Leave the demo database for the one it replaced; False if there is none."""
        if not self.is_demo or self.own_db is None:
            return False
        demo = self.db
        self.set_database(self.own_db)
        demo.dispose()
        return True

    # Shorthands that bind the database, so a page writes ``ctx.read(service_fn, args...)``.
    def read(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        label: str = "",
        **kwargs: Any,
    ) -> Task:
        db = self.db
        return self.runner.run(
            lambda: fn(db, *args, **kwargs), on_done, on_error, write=False, label=label
        )

    def write(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        label: str = "Saving",
        **kwargs: Any,
    ) -> Task:
        db = self.db
        return self.runner.run(
            lambda: fn(db, *args, **kwargs), on_done, on_error, write=True, label=label
        )

    def open(self, kind: str, entity_id: int) -> None:
        self.open_requested.emit(kind, entity_id)

    def open_entry(self, kind: str, entity_id: int, entry_kind: str, ref_id: int) -> None:
        """Open a record's page with its timeline scrolled to one entry (a tweet, say)."""
        self.pending_entry = (entry_kind, ref_id)
        self.open_requested.emit(kind, entity_id)

    def notify(self, kind: str, entity_id: int) -> None:
        self.changed.emit(kind, entity_id)
