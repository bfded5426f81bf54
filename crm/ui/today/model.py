"""The rows of the Today page's lists: one model and one two-line delegate for every section.

Each section's service rows become :class:`TodayRow` (a name, a short tag on the right, the
reason in words and what the row acts on), so every list keys and paints alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from crm.services.today.rules import (
    Available,
    Ending,
    FollowUp,
    KeepInTouch,
    ToCall,
    TodayReport,
    XSignal,
)
from crm.ui.kit import theme
from crm.ui.kit.formatting import fmt_ago, fmt_money

RowRole = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class TodayRow:
    """One line of a Today list: who, a short tag, why, and what Enter, D and Ctrl+L act on."""

    title: str
    tag: str
    reason: str
    #: "danger", "warning", "accent" or "muted": the tag's colour.
    tone: str = "muted"
    person_id: int | None = None
    organisation_id: int | None = None
    #: The open follow-up this row is about (D marks it done, T/W/S snooze it).
    follow_up_id: int | None = None
    follow_up_summary: str = ""
    #: Shift+Enter on an ending placement: the client contact (or the organisation).
    other_person_id: int | None = None
    placement_id: int | None = None
    #: The timeline entry Enter opens at, (kind, ref id): the newest tweet of an X signal.
    entry: tuple[str, int] | None = None


def call_rows(report: TodayReport) -> list[TodayRow]:
    rows = []
    summaries = {f.interaction_id: f.summary for f in report.follow_ups}
    for rank, c in enumerate(report.who_to_call, start=1):
        rows.append(_call_row(rank, c, summaries))
    return rows


def _call_row(rank: int, c: ToCall, summaries: dict[int, str]) -> TodayRow:
    band = c.score // 100
    tone = {4: "danger", 3: "warning", 2: "accent"}.get(band, "muted")
    more = f"  (+{len(c.reasons) - 1} more)" if len(c.reasons) > 1 else ""
    return TodayRow(
        title=f"{rank}. {c.name}",
        tag=f"score {c.score}",
        reason=c.reasons[0] + more,
        tone=tone,
        person_id=c.person_id,
        follow_up_id=c.follow_up_id,
        follow_up_summary=summaries.get(c.follow_up_id or 0, ""),
    )


def follow_up_rows(rows: list[FollowUp], today: date) -> list[TodayRow]:
    result = []
    for f in rows:
        if f.bucket == "overdue":
            tag, tone = f"{f.days_overdue} day{'s' if f.days_overdue != 1 else ''} late", "danger"
        elif f.bucket == "today":
            tag, tone = "today", "warning"
        else:
            tag, tone = f"{f.due:%a} {f.due.day} {f.due:%b}", "muted"
        where = f" · {f.organisation}" if f.organisation else ""
        result.append(
            TodayRow(
                title=f.name + where,
                tag=tag,
                reason=f.summary,
                tone=tone,
                person_id=f.person_id,
                organisation_id=f.organisation_id,
                follow_up_id=f.interaction_id,
                follow_up_summary=f.summary,
            )
        )
    return result


def ending_rows(rows: list[Ending]) -> list[TodayRow]:
    result = []
    for e in rows:
        tone = "danger" if e.next_lined_up is None and e.days_left <= 28 else "warning"
        if e.next_lined_up is not None:
            tone = "muted"
        extended = f", extended {e.extensions}×" if e.extensions else ""
        lined = f"next: {e.next_lined_up}" if e.next_lined_up else "nothing lined up"
        result.append(
            TodayRow(
                title=f"{e.candidate} · {e.organisation}",
                tag=f"{e.days_left} days",
                reason=f"ends {e.end_date.day} {e.end_date:%b}{extended}, {lined}",
                tone=tone,
                person_id=e.candidate_id,
                organisation_id=e.organisation_id,
                other_person_id=e.client_contact_id,
                placement_id=e.placement_id,
            )
        )
    return result


def available_rows(rows: list[Available], today: date) -> list[TodayRow]:
    result = []
    for a in rows:
        facts = [", ".join(a.sectors)] if a.sectors else []
        if a.specialisms:
            facts.append(a.specialisms)
        if a.day_rate is not None:
            facts.append(fmt_money(a.day_rate))
        facts.append(f"last contact {fmt_ago(a.last_contact)}")
        now = a.free_from <= today
        result.append(
            TodayRow(
                title=a.name,
                tag="now" if now else f"{a.free_from.day} {a.free_from:%b}",
                reason=" · ".join(facts),
                tone="accent" if now else "muted",
                person_id=a.person_id,
            )
        )
    return result


def keep_rows(rows: list[KeepInTouch]) -> list[TodayRow]:
    result = []
    for k in rows:
        kind = "client" if k.is_client_contact else "candidate" if k.is_candidate else ""
        source = "" if k.cadence_source in ("client", "candidate") else f" ({k.cadence_source})"
        weeks_over = k.days_overdue // 7
        result.append(
            TodayRow(
                title=k.name + (f" · {kind}" if kind else ""),
                tag=f"+{weeks_over} wk" if weeks_over else f"+{k.days_overdue} d",
                reason=k.reason + source,
                tone="warning" if weeks_over >= 4 else "muted",
                person_id=k.person_id,
            )
        )
    return result


def x_rows(rows: list[XSignal]) -> list[TodayRow]:
    tags = {"tweets": "tweets", "profile": "profile", "followers": "followers"}
    return [
        TodayRow(
            title=f"{x.name} · @{x.handle}",
            tag=tags.get(x.kind, x.kind),
            reason=x.reason,
            tone="accent" if x.kind == "profile" else "muted",
            person_id=x.person_id,
            organisation_id=x.organisation_id,
            entry=("tweet", x.tweet_id) if x.kind == "tweets" and x.tweet_id else None,
        )
        for x in rows
    ]


class TodayListModel(QAbstractListModel):
    """The rows of one section."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[TodayRow] = []

    def set_rows(self, rows: list[TodayRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole):
            return f"{row.tag}: {row.reason}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.title}, {row.tag}, {row.reason}"
        if role == RowRole:
            return row
        return None


class TodayRowDelegate(QStyledItemDelegate):
    """Two lines a row: the name in bold with a coloured tag on the right, the reason below."""

    PAD = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + self.PAD * 2 + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        row = index.data(RowRole)
        if not isinstance(row, TodayRow):
            return
        c = theme.colours()
        rect: QRect = option.rect
        state = option.state
        painter.save()
        selected = bool(state & QStyle.StateFlag.State_Selected)
        focused = bool(state & QStyle.StateFlag.State_HasFocus) or bool(
            option.widget is not None and option.widget.hasFocus()
        )
        # Only the list with the focus shows its current row: six highlighted rows at once
        # would not say which one the keys act on.
        if selected and focused:
            painter.fillRect(rect, QColor(c.selection))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(c.accent))
        elif index.row() % 2:
            painter.fillRect(rect, QColor(c.alt_base))
        font = QFont(option.font)
        metrics = QFontMetrics(font)
        line = metrics.height()
        left = rect.left() + self.PAD + 4
        top = rect.top() + self.PAD
        width = rect.width() - 2 * self.PAD - 4

        tag_font = QFont(font)
        tag_font.setPointSizeF(max(font.pointSizeF() - 1, 7.5))
        tag_font.setBold(True)
        tag_metrics = QFontMetrics(tag_font)
        tag_width = tag_metrics.horizontalAdvance(row.tag) + 14 if row.tag else 0
        tone = {
            "danger": c.danger,
            "warning": "#b7791f" if not c.dark else "#f0b860",
            "accent": c.accent,
        }.get(row.tone, c.muted)
        if row.tag:
            pill = QRect(
                rect.right() - self.PAD - tag_width, top + 1, tag_width, tag_metrics.height() + 2
            )
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QColor(tone))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(pill.adjusted(0, 0, -1, -1), 8, 8)
            painter.setFont(tag_font)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, row.tag)

        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(c.text))
        title_width = width - tag_width - 8
        title = QFontMetrics(bold).elidedText(row.title, Qt.TextElideMode.ElideRight, title_width)
        painter.drawText(
            QRect(left, top, title_width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            title,
        )
        painter.setFont(font)
        painter.setPen(QColor(c.muted))
        reason = metrics.elidedText(row.reason, Qt.TextElideMode.ElideRight, width)
        painter.drawText(
            QRect(left, top + line + 2, width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            reason,
        )
        painter.setPen(QColor(c.border))
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        painter.restore()
