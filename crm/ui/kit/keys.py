"""Keys in forms: fields before buttons in the Tab order, the first field focused on opening,
Enter that saves only from a field (never from a focused button or a half-typed choice), and
the mnemonics (Alt+letter) a dialog offers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QToolButton,
    QWidget,
)

ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def buttons_last(window: QWidget, buttons: Iterable[QWidget]) -> None:
    """Move ``buttons`` to the end of the window's Tab order, after every field (a form base
    class creates its buttons before subclasses add fields, so Qt would put them first)."""
    for button in buttons:
        last = window.previousInFocusChain()
        if last is not None and last is not button and last is not window:
            QWidget.setTabOrder(last, button)


def takes_tab_focus(widget: QWidget, window: QWidget) -> bool:
    return (
        bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.isEnabled()
        and widget.isVisibleTo(window)
        and widget.focusProxy() is None
    )


def first_field(window: QWidget) -> QWidget | None:
    """The first widget in Tab order that a user types into or chooses in (not a button)."""
    widget = window.nextInFocusChain()
    seen = 0
    while widget is not None and widget is not window and seen < 500:
        seen += 1
        if takes_tab_focus(widget, window) and (
            not isinstance(widget, QAbstractButton) or isinstance(widget, QCheckBox)
        ):
            return widget
        widget = widget.nextInFocusChain()
    return None


def focus_first_field(window: QWidget) -> QWidget | None:
    field = first_field(window)
    if field is not None:
        field.setFocus(Qt.FocusReason.TabFocusReason)
    return field


def enter_in_form(window: QWidget, event: QKeyEvent) -> bool:
    """What Enter does in a form before the dialog's default button gets it: True when it is
    dealt with here (a focused button is pressed, not the default one). Pickers keep Enter
    for themselves while their text is half typed (see crm.ui.kit.pickers)."""
    if event.key() not in ENTER:
        return False
    if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
        return False
    focus = window.focusWidget()
    if isinstance(focus, QPushButton | QToolButton) and focus.isEnabled():
        focus.click()
        return True
    return False


def mnemonic_of(text: str) -> str | None:
    """'Day r&ate' -> 'A'; '&&' is a literal ampersand; None without one."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] == "&":
                i += 2
                continue
            return text[i + 1].upper()
        i += 1
    return None


@dataclass(frozen=True)
class Mnemonic:
    letter: str
    owner: QWidget  # the label or button that shows the underlined letter
    target: QWidget | None  # where Alt+letter goes (the label's buddy, or the button)


def mnemonics(window: QWidget) -> list[Mnemonic]:
    """Every Alt+letter the visible labels and buttons of ``window`` offer (menus excluded)."""
    found: list[Mnemonic] = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window) or widget.window() is not window:
            continue
        if isinstance(widget, QLabel) and widget.textFormat() != Qt.TextFormat.RichText:
            letter = mnemonic_of(widget.text())
            if letter:
                found.append(Mnemonic(letter, widget, widget.buddy()))
        elif isinstance(widget, QAbstractButton | QRadioButton):
            letter = mnemonic_of(widget.text())
            if letter:
                found.append(Mnemonic(letter, widget, widget))
    return found


def alt(letter: str) -> QKeySequence:
    return QKeySequence(f"Alt+{letter}")


__all__ = [
    "Mnemonic",
    "alt",
    "buttons_last",
    "enter_in_form",
    "first_field",
    "focus_first_field",
    "mnemonic_of",
    "mnemonics",
]
