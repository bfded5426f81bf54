"""The import wizard, export dialog, duplicates review, GDPR dialogs and retention review, used
as a recruiter would: offscreen Qt, a real database, inline work unless a thread is the point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QWizard

from crm.domain.errors import NotFoundError
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person, get_person, search_people
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount, Person, Post
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import TaskRunner
from crm.ui.transfer.duplicates import DuplicatesDialog
from crm.ui.transfer.export_dialog import ExportDialog
from crm.ui.transfer.gdpr import ErasureDialog, SubjectAccessDialog
from crm.ui.transfer.import_wizard import ImportWizard
from crm.ui.transfer.retention import RetentionReview
from tests.fixtures import contacts

FATAL = QAbstractItemModelTester.FailureReportingMode.Fatal


def people_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Person)) or 0)


def inline() -> TaskRunner:
    return TaskRunner(inline=True)


def context(db: Database, runner: TaskRunner | None = None) -> AppContext:
    """What the window gives its dialogs: the database and a runner (inline unless given)."""
    return AppContext(db, runner or inline())


# -- import wizard ----------------------------------------------------------------------------


def test_import_wizard_linkedin(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    wizard = ImportWizard(context(db), path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentId() == ImportWizard.FILE
    assert wizard.file_page.isComplete()
    wizard.next()
    assert wizard.currentId() == ImportWizard.MAPPING
    page = wizard.mapping_page
    QAbstractItemModelTester(page.model, FATAL)
    assert "LinkedIn connections" in page.format_label.text()
    assert "skipping 3 lines of notes" in page.format_label.text()
    assert [c.currentData() for c in page.combos] == [
        "first_name",
        "last_name",
        "linkedin_url",
        "email",
        "organisation",
        "job_title",
        "",
    ]
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == "First Name\n→ First name"
    assert page.model.data(page.model.index(0, 0)) == "Siobhán"
    assert page.isComplete()
    page.set_field(5, "")  # leave the position out
    assert wizard.mapping.get("job_title") is None
    wizard.next()
    assert wizard.currentId() == ImportWizard.DRY_RUN
    dry = wizard.dry_run_page
    QAbstractItemModelTester(dry.refusals, FATAL)
    assert dry.report is not None and dry.report.dry_run
    assert "3 would be added" in dry.summary.text()
    assert "3 new organisations would be created" in dry.summary.text()
    assert dry.refusals_label.text() == "No row is refused."
    assert people_count(db) == 0
    assert dry.isComplete()
    with qtbot.waitSignal(wizard.imported) as signal:
        wizard.next()
    assert wizard.currentId() == ImportWizard.IMPORT
    assert signal.args[0].created == 3
    assert "3 were added" in wizard.import_page.summary.text()
    assert [p.name for p in search_people(db, "siobhan")] == ["Siobhán Ó Briain"]
    assert search_people(db, "siobhan")[0].job_title is None  # that column was left out


def test_wizard_maps_a_headerless_file(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = contacts.write(
        tmp_path / "names.csv",
        "Bloggs;Jo;jo@example.org\r\nNguyen;Thi;bad email\r\nOkafor;Chidi;chidi@example.org\r\n",
    )
    wizard = ImportWizard(context(db), path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.mapping_page
    assert not page.header_box.isChecked()
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == "Column 1\n—"
    assert not page.isComplete()
    assert "first and last names" in page.problem.text()
    page.set_field(0, "last_name")
    page.set_field(1, "first_name")
    page.set_field(2, "email")
    assert page.isComplete() and page.problem.text() == ""
    page.set_field(2, "first_name")  # one field, one column: column 2 lets it go
    assert page.combos[1].currentData() == ""
    page.set_field(1, "first_name")
    page.set_field(2, "email")
    wizard.next()
    dry = wizard.dry_run_page
    assert dry.report is not None
    # A bad email costs the email only: the person is imported, the value listed to fix.
    assert (dry.report.created, dry.report.refused) == (3, 0)
    assert dry.refusals.data(dry.refusals.index(0, 0)) == "2"
    assert "not a valid email" in dry.refusals.data(dry.refusals.index(0, 2))
    assert "Needs attention" in dry.refusals.data(dry.refusals.index(0, 2))
    assert dry.refusals_label.text() == "No row is refused; 1 value(s) need attention:"
    assert "1 value(s) need attention" in dry.summary.text()
    assert dry.valid_only.text() == "Import the 3 valid rows"
    with qtbot.waitSignal(wizard.imported):
        wizard.next()
    assert people_count(db) == 3


def test_stopping_an_import_leaves_nothing(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    rows = [[f"First{n}", f"Last{n}", f"p{n}@example.org", f"Trust {n % 9}"] for n in range(30000)]
    path = contacts.write(
        tmp_path / "big.csv",
        contacts.csv_text(["First name", "Last name", "Email", "Organisation"], rows),
    )
    wizard = ImportWizard(context(db), path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.next()
    assert wizard.dry_run_page.report is not None and wizard.dry_run_page.report.created == 30000
    # The dry run ran inline; the real import runs on a worker thread, as in the app.
    wizard.runner = TaskRunner(wizard)
    wizard.next()
    page = wizard.import_page
    assert page.running
    qtbot.waitUntil(lambda: page.bar.value() > 0, timeout=60_000)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=60_000)
    assert page.summary.text() == "Stopped: nothing was changed."
    assert wizard.report is None
    assert people_count(db) == 0
    assert wizard.runner.wait()


def test_closing_the_wizard_stops_the_import_first(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    rows = [[f"First{n}", f"Last{n}"] for n in range(30000)]
    path = contacts.write(
        tmp_path / "big.csv", contacts.csv_text(["First name", "Last name"], rows)
    )
    wizard = ImportWizard(context(db, TaskRunner()), path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.next()  # the dry run starts on a worker
    assert wizard.task is not None
    wizard.reject()
    assert wizard.isVisible()  # waits for the worker to stop
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=60_000)
    assert wizard.result() == QWizard.DialogCode.Rejected.value
    assert people_count(db) == 0


# -- export -----------------------------------------------------------------------------------------


def test_export_dialog(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    a = add_person(db, PersonInput("Zoë", "Renée", emails=["zoe@example.org"]))
    add_person(db, PersonInput("Sam", "Patel"))
    dialog = ExportDialog(context(db), ids=[a])
    qtbot.addWidget(dialog)
    assert dialog.only_shown.text() == "Only the 1 in the list on screen"
    dialog.path_edit.setText(str(tmp_path / "chosen.csv"))
    dialog.format_combo.setCurrentIndex(2)  # vCard 4.0
    assert dialog.path_edit.text() == str(tmp_path / "chosen.vcf")
    with qtbot.waitSignal(dialog.exported) as signal:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].count == 1
    text = (tmp_path / "chosen.vcf").read_text(encoding="utf-8")
    assert "VERSION:4.0" in text and "Zoë" in text and "Patel" not in text
    assert dialog.status.text() == f"Wrote 1 people to {tmp_path / 'chosen.vcf'}."

    everything = ExportDialog(context(db), kind="interactions")
    qtbot.addWidget(everything)
    assert everything.kind_combo.isEnabled()
    model = everything.format_combo.model()
    assert not model.item(1).isEnabled() and not model.item(2).isEnabled()  # no vCards
    everything.kind_combo.setCurrentIndex(0)
    everything.path_edit.setText(str(tmp_path / "all.csv"))
    everything.start()
    assert (tmp_path / "all.csv").read_bytes().startswith(b"\xef\xbb\xbf")


# -- duplicates -------------------------------------------------------------------------------------


def test_duplicates_review_and_merge(qtbot: QtBot, db: Database) -> None:
    trust = add_organisation(db, OrganisationInput(name="Leeds Teaching Hospitals NHS Trust"))
    a = add_person(db, PersonInput("Jon", "Bloggs", organisation_id=trust, notes="Likes tea."))
    b = add_person(
        db, PersonInput("Jonathan", "Bloggs", organisation_id=trust, emails=["jb@example.org"])
    )
    add_person(db, PersonInput("Someone", "Else", organisation_id=trust))
    dialog = DuplicatesDialog(context(db))
    qtbot.addWidget(dialog)
    QAbstractItemModelTester(dialog.pairs, FATAL)
    assert dialog.status.text() == "1 pair to review"
    assert dialog.preview is not None
    assert (dialog.preview.survivor_id, dialog.preview.other_id) == (a, b)
    assert dialog.fields.item(0, 0).text() == "First name"
    assert "1 emails" in dialog.moves.text()
    dialog.swap()
    assert dialog.preview.survivor_id == b
    dialog.swap()
    dialog.choose("first_name", "other")
    with qtbot.waitSignal(dialog.merged) as signal:
        dialog.merge()
    assert signal.args == ["person", a, b]
    merged = get_person(db, a)
    assert merged.first_name == "Jonathan" and merged.emails == ["jb@example.org"]
    assert merged.notes == "Likes tea."
    assert dialog.status.text() == "No duplicates found."
    assert dialog.pairs.rowCount() == 0


def test_duplicate_organisations_listed(qtbot: QtBot, db: Database) -> None:
    add_organisation(db, OrganisationInput(name="Leeds Teaching Hospitals NHS Trust"))
    add_organisation(db, OrganisationInput(name="Leeds Teaching Hospitals"))
    dialog = DuplicatesDialog(context(db), kind="organisation")
    qtbot.addWidget(dialog)
    assert dialog.pairs.rowCount() == 1
    dialog.skip()
    assert dialog.pairs.rowCount() == 0 and dialog.preview is None


# -- GDPR -----------------------------------------------------------------------------------------------


def test_subject_access_dialog(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    pid = add_person(db, PersonInput("Zebedee", "Quillfeather", emails=["zq@example.org"]))
    dialog = SubjectAccessDialog(context(db), pid, directory=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Subject access request: Zebedee Quillfeather"
    with qtbot.waitSignal(dialog.exported):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result_ is not None
    assert Path(dialog.result_.html_path).exists() and Path(dialog.result_.json_path).exists()
    assert dialog.open_button.isEnabled()


def test_erasure_needs_the_name_typed(qtbot: QtBot, db: Database) -> None:
    pid = add_person(db, PersonInput("Zebedee", "Quillfeather", emails=["zq@example.org"]))
    with db.session() as s:
        account = BlueskyAccount(did="did:plc:zq", handle="zq.bsky.social", person_id=pid)
        s.add(account)
        s.flush()
        s.add(
            Post(
                uri="at://did:plc:zq/app.bsky.feed.post/1",
                cid="c1",
                account_id=account.id,
                text="Hello",
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
    dialog = ErasureDialog(context(db), pid)
    qtbot.addWidget(dialog)
    assert dialog.heading.text() == "Erase Zebedee Quillfeather? This removes:"
    assert "1 email address," in dialog.details.text()
    assert "The Bluesky account @zq.bsky.social with its follower history, and 1 stored post" in (
        dialog.details.text()
    )
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm, "Zebedee")
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm, "  quillfeather")
    assert dialog.erase_button.isEnabled()
    with qtbot.waitSignal(dialog.erased) as signal:
        qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    assert signal.args == [pid]
    assert search_people(db, "quillfeather") == []
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(BlueskyAccount)) == 0


def test_retention_review(qtbot: QtBot, db: Database) -> None:
    old = datetime.now(UTC) - timedelta(days=900)
    quiet = add_person(db, PersonInput("Quiet", "One"))
    other = add_person(db, PersonInput("Quiet", "Two", do_not_contact=True))
    add_person(db, PersonInput("Just", "Added"))
    with db.session() as s:
        s.execute(update(Person).where(Person.id.in_([quiet, other])).values(created_at=old))
    review = RetentionReview(context(db))
    qtbot.addWidget(review)
    QAbstractItemModelTester(review.model, FATAL)
    assert review.months.value() == 24
    assert review.model.rowCount() == 2
    assert review.model.data(review.model.index(0, 2)) == "never"
    assert not review.keep_button.isEnabled()
    review.view.selectRow(0)
    assert review.selected_ids() == [quiet] and review.keep_button.text() == "Keep 1…"
    review.keep([quiet], "Live candidate")
    assert [r.person_id for r in review.model.rows] == [other]
    assert review.status.text() == "Kept 1 for another period."
    with qtbot.waitSignal(review.erased):
        review.erase([other])
    assert review.model.rowCount() == 0
    with pytest.raises(NotFoundError):
        get_person(db, other)
