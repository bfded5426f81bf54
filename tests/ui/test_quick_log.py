"""Quick log: Ctrl+L, a summary, Enter; the interaction is saved and in the timeline."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from crm.services.interactions import interactions_for
from crm.storage.db import Database
from crm.ui.people.quick_log import QuickLogDialog
from tests.ui.conftest import Sample


def open_quick_log(qtbot, window) -> QuickLogDialog:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(QuickLogDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)  # its own shortcuts need it active
    return dialog


def test_ctrl_l_summary_enter_logs_a_call(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    dialog = open_quick_log(qtbot, window)
    assert dialog.kind().value == "call"
    assert dialog.focusWidget() is dialog.summary
    qtbot.keyClicks(dialog.summary, "Discussed the interim CFO brief")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    saved = interactions_for(db, person_id=sample.tom)
    assert [(i.kind, i.summary, i.direction) for i in saved] == [
        ("call", "Discussed the interim CFO brief", "out")
    ]
    assert not dialog.isVisible()
    conversations = [e for e in window.person_page.timeline.entries if e.kind == "interaction"]
    assert conversations[0].ref_id == saved[0].id  # newest first
    assert "Discussed the interim CFO brief" in window.person_page.timeline.browser.toPlainText()


def test_one_chord_changes_kind_and_follow_up_parses(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    dialog = open_quick_log(qtbot, window)
    qtbot.keyClick(dialog, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert dialog.kind().value == "meeting"
    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert dialog.direction() == "in"
    qtbot.keyClicks(dialog.summary, "Coffee at the trust")
    dialog.follow_up.setText("+1w")
    dialog.notes.setPlainText("Line one\nLine two")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    saved = interactions_for(db, person_id=sample.tom)[0]
    assert (saved.kind, saved.direction, saved.body) == ("meeting", "in", "Line one\nLine two")
    assert saved.follow_up_due is not None


def test_bad_follow_up_date_is_shown_inline(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    dialog = open_quick_log(qtbot, window)
    qtbot.keyClicks(dialog.summary, "Call")
    dialog.follow_up.setText("next blue moon")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    assert dialog.isVisible()
    label = dialog.errors.label_for("follow_up_due")
    assert label is not None and "is not a date" in label.text()
    assert interactions_for(db, person_id=sample.tom) == []


def test_do_not_contact_asks_for_confirmation(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.grace)
    dialog = open_quick_log(qtbot, window)
    qtbot.keyClicks(dialog.summary, "Called about the housing role")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    box = next(w for w in dialog.findChildren(QMessageBox) if w.isVisible())
    assert "asked not to be contacted" in box.text()
    assert interactions_for(db, person_id=sample.grace) == []
    next(b for b in box.buttons() if b.text() == "Log it anyway").click()
    assert [i.summary for i in interactions_for(db, person_id=sample.grace)] == [
        "Called about the housing role"
    ]


def test_quick_log_from_the_list_asks_for_the_person(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.show_people()  # on the Today page Ctrl+L logs for the row's person
    dialog = open_quick_log(qtbot, window)
    assert dialog.picker is not None
    dialog.picker.setText("Ewan Hughes")
    qtbot.keyClicks(dialog.summary, "Note about HR")
    dialog.set_kind(__import__("crm.domain.enums", fromlist=["x"]).InteractionKind.NOTE)
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    assert [i.summary for i in interactions_for(db, person_id=sample.ewan)] == ["Note about HR"]
