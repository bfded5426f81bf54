"""Finding the non-blocking questions the app opens, and answering them."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox


def open_box(name: str) -> QMessageBox | None:
    """The visible message box with that object name, if one is open."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def answer(name: str, button: QMessageBox.StandardButton) -> None:
    box = open_box(name)
    assert box is not None, f"no {name} question is open"
    box.button(button).click()
