"""The list pages' shared frame: what the New… button and the empty list say."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton


def new_button(page) -> QPushButton:  # type: ignore[no-untyped-def]
    return next(b for b in page.findChildren(QPushButton) if b.text().startswith("New "))


def test_empty_lists_say_how_to_add_one_and_new_names_the_shortcut(empty_window) -> None:  # type: ignore[no-untyped-def]
    empty_window.show_list("organisations")
    page = empty_window.organisations_page
    assert page.stack.currentWidget() is page.empty
    assert page.count_label.text() == "0 organisations"
    assert page.empty.title.text() == "No organisations yet"
    assert page.empty.text.text() == "Add one with New organisation (Ctrl+Shift+N)."
    assert new_button(page).toolTip() == "Add an organisation (Ctrl+Shift+N)"
    empty_window.show_list("placements")
    page = empty_window.placements_page
    assert page.empty.title.text() == "No placements yet"
    assert page.empty.text.text() == "Add one with New placement (Ctrl+Shift+P)."
    assert new_button(page).toolTip() == "Add a placement (Ctrl+Shift+P)"


def test_a_filter_that_leaves_nothing_says_so(window) -> None:  # type: ignore[no-untyped-def]
    window.show_list("organisations")
    page = window.organisations_page
    page.filter_edit.setText("no such organisation")
    page.refresh()
    assert page.stack.currentWidget() is page.empty
    assert page.empty.title.text() == "No organisation matches"
    assert page.empty.text.text() == "Try fewer letters or clear the filters."
    window.show_list("placements")
    page = window.placements_page
    page.ending_check.setChecked(True)
    page.status_combo.setCurrentIndex(page.status_combo.findData("cancelled"))
    assert page.count_label.text() == "0 placements"
    assert page.empty.title.text() == "No placement matches"
    assert page.empty.text.text() == "Clear the filters to see them all."
    page.status_combo.setCurrentIndex(0)
    assert page.count_label.text() == "1 placement"
    assert page.stack.currentWidget() is page.table
