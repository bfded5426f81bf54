"""Starting the desktop app: the QApplication, the look, the database, the main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QLocale, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from crm import app_identity
from crm.domain.errors import CrmError
from crm.storage.db import open_database
from crm.ui.instance import SingleInstance, activate_running, instance_key
from crm.ui.kit import errors, theme

log = logging.getLogger(__name__)

ORGANISATION = "interim-crm"
APPLICATION = "Interim CRM"


def make_application(argv: list[str] | None = None, *, dark: bool | None = None) -> QApplication:
    """The QApplication with our names, UK locale and look (reused if one exists)."""
    pin_singletons()
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setApplicationVersion(app_identity.version())
    # Links the windows to the installed desktop file (Wayland takes name and icon from it).
    app.setDesktopFileName(app_identity.APP_ID)
    from crm.ui.about import app_icon

    app.setWindowIcon(app_icon())  # every window and dialog
    # UK dates and numbers unless the user's system says otherwise in a UK-compatible way.
    system = QLocale.system()
    if system.language() != QLocale.Language.English or system.territory() in (
        QLocale.Country.UnitedStates,
        QLocale.Country.AnyTerritory,
    ):
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    theme.apply(app, dark)
    return app


_pinned = False


def pin_singletons() -> None:
    """Work around PySide6 6.12.0 on CPython 3.11: it releases ``None``, ``True`` and
    ``False`` once too often (``Signal.emit()`` returns ``True`` without a reference; calls of
    void methods return ``None`` without one), so a long session ends in "Fatal Python error:
    none_dealloc". CPython 3.12 made these objects immortal; this gives them the same
    effectively endless reference count. Nothing is done on other versions."""
    global _pinned
    import PySide6

    if _pinned or sys.version_info >= (3, 12) or not PySide6.__version__.startswith("6.12."):
        return
    import ctypes

    for value in (None, True, False):
        # ob_refcnt is the first field of every object in CPython 3.11's release builds.
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40
    _pinned = True
    log.info("Pinned None/True/False against PySide6 %s's reference counting", PySide6.__version__)


def run(database_url: str | None = None) -> int:
    """Open the main window on the chosen database; returns the exit code.

    If the app is already open on that database, its window comes forward instead and this
    start returns 0 (see :mod:`crm.ui.instance`).
    """
    from crm import app_logging

    app_logging.enable_fault_handler()
    log.info("%s %s starting", APPLICATION, app_identity.version())
    app = make_application()
    errors.install_excepthook()
    try:
        key = instance_key(database_url)
    except CrmError as exc:
        QMessageBox.critical(None, "Cannot open the database", exc.message)
        return 1
    instance = SingleInstance(key, app) if key is not None else None
    if instance is not None and not instance.acquire():
        if activate_running(instance.key):
            log.info("Already open on this database: brought that window forward")
            print(f"{APPLICATION} is already open on this database.", file=sys.stderr)
            return 0
        QMessageBox.information(
            None,
            f"{APPLICATION} is already open",
            f"{APPLICATION} is already open on this database, but did not answer. "
            "If it has stopped responding, close it and start again.",
        )
        return 0
    try:
        db = open_database(database_url)
    except CrmError as exc:
        QMessageBox.critical(None, "Cannot open the database", exc.message)
        return 1
    from crm import settings
    from crm.ui.main_window import MainWindow

    theme.choose(app, str(settings.get("theme")))  # View → Theme, remembered
    window = MainWindow(db, settings=QSettings())
    if instance is not None:
        instance.activated.connect(lambda: bring_forward(window))
    theme.follow_system(app, window.rerender_timelines)
    window.show()
    window.reminders.start()
    code = app.exec()
    db.dispose()
    if instance is not None:
        instance.release()
    return int(code)


def bring_forward(window: QWidget) -> None:
    """Show ``window`` on top, restored if it was minimised."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
