"""The shortlist as a board: one column per stage, a card per candidate; drag a card to another
column, or move by keyboard (arrows between cards, N next stage, R reject or withdraw,
P place, Enter opens the person)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QDropEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crm.domain.enums import PIPELINE_STAGES, ShortlistStage
from crm.services.assignments.views import ShortlistCard
from crm.ui.kit.formatting import fmt_money
from crm.ui.kit.widgets import plain_label

CardRole = Qt.ItemDataRole.UserRole + 1

#: The board's columns: the pipeline, placed, and one "Out" column for the three ways out.
COLUMNS: list[tuple[str, tuple[ShortlistStage, ...]]] = [
    *[(s.short_label, (s,)) for s in PIPELINE_STAGES],
    ("Placed", (ShortlistStage.PLACED,)),
    ("Out", (ShortlistStage.DECLINED, ShortlistStage.REJECTED, ShortlistStage.WITHDRAWN)),
]


def _short(day: date, today: date) -> str:
    """A day as a narrow column can show it: "23 Apr" near today, "Apr 2027" further off."""
    if abs((day - today).days) < 300:
        return f"{day.day} {day:%b}"
    return f"{day:%b %Y}"


def _ago(when: datetime | None, today: date) -> str:
    if when is None:
        return "no contact yet"
    day = when.astimezone().date()
    days = (today - day).days
    if days <= 0:
        return "spoke today"
    if days < 60:
        return f"spoke {days}d ago"
    return f"spoke {_short(day, today)}"


def card_text(card: ShortlistCard, currency: str = "GBP", today: date | None = None) -> str:
    """The card's lines: the name (wrapped, never cut); availability and rate; last contact
    (and why they are out). Short lines, for columns about a hundred pixels wide."""
    day = today or date.today()
    if card.available_from is None:
        available = "free: ?"
    elif card.available_from <= day:
        available = "free now"
    else:
        available = f"free {_short(card.available_from, day)}"
    rate = fmt_money(card.rate, currency, per_day=False) if card.rate is not None else "£?"
    if card.rate_fits is False:
        # Words, not a symbol: a glyph from a fallback font is measured narrower than drawn,
        # and the card's last line was cut.
        rate += " (over)"  # more than the assignment pays
    lines = [card.name, available, rate, _ago(card.last_contact, day)]
    stage = ShortlistStage(card.stage)
    if stage.is_out:
        lines.append(stage.short_label + (f": {card.reason}" if card.reason else ""))
    return "\n".join(lines)


class StageColumn(QListWidget):
    """One column of the board. A card dropped here asks the board to move that candidate."""

    dropped = Signal(int, str)  # shortlist entry id, this column's stage

    def __init__(self, title: str, stages: tuple[ShortlistStage, ...]) -> None:
        super().__init__()
        self.title = title
        self.stages = stages
        self.setObjectName("BoardColumn")
        self.setAccessibleName(f"{title} column")
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # A name too long for the column wraps onto a second line instead of being cut.
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(3)
        self.setMinimumWidth(90)
        # The layout's equal stretch decides the width, not the longest name.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def cards(self) -> list[ShortlistCard]:
        return [self.item(i).data(CardRole) for i in range(self.count())]

    def fit_cards(self) -> None:
        """Give each card the height its wrapped text needs at this column's width. Qt's own
        estimate can be taken at an earlier width, and the card's last line is then cut."""
        # The spacing around each card and the style's text margins come off the width.
        width = max(self.viewport().width() - 2 * self.spacing() - 10, 40)
        metrics = self.fontMetrics()
        for i in range(self.count()):
            item = self.item(i)
            box = metrics.boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, item.text()
            )
            item.setSizeHint(QSize(width, box.height() + 4))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_cards()

    def current_card(self) -> ShortlistCard | None:
        item = self.currentItem()
        card: ShortlistCard | None = item.data(CardRole) if item is not None else None
        return card

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_from(event.source(), event)

    def drop_from(self, source: object, event: QDropEvent) -> None:
        """A card dragged from ``source``: ask to move its candidate to this column."""
        if not isinstance(source, StageColumn) or source is self:
            event.ignore()
            return
        card = source.current_card()
        # The card is not moved here by Qt: the board reloads once the move is saved (or
        # leaves it where it was if the move is refused).
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if card is not None:
            self.dropped.emit(card.id, self.stages[0].value)


class Board(QWidget):
    """The columns side by side, and the keys that move between and with cards."""

    #: entry id, stage: move there (the page asks for a reason when one is needed).
    move_requested = Signal(int, str)
    advance_requested = Signal(int)
    out_requested = Signal(int)
    place_requested = Signal(int)
    open_requested = Signal(int)  # person id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.columns: list[StageColumn] = []
        self.titles: list[QLabel] = []
        for title, stages in COLUMNS:
            box = QVBoxLayout()
            box.setSpacing(2)
            label = plain_label(title, "SectionTitle")
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            column = StageColumn(title, stages)
            column.dropped.connect(self.move_requested)
            column.installEventFilter(self)
            column.itemDoubleClicked.connect(self._open_item)
            box.addWidget(label)
            box.addWidget(column, 1)
            row.addLayout(box, 1)  # every column the same width
            self.columns.append(column)
            self.titles.append(label)
        self.currency = "GBP"

    def set_cards(self, cards: list[ShortlistCard], currency: str = "GBP") -> None:
        """Show ``cards``; the card that had the focus keeps it if it is still there."""
        self.currency = currency
        focused = self.focused_card()
        refocus: tuple[StageColumn, int] | None = None
        for column, label in zip(self.columns, self.titles, strict=True):
            column.clear()
            for card in cards:
                if ShortlistStage(card.stage) in column.stages:
                    item = QListWidgetItem(card_text(card, currency))
                    item.setData(CardRole, card)
                    item.setToolTip(self._tooltip(card))
                    column.addItem(item)
                    if focused is not None and card.id == focused.id:
                        refocus = (column, column.count() - 1)
            column.fit_cards()
            label.setText(f"{column.title} {column.count()}")
        if refocus is not None:
            column, row = refocus
            column.setCurrentRow(row)
            column.setFocus()

    @staticmethod
    def _tooltip(card: ShortlistCard) -> str:
        steps = [
            f"{h.at.astimezone():%d/%m/%Y} {ShortlistStage(h.to_stage).label.lower()}"
            + (f": {h.reason}" if h.reason else "")
            for h in card.history
        ]
        more = " (more than the assignment pays)" if card.rate_fits is False else ""
        return "\n".join([card_text(card).replace(" (over)", more), "", *steps])

    def focused_column(self) -> StageColumn | None:
        return next((c for c in self.columns if c.hasFocus()), None)

    def focused_card(self) -> ShortlistCard | None:
        column = self.focused_column()
        return column.current_card() if column is not None else None

    def column_of(self, entry_id: int) -> StageColumn | None:
        for column in self.columns:
            if any(c.id == entry_id for c in column.cards()):
                return column
        return None

    def focus_card(self, entry_id: int) -> None:
        column = self.column_of(entry_id)
        if column is None:
            return
        row = [c.id for c in column.cards()].index(entry_id)
        column.setCurrentRow(row)
        column.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_first(self) -> None:
        for column in self.columns:
            if column.count():
                column.setCurrentRow(max(column.currentRow(), 0))
                column.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _open_item(self, item: QListWidgetItem) -> None:
        card: ShortlistCard = item.data(CardRole)
        self.open_requested.emit(card.person_id)

    def _step(self, column: StageColumn, direction: int) -> None:
        """Left/Right: the nearest column that way with cards, at about the same row."""
        i = self.columns.index(column)
        row = max(column.currentRow(), 0)
        j = i + direction
        while 0 <= j < len(self.columns):
            target = self.columns[j]
            if target.count():
                target.setCurrentRow(min(row, target.count() - 1))
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                return
            j += direction

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, StageColumn) or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key, mods = event.key(), event.modifiers()
        if mods & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        card = watched.current_card()
        actions: dict[int, Callable[[], None]] = {
            Qt.Key.Key_Left: lambda: self._step(watched, -1),
            Qt.Key.Key_Right: lambda: self._step(watched, 1),
        }
        if card is not None:
            actions.update(
                {
                    Qt.Key.Key_N: lambda: self.advance_requested.emit(card.id),
                    Qt.Key.Key_R: lambda: self.out_requested.emit(card.id),
                    Qt.Key.Key_P: lambda: self.place_requested.emit(card.id),
                    Qt.Key.Key_Return: lambda: self.open_requested.emit(card.person_id),
                    Qt.Key.Key_Enter: lambda: self.open_requested.emit(card.person_id),
                }
            )
        action = actions.get(key)
        if action is None:
            return False
        action()
        return True
