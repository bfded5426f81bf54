"""The Today page: who to call and why, and the lists behind it, worked through by keyboard.

Six lists (who to call, follow-ups, ending soon, keep in touch, available, on X), each with
its count and a reason on every row. Keys in any list: Enter opens the person (Shift+Enter
the client contact of an ending placement), D marks the follow-up done, T snoozes it to
tomorrow, W by a week, S to a date; Ctrl+L logs a call with the person and offers to close
the follow-up it answers; M marks the X signals seen; Tab moves to the next list.

The report loads off the GUI thread through the task runner and reloads, a moment after the
last change, whenever anything is logged, edited, merged, imported or synced.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QListView,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from crm import settings as app_settings
from crm.domain.dates import UK, parse_date
from crm.domain.errors import CrmError
from crm.services import interactions as interaction_service
from crm.services.today import report as today_report
from crm.services.today import rules as today_rules
from crm.services.today import writes as today_writes
from crm.services.today import x_signals as today_x
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask, show_error
from crm.ui.kit.widgets import Badge, PageHeader, plain_label
from crm.ui.kit.workers import LatestRequest
from crm.ui.today.cadence import edit_tag_cadences
from crm.ui.today.model import (
    RowRole,
    TodayListModel,
    TodayRow,
    TodayRowDelegate,
    available_rows,
    call_rows,
    ending_rows,
    follow_up_rows,
    keep_rows,
    x_rows,
)

if TYPE_CHECKING:
    from crm.ui.people.quick_log import QuickLogDialog

log = logging.getLogger(__name__)

KEYS_HINT = (
    "Enter open  ·  D done  ·  T tomorrow  ·  W next week  ·  S snooze to…  ·  "
    "Ctrl+L log a call  ·  M mark X seen  ·  Tab next list  ·  F5 refresh"
)


def uk_today() -> date:
    return datetime.now(UK).date()


class SectionPanel(QFrame):
    """One section: its title and count, a list of rows with reasons, and an empty text."""

    def __init__(self, key: str, title: str, empty_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.title_text = title
        self.setObjectName("Card")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 10, 0, 0)
        outer.setSpacing(4)
        top = QHBoxLayout()
        top.setContentsMargins(14, 0, 12, 2)
        top.setSpacing(8)
        self.title = plain_label(title)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 1)
        self.title.setFont(font)
        self.count = Badge("…", "neutral")
        self.count.setAccessibleName(f"{title} count")
        top.addWidget(self.title)
        top.addWidget(self.count)
        self.detail = plain_label("", "Muted")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Narrow windows cut the detail rather than widen the page.
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top.addWidget(self.detail, 1)
        outer.addLayout(top)

        self.model = TodayListModel(self)
        self.view = QListView()
        self.view.setObjectName("TodayList")
        self.view.setAccessibleName(title)
        self.view.setModel(self.model)
        self.view.setItemDelegate(TodayRowDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.empty = plain_label(empty_text, "EmptyText", wrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        outer.addLayout(self.stack, 1)
        self.more = plain_label("", "Muted")
        self.more.setContentsMargins(14, 0, 12, 6)
        self.more.hide()
        outer.addWidget(self.more)

    def set_rows(self, rows: list[TodayRow], total: int, detail: str = "") -> None:
        """Show ``rows`` of ``total``; the selection stays on the same line where it can."""
        current = self.view.currentIndex().row()
        self.model.set_rows(rows)
        self.count.setText(f"{total:,}")
        self.detail.setText(detail)
        self.stack.setCurrentWidget(self.view if rows else self.empty)
        if total > len(rows):
            self.more.setText(f"The first {len(rows):,} of {total:,} (crm today lists them too)")
            self.more.show()
        else:
            self.more.hide()
        if rows:
            self.view.setCurrentIndex(self.model.index(min(max(current, 0), len(rows) - 1), 0))

    def current(self) -> TodayRow | None:
        row = self.view.currentIndex().data(RowRole)
        return row if isinstance(row, TodayRow) else None


class _ListKeys(QObject):
    """The page's keys on every list (Enter, D, T, W, S, M)."""

    def __init__(self, page: TodayPage) -> None:
        super().__init__(page)
        self.page = page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for panel in self.page.panels.values():
                if panel.view is watched:
                    self.page.current_panel = panel
            return False
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        key = event.key()
        page = self.page
        row = page.current_row()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if row is not None:
                page.open_row(row, other=bool(mods & Qt.KeyboardModifier.ShiftModifier))
            return True
        if mods & Qt.KeyboardModifier.ShiftModifier:
            return False
        actions: dict[int, Callable[[], object]] = {
            Qt.Key.Key_D: page.mark_done,
            Qt.Key.Key_T: lambda: page.snooze_days(1),
            Qt.Key.Key_W: lambda: page.snooze_days(7),
            Qt.Key.Key_S: page.snooze_to,
            Qt.Key.Key_M: page.mark_x_seen,
        }
        action = actions.get(key)
        if action is None:
            return False
        action()
        return True


class TodayPage(QWidget):
    """The Today page. ``today`` is a function so tests and screenshots fix the day."""

    #: The report on screen was replaced (tests and the tray wait on it).
    loaded = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        settings: QSettings | None = None,
        today: Callable[[], date] = uk_today,
    ) -> None:
        super().__init__()
        self.setObjectName("TodayPage")
        self.ctx = ctx
        self.settings = settings
        self.today = today
        self.report: today_rules.TodayReport | None = None
        self.log_dialog: QuickLogDialog | None = None
        self._stale = True
        self._loads = LatestRequest()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        self.header = PageHeader("Today")
        self.summary = plain_label("", "PageSubtitle", wrap=True)
        self.header.meta_extra.addWidget(self.summary)
        self.reminders_box = QCheckBox("Reminders")
        self.reminders_box.setToolTip(
            "A tray icon with the follow-ups due, and a notification when one falls due"
        )
        self.reminders_box.setChecked(bool(app_settings.get("today_reminders")))
        self.reminders_box.toggled.connect(self._reminders_toggled)
        self.reminders_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.header.action_row.addWidget(self.reminders_box)
        self.seen_button = QPushButton("Mark X seen")
        self.seen_button.setToolTip("List only newer X activity from now on (M)")
        self.seen_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.seen_button.clicked.connect(self.mark_x_seen)
        self.header.action_row.addWidget(self.seen_button)
        self.cadence_button = QPushButton("Cadences…")
        self.cadence_button.setToolTip("Keep in touch with everyone carrying a tag every N weeks")
        self.cadence_button.setAccessibleName("Keep-in-touch cadence by tag")
        self.cadence_button.clicked.connect(lambda: edit_tag_cadences(self.ctx, self))
        self.header.action_row.addWidget(self.cadence_button)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Reload the lists (F5)")
        self.refresh_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.refresh_button.clicked.connect(self.reload)
        self.header.action_row.addWidget(self.refresh_button)
        self.hint = plain_label(KEYS_HINT, "Muted", wrap=True)
        self.header.body.addWidget(self.hint)
        layout.addWidget(self.header)

        body = QWidget()
        body.setObjectName("TodayBody")
        grid = QGridLayout(body)
        grid.setContentsMargins(16, 14, 16, 16)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(12)
        specs = (
            ("call", "Who to call", "Nobody needs a call today.", 0, 0),
            ("follow_ups", "Follow-ups", "No follow-ups due this week.", 0, 1),
            ("ending", "Ending soon", "No placements end in the next weeks.", 0, 2),
            ("keep", "Keep in touch", "Everyone is within their cadence.", 1, 0),
            ("available", "Available candidates", "No candidate is free soon.", 1, 1),
            ("x", "On X", "Nothing new on X since you last looked.", 1, 2),
        )
        self.panels: dict[str, SectionPanel] = {}
        self._keys = _ListKeys(self)
        for key, title, empty, r, col in specs:
            panel = SectionPanel(key, title, empty)
            panel.view.installEventFilter(self._keys)
            panel.view.doubleClicked.connect(
                lambda index: self.open_row(index.data(RowRole)) if index.isValid() else None
            )
            grid.addWidget(panel, r, col)
            self.panels[key] = panel
        for col in range(3):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        layout.addWidget(body, 1)
        self.current_panel = self.panels["call"]
        for a, b in itertools.pairwise(specs):
            self.setTabOrder(self.panels[a[0]].view, self.panels[b[0]].view)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        ctx.changed.connect(self._changed)
        ctx.database_changed.connect(self._database_changed)

    # -- loading ---------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if self._stale:
            self.reload()

    def reload(self) -> None:
        """Ask for a fresh report in the background; the newest answer wins."""
        self._stale = False
        day = self.today()
        self.ctx.read(
            today_report.today_report,
            day,
            today_rules.rules_from_settings(),
            on_done=self._loads.start().guard(self._loaded),
            label="Loading Today",
        )

    def refresh(self) -> None:
        self.reload()

    def _loaded(self, report: today_rules.TodayReport) -> None:
        self.report = report
        counts = report.follow_up_counts
        today = report.today
        self.header.title.setText(f"Today, {today:%A} {today.day} {today:%B}")
        self.summary.setText(
            f"{len(report.who_to_call)} to call  ·  {counts.overdue} follow-ups overdue, "
            f"{counts.today} due today  ·  {report.ending_total} placements ending within "
            f"{report.rules.ending_weeks} weeks"
        )
        p = self.panels
        p["call"].set_rows(call_rows(report), len(report.who_to_call), "ranked")
        p["follow_ups"].set_rows(
            follow_up_rows(report.follow_ups, today),
            counts.overdue + counts.today + counts.upcoming,
            f"{counts.overdue} late · {counts.today} today · {counts.upcoming} soon",
        )
        p["ending"].set_rows(
            ending_rows(report.ending),
            report.ending_total,
            f"within {report.rules.ending_weeks} weeks",
        )
        p["keep"].set_rows(
            keep_rows(report.keep_in_touch), report.keep_in_touch_total, "most overdue first"
        )
        p["available"].set_rows(
            available_rows(report.available, today),
            report.available_total,
            f"within {report.rules.available_weeks} weeks",
        )
        since = report.x_since.astimezone(UK)
        p["x"].set_rows(
            x_rows(report.x_signals), len(report.x_signals), f"since {since:%a} {since:%H:%M}"
        )
        self.loaded.emit(report)

    def _changed(self, _kind: str, _entity_id: int) -> None:
        if self.isVisible():
            self._debounce.start()
        else:
            self._stale = True

    def _database_changed(self) -> None:
        self.report = None
        self._stale = True
        if self.isVisible():
            self.reload()

    def focus_first_list(self) -> None:
        self.current_panel.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- the current row -------------------------------------------------------------------
    def current_row(self) -> TodayRow | None:
        return self.current_panel.current()

    def select(self, key: str, row: int = 0) -> None:
        """Put the focus on a list and a row (tests and the keyboard use this)."""
        panel = self.panels[key]
        self.current_panel = panel
        panel.view.setFocus(Qt.FocusReason.OtherFocusReason)
        if panel.model.rowCount():
            panel.view.setCurrentIndex(panel.model.index(row, 0))

    # -- actions ---------------------------------------------------------------------------
    def open_row(self, row: TodayRow | None, other: bool = False) -> None:
        if row is None:
            return
        if not other and row.entry is not None:
            # An X signal: the person's (or organisation's) timeline at that tweet.
            if row.person_id is not None:
                self.ctx.open_entry("person", row.person_id, *row.entry)
                return
            if row.organisation_id is not None:
                self.ctx.open_entry("organisation", row.organisation_id, *row.entry)
                return
        if other and row.other_person_id is not None:
            self.ctx.open("person", row.other_person_id)
        elif other and row.organisation_id is not None:
            self.ctx.open("organisation", row.organisation_id)
        elif row.person_id is not None:
            self.ctx.open("person", row.person_id)
        elif row.organisation_id is not None:
            self.ctx.open("organisation", row.organisation_id)

    def _follow_up(self, row: TodayRow | None) -> int | None:
        if row is None or row.follow_up_id is None:
            self.ctx.message.emit("That row has no follow-up due.")
            return None
        return row.follow_up_id

    def mark_done(self, row: TodayRow | None = None) -> None:
        follow_up = self._follow_up(row or self.current_row())
        if follow_up is None:
            return
        self.ctx.write(
            interaction_service.mark_follow_up_done,
            [follow_up],
            on_done=lambda _r: self._written("interaction", follow_up, "Follow-up done"),
            label="Marking follow-up done",
        )

    def snooze_days(self, days: int) -> None:
        row = self.current_row()
        if self._follow_up(row) is None:
            return
        self._snooze(row, self.today() + timedelta(days=days))

    def snooze_to(self) -> QInputDialog | None:
        """Ask for a day (+3d, 19/12/2026...) and snooze the follow-up to it."""
        row = self.current_row()
        if self._follow_up(row) is None:
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Snooze follow-up")
        dialog.setLabelText("Snooze to (+3d, +2w, 19/12/2026):")
        dialog.setTextValue("+3d")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(text: str) -> None:
            try:
                until = parse_date(text, "follow_up_due", today=self.today())
            except CrmError as exc:
                show_error(exc, self)
                return
            self._snooze(row, until)

        dialog.textValueSelected.connect(chosen)
        dialog.open()
        return dialog

    def _snooze(self, row: TodayRow | None, until: date) -> None:
        follow_up = self._follow_up(row)
        if follow_up is None:
            return
        self.ctx.write(
            today_writes.snooze_follow_up,
            follow_up,
            until,
            self.today(),
            on_done=lambda _r: self._written(
                "interaction", follow_up, f"Snoozed to {until:%a} {until.day} {until:%b}"
            ),
            label="Snoozing follow-up",
        )

    def _written(self, kind: str, entity_id: int, message: str) -> None:
        self.ctx.message.emit(message)
        self.ctx.notify(kind, entity_id)

    def mark_x_seen(self) -> None:
        self.ctx.write(
            today_x.mark_x_seen,
            datetime.now(UTC),
            on_done=lambda _r: self._written("x_account", 0, "X marked seen"),
            label="Marking X seen",
        )

    def log_call(self) -> bool:
        """Ctrl+L on a row: log a call with its person; False when no row names a person."""
        row = self.current_row()
        if row is None or row.person_id is None:
            return False
        from crm.services import people as people_service

        self.ctx.read(
            people_service.get_person,
            row.person_id,
            on_done=lambda detail: self._open_log(row, detail),
            label="Opening quick log",
        )
        return True

    def _open_log(self, row: TodayRow, detail: Any) -> None:
        from crm.ui.people.quick_log import open_quick_log

        dialog = open_quick_log(self.ctx, detail, self.window())
        self.log_dialog = dialog
        if row.follow_up_id is not None:
            follow_up = row.follow_up_id
            dialog.logged.connect(lambda _new: self._offer_close(row, follow_up))

    def _offer_close(self, row: TodayRow, follow_up: int) -> None:
        what = f" “{row.follow_up_summary}”" if row.follow_up_summary else ""
        ask(
            self,
            "Close the follow-up?",
            f"This call answers the follow-up{what}. Mark it done?",
            "Mark done",
            lambda: self.mark_done(
                TodayRow(title=row.title, tag="", reason="", follow_up_id=follow_up)
            ),
        )

    def _reminders_toggled(self, on: bool) -> None:
        app_settings.set("today_reminders", on)
        reminders = getattr(self.window(), "reminders", None)
        if reminders is not None:
            reminders.set_enabled(on)

    def save_state(self) -> None:
        """Nothing to keep between runs (the main window asks every page)."""

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.ensure_loaded()
