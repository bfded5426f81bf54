"""The Today page by keyboard: first screen, Ctrl+0, Enter, D, T/W/S, Ctrl+L, reminders."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QInputDialog, QMessageBox

from crm.services.interactions import InteractionInput, get_interaction, log_interaction
from crm.storage.db import Database
from tests.ui.conftest import Sample


def follow_up(db: Database, person: int, due: date, summary: str = "Call back about Leeds") -> int:
    return log_interaction(
        db, InteractionInput(person_ids=[person], summary=summary, follow_up_due=due)
    )


def reload_now(window) -> None:  # type: ignore[no-untyped-def]
    window.today_page.reload()  # the runner is inline: loaded on return


def test_today_is_the_first_screen_with_every_section(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    assert window.stack.currentWidget() is page
    assert window.nav.currentItem().text() == "Today"
    assert page.report is not None
    for panel in page.panels.values():
        QAbstractItemModelTester(panel.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    ending = page.panels["ending"]
    assert ending.count.text() == "1"
    (row,) = ending.model.rows
    assert row.title == "Priya Patel · Leeds Teaching Hospitals NHS Trust"
    assert row.reason.endswith("nothing lined up") and row.tag == "30 days"
    calls = page.panels["call"].model.rows
    assert calls[0].person_id == sample.priya
    assert "nothing lined up" in calls[0].reason
    # Grace asked not to be contacted: never on the list to call.
    assert sample.grace not in {r.person_id for r in calls}
    assert page.header.title.text().startswith("Today, ")

    window.show_people()
    assert window.stack.currentWidget() is window.people_page
    view_actions = {a.text().replace("&", ""): a for a in window.actions()}
    assert view_actions["Today"].shortcut().toString() == "Ctrl+0"
    assert view_actions["People"].shortcut().toString() == "Ctrl+1"
    view_actions["Today"].trigger()
    assert window.stack.currentWidget() is page
    assert window.focusWidget() is page.panels["call"].view


def test_done_and_snooze_by_keys(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    overdue = follow_up(db, sample.tom, today - timedelta(days=2))
    later = follow_up(db, sample.ewan, today - timedelta(days=1), "Org chart for York")
    reload_now(window)
    page = window.today_page
    panel = page.panels["follow_ups"]
    assert panel.count.text() == "2"
    assert [r.follow_up_id for r in panel.model.rows] == [overdue, later]
    assert panel.model.rows[0].tag == "2 days late"

    page.select("follow_ups", 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_T)  # tomorrow
    assert get_interaction(db, overdue).follow_up_due == today + timedelta(days=1)
    qtbot.waitUntil(lambda: [r.follow_up_id for r in panel.model.rows] == [later, overdue])

    page.select("follow_ups", 1)
    qtbot.keyClick(panel.view, Qt.Key.Key_W)  # a week from today
    assert get_interaction(db, overdue).follow_up_due == today + timedelta(days=7)

    page.select("follow_ups", 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_S)
    dialog = next(d for d in window.findChildren(QInputDialog) if d.isVisible())
    dialog.setTextValue("+3d")
    dialog.accept()
    assert get_interaction(db, later).follow_up_due == today + timedelta(days=3)

    page.select("follow_ups", 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_D)
    assert get_interaction(db, later).follow_up_done
    qtbot.waitUntil(lambda: [r.follow_up_id for r in panel.model.rows] == [overdue])

    # A row without a follow-up: D says so and changes nothing.
    page.select("ending", 0)
    qtbot.keyClick(page.panels["ending"].view, Qt.Key.Key_D)
    assert not get_interaction(db, overdue).follow_up_done


def test_enter_opens_the_person_and_shift_enter_the_client(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    page.select("ending", 0)
    qtbot.keyClick(page.panels["ending"].view, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.person_page
    assert window.person_page.person_id == sample.priya
    window.go_back()
    assert window.stack.currentWidget() is page
    page.select("ending", 0)
    qtbot.keyClick(page.panels["ending"].view, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert window.person_page.person_id == sample.tom  # the placement's client contact


def test_ctrl_l_logs_a_call_and_offers_to_close_the_follow_up(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    due = follow_up(db, sample.tom, date.today())
    reload_now(window)
    page = window.today_page
    page.select("call", 0)
    first = page.panels["call"].model.rows[0]
    assert (first.person_id, first.follow_up_id) == (sample.tom, due)
    assert first.reason.startswith("follow-up due today")

    window.menu_actions.log.trigger()
    dialog = page.log_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.person is not None and dialog.person.id == sample.tom
    qtbot.keyClicks(dialog.summary, "Agreed the interim brief")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Call back about Leeds" in box.text()
    next(b for b in box.buttons() if b.text() == "Mark done").click()
    assert get_interaction(db, due).follow_up_done
    qtbot.waitUntil(lambda: page.panels["follow_ups"].count.text() == "0")
    assert all(r.person_id != sample.tom for r in page.panels["call"].model.rows)


def test_reminders_count_and_notify_without_a_tray(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    reminders = window.reminders
    follow_up(db, sample.tom, date.today() - timedelta(days=1))
    reminders.start()
    assert reminders.count == 1
    assert reminders.last_notice == ("Follow-ups due", "1 follow-up is due today or overdue.")
    messages: list[str] = []
    window.ctx.message.connect(messages.append)
    new = follow_up(db, sample.ewan, date.today())
    window.ctx.notify("interaction", new)
    qtbot.waitUntil(lambda: reminders.count == 2)
    assert reminders.last_notice == ("Follow-ups due", "1 more follow-up fell due (2 in all).")
    assert messages[-1].startswith("Follow-ups due: 1 more")

    # Off in settings: no timer, no tray, no notice; the page's box says so too.
    window.today_page.reminders_box.setChecked(False)
    assert not reminders.timer.isActive()
    from crm import settings

    assert settings.get("today_reminders") is False
    reminders.last_notice = None
    window.ctx.notify("interaction", new)
    qtbot.wait(700)
    assert reminders.last_notice is None
