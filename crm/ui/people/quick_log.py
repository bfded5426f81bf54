"""Quick log (Ctrl+L): record a call, meeting or note in a few keystrokes.

The kind starts at Call and changes with one chord (Ctrl+1 to Ctrl+9); the time is now
unless typed; Enter saves. Logging an outbound contact with someone marked do-not-contact
asks first.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.domain.dates import parse_when
from crm.domain.enums import Direction, InteractionKind
from crm.domain.errors import ValidationError
from crm.services import interactions as interaction_service
from crm.services import people as people_service
from crm.services.views import PersonDetail
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask
from crm.ui.kit.forms import date_or_none, handle_save_error
from crm.ui.kit.keys import buttons_last, enter_in_form
from crm.ui.kit.pickers import PersonPicker
from crm.ui.kit.unsaved import GuardedDialog
from crm.ui.kit.widgets import (
    FieldErrors,
    add_field,
    line_edit,
    on_ctrl_enter,
    plain_edit,
    plain_label,
)

log = logging.getLogger(__name__)

KINDS: tuple[InteractionKind, ...] = tuple(InteractionKind)  # nine: Ctrl+1 .. Ctrl+9


class QuickLogDialog(GuardedDialog):
    """Log an interaction with one person; ``logged`` carries the new interaction's id."""

    logged = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        person: PersonDetail | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person = person
        self.setObjectName("QuickLog")
        self.setWindowTitle("Log an interaction")
        self.setMinimumWidth(780)
        outer = QVBoxLayout(self)
        outer.setSpacing(10)

        general = QLabel()
        self.errors = FieldErrors(general)
        if person is not None:
            who = plain_label(f"With {person.name}", "SectionTitle")
            outer.addWidget(who)
            if person.do_not_contact:
                warning = plain_label(
                    f"⊘ {person.name} asked not to be contacted.", "FieldError", wrap=True
                )
                outer.addWidget(warning)
        outer.addWidget(general)

        kinds = QHBoxLayout()
        kinds.setSpacing(4)
        self.kind_group = QButtonGroup(self)
        self.kind_group.setExclusive(True)
        for i, kind in enumerate(KINDS):
            button = QToolButton()
            button.setObjectName("KindButton")
            button.setText(kind.label)
            button.setCheckable(True)
            button.setToolTip(f"{kind.label} (Ctrl+{i + 1})")
            button.setAccessibleName(f"Kind: {kind.label}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.kind_group.addButton(button, i)
            kinds.addWidget(button)
            shortcut = QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self)
            shortcut.activated.connect(lambda i=i: self.set_kind(KINDS[i]))
        kinds.addStretch(1)
        outer.addLayout(kinds)
        outer.addWidget(
            plain_label("Ctrl+1 to Ctrl+9 change the kind; Ctrl+D flips in/out.", "Muted")
        )

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(4)
        self.picker: PersonPicker | None = None
        if person is None:
            self.picker = PersonPicker(ctx)
            add_field(form, self.errors, "people", "&Person", self.picker)
        direction = QWidget()
        row = QHBoxLayout(direction)
        row.setContentsMargins(0, 0, 0, 0)
        self.direction_group = QButtonGroup(self)
        for i, (text, tip) in enumerate(
            (("Outgoing", "You contacted them"), ("Incoming", "They contacted you"))
        ):
            button = QToolButton()
            button.setObjectName("KindButton")
            button.setText(text)
            button.setToolTip(f"{tip} (Ctrl+D flips)")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.direction_group.addButton(button, i)
            row.addWidget(button)
        row.addStretch(1)
        self.direction_group.button(0).setChecked(True)
        QShortcut(QKeySequence("Ctrl+D"), self).activated.connect(self.flip_direction)
        add_field(form, self.errors, "direction", "Direction", direction)
        self.summary = line_edit(placeholder="What was it about?")
        add_field(form, self.errors, "summary", "&Summary", self.summary)
        self.when = line_edit("now")
        add_field(
            form,
            self.errors,
            "occurred_at",
            "&When",
            self.when,
            hint="now, yesterday 14:00, 26/11/2026 09:30",
        )
        self.notes = plain_edit("", 90)
        self.notes.setMaximumHeight(130)
        self.notes.setPlaceholderText("Notes (optional)")
        add_field(form, self.errors, "body", "&Notes", self.notes)
        self.follow_up = line_edit()
        add_field(
            form,
            self.errors,
            "follow_up_due",
            "&Follow up",
            self.follow_up,
            hint="+1w, +3d, 26/11/2026",
        )
        outer.addLayout(form)
        self.errors.alias("do_not_contact", "summary")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancel")
        self.save_button = self.buttons.addButton("Log it", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("Primary")
        self.save_button.setToolTip("Save (Enter, or Ctrl+Enter from the notes)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        # Enter saves: only once the buttons belong to the dialog does "default" stick.
        for each in self.buttons.buttons():
            if isinstance(each, QPushButton):
                each.setAutoDefault(False)
        self.save_button.setDefault(True)
        self._submit = on_ctrl_enter(self.notes, self.accept)

        self.set_kind(InteractionKind.CALL)
        (self.picker or self.summary).setFocus()
        self.new_id: int | None = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()  # its shortcuts (Ctrl+1..9) must work straight away
        if not self.prepared:
            self.prepared = True
            self.start_watching()
            buttons_last(self, self.buttons.buttons())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if enter_in_form(self, event):
            return
        super().keyPressEvent(event)

    # -- kind and direction --------------------------------------------------------------------
    def set_kind(self, kind: InteractionKind) -> None:
        button = self.kind_group.button(KINDS.index(kind))
        if button is not None:
            button.setChecked(True)

    def kind(self) -> InteractionKind:
        return KINDS[max(self.kind_group.checkedId(), 0)]

    def direction(self) -> str:
        return (
            Direction.OUTBOUND.value
            if self.direction_group.checkedId() == 0
            else Direction.INBOUND.value
        )

    def flip_direction(self) -> None:
        other = 1 if self.direction_group.checkedId() == 0 else 0
        self.direction_group.button(other).setChecked(True)

    # -- saving -------------------------------------------------------------------------------
    def _input(self, allow_dnc: bool) -> interaction_service.InteractionInput:
        if self.person is not None:
            person_id = self.person.id
        else:
            assert self.picker is not None
            chosen = self.picker.person_id("people")
            assert chosen is not None
            person_id = chosen
        kind = self.kind()
        return interaction_service.InteractionInput(
            person_ids=[person_id],
            summary=self.summary.text(),
            kind=kind.value,
            direction=self.direction(),
            occurred_at=parse_when(self.when.text(), field="occurred_at"),
            body=self.notes.toPlainText().strip() or None,
            follow_up_due=date_or_none(self.follow_up.text(), "follow_up_due"),
            allow_do_not_contact=allow_dnc,
        )

    def _needs_confirmation(self, person_id: int) -> str | None:
        """The name of a do-not-contact person an outbound contact would reach, if any."""
        if self.kind() == InteractionKind.NOTE or self.direction() != Direction.OUTBOUND.value:
            return None
        if self.person is not None:
            return self.person.name if self.person.do_not_contact else None
        summary = people_service.person_summaries(self.ctx.db, [person_id])
        return summary[0].name if summary and summary[0].do_not_contact else None

    def accept(self) -> None:
        self.errors.clear()
        try:
            data = self._input(False)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        if not data.summary.strip():
            self.errors.show(
                ValidationError("Say in a few words what it was about.", field="summary")
            )
            return
        blocked = self._needs_confirmation(data.person_ids[0])
        if blocked:
            ask(
                self,
                "Do not contact",
                f"{blocked} asked not to be contacted. Log this {self.kind().label.lower()} anyway?",
                "Log it anyway",
                lambda: self._save(self._input(True)),
                destructive=True,
            )
            return
        self._save(data)

    def _save(self, data: interaction_service.InteractionInput) -> None:
        self.save_button.setEnabled(False)
        self.ctx.write(
            interaction_service.log_interaction,
            data,
            on_done=lambda new_id: self._saved(int(new_id), data.person_ids[0]),
            on_error=self._failed,
            label="Logging interaction",
        )

    def _saved(self, new_id: int, person_id: int) -> None:
        self.new_id = new_id
        self.save_button.setEnabled(True)
        self.ctx.notify("interaction", new_id)
        self.ctx.message.emit(f"Logged: {self.summary.text().strip()}")
        self.logged.emit(new_id)
        super().accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        handle_save_error(exc, self.errors, lambda: None, self)


def open_quick_log(
    ctx: AppContext, person: PersonDetail | None, parent: QWidget | None
) -> QuickLogDialog:
    dialog = QuickLogDialog(ctx, person, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
