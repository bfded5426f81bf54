"""Unsaved edits are never dropped without asking: navigation, closing the window, Esc."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from crm.services.interactions import interactions_for
from crm.services.people import get_person
from crm.services.placements import get_placement, list_placements
from crm.storage.db import Database
from crm.ui.organisations.dialogs import OrganisationDialog
from crm.ui.people.quick_log import QuickLogDialog
from crm.ui.placements.dialogs import PlacementDialog
from tests.ui.conftest import Sample
from tests.ui.kit.helpers import answer, open_box

Save = QMessageBox.StandardButton.Save
Discard = QMessageBox.StandardButton.Discard
Cancel = QMessageBox.StandardButton.Cancel


def edit_job_title(qtbot, window, sample: Sample):  # type: ignore[no-untyped-def]
    window.show_people()
    window.open_record("person", sample.tom)
    page = window.person_page
    field = page.fields["job_title"]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "Chief Executive Officer")
    return page, field


def alt_left(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(widget, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)


def test_alt_left_with_an_edited_job_title_asks_and_cancel_stays(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page, field = edit_job_title(qtbot, window, sample)
    alt_left(qtbot, field)
    assert open_box("UnsavedEdits") is not None
    assert window.stack.currentWidget() is page  # still here while asking
    answer("UnsavedEdits", Cancel)
    assert window.stack.currentWidget() is page
    assert field.text() == "Chief Executive Officer"
    assert get_person(db, sample.tom).job_title == "Chief Executive"
    page.revert()  # so closing the window at the end asks nothing


def test_save_saves_then_goes_back(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    _page, field = edit_job_title(qtbot, window, sample)
    alt_left(qtbot, field)
    answer("UnsavedEdits", Save)
    assert get_person(db, sample.tom).job_title == "Chief Executive Officer"
    assert window.stack.currentWidget() is window.people_page


def test_discard_goes_back_without_saving(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page, field = edit_job_title(qtbot, window, sample)
    alt_left(qtbot, field)
    answer("UnsavedEdits", Discard)
    assert window.stack.currentWidget() is window.people_page
    assert get_person(db, sample.tom).job_title == "Chief Executive"
    window.go_forward()
    assert page.fields["job_title"].text() == "Chief Executive"
    assert not page.has_unsaved_edits()


def test_a_failed_save_stays_on_the_page(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page, _field = edit_job_title(qtbot, window, sample)
    page.fields["emails"].setText("tom at york")
    window.go_back()
    answer("UnsavedEdits", Save)
    assert window.stack.currentWidget() is page
    label = page.errors.label_for("emails")
    assert label is not None and "not a valid email" in label.text()
    page.revert()


def test_opening_another_record_asks_too(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page, _field = edit_job_title(qtbot, window, sample)
    window.open_record("person", sample.priya)
    assert open_box("UnsavedEdits") is not None
    answer("UnsavedEdits", Cancel)
    assert page.detail.id == sample.tom
    page.revert()


def test_an_unchanged_page_leaves_without_asking(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.show_people()
    window.open_record("person", sample.tom)
    window.go_back()
    assert open_box("UnsavedEdits") is None
    assert window.stack.currentWidget() is window.people_page


def test_closing_the_window_asks(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    edit_job_title(qtbot, window, sample)
    window.close()
    assert window.isVisible()
    answer("UnsavedEdits", Save)
    assert not window.isVisible()
    assert get_person(db, sample.tom).job_title == "Chief Executive Officer"


def test_a_refresh_keeps_what_is_typed(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page, field = edit_job_title(qtbot, window, sample)
    window.ctx.notify("person", sample.tom)  # a sync or a colleague's change arrives
    assert field.text() == "Chief Executive Officer"
    page.revert()


def test_a_typed_placement_note_is_not_lost(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("placement", sample.placement)
    page = window.placement_page
    qtbot.keyClicks(page.note_edit, "Extension agreed in principle")
    window.show_list("people")
    answer("UnsavedEdits", Save)
    notes = [n.text for n in get_placement(db, sample.placement).notes]
    assert "Extension agreed in principle" in notes
    assert window.stack.currentWidget() is window.people_page


def test_esc_in_a_filled_new_placement_form_asks(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.new_placement()
    dialog = window.findChild(PlacementDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.role, "Interim Director of Repairs")
    qtbot.keyClick(dialog.role, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    answer("UnsavedEdits", Cancel)
    assert dialog.isVisible() and dialog.role.text() == "Interim Director of Repairs"
    qtbot.keyClick(dialog.role, Qt.Key.Key_Escape)
    answer("UnsavedEdits", Discard)
    assert not dialog.isVisible()
    assert len(list_placements(db)) == 1  # only the sample's


def test_esc_in_an_untouched_form_closes_at_once(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.new_organisation()
    dialog = window.findChild(OrganisationDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert open_box("UnsavedEdits") is None
    assert not dialog.isVisible()


def test_save_from_the_question_saves_the_form(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    dialog = window.quick_log()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, QuickLogDialog)
    qtbot.keyClicks(dialog.summary, "Budget call")
    dialog.reject()  # the window's close button
    answer("UnsavedEdits", Save)
    assert [i.summary for i in interactions_for(db, person_id=sample.tom)] == ["Budget call"]
    assert not dialog.isVisible()
