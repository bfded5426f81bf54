"""Keep-in-touch cadences in the app: per person (the person page's More menu) and per tag (the
Today page's "Cadences…" button). The same rules as ``crm today cadence``.

Two small dialogs and the functions that read the current setting, show the dialog and save
the answer off the GUI thread; the pages only add an action that calls them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.services.today.cadence import (
    PersonCadence,
    person_cadence,
    set_person_cadence,
    set_tag_cadence,
    tag_cadences,
)
from crm.services.today.rules import MAX_CADENCE_WEEKS, rules_from_settings
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.widgets import plain_label

DEFAULT, EVERY, NEVER = 0, 1, 2


def _weeks_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, MAX_CADENCE_WEEKS)
    box.setValue(max(1, min(value, MAX_CADENCE_WEEKS)))
    box.setSuffix(" weeks")
    box.setAccessibleName("Weeks between contacts")
    return box


class PersonCadenceDialog(QDialog):
    """Keep in touch with one person: as their tags or kind say, every N weeks, or never."""

    def __init__(self, name: str, current: PersonCadence, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Keep in touch with {name}")
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"Now: {current.describe()}.", "Muted", wrap=True))
        self.choice = QButtonGroup(self)
        self.default = QRadioButton("&Default (their tags' cadence, else their kind's)")
        self.every = QRadioButton("&Every")
        self.never = QRadioButton("&Never (not on the keep-in-touch list)")
        self.weeks = _weeks_box(current.weeks or 4)
        for i, button in ((DEFAULT, self.default), (EVERY, self.every), (NEVER, self.never)):
            self.choice.addButton(button, i)
        row = QHBoxLayout()
        row.addWidget(self.every)
        row.addWidget(self.weeks)
        row.addStretch(1)
        layout.addWidget(self.default)
        layout.addLayout(row)
        layout.addWidget(self.never)
        {None: self.default, 0: self.never}.get(current.own, self.every).setChecked(True)
        self.weeks.setEnabled(self.every.isChecked())
        self.every.toggled.connect(self.weeks.setEnabled)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> int | None:
        """Weeks for ``set_person_cadence``: None for the default, 0 for never."""
        picked = self.choice.checkedId()
        if picked == EVERY:
            return self.weeks.value()
        return 0 if picked == NEVER else None


class TagCadenceDialog(QDialog):
    """Keep in touch with everyone carrying a tag every N weeks (or let the tag set none)."""

    def __init__(self, tags: list[tuple[str, int | None]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep-in-touch cadence by tag")
        self.tags = tags
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Everyone with the tag is kept in touch with this often, unless they have a "
                "cadence of their own; with two such tags, the shorter counts.",
                "Muted",
                wrap=True,
            )
        )
        self.tag = QComboBox()
        self.tag.setAccessibleName("Tag")
        for name, weeks in tags:
            self.tag.addItem(f"{name}  ({f'every {weeks} weeks' if weeks else 'no cadence'})")
        layout.addWidget(self.tag)
        self.choice = QButtonGroup(self)
        self.none = QRadioButton("N&o cadence from this tag")
        self.every = QRadioButton("&Every")
        self.weeks = _weeks_box(6)
        self.choice.addButton(self.none, DEFAULT)
        self.choice.addButton(self.every, EVERY)
        row = QHBoxLayout()
        row.addWidget(self.every)
        row.addWidget(self.weeks)
        row.addStretch(1)
        layout.addWidget(self.none)
        layout.addLayout(row)
        self.every.toggled.connect(self.weeks.setEnabled)
        self.tag.currentIndexChanged.connect(self._show_tag)
        self._show_tag(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _show_tag(self, index: int) -> None:
        weeks = self.tags[index][1] if 0 <= index < len(self.tags) else None
        (self.every if weeks else self.none).setChecked(True)
        self.weeks.setEnabled(bool(weeks))
        if weeks:
            self.weeks.setValue(weeks)

    def chosen(self) -> tuple[str, int | None] | None:
        """(tag, weeks or None) for ``set_tag_cadence``; None when there is no tag."""
        index = self.tag.currentIndex()
        if not 0 <= index < len(self.tags):
            return None
        weeks = self.weeks.value() if self.choice.checkedId() == EVERY else None
        return self.tags[index][0], weeks


def edit_person_cadence(
    ctx: AppContext, person_id: int, name: str, parent: QWidget | None = None
) -> None:
    """Read the person's cadence, ask, save: the Today page and the person page refresh."""

    def ask(current: PersonCadence) -> None:
        dialog = PersonCadenceDialog(name, current, parent)
        dialog.setObjectName("PersonCadenceDialog")

        def save() -> None:
            weeks = dialog.chosen()
            ctx.write(
                set_person_cadence,
                person_id,
                weeks,
                on_done=lambda _r: _saved(ctx, "person", person_id, name, weeks),
                on_error=lambda exc: show_error(exc, parent),
            )

        dialog.accepted.connect(save)
        dialog.open()

    ctx.read(
        person_cadence,
        person_id,
        rules_from_settings(),
        on_done=ask,
        on_error=lambda exc: show_error(exc, parent),
        label="Reading the cadence",
    )


def edit_tag_cadences(ctx: AppContext, parent: QWidget | None = None) -> None:
    """Pick a tag and set its cadence."""

    def ask(tags: list[tuple[str, int | None]]) -> None:
        if not tags:
            ctx.message.emit("There are no tags yet: tag people first (on their page).")
            return
        dialog = TagCadenceDialog(tags, parent)
        dialog.setObjectName("TagCadenceDialog")

        def save() -> None:
            chosen = dialog.chosen()
            if chosen is None:
                return
            tag, weeks = chosen
            ctx.write(
                set_tag_cadence,
                tag,
                weeks,
                on_done=lambda _r: _saved(ctx, "tag", 0, f"tag {tag}", weeks),
                on_error=lambda exc: show_error(exc, parent),
            )

        dialog.accepted.connect(save)
        dialog.open()

    ctx.read(tag_cadences, on_done=ask, on_error=lambda e: show_error(e, parent), label="Tags")


def _saved(ctx: AppContext, kind: str, entity_id: int, who: str, weeks: Any) -> None:
    ctx.notify(kind, entity_id)  # the Today page reloads on any change
    what = "default" if weeks is None else "never" if weeks == 0 else f"every {weeks} weeks"
    ctx.message.emit(f"Keep in touch with {who}: {what}.")
