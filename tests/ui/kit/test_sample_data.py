"""The sample data is never mistaken for real data: title, banner, one step back, and a
question before an import or a new record goes into it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import count_people
from crm.storage.db import Database
from crm.ui.people.dialogs import PersonDialog
from crm.ui.transfer.import_wizard import ImportWizard
from tests.ui.kit.helpers import open_box


def open_demo(window, tmp_path: Path) -> Database:  # type: ignore[no-untyped-def]
    """A small stand-in for the demo database (filling the real one takes seconds)."""
    demo = Database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    demo.upgrade()
    add_organisation(
        demo, OrganisationInput(name="Harbourlight Homes", org_type="housing_association")
    )
    window.ctx.set_database(demo, demo=True)
    return demo


def click(name: str, text: str) -> None:
    box = open_box(name)
    assert box is not None, f"no {name} question"
    [button] = [b for b in box.buttons() if b.text().replace("&", "") == text]
    button.click()


def test_title_and_banner_say_the_demo_is_open(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert not window.demo_banner.isVisibleTo(window)
    open_demo(window, tmp_path)
    assert window.windowTitle() == "Sample data"  # Qt adds " — Interim CRM" once
    assert "Interim CRM" not in window.windowTitle()
    assert window.demo_banner.isVisibleTo(window)
    assert "nothing here is real" in window.demo_banner.label.text()
    assert window.menu_actions.back_to_mine.isEnabled()


def test_back_to_my_database_in_one_step(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_demo(window, tmp_path)
    window.demo_banner.back_button.click()
    assert not window.ctx.is_demo
    assert window.ctx.db is db
    assert not window.demo_banner.isVisibleTo(window)
    assert not window.menu_actions.back_to_mine.isEnabled()
    assert window.windowTitle() == ""


def test_start_empty_on_the_welcome_page_leaves_the_demo(
    empty_window, db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    w = empty_window
    open_demo(w, tmp_path)
    w.open_sample_data()
    page = w.welcome_page
    assert "Your database" not in page.where.text()
    assert "sample data" in page.where.text()
    assert page.empty.button.text() == "Back to my database"
    page.empty.button.click()
    assert not w.ctx.is_demo and w.ctx.db is db
    assert w.stack.currentWidget() is w.people_page


def test_import_in_the_demo_asks_and_can_go_back_first(
    window, db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    open_demo(window, tmp_path)
    assert window.import_contacts() is None
    click("DemoWrite", "Back to my database")
    assert window.ctx.db is db
    wizard = window.findChild(ImportWizard)
    assert wizard is not None and wizard.isVisible()
    wizard.reject()


def test_a_new_person_in_the_demo_asks_once(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo = open_demo(window, tmp_path)
    window.new_person()
    assert window.findChild(PersonDialog) is None
    click("DemoWrite", "Use the sample data")
    dialog = window.findChild(PersonDialog)
    assert dialog is not None and dialog.isVisible()
    assert window.ctx.db is demo
    dialog.reject()
    window.new_organisation()  # asked once per visit
    assert open_box("DemoWrite") is None


def test_cancel_does_nothing(window, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_demo(window, tmp_path)
    people = count_people(window.ctx.db)
    window.new_placement()
    box = open_box("DemoWrite")
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.ctx.is_demo and count_people(window.ctx.db) == people
    assert not window.findChildren(PersonDialog)
