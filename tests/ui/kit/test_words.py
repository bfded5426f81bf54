"""Words a recruiter reads: plurals, encodings by their everyday names, row numbers that
agree, buttons that are off once there is nothing left to do."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import TaskRunner
from crm.ui.transfer.import_wizard import ImportWizard
from tests.fixtures import contacts
from tests.ui.conftest import Sample


def wizard_for(qtbot: QtBot, db: Database, path: Path) -> ImportWizard:
    wizard = ImportWizard(AppContext(db, TaskRunner(inline=True)), path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    return wizard


def test_the_encoding_is_named_as_people_name_it(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    wizard = wizard_for(qtbot, db, contacts.google(tmp_path / "google.csv"))
    text = wizard.mapping_page.format_label.text()
    assert "utf-8-sig" not in text
    assert "UTF-8" in text


def test_preview_row_numbers_are_the_ones_refusals_use(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    path = contacts.write(
        tmp_path / "people.csv",
        "First name,Last name,Email\r\n"
        "Jo,Bloggs,jo@example.org\r\n"
        ",,\r\n"  # a blank row: skipped by the preview and the import alike
        "Thi,Nguyen,not an email\r\n",
    )
    wizard = wizard_for(qtbot, db, path)
    model = wizard.mapping_page.model
    assert model.data(model.index(1, 0)) == "Thi"
    shown = model.headerData(1, Qt.Orientation.Vertical)
    wizard.next()
    refusals = wizard.dry_run_page.refusals
    assert refusals.data(refusals.index(0, 0)) == shown == "4"


def test_one_new_organisation_and_buttons_off_after_the_import(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    path = contacts.write(
        tmp_path / "people.csv",
        "First name,Last name,Organisation\r\nJo,Bloggs,Harbourlight Homes\r\n",
    )
    wizard = wizard_for(qtbot, db, path)
    wizard.next()
    summary = wizard.dry_run_page.summary.text()
    assert "1 new organisation would be created" in summary
    assert "(s)" not in summary and "1 rows" not in summary
    with qtbot.waitSignal(wizard.imported):
        wizard.next()
    page = wizard.import_page
    assert not wizard.button(QWizard.WizardButton.CancelButton).isEnabled()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    assert not page.stop_button.isVisibleTo(wizard)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_within_one_week(window) -> None:  # type: ignore[no-untyped-def]
    spin = window.people_page.available_spin
    spin.setValue(1)
    assert spin.text() == "Within 1 week"
    spin.setValue(3)
    assert spin.text() == "Within 3 weeks"


def test_a_client_contact_is_not_offered_as_a_candidate(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)  # a client contact only
    page = window.person_page
    assert "candidate" not in page.placement_action.text()
    page.placement_action.trigger()
    from crm.ui.placements.dialogs import PlacementDialog

    dialog = page.findChild(PlacementDialog)
    assert dialog is not None
    assert dialog.contact.person_id() == sample.tom
    assert dialog.candidate.text() == ""
    dialog.reject()
    window.open_record("person", sample.priya)  # a candidate
    assert page.placement_action.text() == "New placement for this candidate…"
