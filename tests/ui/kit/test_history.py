"""Back and forward return to a list as it was left: its search text, the selected person
and the scroll position, not only the page."""

from __future__ import annotations

from crm.services.people import PersonInput, add_person
from crm.storage.db import Database
from tests.ui.conftest import Sample


def search(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    window.focus_search()
    window.search.clear()
    qtbot.keyClicks(window.search, text)
    window.people_page.refresh()  # no need to wait for the typing pause


def test_back_restores_the_search_and_the_selected_person(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.people_page
    search(qtbot, window, "patel")
    row = page.model.row_of(sample.tom)
    page.table.selectRow(row)
    page.open_current()
    assert window.person_page.detail.id == sample.tom
    search(qtbot, window, "okafor")
    assert window.stack.currentWidget() is page
    page.table.selectRow(page.model.row_of(sample.grace))
    page.open_current()
    window.go_back()  # the "okafor" list
    assert window.search.text() == "okafor"
    window.go_back()  # Tom
    assert window.person_page.detail.id == sample.tom
    window.go_back()  # the "patel" list, Tom selected
    assert window.stack.currentWidget() is page
    assert window.search.text() == "patel"
    assert page.search_text == "patel"
    assert page.current_person_id() == sample.tom
    window.go_forward()
    assert window.person_page.detail.id == sample.tom


def test_back_restores_the_scroll_position(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    for n in range(80):
        add_person(db, PersonInput(first_name=f"Scroll{n:02d}", last_name="Tester"))
    page = window.people_page
    window.resize(1200, 700)
    search(qtbot, window, "tester")
    assert page.model.rowCount() == 80
    page.table.selectRow(60)
    bar = page.table.verticalScrollBar()
    assert bar.value() > 0
    scrolled, chosen = bar.value(), page.current_person_id()
    page.open_current()
    search(qtbot, window, "patel")
    window.go_back()  # the person opened from the list
    assert window.person_page.detail.id == chosen
    window.go_back()  # the list, as it was left
    assert window.stack.currentWidget() is page
    assert window.search.text() == "tester"
    assert page.current_person_id() == chosen
    assert bar.value() == scrolled
