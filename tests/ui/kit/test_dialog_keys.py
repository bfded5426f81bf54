"""Dialogs by keyboard: the first field has the focus, Enter saves only from a field, and
every underlined letter works without clashes."""

from __future__ import annotations

from collections import Counter

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from crm.services.people import count_people
from crm.services.placements import get_placement, list_placements
from crm.storage.db import Database
from crm.ui.kit.keys import mnemonics, takes_tab_focus
from crm.ui.organisations.dialogs import OrganisationDialog
from crm.ui.people.dialogs import EmploymentDialog, InteractionDialog, PersonDialog
from crm.ui.people.quick_log import QuickLogDialog
from crm.ui.placements.dialogs import ExtensionDialog, PlacementDialog
from tests.ui.conftest import Sample


def shown(qtbot, window, cls):  # type: ignore[no-untyped-def]
    dialog = window.findChild(cls)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    return dialog


def test_new_person_opens_typing_into_the_first_name(qtbot, window, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = count_people(db)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = shown(qtbot, window, PersonDialog)
    assert QApplication.focusWidget() is dialog.first
    qtbot.keyClicks(QApplication.focusWidget(), "Kwame ")  # the Space goes into the name
    assert dialog.first.text() == "Kwame "
    assert dialog.isVisible() and count_people(db) == before
    dialog.first.clear()
    dialog.reject()


def test_new_placement_and_extend_open_on_their_first_field(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(
        window,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = shown(qtbot, window, PlacementDialog)
    assert QApplication.focusWidget() is dialog.candidate
    dialog.reject()
    window.open_record("placement", sample.placement)
    window.placement_page.extend()
    extend = shown(qtbot, window, ExtensionDialog)
    assert QApplication.focusWidget() is extend.end


def test_tab_goes_through_the_fields_before_the_buttons(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.new_organisation()
    dialog = shown(qtbot, window, OrganisationDialog)
    order = []
    widget = dialog.name
    for _ in range(30):
        order.append(widget)
        widget = widget.nextInFocusChain()
        while not takes_tab_focus(widget, dialog):
            widget = widget.nextInFocusChain()
        if widget is dialog.name:
            break
    buttons = [order.index(b) for b in dialog.buttons.buttons()]
    assert min(buttons) > order.index(dialog.notes)


def test_enter_on_a_focused_cancel_does_not_save(qtbot, window, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = count_people(db)
    window.new_person()
    dialog = shown(qtbot, window, PersonDialog)
    dialog.first.setText("Kwame")
    dialog.last.setText("Mensah")
    cancel = next(b for b in dialog.buttons.buttons() if b is not dialog.save_button)
    assert isinstance(cancel, QPushButton)
    cancel.setFocus()
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    assert count_people(db) == before
    dialog.first.clear()
    dialog.last.clear()
    dialog.reject()


def test_enter_in_a_field_saves(qtbot, window, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = count_people(db)
    window.new_person()
    dialog = shown(qtbot, window, PersonDialog)
    qtbot.keyClicks(dialog.first, "Kwame")
    qtbot.keyClicks(dialog.last, "Mensah")
    qtbot.keyClick(dialog.last, Qt.Key.Key_Return)
    assert count_people(db) == before + 1


def test_enter_in_a_half_typed_candidate_offers_choices_instead_of_saving(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    window.new_placement()
    dialog = shown(qtbot, window, PlacementDialog)
    dialog.role.setText("Interim Director of Repairs")
    dialog.org.setEditText("Clarion Housing")
    dialog.candidate.setFocus()
    qtbot.keyClicks(dialog.candidate, "Pri")
    qtbot.keyClick(dialog.candidate, Qt.Key.Key_Return)
    assert len(list_placements(db)) == 1  # nothing saved from "Pri"
    assert dialog.isVisible()
    assert dialog.candidate.completer().popup().isVisible()
    dialog.candidate.set_person(sample.priya, "Priya Patel")  # what choosing does
    qtbot.keyClick(dialog.role, Qt.Key.Key_Return)
    assert len(list_placements(db)) == 2


def test_enter_in_a_half_typed_organisation_offers_choices(qtbot, window, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = count_people(db)
    window.new_person()
    dialog = shown(qtbot, window, PersonDialog)
    dialog.first.setText("Kwame")
    dialog.last.setText("Mensah")
    dialog.org.setFocus()
    qtbot.keyClicks(dialog.org.lineEdit(), "Clar")
    qtbot.keyClick(dialog.org.lineEdit(), Qt.Key.Key_Return)
    assert count_people(db) == before
    dialog.org.setEditText("Clarion Housing")
    qtbot.keyClick(dialog.org.lineEdit(), Qt.Key.Key_Return)
    assert count_people(db) == before + 1


def _dialogs(window, sample: Sample, db: Database) -> list[QDialog]:  # type: ignore[no-untyped-def]
    from crm.services.interactions import get_interaction, interactions_for
    from crm.services.organisations import get_organisation
    from crm.services.people import get_person

    ctx = window.ctx
    detail = get_placement(db, sample.placement)
    interaction = get_interaction(db, interactions_for(db, person_id=sample.priya)[0].id)
    person = get_person(db, sample.ewan)
    return [
        PersonDialog(ctx, window),
        OrganisationDialog(ctx, None, window),
        OrganisationDialog(ctx, get_organisation(db, sample.leeds), window),
        EmploymentDialog(ctx, sample.ewan, None, window),
        EmploymentDialog(ctx, sample.ewan, person.employments[0], window),
        InteractionDialog(ctx, interaction, window),
        PlacementDialog(ctx, None, window),
        PlacementDialog(ctx, detail, window),
        ExtensionDialog(ctx, detail, window),
        QuickLogDialog(ctx, None, window),
        QuickLogDialog(ctx, person, window),
    ]


def test_every_dialog_mnemonic_is_unique_and_alive(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    for dialog in _dialogs(window, sample, db):
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
        found = mnemonics(dialog)
        assert found, dialog.windowTitle()
        letters = Counter(m.letter for m in found)
        clashes = {
            k: [m.owner.text() for m in found if m.letter == k] for k, n in letters.items() if n > 1
        }
        assert not clashes, f"{dialog.windowTitle()}: {clashes}"
        for m in found:
            assert m.target is not None, f"{dialog.windowTitle()}: {m.owner.text()} has no buddy"
            assert takes_tab_focus(m.target, dialog) or m.target.focusProxy() is not None, (
                f"{dialog.windowTitle()}: {m.owner.text()} points at a widget that takes no focus"
            )
            if isinstance(m.target, QPushButton):
                continue  # pressing it would act; that it is enabled and unique is enough
            qtbot.keyClick(
                dialog.focusWidget() or dialog, m.letter, Qt.KeyboardModifier.AltModifier
            )
            focus = QApplication.focusWidget()
            assert focus is m.target or (focus is not None and m.target.isAncestorOf(focus)), (
                f"{dialog.windowTitle()}: Alt+{m.letter} ({m.owner.text()}) went to {focus}"
            )
        dialog.close()


@pytest.mark.parametrize("letter", ["F", "N", "W"])
def test_alt_letters_in_the_log_dialog_move_instead_of_typing(
    qtbot, window, sample: Sample, letter: str
) -> None:  # type: ignore[no-untyped-def]
    window.open_record("person", sample.tom)
    dialog = window.quick_log()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(dialog.summary, letter, Qt.KeyboardModifier.AltModifier)
    assert dialog.summary.text() == ""
    assert QApplication.focusWidget() is not dialog.summary
