"""Reminders: a tray icon with the number of follow-ups due, and a desktop notification at
start-up and whenever a follow-up falls due while the app is open (setting ``today_reminders``).

Where the platform has no system tray (some Linux desktops, offscreen tests) the same words
go to the status bar instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from crm import settings as app_settings
from crm.services.today.report import due_count
from crm.ui.kit import theme
from crm.ui.kit.context import AppContext
from crm.ui.today.page import uk_today

log = logging.getLogger(__name__)


def count_icon(count: int) -> QIcon:
    """A rounded square in the accent colour with the count in it."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = theme.colours()
    painter.setBrush(QColor(c.danger if count else c.accent))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRect(2, 2, 60, 60), 14, 14)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(34 if count < 100 else 24)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(
        QRect(0, 0, 64, 64), Qt.AlignmentFlag.AlignCenter, str(count) if count else "✓"
    )
    painter.end()
    return QIcon(pixmap)


class Reminders(QObject):
    """Counts the follow-ups due every minute (off the GUI thread) and after every change."""

    #: The number of follow-ups overdue or due today changed.
    due_changed = Signal(int)
    #: The tray icon or its menu asked for the Today page.
    open_today = Signal()

    def __init__(
        self,
        ctx: AppContext,
        parent: QObject | None = None,
        *,
        today: Callable[[], date] = uk_today,
        interval_ms: int = 60_000,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.count: int | None = None
        self.last_notice: tuple[str, str] | None = None
        self.tray: QSystemTrayIcon | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(500)
        self._soon.timeout.connect(self.check)
        ctx.changed.connect(lambda _k, _i: self._soon.start() if self.timer.isActive() else None)
        ctx.database_changed.connect(self._database_changed)

    @property
    def enabled(self) -> bool:
        return bool(app_settings.get("today_reminders"))

    def start(self) -> None:
        """Begin reminding if the setting allows; the first count notifies."""
        if not self.enabled:
            return
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(count_icon(0), self)
            menu = QMenu()
            menu.addAction("Open Today", self.open_today.emit)
            self.tray.setContextMenu(menu)
            self._menu = menu
            self.tray.activated.connect(lambda _reason: self.open_today.emit())
            self.tray.messageClicked.connect(self.open_today.emit)
            self.tray.show()
        self.count = None
        self.timer.start()
        self.check()

    def stop(self) -> None:
        self.timer.stop()
        self._soon.stop()
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None

    def set_enabled(self, on: bool) -> None:
        app_settings.set("today_reminders", on)
        if on:
            self.start()
        else:
            self.stop()

    def _database_changed(self) -> None:
        if self.timer.isActive():
            self.count = None
            self.check()

    def check(self) -> None:
        self.ctx.read(
            due_count,
            self.today(),
            on_done=self._counted,
            label="Counting follow-ups",
        )

    def _counted(self, count: int) -> None:
        if not self.timer.isActive():
            return
        was = self.count
        self.count = count
        if self.tray is not None:
            self.tray.setIcon(count_icon(count))
            self.tray.setToolTip(
                f"Interim CRM: {count} follow-up{'s' if count != 1 else ''} due"
                if count
                else "Interim CRM: no follow-ups due"
            )
        if was != count:
            self.due_changed.emit(count)
        if count and (was is None or count > was):
            if was is None:
                text = f"{count} follow-up{'s are' if count != 1 else ' is'} due today or overdue."
            else:
                new = count - was
                text = f"{new} more follow-up{'s' if new != 1 else ''} fell due ({count} in all)."
            self.notify("Follow-ups due", text)

    def notify(self, title: str, text: str) -> None:
        self.last_notice = (title, text)
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, text, count_icon(self.count or 0), 10_000)
        else:
            self.ctx.message.emit(f"{title}: {text}")
