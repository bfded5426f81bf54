"""Starting the desktop app: the QApplication, the look, the database, the main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QLocale, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from crm.domain.errors import CrmError
from crm.storage.db import open_database
from crm.ui import errors, theme

log = logging.getLogger(__name__)

ORGANISATION = "interim-crm"
APPLICATION = "Interim CRM"


def make_application(argv: list[str] | None = None, *, dark: bool | None = None) -> QApplication:
    """The QApplication with our names, UK locale and look (reused if one exists)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    # UK dates and numbers unless the user's system says otherwise in a UK-compatible way.
    system = QLocale.system()
    if system.language() != QLocale.Language.English or system.territory() in (
        QLocale.Country.UnitedStates,
        QLocale.Country.AnyTerritory,
    ):
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    theme.apply(app, dark)
    return app


def warn_about_known_binding_bugs() -> None:
    """PySide6 6.12.0 on CPython 3.11 releases None/True/False once too often on ordinary
    calls (harmless from 3.12, where they are immortal): a long session would end in
    "Fatal Python error: none_dealloc". Say so in the log rather than crash mysteriously."""
    import PySide6

    if sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12."):
        log.warning(
            "PySide6 %s on Python %d.%d has a reference-counting bug that can crash long "
            "sessions; use Python 3.12+ or PySide6 6.11",
            PySide6.__version__,
            *sys.version_info[:2],
        )


def run(database_url: str | None = None) -> int:
    """Open the main window on the chosen database; returns the exit code."""
    app = make_application()
    warn_about_known_binding_bugs()
    errors.install_excepthook()
    try:
        db = open_database(database_url)
    except CrmError as exc:
        QMessageBox.critical(None, "Cannot open the database", exc.message)
        return 1
    from crm.ui.main_window import MainWindow

    window = MainWindow(db, settings=QSettings())

    def scheme_changed() -> None:
        window.person_page.timeline.rerender()
        window.organisation_page.timeline.rerender()

    theme.follow_system(app, scheme_changed)
    window.show()
    code = app.exec()
    db.dispose()
    return int(code)
