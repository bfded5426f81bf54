"""Small widgets the pages share: badges, page headers, empty states, forms with inline errors,
tables that remember their column layout."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.domain.errors import ValidationError
from crm.ui.kit.formatting import label_of


def plain_label(text: str = "", object_name: str = "", *, wrap: bool = False) -> QLabel:
    """A label that never interprets its text as HTML (data text goes in these)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if object_name:
        label.setObjectName(object_name)
    label.setWordWrap(wrap)
    return label


def link_label(html_text: str = "", on_link: Callable[[str], None] | None = None) -> QLabel:
    """A label with our own links (built with crm.ui.kit.formatting.esc/linkify): never opens
    anything by itself; ``on_link`` decides."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
    label.setText(html_text)
    if on_link is not None:
        label.linkActivated.connect(on_link)
    return label


class Badge(QLabel):
    """A small rounded tag: Client, Candidate, Active..."""

    def __init__(self, text: str, tone: str = "neutral", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setObjectName("Badge")
        self.setProperty("tone", tone)
        self.setAccessibleName(text)


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            # Hide and detach now: deleteLater waits for the event loop, and until then an
            # orphaned child would still paint over the page.
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()
        else:
            inner = item.layout()
            if inner is not None:
                clear_layout(inner)


class PageHeader(QFrame):
    """The top band of a page: a title (with a count or the like beside it) and buttons on
    one line; then a line of badges and facts; then whatever the page adds to ``body``."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PageHeader")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 14)
        outer.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(10)
        self.title = plain_label(title, "PageTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.title)
        self.beside_title = QHBoxLayout()
        top.addLayout(self.beside_title)
        top.addStretch(1)
        self.action_row = QHBoxLayout()
        self.action_row.setSpacing(6)
        top.addLayout(self.action_row)
        outer.addLayout(top)
        self.meta_row = QHBoxLayout()
        self.meta_row.setSpacing(6)
        self.badges = QHBoxLayout()
        self.badges.setSpacing(6)
        self.meta_row.addLayout(self.badges)
        self.meta_extra = QHBoxLayout()
        self.meta_row.addLayout(self.meta_extra, 1)
        outer.addLayout(self.meta_row)
        self.body = QVBoxLayout()
        self.body.setSpacing(4)
        outer.addLayout(self.body)

    def set_badges(self, badges: Iterable[tuple[str, str]]) -> None:
        clear_layout(self.badges)
        for text, tone in badges:
            self.badges.addWidget(Badge(text, tone))


class RecordHeader(PageHeader):
    """The header of an assignment or placement page: the role as title, its status badge,
    a line of links to who it concerns, a line of facts, and the page's buttons."""

    def __init__(
        self,
        on_link: Callable[[str], None],
        buttons: Iterable[QWidget],
        *,
        wrap_facts: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent=parent)
        self.who = link_label("", on_link)
        self.meta_extra.addWidget(self.who)
        self.facts = link_label("", on_link)
        self.facts.setObjectName("PageSubtitle")
        self.facts.setWordWrap(wrap_facts)
        self.body.addWidget(self.facts)
        for button in buttons:
            self.action_row.addWidget(button)

    def show_record(self, title: str, status: tuple[str, str], who: str, facts: list[str]) -> None:
        """Show a record: ``status`` is its badge (text, tone); ``who`` and ``facts`` are
        rich text, already escaped (the facts are joined with a middle dot)."""
        self.title.setText(title)
        self.set_badges([status])
        self.who.setText(who)
        self.facts.setText(" · ".join(facts))


class EmptyState(QWidget):
    """What an empty list says instead of showing nothing."""

    def __init__(self, title: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = plain_label(title, "EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = plain_label(text, "EmptyText", wrap=True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addStretch(1)
        layout.addLayout(self.buttons)
        layout.addStretch(2)

    def set_text(self, title: str, text: str = "") -> None:
        self.title.setText(title)
        self.text.setText(text)


class FieldErrors:
    """Shows a ValidationError next to the field it names, or at the top of the form."""

    def __init__(self, general: QLabel) -> None:
        self._general = general
        self._general.setObjectName("FieldError")
        self._general.setWordWrap(True)
        self._general.setTextFormat(Qt.TextFormat.PlainText)
        self._general.hide()
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def add(self, name: str, widget: QWidget, label: QLabel) -> None:
        label.setObjectName("FieldError")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.hide()
        self._fields[name] = (widget, label)

    def alias(self, name: str, target: str) -> None:
        """A service calls the field ``name`` (e.g. 'email'); our form calls it ``target``."""
        if target in self._fields:
            self._fields[name] = self._fields[target]

    def clear(self) -> None:
        self._general.hide()
        for widget, label in self._fields.values():
            label.hide()
            label.clear()
            _set_invalid(widget, False)

    def show(self, exc: ValidationError) -> QLabel:
        """Show the message; returns the label it went in (tests look there)."""
        self.clear()
        hit = self._fields.get(exc.field or "")
        if hit is None:
            self._general.setText(exc.message)
            self._general.show()
            return self._general
        widget, label = hit
        label.setText(exc.message)
        label.show()
        _set_invalid(widget, True)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return label

    def label_for(self, name: str) -> QLabel | None:
        hit = self._fields.get(name)
        return hit[1] if hit else None

    @property
    def general(self) -> QLabel:
        return self._general


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    value = "true" if invalid else "false"
    if widget.property("invalid") == value:
        return  # re-polishing is what costs (~70 µs a field, on every record shown)
    widget.setProperty("invalid", value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def add_field(
    form: QFormLayout,
    errors: FieldErrors,
    name: str,
    label: str,
    widget: QWidget,
    *,
    hint: str = "",
) -> QWidget:
    """A labelled field with a hidden error label underneath it."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(widget)
    error = QLabel()
    column.addWidget(error)
    if hint:
        # An empty line edit shows the hint inside; one with a value shows it underneath.
        if isinstance(widget, QLineEdit) and not widget.text():
            if not widget.placeholderText():
                widget.setPlaceholderText(hint)
        else:
            column.addWidget(plain_label(hint, "Muted"))
    errors.add(name, widget, error)
    widget.setAccessibleName(label.replace("&", ""))
    # The label's buddy is the field itself, not the box around it: Alt+letter focuses it.
    caption = QLabel(label)
    caption.setBuddy(widget)
    form.addRow(caption, box)
    return box


def line_edit(text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit


def enum_combo(
    enum: Iterable[Any],
    current: str | None = None,
    *,
    blank: str | None = None,
    accessible: str = "",
) -> QComboBox:
    """A combo over a domain enum: each member's label, its value as the item data.

    ``blank`` puts a first item with no value ("—" in a form, "Any status" in a filter);
    ``current`` selects a value (else the first item)."""
    combo = QComboBox()
    if accessible:
        combo.setAccessibleName(accessible)
    if blank is not None:
        combo.addItem(blank, None)
    for member in enum:
        combo.addItem(getattr(member, "label", None) or label_of(member.value), member.value)
    if current is not None:
        combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


def plain_edit(text: str = "", height: int = 80) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlainText(text)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(height)
    return edit


class EnterFilter(QObject):
    """Calls back when Enter/Return is pressed in a view (open the selected record)."""

    activated = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)):
            return False
        plain = not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self.activated.emit()
            return True
        return False


class CtrlEnterFilter(QObject):
    """Ctrl+Enter in a multi-line field submits (plain Enter keeps making new lines)."""

    submitted = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.submitted.emit()
            return True
        return False


def on_ctrl_enter(edit: QWidget, callback: Callable[[], object]) -> CtrlEnterFilter:
    handler = CtrlEnterFilter(edit)
    handler.submitted.connect(callback)
    edit.installEventFilter(handler)
    return handler


def make_table(name: str, accessible: str) -> QTableView:
    """A table view set up the same way everywhere: rows select, no grid, Enter opens."""
    view = QTableView()
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(28)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionsMovable(True)
    return view


def save_header(settings: QSettings | None, key: str, view: QTableView) -> None:
    if settings is not None:
        settings.setValue(f"columns/{key}", view.horizontalHeader().saveState())


def restore_header(settings: QSettings | None, key: str, view: QTableView) -> bool:
    if settings is None:
        return False
    state = settings.value(f"columns/{key}")
    if isinstance(state, QByteArray) and not state.isEmpty():
        return bool(view.horizontalHeader().restoreState(state))
    return False
