"""Where the main window is and has been: going to a list or a record, Back and Forward
(a list remembers its search, selection and scroll), Refresh, and the unsaved-edits question
before leaving a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QLineEdit, QMessageBox, QStackedWidget, QToolButton

from crm.ui.kit.unsaved import ask_unsaved

if TYPE_CHECKING:
    from crm.ui.assignments.page import AssignmentPage, AssignmentsPage
    from crm.ui.assignments.reports import ReportsPage
    from crm.ui.league.page import LeaguePage
    from crm.ui.menus import MenuActions
    from crm.ui.organisations.page import OrganisationPage, OrganisationsPage
    from crm.ui.people.page import PeoplePage
    from crm.ui.people.person import PersonPage
    from crm.ui.placements.page import PlacementPage, PlacementsPage
    from crm.ui.today.page import TodayPage


class Places(Protocol):
    """What the navigator needs of the main window: the page stack and its pages (most built
    on first use), the sidebar, the search box and the Back and Forward controls."""

    stack: QStackedWidget
    search: QLineEdit
    menu_actions: MenuActions
    back_button: QToolButton
    forward_button: QToolButton
    people_page: PeoplePage

    def select_nav(self, key: str | None) -> None: ...
    @property
    def today_page(self) -> TodayPage: ...
    @property
    def organisations_page(self) -> OrganisationsPage: ...
    @property
    def placements_page(self) -> PlacementsPage: ...
    @property
    def league_page(self) -> LeaguePage: ...
    @property
    def person_page(self) -> PersonPage: ...
    @property
    def organisation_page(self) -> OrganisationPage: ...
    @property
    def placement_page(self) -> PlacementPage: ...
    @property
    def reports_page(self) -> ReportsPage: ...
    @property
    def assignments_page(self) -> AssignmentsPage: ...
    @property
    def assignment_page(self) -> AssignmentPage: ...


class Navigator:
    """The window's places: (kind, id, state); at most 50 remembered behind."""

    def __init__(self, window: Places) -> None:
        self.window = window
        self._history: list[tuple[str, int, Any]] = []
        self._future: list[tuple[str, int, Any]] = []
        self._current: tuple[str, int, Any] = ("people", 0, None)
        self._leaving = False  # unsaved edits were saved or discarded: navigate on
        self._asking_leave: QMessageBox | None = None

    def may_leave(self, retry: Callable[[], object]) -> bool:
        """True when the page on screen holds no unsaved edits. Otherwise ask Save / Discard
        / Cancel and return False; after Save (once saved) or Discard, ``retry`` runs."""
        w = self.window
        if self._leaving:
            return True
        page: Any = w.stack.currentWidget()  # a page with unsaved-edit methods, or not
        check = getattr(page, "has_unsaved_edits", None)
        if check is None or not check():
            return True
        if self._asking_leave is not None:
            return False  # the question is already on screen

        def go_on() -> None:
            self._asking_leave = None
            self._leaving = True
            try:
                retry()
            finally:
                self._leaving = False

        def discard() -> None:
            page.discard_edits()
            go_on()

        def cancel() -> None:
            self._asking_leave = None

        def save() -> None:
            self._asking_leave = None
            page.save_edits(go_on)

        # The question belongs to the whole window (the stack's top-level widget).
        self._asking_leave = ask_unsaved(
            w.stack.window(), page.unsaved_what(), save, discard, cancel
        )
        return False

    def go(self, kind: str, entity_id: int, state: Any = None, *, remember: bool = True) -> None:
        w = self.window
        target = (kind, entity_id)
        if target != self._current[:2] and not self.may_leave(
            lambda: self.go(kind, entity_id, state, remember=remember)
        ):
            return
        if remember and target != self._current[:2]:
            self._history.append(self.here())
            del self._history[:-50]
            self._future.clear()
        self._current = (kind, entity_id, None)
        if kind == "today":
            w.select_nav("today")
            w.stack.setCurrentWidget(w.today_page)
            w.today_page.ensure_loaded()
            w.today_page.focus_first_list()
        elif kind == "people":
            w.select_nav("people")
            w.stack.setCurrentWidget(w.people_page)
            if state is not None:
                self._restore_people(state)
        elif kind == "organisations":
            w.select_nav("organisations")
            w.organisations_page.ensure_loaded()
            w.stack.setCurrentWidget(w.organisations_page)
        elif kind == "placements":
            w.select_nav("placements")
            w.placements_page.ensure_loaded()
            w.stack.setCurrentWidget(w.placements_page)
        elif kind == "league":
            w.select_nav("league")
            w.league_page.ensure_loaded()
            w.stack.setCurrentWidget(w.league_page)
        elif kind == "person":
            w.select_nav("people")
            w.person_page.open(entity_id)
            w.stack.setCurrentWidget(w.person_page)
        elif kind == "organisation":
            w.select_nav("organisations")
            w.organisation_page.open(entity_id)
            w.stack.setCurrentWidget(w.organisation_page)
        elif kind == "placement":
            w.select_nav("placements")
            w.placement_page.open(entity_id)
            w.stack.setCurrentWidget(w.placement_page)
        elif kind == "reports":
            w.select_nav("reports")
            w.reports_page.ensure_loaded()
            w.stack.setCurrentWidget(w.reports_page)
        elif kind in ("assignments", "assignment"):
            w.select_nav("assignments")
            page = w.assignments_page if kind == "assignments" else w.assignment_page
            if kind == "assignments":
                w.assignments_page.ensure_loaded()
            else:
                w.assignment_page.open(entity_id)
            w.stack.setCurrentWidget(page)
        w.menu_actions.back.setEnabled(bool(self._history))
        w.menu_actions.forward.setEnabled(bool(self._future))
        w.back_button.setEnabled(bool(self._history))
        w.forward_button.setEnabled(bool(self._future))

    def here(self) -> tuple[str, int, Any]:
        """The place on screen, with the people list's state when that is the place."""
        w = self.window
        kind, entity_id, _state = self._current
        if kind != "people":
            return (kind, entity_id, None)
        page = w.people_page
        return (
            kind,
            entity_id,
            (w.search.text(), page.current_person_id(), page.table.verticalScrollBar().value()),
        )

    def _restore_people(self, state: tuple[str, int | None, int]) -> None:
        """Show the people list as it was: its search, the selected person, the scroll."""
        w = self.window
        text, person_id, scroll = state
        page = w.people_page

        def select(_count: int = 0) -> None:
            row = page.model.row_of(person_id) if person_id is not None else -1
            if row >= 0:
                page.table.selectRow(row)
            page.table.verticalScrollBar().setValue(scroll)

        if w.search.text() == text and not page._debounce.isActive():
            select()
            return

        def arrived(count: int) -> None:
            page.results_ready.disconnect(arrived)
            select(count)

        page.results_ready.connect(arrived)
        w.search.blockSignals(True)  # not a new search typed: no history, no page change
        w.search.setText(text)
        w.search.blockSignals(False)
        page.set_search_text(text)
        page.refresh()  # at once: there is no typing to wait for

    def back(self) -> None:
        if self._history and self.may_leave(self.back):
            self._future.append(self.here())
            self.go(*self._history.pop(), remember=False)

    def forward(self) -> None:
        if self._future and self.may_leave(self.forward):
            self._history.append(self.here())
            self.go(*self._future.pop(), remember=False)

    def refresh(self) -> None:
        w = self.window
        kind, entity_id, _state = self._current
        if kind in ("person", "organisation", "placement", "assignment"):
            self.go(kind, entity_id, remember=False)
        elif kind == "people":
            w.people_page.refresh()
        elif kind == "today":
            w.today_page.refresh()
        elif kind == "organisations":
            w.organisations_page.refresh()
        elif kind == "placements":
            w.placements_page.refresh()
        elif kind == "assignments":
            w.assignments_page.refresh()
        elif kind == "reports":
            w.reports_page.refresh()
        elif kind == "league":
            w.league_page.refresh()
