"""The form dialog every create and edit dialog is made of, and what forms share: parsing
helpers that name the field, the enum combo, the edit-conflict dialog, the usual reaction to
a failed save, and how a dialog opens (window-modal, never blocking).

Every form validates in the service: a ValidationError comes back with the field it
belongs to and is shown under that field; a ConflictError opens :class:`ConflictDialog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.domain.dates import parse_date
from crm.domain.errors import ConflictError, ValidationError
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask, show_error
from crm.ui.kit.formatting import fmt_datetime
from crm.ui.kit.keys import buttons_last, enter_in_form, focus_first_field
from crm.ui.kit.unsaved import GuardedDialog
from crm.ui.kit.widgets import FieldErrors, add_field, plain_label

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)


# -- small parsing helpers (they raise ValidationError naming the field) ---------------------
def date_or_none(text: str, field: str) -> date | None:
    text = text.strip()
    return parse_date(text, field=field) if text else None


def split_list(text: str) -> list[str]:
    """'a, b; c' or one per line -> ['a', 'b', 'c']."""
    for sep in (";", "\n"):
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


# -- the conflict dialog ---------------------------------------------------------------------
class ConflictDialog(QDialog):
    """Someone else saved first: show what they changed, offer to reload; never overwrite."""

    def __init__(
        self, exc: ConflictError, on_reload: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ConflictDialog")
        self.setWindowTitle("Someone else saved first")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        intro = plain_label(exc.message, wrap=True)
        layout.addWidget(intro)
        who = exc.changed_by or "Someone else"
        when = f" at {fmt_datetime(exc.changed_at)}" if exc.changed_at else ""
        layout.addWidget(plain_label(f"{who}{when} changed:", "SectionTitle"))
        changes = {k: v for k, v in exc.changes.items() if k not in ("version",)}
        self.table = QTableWidget(len(changes), 2)
        self.table.setHorizontalHeaderLabels(["Field", "Their value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Their changes")
        for row, (name, value) in enumerate(sorted(changes.items())):
            self.table.setItem(row, 0, QTableWidgetItem(name.replace("_", " ").capitalize()))
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            self.table.setItem(row, 1, QTableWidgetItem(text))
        if not changes:
            self.table.hide()
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height() + 30 * max(len(changes), 1) + 4
        )
        layout.addWidget(self.table)
        layout.addWidget(
            plain_label(
                "Reload to see their version; your edits stay on screen only if you keep them "
                "(copy what you need first).",
                "Muted",
                wrap=True,
            )
        )
        buttons = QDialogButtonBox()
        self.reload_button = buttons.addButton(
            "Reload their version", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep_button = buttons.addButton(
            "Keep my edits on screen", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.reload_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.accepted.connect(on_reload)


def show_conflict(
    exc: ConflictError, on_reload: Callable[[], None], parent: QWidget | None
) -> ConflictDialog:
    dialog = ConflictDialog(exc, on_reload, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def handle_save_error(
    exc: BaseException,
    errors: FieldErrors | None,
    on_reload: Callable[[], None],
    parent: QWidget | None,
) -> None:
    """The usual reaction to a failed save: inline, conflict dialog, or the error box."""
    if isinstance(exc, ValidationError) and errors is not None:
        errors.show(exc)
    elif isinstance(exc, ConflictError):
        show_conflict(exc, on_reload, parent)
    else:
        show_error(exc, parent)


# -- after a delete -------------------------------------------------------------------------
def confirm_delete(
    ctx: AppContext,
    parent: QWidget | None,
    what: str,
    question: str,
    details: str,
    delete: Callable[..., object],
    entity_id: int,
    changed: tuple[str, int],
    then: Callable[[], object] = lambda: None,
) -> None:
    """Ask "Delete {what}" (destructive, with ``details``); on yes run ``delete(db, entity_id)``
    in the write pool, then ``then()`` (leave the deleted record's page first, so nothing tries
    to reload it) and announce ``changed`` (kind, id)."""

    def done(_result: object) -> None:
        then()
        ctx.notify(*changed)

    def go() -> None:
        ctx.write(
            delete,
            entity_id,
            on_done=done,
            on_error=lambda e: show_error(e, parent),
            label=f"Deleting {what}",
        )

    ask(parent, f"Delete {what}", question, "Delete", go, destructive=True, details=details)


# -- the form dialog base ----------------------------------------------------------------------
class FormDialog(GuardedDialog):
    """A form whose Save runs one service call in the write pool and shows errors inline."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        outer = QVBoxLayout(self)
        outer.setSpacing(10)
        general = QLabel()
        outer.addWidget(general)
        self.errors = FieldErrors(general)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setVerticalSpacing(4)
        outer.addLayout(self.form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        # Our own words, without the platform's mnemonics: "&Save" and "&Cancel" would take
        # Alt+S and Alt+C from the fields (Status, Candidate).
        self.save_button.setText("Save")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancel")
        self.save_button.setToolTip("Save (Enter)")
        self.save_button.setObjectName("Primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.extra_buttons = QHBoxLayout()
        bottom = QHBoxLayout()
        bottom.addLayout(self.extra_buttons)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        outer.addLayout(bottom)
        for each in self.buttons.buttons():
            if isinstance(each, QPushButton):
                each.setAutoDefault(False)
        self.save_button.setDefault(True)  # Enter in a field saves

    def field(self, name: str, label: str, widget: W, hint: str = "") -> W:
        add_field(self.form, self.errors, name, label, widget, hint=hint)
        return widget

    # -- keys: fields first, Enter, unsaved edits ----------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.prepared:
            self.prepared = True
            # Subclasses have added every field by now: start watching, put the buttons
            # after the fields in Tab order, and type into the first field straight away.
            self.start_watching()
            items = (self.extra_buttons.itemAt(i) for i in range(self.extra_buttons.count()))
            extra = [w for item in items if item is not None and (w := item.widget()) is not None]
            buttons_last(self, [*extra, *self.buttons.buttons()])
            focus_first_field(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if enter_in_form(self, event):
            return
        super().keyPressEvent(event)

    # Subclasses: turn the form into one call ``fn(db) -> result`` (may raise ValidationError).
    def collect(self) -> Callable[[Database], Any]:
        raise NotImplementedError

    def notify(self, result: Any) -> None:
        """Tell the rest of the window what changed."""

    def reload(self) -> None:
        """After a conflict: the user chose to see their version."""
        self.reject()

    def accept(self) -> None:
        self.errors.clear()
        try:
            work = self.collect()
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self.save_button.setEnabled(False)
        db = self.ctx.db
        self.ctx.runner.run(
            lambda: work(db), self._saved, self._failed, write=True, label=self.windowTitle()
        )

    def _saved(self, result: Any) -> None:
        self.save_button.setEnabled(True)
        self.notify(result)
        self.saved.emit(result)
        super().accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        handle_save_error(exc, self.errors, self.reload, self)


def open_dialog(dialog: QDialog) -> QDialog:
    """Show a dialog window-modal without blocking (tests drive it; results come by signal)."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
