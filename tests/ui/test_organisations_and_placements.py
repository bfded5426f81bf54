"""Organisation pages and lists, placements with extensions and notes, create/edit dialogs."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from crm.services.organisations import get_organisation, update_organisation
from crm.services.people import get_person, search_people
from crm.services.placements import get_placement
from crm.storage.db import Database
from crm.ui.kit.forms import ConflictDialog
from crm.ui.kit.models import IdRole
from crm.ui.organisations.dialogs import OrganisationDialog
from crm.ui.people.dialogs import EmploymentDialog, PersonDialog
from crm.ui.placements.dialogs import ExtensionDialog, PlacementDialog
from tests.ui.conftest import Sample


def ids(model) -> set[int]:  # type: ignore[no-untyped-def]
    return {model.data(model.index(r, 0), IdRole) for r in range(model.rowCount())}


def test_organisation_page_shows_people_now_and_formerly(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("organisation", sample.leeds)
    page = window.organisation_page
    assert page.header.title.text() == "Leeds Teaching Hospitals NHS Trust"
    assert sample.priya in ids(page.current_model)
    assert ids(page.former_model) == {sample.ewan}
    assert ids(page.placements_model) == {sample.placement}
    assert page.tabs.tabText(1) == "Formerly (1)"
    assert "Talked about the Leeds finance role" in page.timeline.browser.toPlainText()
    page.tabs.setCurrentIndex(1)
    page.former_table.selectRow(0)
    page.former_table.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClick(page.former_table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.person_page
    assert window.person_page.person_id == sample.ewan


def test_organisations_list_filters_as_you_type(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.show_list("organisations")
    page = window.organisations_page
    assert page.model.rowCount() == 3
    window.find_in_list()
    assert page.filter_edit.hasFocus() or window.focusWidget() is page.filter_edit
    qtbot.keyClicks(page.filter_edit, "york")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2000)
    page.table.selectRow(0)
    page.open_current()
    assert window.organisation_page.organisation_id == sample.york


def test_placements_list_status_and_ending_soon(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.show_list("placements")
    page = window.placements_page
    assert ids(page.model) == {sample.placement}
    page.ending_check.setChecked(True)
    assert ids(page.model) == {sample.placement}  # ends in 30 days
    page.ending_check.setChecked(False)
    page.status_combo.setCurrentIndex(page.status_combo.findData("proposed"))
    assert page.model.rowCount() == 0
    assert page.stack.currentWidget() is page.empty
    page.status_combo.setCurrentIndex(0)
    page.filter_edit.setText("nobody")
    assert page.proxy.rowCount() == 0
    page.filter_edit.setText("priya")
    assert page.proxy.rowCount() == 1


def test_placement_page_notes_in_place_and_extensions(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.open_record("placement", sample.placement)
    page = window.placement_page
    assert page.header.title.text() == "Interim Director of Finance"
    assert "Client happy" in page.notes_view.toPlainText()
    page.note_edit.setPlainText("Extension agreed <b>verbally</b>")
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.note_edit.toPlainText() == ""
    assert "Extension agreed <b>verbally</b>" in page.notes_view.toPlainText()
    assert "Test Recruiter" in page.notes_view.toPlainText()
    page.extend()
    dialog = window.findChild(ExtensionDialog)
    new_end = date.today() + timedelta(days=120)
    dialog.end.setText(new_end.strftime("%d/%m/%Y"))
    dialog.rate.setText("900")
    dialog.reason.setText("Board asked")
    dialog.accept()
    detail = get_placement(db, sample.placement)
    assert detail.end_date == new_end and detail.status == "extended"
    assert page.extensions_model.rowCount() == 1
    assert page.header.badges.itemAt(0).widget().text() == "Extended"


def test_extension_must_move_the_end_date_forward(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("placement", sample.placement)
    window.placement_page.extend()
    dialog = window.findChild(ExtensionDialog)
    dialog.end.setText("01/01/2020")
    dialog.accept()
    assert dialog.isVisible()
    label = dialog.errors.label_for("new_end_date")
    assert label is not None and "after the current one" in label.text()


def test_new_person_dialog_validates_inline_and_opens_the_person(
    window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.menu_actions.new_person.trigger()
    dialog = window.findChild(PersonDialog)
    assert dialog is not None
    dialog.accept()
    assert "First name" in dialog.errors.label_for("first_name").text()
    dialog.first.setText("Chloe")
    dialog.last.setText("Featherstone")
    dialog.email.setText("not-an-email")
    dialog.accept()
    assert dialog.errors.label_for("emails").isVisibleTo(dialog)
    dialog.email.setText("chloe@example.org")
    dialog.org.setCurrentText("City of York Council")
    dialog.accept()
    assert not dialog.isVisible()
    person_id = window.person_page.person_id
    assert person_id is not None
    assert get_person(db, person_id).emails == ["chloe@example.org"]
    assert get_person(db, person_id).current_employment.organisation == "City of York Council"  # type: ignore[union-attr]
    assert [p.id for p in search_people(db, "featherstone")] == [person_id]


def test_organisation_edit_conflict_offers_reload(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("organisation", sample.york)
    window.organisation_page.edit()
    dialog = window.findChild(OrganisationDialog)
    other = Database(db.url)
    update_organisation(other, sample.york, {"region": "North Yorkshire"}, None)
    other.dispose()
    dialog.owner.setText("Sam")
    dialog.accept()
    conflict = dialog.findChild(ConflictDialog)
    assert conflict is not None and conflict.isVisible()
    assert get_organisation(db, sample.york).owner is None
    conflict.reload_button.click()
    assert not dialog.isVisible()


def test_new_organisation_and_placement_dialogs(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.menu_actions.new_org.trigger()
    dialog = window.findChild(OrganisationDialog)
    dialog.name.setText("Harbourlight Housing")
    dialog.gss.setText("nonsense")
    dialog.accept()
    assert "GSS code" in dialog.errors.label_for("gss_code").text()
    dialog.gss.setText("")
    dialog.accept()
    org_id = window.organisation_page.organisation_id
    assert get_organisation(db, org_id).name == "Harbourlight Housing"
    window.menu_actions.new_placement.trigger()
    placement = window.findChild(PlacementDialog)
    assert placement is not None
    placement.candidate.set_person(sample.tom, "Tom Patel")
    placement.role.setText("Interim Chief Executive")
    placement.start.setText("01/02/2027")
    placement.end.setText("01/01/2027")
    placement.accept()
    assert placement.isVisible()
    assert placement.errors.general.isVisibleTo(placement) or any(
        placement.errors.label_for(n).isVisibleTo(placement) for n in ("end_date", "start_date")
    )
    placement.end.setText("31/07/2027")
    placement.accept()
    assert window.placement_page.detail.candidate == "Tom Patel"
    assert window.placement_page.detail.organisation == "Harbourlight Housing"


def test_employment_dialog_ends_a_job(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    job = get_person(db, sample.tom).current_employment
    window.person_page.edit_job(job)
    dialog = window.findChild(EmploymentDialog)
    dialog.end.setText("yesterday")
    dialog.accept()
    assert get_person(db, sample.tom).current_employment is None
    assert "No jobs" not in window.person_page.jobs_box.itemAt(0).layout().itemAt(0).widget().text()


def test_delete_organisation_with_placements_is_refused_with_a_reason(
    window, sample: Sample
) -> None:  # type: ignore[no-untyped-def]
    window.open_record("organisation", sample.leeds)
    window.organisation_page.delete()
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "placement" in box.text()


def test_organisation_picker_loads_off_the_gui_thread(qtbot, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.kit.context import AppContext
    from crm.ui.kit.pickers import OrganisationPicker
    from crm.ui.kit.workers import TaskRunner

    runner = TaskRunner()  # a real pool, not the tests' inline one
    picker = OrganisationPicker(AppContext(db, runner), sample.york, optional=False)
    qtbot.addWidget(picker)
    # Until the list arrives, the organisation it was given still stands.
    assert picker.organisation_id() == sample.york
    qtbot.waitUntil(lambda: picker.count() > 0)
    assert picker.currentText() == "City of York Council"
    assert picker.organisation_id() == sample.york
    runner.shutdown()
