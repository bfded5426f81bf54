"""``crm screenshot``: render one view of the app offscreen to a PNG, with the open database."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from crm.domain.errors import ValidationError
from crm.storage.db import Database

log = logging.getLogger(__name__)

VIEWS = (
    "today, people, person:ID, org:ID, placements, placement:ID, organisations, assignments, "
    "assignment:ID, reports, league, welcome, about, x-usage, x-sync-plan"
)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValidationError(f"{text!r} is not a size like 1400x900.", field="size") from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise ValidationError(f"{text} is out of range.", field="size")
    return width, height


def render(
    db: Database,
    path: Path,
    view: str = "people",
    size: tuple[int, int] = (1400, 900),
    dark: bool = False,
    search: str = "",
) -> Path:
    """Draw ``view`` into ``path`` (PNG). Runs work inline so the picture is complete."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from crm.ui.app import make_application
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

    app = make_application(["crm"], dark=dark)
    runner = TaskRunner(inline=True)
    window = MainWindow(db, runner=runner, settings=None)
    window.resize(*size)
    kind, _, ref = view.partition(":")
    if kind in ("person", "org", "organisation", "placement", "assignment") and not ref.isdigit():
        raise ValidationError(f"Say which record: {kind}:ID (views: {VIEWS}).", field="view")
    if kind == "today":
        window.show_today()
    elif kind == "people":
        if search:
            window.search.setText(search)
            window.set_search_text_now(search)
        window.show_people()
    elif kind == "person":
        window.open_record("person", int(ref))
    elif kind in ("org", "organisation"):
        window.open_record("organisation", int(ref))
    elif kind == "placement":
        window.open_record("placement", int(ref))
    elif kind == "placements":
        window.show_list("placements")
    elif kind == "organisations":
        window.show_list("organisations")
    elif kind == "assignments":
        window.show_list("assignments")
    elif kind == "reports":
        window.show_list("reports")
    elif kind == "assignment":
        window.open_record("assignment", int(ref))
    elif kind == "league":
        window.show_list("league")
    elif kind == "welcome":
        window.show_welcome()
    elif kind in ("about", "x-usage", "x-sync-plan"):
        window.show_people()
    else:
        raise ValidationError(f"Unknown view {view!r} (views: {VIEWS}).", field="view")
    window.show()
    for _ in range(5):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    image = window.show_about().grab() if kind == "about" else window.grab()
    if kind in ("x-usage", "x-sync-plan"):
        dialog = _x_dialog(db, window, kind)
        for _ in range(5):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        image = dialog.grab()
        dialog.close()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise ValidationError(f"Could not write {path}.", field="path")
    window.close()
    app.processEvents()
    return path


def _x_dialog(db: Database, window: Any, kind: str) -> Any:
    """The X usage page, or the question before a sync of every linked account."""
    if kind == "x-usage":
        return window.x_usage()
    from crm.domain.social import SyncSelection
    from crm.services.x_plan import plan_sync
    from crm.ui.x.plan_dialog import SyncPlanDialog

    dialog = SyncPlanDialog(plan_sync(db, SyncSelection(all_linked=True)), lambda: None, window)
    dialog.show()
    return dialog
