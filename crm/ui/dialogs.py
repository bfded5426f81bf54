"""Create, edit and delete dialogs for people, organisations, jobs, interactions, placements;
the edit-conflict dialog; and delete confirmations that say what goes with a record.

Every dialog validates in the service: a ValidationError comes back with the field it
belongs to and is shown under that field; a ConflictError opens :class:`ConflictDialog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import shiboken6

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.domain.dates import parse_date, parse_when
from crm.domain.enums import (
    ClientStatus,
    InteractionKind,
    IR35Determination,
    OrganisationType,
    PlacementStatus,
    Sector,
)
from crm.domain.errors import ConflictError, ValidationError
from crm.services import interactions as interaction_service
from crm.services import organisations as org_service
from crm.services import people as people_service
from crm.services import placements as placement_service
from crm.services.views import (
    EmploymentView,
    InteractionView,
    OrganisationDetail,
    OrganisationSummary,
    PersonSummary,
    PlacementDetail,
)
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import ask, show_error
from crm.ui.kit.formatting import fmt_date, fmt_datetime, label_of
from crm.ui.kit.keys import ENTER, buttons_last, enter_in_form, focus_first_field
from crm.ui.kit.unsaved import GuardedDialog
from crm.ui.kit.widgets import FieldErrors, add_field, line_edit, plain_edit, plain_label

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


def enum_combo(enum: Any, current: str | None = None, *, blank: str | None = None) -> QComboBox:
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, None)
    for member in enum:
        combo.addItem(getattr(member, "label", None) or label_of(member.value), member.value)
    i = combo.findData(current)
    combo.setCurrentIndex(max(i, 0))
    return combo


# -- pickers --------------------------------------------------------------------------------
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


# -- delete confirmations --------------------------------------------------------------------
def _deleted(ctx: AppContext, kind: str, entity_id: int, then: Callable[[], object]) -> None:
    then()  # leave the deleted record's page first, so nothing tries to reload it
    ctx.notify(kind, entity_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def confirm_delete_person(
    ctx: AppContext,
    parent: QWidget | None,
    person_id: int,
    name: str,
    on_deleted: Callable[[], None],
) -> None:
    def got(impact: dict[str, int]) -> None:
        if impact.get("placements"):
            show_error(
                ValidationError(
                    f"{name} is the candidate on {_plural(impact['placements'], 'placement')}; "
                    "delete or reassign those first."
                ),
                parent,
            )
            return
        goes = [
            _plural(impact.get("employments", 0), "job record"),
            "their emails, phone numbers and tags",
        ]
        n = impact.get("interactions", 0)
        details = (
            f"This also deletes {', '.join(goes)}. Of {_plural(n, 'logged interaction')}, those "
            "with only them are deleted; those with other people stay. This cannot be undone."
        )

        def delete() -> None:
            ctx.write(
                people_service.delete_person,
                person_id,
                on_done=lambda _r: _deleted(ctx, "person", person_id, on_deleted),
                on_error=lambda e: show_error(e, parent),
                label="Deleting person",
            )

        ask(
            parent,
            "Delete person",
            f"Delete {name}?",
            "Delete",
            delete,
            destructive=True,
            details=details,
        )

    ctx.read(people_service.deletion_impact, person_id, on_done=got)


def confirm_delete_organisation(
    ctx: AppContext, parent: QWidget | None, org_id: int, name: str, on_deleted: Callable[[], None]
) -> None:
    def got(impact: dict[str, int]) -> None:
        if impact.get("placements"):
            show_error(
                ValidationError(
                    f"{name} has {_plural(impact['placements'], 'placement')}; "
                    "delete or move those first."
                ),
                parent,
            )
            return
        details = (
            f"This also deletes {_plural(impact.get('employments', 0), 'job record')} there. "
            f"{_plural(impact.get('interactions', 0), 'interaction')} stay, without the "
            "organisation. This cannot be undone."
        )

        def delete() -> None:
            ctx.write(
                org_service.delete_organisation,
                org_id,
                on_done=lambda _r: _deleted(ctx, "organisation", org_id, on_deleted),
                on_error=lambda e: show_error(e, parent),
                label="Deleting organisation",
            )

        ask(
            parent,
            "Delete organisation",
            f"Delete {name}?",
            "Delete",
            delete,
            destructive=True,
            details=details,
        )

    ctx.read(org_service.deletion_impact, org_id, on_done=got)


def confirm_delete_placement(
    ctx: AppContext, parent: QWidget | None, detail: PlacementDetail, on_deleted: Callable[[], None]
) -> None:
    details = (
        f"This also deletes its {_plural(len(detail.extensions), 'extension')} and "
        f"{_plural(len(detail.notes), 'note')}. Interactions linked to it stay. "
        "This cannot be undone."
    )

    def delete() -> None:
        ctx.write(
            placement_service.delete_placement,
            detail.id,
            on_done=lambda _r: _deleted(ctx, "placement", detail.id, on_deleted),
            on_error=lambda e: show_error(e, parent),
            label="Deleting placement",
        )

    ask(
        parent,
        "Delete placement",
        f"Delete the placement of {detail.candidate} as {detail.role} at {detail.organisation}?",
        "Delete",
        delete,
        destructive=True,
        details=details,
    )


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


# -- people ---------------------------------------------------------------------------------
class PersonDialog(FormDialog):
    """Add a person (editing happens on the person page)."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, organisation_id: int | None = None
    ) -> None:
        super().__init__(ctx, "New person", parent)
        self.first = self.field("first_name", "&First name", line_edit())
        self.last = self.field("last_name", "&Last name", line_edit())
        self.title = self.field("job_title", "Job &title", line_edit())
        self.org = self.field(
            "organisation", "&Organisation", OrganisationPicker(ctx, organisation_id)
        )
        self.email = self.field("emails", "&Email", line_edit(placeholder="name@example.org"))
        self.phone = self.field("phones", "&Phone", line_edit(placeholder="07700 900123"))
        kinds = QWidget()
        row = QHBoxLayout(kinds)
        row.setContentsMargins(0, 0, 0, 0)
        self.client = QCheckBox("Client contact")
        self.candidate = QCheckBox("Candidate")
        row.addWidget(self.client)
        row.addWidget(self.candidate)
        row.addStretch(1)
        self.field("kinds", "Kind", kinds)
        self.available = self.field(
            "available_from", "&Available from", line_edit(), hint="dd/mm/yyyy, +2w, today"
        )
        self.rate = self.field("day_rate_expectation", "Day &rate", line_edit(placeholder="£850"))
        self.tags = self.field("tags", "Ta&gs", line_edit(placeholder="nhs, finance"))
        self.errors.alias("email", "emails")
        self.errors.alias("phone", "phones")
        self.errors.alias("organisation_id", "organisation")
        self.client.setChecked(True)
        self.new_id: int | None = None

    def collect(self) -> Callable[[Database], Any]:
        data = people_service.PersonInput(
            first_name=self.first.text(),
            last_name=self.last.text(),
            job_title=self.title.text().strip() or None,
            organisation_id=self.org.organisation_id(),
            emails=split_list(self.email.text()),
            phones=split_list(self.phone.text()),
            is_client_contact=self.client.isChecked(),
            is_candidate=self.candidate.isChecked(),
            available_from=date_or_none(self.available.text(), "available_from"),
            day_rate_expectation=self.rate.text().strip().lstrip("£") or None,
            tags=split_list(self.tags.text()),
        )
        return lambda db: people_service.add_person(db, data)

    def notify(self, result: Any) -> None:
        self.new_id = int(result)
        self.ctx.notify("person", self.new_id)
        self.ctx.open("person", self.new_id)


class EmploymentDialog(FormDialog):
    """Add or edit a job: a person at an organisation, with a title and dates."""

    def __init__(
        self,
        ctx: AppContext,
        person_id: int,
        employment: EmploymentView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Edit job" if employment else "Add job", parent)
        self.person_id = person_id
        self.employment = employment
        e = employment
        self.org = self.field(
            "organisation",
            "&Organisation",
            OrganisationPicker(ctx, e.organisation_id if e else None, optional=False),
        )
        self.title = self.field("title", "Job t&itle", line_edit(e.title or "" if e else ""))
        self.start = self.field(
            "start_date", "&From", line_edit(fmt_date(e.start_date) if e else ""), hint="dd/mm/yyyy"
        )
        self.end = self.field(
            "end_date",
            "&To",
            line_edit(fmt_date(e.end_date) if e else ""),
            hint="empty while they still work there",
        )
        self.errors.alias("organisation_id", "organisation")

    def collect(self) -> Callable[[Database], Any]:
        org_id = self.org.organisation_id()
        if org_id is None:
            raise ValidationError("Choose the organisation.", field="organisation")
        title = self.title.text().strip() or None
        start = date_or_none(self.start.text(), "start_date")
        end = date_or_none(self.end.text(), "end_date")
        if self.employment is None:
            pid = self.person_id
            return lambda db: people_service.add_employment(db, pid, org_id, title, start, end)
        e = self.employment
        changes = {
            "organisation_id": org_id,
            "title": title,
            "start_date": start,
            "end_date": end,
        }
        return lambda db: people_service.update_employment(db, e.id, changes, e.version)

    def notify(self, result: Any) -> None:
        self.ctx.notify("employment", self.person_id)
        self.ctx.notify("person", self.person_id)


# -- organisations ------------------------------------------------------------------------------
class OrganisationDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        detail: OrganisationDetail | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Edit organisation" if detail else "New organisation", parent)
        d = detail
        self.detail = detail
        self.name = self.field("name", "&Name", line_edit(d.name if d else ""))
        self.sector = self.field(
            "sector", "&Sector", enum_combo(Sector, d.sector if d else None, blank="—")
        )
        self.org_type = self.field(
            "org_type", "T&ype", enum_combo(OrganisationType, d.org_type if d else "other")
        )
        self.status = self.field(
            "client_status",
            "Client s&tatus",
            enum_combo(ClientStatus, d.client_status if d else "prospect"),
        )
        self.region = self.field("region", "&Region", line_edit(d.region or "" if d else ""))
        self.website = self.field(
            "website", "We&bsite", line_edit(d.website or "" if d else "", "https://")
        )
        self.ods = self.field("ods_code", "NHS &ODS code", line_edit(d.ods_code or "" if d else ""))
        self.gss = self.field(
            "gss_code", "&GSS code", line_edit(d.gss_code or "" if d else "", "E06000001")
        )
        self.owner = self.field("owner", "O&wner", line_edit(d.owner or "" if d else ""))
        self.tags = self.field("tags", "T&ags", line_edit(", ".join(d.tags) if d else ""))
        self.notes = self.field("notes", "Not&es", plain_edit(d.notes or "" if d else "", 70))
        self.new_id: int | None = None

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text(),
            "sector": self.sector.currentData(),
            "org_type": self.org_type.currentData(),
            "client_status": self.status.currentData(),
            "region": self.region.text(),
            "website": self.website.text(),
            "ods_code": self.ods.text(),
            "gss_code": self.gss.text(),
            "owner": self.owner.text(),
            "tags": split_list(self.tags.text()),
            "notes": self.notes.toPlainText(),
        }

    def collect(self) -> Callable[[Database], Any]:
        values = self.values()
        if self.detail is None:
            data = org_service.OrganisationInput(**values)
            return lambda db: org_service.add_organisation(db, data)
        d = self.detail
        current = {
            "name": d.name,
            "sector": d.sector,
            "org_type": d.org_type,
            "client_status": d.client_status,
            "region": d.region or "",
            "website": d.website or "",
            "ods_code": d.ods_code or "",
            "gss_code": d.gss_code or "",
            "owner": d.owner or "",
            "tags": d.tags,
            "notes": d.notes or "",
        }
        changes = {k: v for k, v in values.items() if v != current[k]}
        return lambda db: org_service.update_organisation(db, d.id, changes, d.version)

    def notify(self, result: Any) -> None:
        org_id = self.detail.id if self.detail else int(result)
        self.new_id = org_id
        self.ctx.notify("organisation", org_id)
        if self.detail is None:
            self.ctx.open("organisation", org_id)


# -- interactions -------------------------------------------------------------------------------
class InteractionDialog(FormDialog):
    """Edit (or delete) a logged interaction."""

    def __init__(
        self, ctx: AppContext, interaction: InteractionView, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "Edit interaction", parent)
        i = interaction
        self.interaction = i
        who = ", ".join(name for _id, name in i.people)
        self.form.addRow("With", plain_label(who))
        self.kind = self.field("kind", "&Kind", enum_combo(InteractionKind, i.kind))
        self.direction = self.field(
            "direction",
            "&Direction",
            self._direction_combo(i.direction),
        )
        self.when = self.field(
            "occurred_at", "&When", line_edit(fmt_datetime(i.occurred_at)), hint="dd/mm/yyyy hh:mm"
        )
        self.summary = self.field("summary", "&Summary", line_edit(i.summary))
        self.body = self.field("body", "&Notes", plain_edit(i.body or "", 110))
        self.follow_up = self.field(
            "follow_up_due", "&Follow up", line_edit(fmt_date(i.follow_up_due)), hint="+1w, dd/mm"
        )
        self.done_check = QCheckBox("Follow-up done")
        self.done_check.setChecked(i.follow_up_done)
        self.form.addRow("", self.done_check)
        delete = QPushButton("Delete…")
        delete.setAccessibleName("Delete interaction")
        delete.clicked.connect(self._delete)
        self.extra_buttons.addWidget(delete)

    @staticmethod
    def _direction_combo(current: str | None) -> QComboBox:
        combo = QComboBox()
        for text, value in (("Outgoing", "out"), ("Incoming", "in"), ("—", None)):
            combo.addItem(text, value)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        return combo

    def collect(self) -> Callable[[Database], Any]:
        i = self.interaction
        when_text = self.when.text().strip()
        occurred = i.occurred_at
        if when_text != fmt_datetime(i.occurred_at):
            occurred = parse_when(when_text, field="occurred_at")
        values: dict[str, Any] = {
            "kind": self.kind.currentData(),
            "direction": self.direction.currentData(),
            "occurred_at": occurred,
            "summary": self.summary.text(),
            "body": self.body.toPlainText(),
            "follow_up_due": date_or_none(self.follow_up.text(), "follow_up_due"),
            "follow_up_done": self.done_check.isChecked(),
        }
        current = {
            "kind": i.kind,
            "direction": i.direction,
            "occurred_at": i.occurred_at,
            "summary": i.summary,
            "body": i.body or "",
            "follow_up_due": i.follow_up_due,
            "follow_up_done": i.follow_up_done,
        }
        changes = {k: v for k, v in values.items() if v != current[k]}
        return lambda db: interaction_service.update_interaction(db, i.id, changes, i.version)

    def notify(self, result: Any) -> None:
        self.ctx.notify("interaction", self.interaction.id)

    def _delete(self) -> None:
        i = self.interaction

        def delete() -> None:
            self.ctx.write(
                interaction_service.delete_interaction,
                i.id,
                on_done=lambda _r: _deleted(self.ctx, "interaction", i.id, self.reject),
                on_error=lambda e: show_error(e, self),
                label="Deleting interaction",
            )

        ask(
            self,
            "Delete interaction",
            f"Delete “{i.summary}”?",
            "Delete",
            delete,
            destructive=True,
            details="It goes from the timeline of everyone in it. This cannot be undone.",
        )


# -- placements ------------------------------------------------------------------------------------
class PlacementDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        detail: PlacementDetail | None = None,
        parent: QWidget | None = None,
        *,
        candidate: tuple[int, str] | None = None,
        organisation_id: int | None = None,
    ) -> None:
        super().__init__(ctx, "Edit placement" if detail else "New placement", parent)
        d = detail
        self.detail = d
        if d is None:
            self.candidate = self.field("candidate", "&Candidate", PersonPicker(ctx, candidate))
            self.org = self.field(
                "organisation",
                "&Organisation",
                OrganisationPicker(ctx, organisation_id, optional=False),
            )
        else:
            self.form.addRow("Candidate", plain_label(d.candidate))
            self.form.addRow("Organisation", plain_label(d.organisation))
        contact = (d.client_contact_id, d.client_contact) if d and d.client_contact_id else None
        self.contact = self.field(
            "client_contact_id",
            "Client co&ntact",
            PersonPicker(ctx, contact),  # type: ignore[arg-type]
        )
        self.role = self.field("role", "&Role", line_edit(d.role if d else ""))
        self.status = self.field(
            "status", "&Status", enum_combo(PlacementStatus, d.status if d else "proposed")
        )
        self.rate = self.field(
            "charge_rate",
            "Char&ge rate",
            line_edit(str(d.charge_rate) if d and d.charge_rate else ""),
            hint="a day, billed to the client",
        )
        self.pay_rate = self.field(
            "pay_rate",
            "&Pay rate",
            line_edit(str(d.pay_rate) if d and d.pay_rate else ""),
            hint="a day, paid to the interim",
        )
        self.currency = self.field("currency", "C&urrency", line_edit(d.currency if d else "GBP"))
        self.start = self.field(
            "start_date",
            "S&tart",
            line_edit(fmt_date(d.start_date) if d else ""),
            hint="dd/mm/yyyy",
        )
        self.end = self.field(
            "end_date", "&End", line_edit(fmt_date(d.end_date) if d else ""), hint="dd/mm/yyyy"
        )
        self.ir35 = self.field(
            "ir35", "&IR35", enum_combo(IR35Determination, d.ir35 if d else "undetermined")
        )
        self.errors.alias("candidate_id", "candidate")
        self.errors.alias("organisation_id", "organisation")
        self.errors.alias("dates", "end_date")
        self.new_id: int | None = None

    def collect(self) -> Callable[[Database], Any]:
        contact_id = self.contact.person_id("client_contact_id", required=False)
        values: dict[str, Any] = {
            "role": self.role.text(),
            "status": self.status.currentData(),
            "charge_rate": self.rate.text().strip().lstrip("£") or None,
            "pay_rate": self.pay_rate.text().strip().lstrip("£") or None,
            "currency": self.currency.text(),
            "start_date": date_or_none(self.start.text(), "start_date"),
            "end_date": date_or_none(self.end.text(), "end_date"),
            "ir35": self.ir35.currentData(),
            "client_contact_id": contact_id,
        }
        if self.detail is None:
            candidate_id = self.candidate.person_id("candidate")
            org_id = self.org.organisation_id()
            if org_id is None:
                raise ValidationError("Choose the organisation.", field="organisation")
            assert candidate_id is not None
            data = placement_service.PlacementInput(
                candidate_id=candidate_id, organisation_id=org_id, **values
            )
            return lambda db: placement_service.add_placement(db, data)
        d = self.detail
        current = {
            "role": d.role,
            "status": d.status,
            "charge_rate": str(d.charge_rate) if d.charge_rate is not None else None,
            "pay_rate": str(d.pay_rate) if d.pay_rate is not None else None,
            "currency": d.currency,
            "start_date": d.start_date,
            "end_date": d.end_date,
            "ir35": d.ir35,
            "client_contact_id": d.client_contact_id,
        }
        changes = {k: v for k, v in values.items() if v != current[k]}
        return lambda db: placement_service.update_placement(db, d.id, changes, d.version)

    def notify(self, result: Any) -> None:
        placement_id = self.detail.id if self.detail else int(result)
        self.new_id = placement_id
        self.ctx.notify("placement", placement_id)
        if self.detail is None:
            self.ctx.open("placement", placement_id)


class ExtensionDialog(FormDialog):
    """Extend a placement: new end date, optionally a new rate, and why."""

    def __init__(self, ctx: AppContext, detail: PlacementDetail, parent: QWidget | None = None):
        super().__init__(ctx, "Extend placement", parent)
        self.detail = detail
        self.form.addRow("Currently ends", plain_label(fmt_date(detail.end_date, "not set")))
        self.end = self.field("new_end_date", "New &end date", line_edit(), hint="dd/mm/yyyy, +3m")
        self.rate = self.field(
            "day_rate",
            "New charge &rate",
            line_edit(placeholder=f"{detail.charge_rate or ''} (unchanged if empty)"),
        )
        self.reason = self.field("reason", "Rea&son", line_edit())

    def collect(self) -> Callable[[Database], Any]:
        text = self.end.text().strip()
        # "+3m" counts from the current end, not from today.
        end = parse_date(text, "new_end_date", counted_from=self.detail.end_date) if text else None
        if end is None:
            raise ValidationError("Give the new end date.", field="new_end_date")
        rate = self.rate.text().strip().lstrip("£") or None
        reason = self.reason.text()
        pid = self.detail.id
        return lambda db: placement_service.extend_placement(db, pid, end, rate, reason)

    def notify(self, result: Any) -> None:
        self.ctx.notify("placement", self.detail.id)


def open_dialog(dialog: QDialog) -> QDialog:
    """Show a dialog window-modal without blocking (tests drive it; results come by signal)."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = [
    "ConflictDialog",
    "EmploymentDialog",
    "ExtensionDialog",
    "FormDialog",
    "InteractionDialog",
    "OrganisationDialog",
    "OrganisationPicker",
    "PersonDialog",
    "PersonPicker",
    "PlacementDialog",
    "confirm_delete_organisation",
    "confirm_delete_person",
    "confirm_delete_placement",
    "handle_save_error",
    "open_dialog",
    "show_conflict",
]
