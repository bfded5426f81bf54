"""The main window: the sidebar and the page stack, the global search, the actions behind the
menus, and the status bar. The menus themselves are built in :mod:`crm.ui.menus`; where the
window is and has been (Back, Forward) is kept by :mod:`crm.ui.navigation`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.domain.social import SyncSelection
from crm.services import organisations as org_service
from crm.services import people as people_service
from crm.storage.db import Database
from crm.ui.kit import errors
from crm.ui.kit.context import AppContext
from crm.ui.kit.demo import DemoBanner, ask_demo_write
from crm.ui.kit.formatting import plain_tooltip
from crm.ui.kit.widgets import plain_label
from crm.ui.kit.workers import TaskRunner
from crm.ui.menus import NAV, build_menus
from crm.ui.navigation import Navigator
from crm.ui.people.page import PeoplePage
from crm.ui.x.bluesky_sync import BlueskySyncRunner
from crm.ui.x.problems import XProblemsBanner
from crm.ui.x.status import SyncStatus
from crm.ui.x.sync import XSyncRunner, XSyncScheduler

# Start-up imports only what the people list needs. Every other page, dialog and wizard is
# imported when first opened: together they pull in QtCharts, the timeline, keyring, vCard
# and CSV parsing and fuzzy matching, a large share of the time to the first window.
if TYPE_CHECKING:
    from crm.ui.assignments.page import AssignmentPage, AssignmentsPage
    from crm.ui.assignments.reports import ReportsPage
    from crm.ui.league.page import LeaguePage
    from crm.ui.organisations.page import OrganisationPage, OrganisationsPage
    from crm.ui.people.person import PersonPage
    from crm.ui.people.quick_log import QuickLogDialog
    from crm.ui.placements.page import PlacementPage, PlacementsPage
    from crm.ui.today.page import TodayPage
    from crm.ui.transfer.duplicates import DuplicatesDialog
    from crm.ui.transfer.export_dialog import ExportDialog
    from crm.ui.transfer.import_wizard import ImportWizard
    from crm.ui.welcome import WelcomePage
    from crm.ui.x.settings import XSettingsDialog

log = logging.getLogger(__name__)

_Page = TypeVar("_Page", bound=QWidget)


class _SearchKeys(QObject):
    """Up/Down/Enter in the search field drive the people list, so hands stay on the keys."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        page = self.window.people_page
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.window.show_people()
            page.move_selection(1 if key == Qt.Key.Key_Down else -1)
            return True
        if key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            page.move_selection(20 if key == Qt.Key.Key_PageDown else -20)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.window.open_search_result()
            return True
        if key == Qt.Key.Key_Escape and self.window.search.text():
            self.window.search.clear()
            return True
        return False


class MainWindow(QMainWindow):
    """Construct with a database; ``show()`` is optional (benchmarks and screenshots skip it)."""

    def __init__(
        self,
        db: Database,
        *,
        runner: TaskRunner | None = None,
        settings: QSettings | None = None,
        check_empty: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("Interim CRM")
        self.settings = settings
        self.runner = runner or TaskRunner(self)
        self.runner.setParent(self)
        self.ctx = AppContext(db, self.runner, self)
        self.runner.default_error = lambda exc: errors.show_error(exc, self)
        # Places visited: (kind, id, state); a list's state is what it showed (search text,
        # selected row, scroll), so Back returns to the list as it was left.
        self.navigator = Navigator(self)
        self._demo_writes_ok = False  # asked once per visit to the sample data
        self.x_sync = XSyncRunner(self.ctx, self)
        self.x_scheduler = XSyncScheduler(self.x_sync, self)
        self.bluesky_sync = BlueskySyncRunner(self.ctx, self)
        self._build()
        self.menu_actions = build_menus(self, self)
        self._build_status()
        self.ctx.open_requested.connect(self.open_record)
        self.ctx.message.connect(self.show_message)
        self.ctx.database_changed.connect(self._database_changed)
        self.resize(1400, 900)
        if settings is not None:
            geometry = settings.value("window/geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
        self._database_changed(check_empty=check_empty)
        # Keyboard first: the Today page's first list has the keys when it opens (D, T, W, Enter);
        # elsewhere typing at once searches (otherwise Back, first in Tab order, has it).
        if self._showing("today"):
            self.today_page.focus_first_list()
        else:
            self.search.setFocus(Qt.FocusReason.OtherFocusReason)

        from crm.ui.today.reminders import Reminders

        # Started by the app (crm.ui.app.run), not by every window a test or screenshot builds.
        self.reminders = Reminders(self.ctx, self)
        self.reminders.open_today.connect(self._open_today_from_tray)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)

        sidebar = QWidget()
        sidebar.setObjectName("Sidebar")
        sidebar.setFixedWidth(184)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 8)
        side.setSpacing(4)
        title = plain_label("Interim CRM", "AppTitle")
        side.addWidget(title)
        self.nav = QListWidget()
        self.nav.setObjectName("NavList")
        self.nav.setAccessibleName("Navigation")
        # Focus would make the list pick a row by itself; Ctrl+1..3 reach these instead.
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for i, (key, label) in enumerate(NAV):
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"{label} (Ctrl+{i})")
            item.setSizeHint(QSize(0, 34))
            self.nav.addItem(item)
        self.nav.setCurrentRow(0)
        self.nav.currentRowChanged.connect(self._nav_changed)
        side.addWidget(self.nav, 1)
        self.sidebar_hint = plain_label(
            "Ctrl+K  search\nCtrl+L  log a call\nCtrl+N  new person\nAlt+←  back",
            "SidebarHint",
        )
        side.addWidget(self.sidebar_hint)
        row.addWidget(sidebar)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        top = QWidget()
        top.setObjectName("TopBar")
        bar = QHBoxLayout(top)
        bar.setContentsMargins(16, 10, 16, 10)
        bar.setSpacing(8)
        self.back_button = QToolButton()
        self.back_button.setText("←")
        self.back_button.setAccessibleName("Back")
        self.back_button.setAutoRaise(True)
        self.forward_button = QToolButton()
        self.forward_button.setText("→")
        self.forward_button.setAccessibleName("Forward")
        self.forward_button.setAutoRaise(True)
        bar.addWidget(self.back_button)
        bar.addWidget(self.forward_button)
        self.search = QLineEdit()
        self.search.setObjectName("GlobalSearch")
        self.search.setAccessibleName("Search people")
        self.search.setPlaceholderText(
            "Search people, organisations, assignments: name, title, role, @handle, tag, notes…"
            "   (Ctrl+K)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_changed)
        self._search_keys = _SearchKeys(self)
        self.search.installEventFilter(self._search_keys)
        bar.addWidget(self.search, 1)
        self.new_button = QToolButton()
        self.new_button.setText("New")
        self.new_button.setAccessibleName("New record")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.new_button)
        self.log_button = QToolButton()
        self.log_button.setText("Log call")
        self.log_button.setAccessibleName("Log an interaction")
        bar.addWidget(self.log_button)
        column.addWidget(top)

        self.demo_banner = DemoBanner()
        self.demo_banner.back_requested.connect(self.back_to_my_database)
        column.addWidget(self.demo_banner)
        self.x_problems_banner = XProblemsBanner()
        self.x_sync.finished.connect(self.x_problems_banner.show_report)
        self.x_sync.failed.connect(self._x_failed)
        self.x_sync.token_needed.connect(self.x_settings)
        column.addWidget(self.x_problems_banner)
        self.stack = QStackedWidget()
        # The people list is the usual first screen; the other pages are built on first use
        # (see _page), so start-up neither imports nor lays them out.
        self._pages: dict[str, QWidget] = {}
        self.people_page = PeoplePage(self.ctx, self.settings)
        self.stack.addWidget(self.people_page)
        column.addWidget(self.stack, 1)
        row.addWidget(right, 1)
        self.setCentralWidget(central)

        self.people_page.new_button.clicked.connect(self.new_person)
        self.back_button.clicked.connect(self.go_back)
        self.forward_button.clicked.connect(self.go_forward)
        self.log_button.clicked.connect(self.quick_log)

    # -- pages, built on first use --------------------------------------------------------------
    def _page(self, key: str, build: Callable[[], _Page]) -> _Page:
        page = self._pages.get(key)
        if page is None:
            page = build()
            self._pages[key] = page
            self.stack.addWidget(page)
        return cast(_Page, page)

    def _showing(self, key: str) -> bool:
        """Whether that page is on screen, without building it if it never was."""
        page = self._pages.get(key)
        return page is not None and self.stack.currentWidget() is page

    @property
    def welcome_page(self) -> WelcomePage:
        return self._page("welcome", self._build_welcome_page)

    def _build_welcome_page(self) -> WelcomePage:
        from crm.ui.welcome import WelcomePage

        page = WelcomePage(self.ctx)
        page.start_empty.connect(self._start_empty)
        page.demo_opened.connect(self._demo_opened)
        page.import_requested.connect(self.import_contacts)
        page.set_import_available(True)
        return page

    @property
    def today_page(self) -> TodayPage:
        return self._page("today", self._build_today_page)

    def _build_today_page(self) -> TodayPage:
        from crm.ui.today.page import TodayPage

        page = TodayPage(self.ctx, self.settings)
        self.x_sync.finished.connect(lambda _report: page.refresh())
        return page

    @property
    def organisations_page(self) -> OrganisationsPage:
        return self._page("organisations", self._build_organisations_page)

    def _build_organisations_page(self) -> OrganisationsPage:
        from crm.ui.organisations.page import OrganisationsPage

        return OrganisationsPage(self.ctx, self.settings)

    @property
    def placements_page(self) -> PlacementsPage:
        return self._page("placements", self._build_placements_page)

    def _build_placements_page(self) -> PlacementsPage:
        from crm.ui.placements.page import PlacementsPage

        return PlacementsPage(self.ctx, self.settings)

    @property
    def league_page(self) -> LeaguePage:
        return self._page("league", self._build_league_page)

    def _build_league_page(self) -> LeaguePage:
        from crm.ui.league.page import LeaguePage

        return LeaguePage(self.ctx, self.settings)

    @property
    def person_page(self) -> PersonPage:
        return self._page("person", self._build_person_page)

    def _build_person_page(self) -> PersonPage:
        from crm.ui.people.person import PersonPage

        page = PersonPage(self.ctx, self.settings)
        page.quick_log_requested.connect(self.quick_log)
        page.sync_requested.connect(self.sync_current)
        page.bluesky_sync_requested.connect(self.sync_current_bluesky)
        page.bluesky_link_requested.connect(self.link_bluesky)
        return page

    @property
    def organisation_page(self) -> OrganisationPage:
        return self._page("organisation", self._build_organisation_page)

    def _build_organisation_page(self) -> OrganisationPage:
        from crm.ui.organisations.page import OrganisationPage

        page = OrganisationPage(self.ctx, self.settings)
        page.sync_requested.connect(self.sync_current)
        page.bluesky_sync_requested.connect(self.sync_current_bluesky)
        return page

    @property
    def placement_page(self) -> PlacementPage:
        return self._page("placement", self._build_placement_page)

    def _build_placement_page(self) -> PlacementPage:
        from crm.ui.placements.page import PlacementPage

        return PlacementPage(self.ctx, self.settings)

    @property
    def assignments_page(self) -> AssignmentsPage:
        from crm.ui.assignments.page import AssignmentsPage

        return self._page("assignments", lambda: AssignmentsPage(self.ctx, self.settings))

    @property
    def assignment_page(self) -> AssignmentPage:
        from crm.ui.assignments.page import AssignmentPage

        return self._page("assignment", lambda: AssignmentPage(self.ctx, self.settings))

    @property
    def reports_page(self) -> ReportsPage:
        from crm.ui.assignments.reports import ReportsPage

        return self._page("reports", lambda: ReportsPage(self.ctx))

    def rerender_timelines(self) -> None:
        """Redraw the timelines built so far after the colour scheme changed (pages built
        later draw in the new colours anyway)."""
        if "person" in self._pages:
            self.person_page.timeline.rerender()
        if "organisation" in self._pages:
            self.organisation_page.timeline.rerender()
        for page in self._pages.values():
            for chart in page.findChildren(QWidget, "FollowerChart"):
                chart.apply_theme()  # type: ignore[attr-defined]

    def _build_status(self) -> None:
        status = self.statusBar()
        self.busy_label = QLabel("")
        self.busy_label.setAccessibleName("Background work")
        self.db_label = QLabel("")
        self.db_label.setAccessibleName("Open database")
        self.db_label.setTextFormat(Qt.TextFormat.PlainText)
        self.x_status = SyncStatus(self.x_sync, "X", "tweets")
        status.addPermanentWidget(self.x_status)
        self.bluesky_status = SyncStatus(self.bluesky_sync, "Bluesky", "posts")
        status.addPermanentWidget(self.bluesky_status)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.db_label)
        self.runner.busy_changed.connect(self._busy_changed)
        # Only show "working" for work that lasts; quick reads would make it flicker.
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(300)
        self._busy_timer.timeout.connect(self._show_busy)

    # -- status ------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _busy_changed(self, count: int, _label: str) -> None:
        if count:
            if not self._busy_timer.isActive():
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_label.setText("")

    def _show_busy(self) -> None:
        labels = self.runner.labels()
        if labels:
            extra = f" (+{len(labels) - 1} more)" if len(labels) > 1 else ""
            self.busy_label.setText(f"⟳ {labels[-1]}…{extra}")

    def _database_changed(self, *, check_empty: bool = True) -> None:
        demo = self.ctx.is_demo
        text = self.ctx.db.describe()
        if demo:
            text += "  (sample data)"
        self.db_label.setText(text)
        self.db_label.setToolTip(plain_tooltip(text) or "")
        # Qt adds the application's name to the title ("Sample data — Interim CRM"); a title
        # naming it too would show it twice.
        self.setWindowTitle("Sample data" if demo else "")
        self.demo_banner.setVisible(demo)
        self.menu_actions.back_to_mine.setEnabled(demo and self.ctx.own_db is not None)
        self._demo_writes_ok = False
        if not check_empty:
            self.people_page.reload()
            return
        empty = people_service.count_people(
            self.ctx.db
        ) == 0 and not org_service.list_organisations(self.ctx.db, limit=1)
        self.people_page.reload()
        if empty:
            self.show_welcome()
        else:
            self.show_today()

    # -- navigation ------------------------------------------------------------------------------
    def _nav_changed(self, row: int) -> None:
        if 0 <= row < len(NAV):
            self.show_list(NAV[row][0])

    def select_nav(self, key: str | None) -> None:
        self.nav.blockSignals(True)
        if key is None:
            self.nav.clearSelection()
            self.nav.setCurrentRow(-1)
        else:
            self.nav.setCurrentRow([k for k, _ in NAV].index(key))
        self.nav.blockSignals(False)

    def show_welcome(self) -> None:
        self.select_nav(None)
        self.stack.setCurrentWidget(self.welcome_page)

    def show_people(self) -> None:
        self.show_list("people")

    def show_today(self) -> None:
        self.show_list("today")

    def _open_today_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.show_today()

    def show_list(self, key: str) -> None:
        self.navigator.go(key, 0)

    def open_record(self, kind: str, entity_id: int) -> None:
        """Show a record's page (``kind`` person, organisation, placement) or a list."""
        self.navigator.go(kind, entity_id)

    def go_back(self) -> None:
        self.navigator.back()

    def go_forward(self) -> None:
        self.navigator.forward()

    def refresh(self) -> None:
        self.navigator.refresh()

    # -- search -------------------------------------------------------------------------------
    def _search_changed(self, text: str) -> None:
        if self.stack.currentWidget() is not self.people_page and text:
            self.show_people()
        self.people_page.set_search_text(text)

    def set_search_text_now(self, text: str) -> int:
        """Search without the typing pause and wait for the whole result (screenshots and
        tests): the same search as typing, run at once. Returns the count."""
        self.search.blockSignals(True)
        self.search.setText(text)
        self.search.blockSignals(False)
        if self.stack.currentWidget() is not self.people_page:
            self.show_people()
        self.people_page.set_search_text(text)
        self.people_page.refresh()
        if not self.runner.inline:  # on worker threads: the results come as queued signals
            self.runner.wait()
            QCoreApplication.processEvents()
        return self.people_page.model.rowCount()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def find_in_list(self) -> None:
        if self._showing("organisations"):
            self.organisations_page.focus_filter()
        elif self._showing("placements"):
            self.placements_page.focus_filter()
        elif self._showing("assignments"):
            self.assignments_page.focus_filter()
        else:
            self.focus_search()

    def open_search_result(self) -> None:
        if self.stack.currentWidget() is not self.people_page:
            self.show_people()
        if self.people_page._debounce.isActive():
            self.people_page.refresh()  # Enter right after typing: search first
            self.runner.wait(5000)
            QCoreApplication.processEvents()
        self.people_page.open_current()

    # -- actions -----------------------------------------------------------------------------------
    def current_person(self) -> Any:
        if self._showing("person"):
            return self.person_page.detail
        return None

    def quick_log(self) -> QuickLogDialog | None:
        from crm.ui.people.quick_log import open_quick_log

        if self._showing("today") and self.today_page.log_call():
            return None  # the page opens it for the person of its current row
        return open_quick_log(self.ctx, self.current_person(), self)

    def new_person(self) -> None:
        from crm.ui.kit.forms import open_dialog
        from crm.ui.people.dialogs import PersonDialog

        if not self._demo_guard("A new person", self.new_person):
            return
        org = None
        if self._showing("organisation"):
            org = self.organisation_page.organisation_id
        open_dialog(PersonDialog(self.ctx, self, org))

    def new_organisation(self) -> None:
        from crm.ui.kit.forms import open_dialog
        from crm.ui.organisations.dialogs import OrganisationDialog

        if self._demo_guard("A new organisation", self.new_organisation):
            open_dialog(OrganisationDialog(self.ctx, None, self))

    def new_assignment(self) -> None:
        from crm.ui.assignments.dialogs import AssignmentDialog
        from crm.ui.kit.forms import open_dialog

        open_dialog(AssignmentDialog(self.ctx, None, self))

    def new_placement(self) -> None:
        from crm.ui.kit.forms import open_dialog
        from crm.ui.placements.dialogs import PlacementDialog

        if not self._demo_guard("A new placement", self.new_placement):
            return
        candidate = None
        detail = self.current_person()
        if detail is not None:
            candidate = (detail.id, detail.name)
        org = None
        if self._showing("organisation"):
            org = self.organisation_page.organisation_id
        open_dialog(PlacementDialog(self.ctx, None, self, candidate=candidate, organisation_id=org))

    # -- X ------------------------------------------------------------------------------------------
    def sync_current(self) -> None:
        if self._showing("person") and self.person_page.person_id is not None:
            selection = SyncSelection(person_ids=(self.person_page.person_id,))
        elif self._showing("organisation") and self.organisation_page.organisation_id is not None:
            selection = SyncSelection(organisation_ids=(self.organisation_page.organisation_id,))
        else:
            self.ctx.message.emit("Open a person or an organisation to sync their X account.")
            return
        self.x_sync.confirm_and_sync(selection, self)

    def _x_failed(self, message: str) -> None:
        report = self.x_sync.last_report
        if report is not None and report.error == message:
            return  # the banner shows that report, reasons and all
        self.x_problems_banner.show_text(f"X sync: {message}")

    def _record_shown(self) -> tuple[str, int, str] | None:
        """("person" | "organisation", id, name) of the record on screen, if any."""
        if self._showing("person") and self.person_page.detail is not None:
            return "person", self.person_page.detail.id, self.person_page.detail.name
        if self._showing("organisation") and self.organisation_page.organisation_id is not None:
            detail = getattr(self.organisation_page, "detail", None)
            name = getattr(detail, "name", "this organisation")
            return "organisation", self.organisation_page.organisation_id, str(name)
        return None

    def sync_current_bluesky(self) -> None:
        shown = self._record_shown()
        if shown is None:
            self.ctx.message.emit("Open a person or an organisation to sync their Bluesky account.")
            return
        kind, record_id, _name = shown
        if kind == "person":
            self.bluesky_sync.sync(person_ids=[record_id])
        else:
            self.bluesky_sync.sync(organisation_ids=[record_id])

    def find_on_bluesky(self) -> QDialog:
        from crm.ui.x.bluesky_find import BlueskyFindDialog

        dialog = BlueskyFindDialog(self.ctx, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.search()
        return dialog

    def link_bluesky(self) -> None:
        from crm.ui.x.bluesky_link import BlueskyLinkDialog

        shown = self._record_shown()
        if shown is None:
            self.ctx.message.emit("Open a person or an organisation to link a Bluesky account.")
            return
        dialog = BlueskyLinkDialog(self.ctx, *shown, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def sync_watched(self) -> None:
        self.x_sync.confirm_and_sync(SyncSelection(watched=True), self)

    def x_usage(self) -> QDialog:
        from crm.ui.x.usage import XUsageDialog

        dialog = XUsageDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def x_settings(self) -> XSettingsDialog:
        from crm.ui.x.settings import XSettingsDialog

        dialog = XSettingsDialog(self.ctx, self.x_sync, self)
        dialog.page.schedule_changed.connect(lambda _m: self.x_scheduler.reload())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # -- data: import, export, duplicates, retention -----------------------------------------------
    def import_contacts(self) -> ImportWizard | None:
        from crm.ui.transfer.import_wizard import ImportWizard

        if not self._demo_guard("The import", self.import_contacts):
            return None
        kind = "organisations" if self._showing("organisations") else "people"
        wizard = ImportWizard(self.ctx, self, kind=kind)
        wizard.imported.connect(self._imported)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()
        return wizard

    def _imported(self, _report: object) -> None:
        self.ctx.notify("organisation", 0)
        self.ctx.notify("person", 0)
        if self._showing("welcome"):
            self.show_people()

    def export(self) -> ExportDialog:
        from crm.ui.transfer.export_dialog import ExportDialog

        kind, ids = "people", None
        if self.stack.currentWidget() is self.people_page:
            ids = self.people_page.model.ids
        elif self._showing("organisations"):
            kind = "organisations"
            ids = [o.id for o in self.organisations_page.model.rows]
        dialog = ExportDialog(self.ctx, self, kind=kind, ids=ids)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def find_duplicates(self, kind: str) -> DuplicatesDialog:
        from crm.ui.transfer.duplicates import DuplicatesDialog

        dialog = DuplicatesDialog(self.ctx, self, kind=kind)
        dialog.merged.connect(lambda k, survivor, _gone: self._merged(k, survivor))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _merged(self, kind: str, survivor: int) -> None:
        self.ctx.notify(kind, survivor)
        if kind == "person":
            self.people_page.refresh()

    def _erased(self, ids: list[int]) -> None:
        for person_id in ids:
            self.ctx.notify("person", person_id)

    def retention_review(self) -> QDialog:
        from crm.ui.transfer.retention import RetentionReview

        dialog = QDialog(self)
        dialog.setWindowTitle("Retention review")
        dialog.resize(900, 600)
        layout = QVBoxLayout(dialog)
        review = RetentionReview(self.ctx, dialog)
        review.open_person.connect(lambda person_id: self.ctx.open("person", person_id))
        review.erased.connect(self._erased)
        layout.addWidget(review)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # not modal: the recruiter opens people from it while reviewing
        return dialog

    def back_up(self) -> None:
        from crm.ui.transfer.backup import back_up

        back_up(self, self.ctx)

    def restore_backup(self) -> None:
        from crm.ui.transfer.backup import restore

        restore(self, self.ctx)

    def open_sample_data(self) -> None:
        self.show_welcome()

    def back_to_my_database(self) -> None:
        """Close the sample data: the database it replaced opens again, as it was."""
        if self.ctx.back_to_own_database():
            self.search.clear()
            self.ctx.message.emit("Back in your own database.")

    def _start_empty(self) -> None:
        if self.ctx.is_demo:
            self.ctx.back_to_own_database()
        self.show_people()

    def _demo_guard(self, what: str, retry: Callable[[], object]) -> bool:
        """True when the work may go ahead; in the sample data, ask first (once)."""
        if not self.ctx.is_demo or self._demo_writes_ok:
            return True

        def into_demo() -> None:
            self._demo_writes_ok = True
            retry()

        def back() -> None:
            self.back_to_my_database()
            retry()

        ask_demo_write(self, what, back, into_demo)
        return False

    def _demo_opened(self) -> None:
        self.search.clear()
        self.show_today()

    def show_shortcuts(self) -> None:
        from crm.ui.kit.shortcuts import show_shortcuts

        show_shortcuts(self)

    def show_about(self) -> QDialog:
        from crm.ui.about import show_about

        return show_about(self.ctx.db, self)

    # -- closing -------------------------------------------------------------------------------------
    def save_state(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        # A page never built has no layout of its own to keep: its saved one stays as it was.
        self.people_page.save_state()
        for key, page in self._pages.items():
            if key != "welcome":
                page.save_state()  # type: ignore[attr-defined]
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.navigator.may_leave(self.close):
            event.ignore()
            return
        self.save_state()
        self.ctx.message.emit("Finishing background work…")
        self.x_scheduler.timer.stop()
        self.x_sync.cancel()
        self.reminders.stop()
        self.bluesky_sync.cancel()
        self.runner.shutdown()
        event.accept()
