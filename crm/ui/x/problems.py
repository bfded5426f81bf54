"""X sync problems that stay on screen until read: a banner under the top bar with each
account's reason, dismissed by the user, never a status line that fades after 5 seconds."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from crm.domain.social import SyncReport
from crm.ui.kit.widgets import plain_label

SHOWN = 3  # reasons listed by name; the rest are counted


def problems_text(report: SyncReport) -> str:
    """'X sync: 2 of 3 accounts not synced. @a: reason; @b: reason.' ('' when all went well)."""
    problems = report.problems
    if not problems and not report.error:
        return ""
    n = len(report.accounts)
    failed = len(problems) if problems else n
    parts = [f"X sync: {failed} of {n} account{'s' if n != 1 else ''} not synced."]
    if report.error:
        parts.append(f"Stopped: {report.error}")
    reasons = [f"{a.label}: {a.message}" for a in problems[:SHOWN]]
    if reasons:
        more = len(problems) - SHOWN
        parts.append("; ".join(reasons) + (f"; and {more} more." if more > 0 else "."))
    return " ".join(parts)


class XProblemsBanner(QFrame):
    """Shown when an X sync went wrong; stays until Dismiss."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 6, 12, 6)
        self.label = plain_label("", wrap=True)
        self.label.setAccessibleName("X sync problems")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 1)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAccessibleName("Dismiss the X sync problems")
        self.dismiss_button.setAutoDefault(True)
        self.dismiss_button.clicked.connect(self.hide)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_report(self, report: SyncReport) -> None:
        text = problems_text(report)
        if text:
            self.show_text(text)

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()
