"""The sample data, never mistaken for real data: a coloured banner while the demo database
is open, one step back to the user's own database, and a question before anything that
looks like real work (an import, a new record) goes into the demo."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMessageBox, QPushButton, QWidget

from crm.ui.kit.widgets import plain_label

BANNER_TEXT = (
    "You are exploring the sample data: nothing here is real, and nothing you add here goes "
    "into your own database."
)


class DemoBanner(QFrame):
    """Shown above every page while the demo database is open."""

    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DemoBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 6, 12, 6)
        self.label = plain_label(BANNER_TEXT, wrap=True)
        self.label.setAccessibleName("Sample data")
        row.addWidget(self.label, 1)
        self.back_button = QPushButton("Back to my database")
        self.back_button.setAccessibleName("Back to my database")
        self.back_button.setToolTip("Close the sample data and open your own database")
        self.back_button.setAutoDefault(True)  # Enter on it works outside a dialog too
        self.back_button.clicked.connect(self.back_requested.emit)
        row.addWidget(self.back_button)
        self.hide()


def ask_demo_write(
    parent: QWidget,
    what: str,
    on_back: Callable[[], None],
    on_demo: Callable[[], None],
) -> QMessageBox:
    """ "This goes into the sample data": back to my database (the default), into the sample
    data anyway, or cancel. ``what`` is the work ("The import", "A new person")."""
    box = QMessageBox(parent)
    box.setObjectName("DemoWrite")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Sample data is open")
    box.setText(f"{what} would go into the sample data, not into your own database.")
    box.setInformativeText(
        "Go back to your database first, or carry on in the sample data to try things out."
    )
    back = box.addButton("Back to my database", QMessageBox.ButtonRole.AcceptRole)
    demo = box.addButton("Use the sample data", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(back)
    box.setEscapeButton(cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is back:
            on_back()
        elif box.clickedButton() is demo:
            on_demo()

    box.finished.connect(finished)
    box.open()
    return box
