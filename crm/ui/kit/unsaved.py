"""Unsaved edits: notice what the user typed, and ask Save / Discard / Cancel before it would
be dropped (navigating away, closing the window, Esc or Cancel in a form)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)


def value_of(widget: QWidget) -> object:
    """What a field holds now, for comparing with what it held at first."""
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    return None


class EditWatch:
    """The fields under ``root`` the user has touched, and whether any now differs from what
    it held when watching began. Only user actions mark a field (typing, choosing, clicking),
    so a picker filling its list in the background never counts as an edit."""

    def __init__(self, root: QWidget) -> None:
        self._start: dict[QWidget, object] = {}
        self._touched: set[QWidget] = set()
        for widget in root.findChildren(QWidget):
            self._watch(widget)

    def _watch(self, widget: QWidget) -> None:
        def touch(*_args: object, w: QWidget = widget) -> None:
            self._touched.add(w)

        if isinstance(widget, QLineEdit):
            parent = widget.parentWidget()
            if isinstance(parent, QComboBox):
                widget.textEdited.connect(lambda *_a, c=parent: self._touched.add(c))
                return
            widget.textEdited.connect(touch)
        elif isinstance(widget, QPlainTextEdit):
            if widget.isReadOnly():
                return
            widget.textChanged.connect(touch)
        elif isinstance(widget, QComboBox):
            widget.activated.connect(touch)
        elif isinstance(widget, QCheckBox | QRadioButton):
            widget.clicked.connect(touch)
        else:
            return
        self._start[widget] = value_of(widget)

    def reset(self) -> None:
        """What the fields hold now is the new starting point (after a save)."""
        self._touched.clear()
        for widget in self._start:
            self._start[widget] = value_of(widget)

    def dirty(self) -> bool:
        return any(value_of(w) != self._start.get(w) for w in self._touched)


def ask_unsaved(
    parent: QWidget,
    what: str,
    on_save: Callable[[], None],
    on_discard: Callable[[], None],
    on_cancel: Callable[[], None] | None = None,
) -> QMessageBox:
    """Save / Discard / Cancel, without blocking (tests and background results go on).

    ``what`` names the edits ("your changes to Tom Patel"). Save is the default (Enter);
    Esc cancels and leaves everything as it is.
    """
    box = QMessageBox(parent)
    box.setObjectName("UnsavedEdits")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save {what}?")
    box.setInformativeText("If you don't save, what you typed is lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)

    def finished(_result: int) -> None:
        clicked = box.standardButton(box.clickedButton()) if box.clickedButton() else None
        if clicked == QMessageBox.StandardButton.Save:
            on_save()
        elif clicked == QMessageBox.StandardButton.Discard:
            on_discard()
        elif on_cancel is not None:
            on_cancel()

    box.finished.connect(finished)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class GuardedDialog(QDialog):
    """A form dialog that asks Save / Discard / Cancel when Esc, Cancel or the close button
    would drop what the user typed. Saving is the dialog's own ``accept()``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._watch: EditWatch | None = None
        self._asking = False
        self.prepared = False  # set by the first showEvent of subclasses that prepare there

    def start_watching(self) -> None:
        """Call once every field is built (the first showEvent is a good moment)."""
        if self._watch is None:
            self._watch = EditWatch(self)

    def has_unsaved_edits(self) -> bool:
        return self._watch is not None and self._watch.dirty()

    def reject(self) -> None:
        if self._asking:
            return
        if not self.has_unsaved_edits():
            super().reject()
            return
        self._asking = True

        def cancel() -> None:
            self._asking = False

        def discard() -> None:
            self._asking = False
            self._watch = None
            QDialog.reject(self)

        def save() -> None:
            self._asking = False
            self.accept()

        ask_unsaved(self, "what you typed", save, discard, cancel)
