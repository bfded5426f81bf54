"""The timeline filter belongs to one person, never hides what was just logged, and has keys."""

from __future__ import annotations

from PySide6.QtCore import Qt

from crm.services.interactions import InteractionInput, log_interaction
from crm.services.timeline import ALL_KINDS
from crm.storage.db import Database
from tests.ui.conftest import Sample


def test_the_filter_resets_for_the_next_person(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    timeline = window.person_page.timeline
    timeline.filter_group.button(2).click()  # Tweets
    assert timeline.filtered
    window.open_record("person", sample.priya)
    assert not timeline.filtered
    assert timeline.filter_group.checkedId() == 0
    assert "Talked about the Leeds finance role" in timeline.browser.toPlainText()


def test_a_call_just_logged_is_not_hidden_by_the_filter(
    window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    timeline = window.person_page.timeline
    timeline.filter_group.button(2).click()  # Tweets
    assert "No" in timeline.browser.toPlainText() or "Nothing" in timeline.browser.toPlainText()
    new_id = log_interaction(db, InteractionInput(person_ids=[sample.tom], summary="Budget call"))
    window.ctx.notify("interaction", new_id)
    assert timeline._kinds == ALL_KINDS
    assert "Budget call" in timeline.browser.toPlainText()


def test_a_filtered_empty_timeline_says_the_filter_hides_the_rest(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    timeline = window.person_page.timeline
    timeline.filter_group.button(2).click()  # Tweets: Tom has none
    text = timeline.browser.toPlainText()
    assert "Nothing under “Tweets”" in text and "Alt+A" in text
    assert "Nothing here yet" not in text


def test_filters_have_keys(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.priya)
    timeline = window.person_page.timeline
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for letter, checked in (("P", 4), ("C", 1), ("T", 2), ("K", 3), ("A", 0)):
        qtbot.keyClick(window, letter, Qt.KeyboardModifier.AltModifier)
        # A mnemonic presses its button the way a click looks: a moment later.
        qtbot.waitUntil(lambda c=checked: timeline.filter_group.checkedId() == c, timeout=2000)
    qtbot.keyClick(window, "P", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: timeline.filter_group.checkedId() == 4, timeout=2000)
    assert "Interim Director of Finance" in timeline.browser.toPlainText()
    assert "Talked about the Leeds finance role" not in timeline.browser.toPlainText()
