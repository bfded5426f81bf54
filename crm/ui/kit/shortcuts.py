"""The keyboard shortcuts sheet (F1): every shortcut the window's actions carry, in one table."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

EXTRA = (
    ("Enter (in search or a list)", "Open the selected record"),
    ("Up / Down (in search)", "Move through the results"),
    ("Esc (in search)", "Clear the search"),
    ("Ctrl+1 … Ctrl+9 (quick log)", "Change the kind: call, meeting, video call, email…"),
    ("Ctrl+D (quick log)", "Flip between outgoing and incoming"),
    ("Ctrl+Enter (notes)", "Save"),
    ("Ctrl+S (person page)", "Save the details"),
    (
        "Alt+A / Alt+C / Alt+T / Alt+K / Alt+P (timeline)",
        "All / conversations / tweets / Bluesky posts / placements",
    ),
    ("Alt+underlined letter (dialogs)", "Go to that field"),
    ("Esc (dialogs)", "Close; asks first if you typed something"),
    ("Arrows (shortlist board)", "Move between candidates' cards"),
    ("N / R / P (shortlist card)", "Next stage / reject or withdraw (asks why) / place"),
    ("Enter (matched candidates)", "Add the selected candidate to the shortlist"),
    ("D (Today)", "Mark the follow-up done"),
    ("T / W / S (Today)", "Snooze the follow-up to tomorrow / by a week / to a date"),
    ("Shift+Enter (Today, ending soon)", "Open the placement's client contact"),
    ("M (Today)", "Mark the X news seen"),
    ("Tab (Today)", "The next list"),
)


def show_shortcuts(window: QMainWindow) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.resize(520, 560)
    layout = QVBoxLayout(dialog)
    rows: list[tuple[str, str]] = []
    for action in window.actions():
        sequence = action.shortcut()
        if not sequence.isEmpty():
            rows.append(
                (
                    sequence.toString(QKeySequence.SequenceFormat.NativeText),
                    action.text().replace("&", "").rstrip("…"),
                )
            )
    rows.extend(EXTRA)
    table = QTableWidget(len(rows), 2)
    table.setHorizontalHeaderLabels(["Keys", "Does"])
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setColumnWidth(0, 200)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAccessibleName("Keyboard shortcuts")
    for i, (keys, text) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(keys))
        table.setItem(i, 1, QTableWidgetItem(text))
    layout.addWidget(table)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.open()
    return dialog
