"""Choosing a record in a form by typing: an organisation by part of its name, a person with
the same search as the People list. Enter on a half-typed name shows the choices.
"""

from __future__ import annotations

import shiboken6

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QLineEdit,
)

from crm.domain.errors import ValidationError
from crm.services import organisations as org_service
from crm.services import people as people_service
from crm.services.views import (
    OrganisationSummary,
    PersonSummary,
)
from crm.ui.kit.context import AppContext
from crm.ui.kit.keys import ENTER


class OrganisationPicker(QComboBox):
    """Choose an organisation by typing part of its name."""

    def __init__(self, ctx: AppContext, current: int | None = None, *, optional: bool = True):
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        self._optional = optional
        completer = self.completer()
        assert completer is not None  # editable combo boxes always have one
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._wanted = current
        self._loaded = False
        self.setPlaceholderText("Type to find an organisation")
        # Every organisation, loaded off the GUI thread: about 0.3 s at 10,000 of them.
        ctx.read(
            org_service.list_organisations, on_done=self._arrived, label="Loading organisations"
        )

    def _arrived(self, orgs: list[OrganisationSummary]) -> None:
        if not shiboken6.isValid(self):  # the dialog closed before the list came
            return
        typed = self.currentText()  # typed while the list loaded: keep it
        self.set_organisations(orgs)
        if typed:
            self.setEditText(typed)

    def set_organisations(self, orgs: list[OrganisationSummary]) -> None:
        self._loaded = True
        self.clear()
        if self._optional:
            self.addItem("", None)
        for o in orgs:
            self.addItem(o.name, o.id)
        i = self.findData(self._wanted) if self._wanted is not None else -1
        self.setCurrentIndex(i if i >= 0 else 0 if self._optional else -1)

    def half_typed(self) -> bool:
        """Text typed that names no organisation yet (Enter shows the choices instead)."""
        text = self.currentText().strip()
        return (
            bool(text) and self._loaded and self.findText(text, Qt.MatchFlag.MatchFixedString) < 0
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ENTER and self.half_typed():
            self.offer_choices()  # never save with half a name: choose first
            return
        super().keyPressEvent(event)

    def offer_choices(self) -> None:
        completer = self.completer()
        if completer is not None:
            completer.setCompletionPrefix(self.currentText().strip())
            completer.complete()

    def organisation_id(self) -> int | None:
        text = self.currentText().strip()
        if not self._loaded:
            if text:
                raise ValidationError(
                    "The organisations are still loading; try again in a moment.",
                    field="organisation",
                )
            return self._wanted
        if not text:
            return None
        i = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if i < 0:
            raise ValidationError(
                f"There is no organisation called {text!r}.", field="organisation"
            )
        value = self.itemData(i)
        return int(value) if value is not None else None


class PersonPicker(QLineEdit):
    """Choose a person by typing their name: the same search as the People list."""

    chosen = Signal(int)

    def __init__(self, ctx: AppContext, current: tuple[int, str] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._labels: dict[str, int] = {}
        self._id: int | None = None
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.activated.connect(self._activated)
        self.setCompleter(completer)
        self.setPlaceholderText("Type a name")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self._search)
        self.textEdited.connect(self._edited)
        if current is not None:
            self._id = current[0]
            self.setText(current[1])

    def _edited(self, _text: str) -> None:
        self._id = None  # typing again means the earlier choice no longer holds
        self._timer.start()

    def _search(self) -> None:
        text = self.text()
        self.ctx.read(people_service.search_people, text, limit=12, on_done=self._offer)

    def _offer(self, people: list[PersonSummary]) -> None:
        self._labels = {
            f"{p.name} — {p.organisation or 'no organisation'} (#{p.id})": p.id for p in people
        }
        self._model.setStringList(list(self._labels))
        if self.hasFocus() and people:
            self.completer().complete()

    def half_typed(self) -> bool:
        """A name being typed but not yet chosen (Enter shows the choices instead)."""
        return self._id is None and bool(self.text().strip())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ENTER and self.half_typed():
            self.offer_choices()  # never save with half a name: choose first
            return
        super().keyPressEvent(event)

    def offer_choices(self) -> None:
        self._timer.stop()
        self._search()

    def _activated(self, label: str) -> None:
        self._id = self._labels.get(label)
        if self._id is not None:
            self.chosen.emit(self._id)

    def person_id(self, field: str = "person", required: bool = True) -> int | None:
        if self._id is not None:
            return self._id
        text = self.text().strip()
        if not text:
            if required:
                raise ValidationError("Choose a person.", field=field)
            return None
        try:
            return people_service.resolve_person(self.ctx.db, text)
        except ValidationError:
            raise
        except Exception as exc:  # not found / ambiguous: say so under the field
            message = getattr(exc, "message", str(exc))
            raise ValidationError(message, field=field) from None

    def set_person(self, person_id: int, label: str) -> None:
        self._id = person_id
        self.setText(label)
