"""The person, job and interaction forms, and the delete confirmation for a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QWidget,
)

from crm.domain.dates import parse_when
from crm.domain.enums import (
    InteractionKind,
)
from crm.domain.errors import ValidationError
from crm.services import interactions as interaction_service
from crm.services import people as people_service
from crm.services.views import (
    EmploymentView,
    InteractionView,
)
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import fmt_date, fmt_datetime, plural
from crm.ui.kit.forms import (
    FormDialog,
    confirm_delete,
    date_or_none,
    split_list,
)
from crm.ui.kit.pickers import OrganisationPicker
from crm.ui.kit.widgets import enum_combo, line_edit, plain_edit, plain_label


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
                    f"{name} is the candidate on {plural(impact['placements'], 'placement')}; "
                    "delete or reassign those first."
                ),
                parent,
            )
            return
        goes = [
            plural(impact.get("employments", 0), "job record"),
            "their emails, phone numbers and tags",
        ]
        n = impact.get("interactions", 0)
        details = (
            f"This also deletes {', '.join(goes)}. Of {plural(n, 'logged interaction')}, those "
            "with only them are deleted; those with other people stay. This cannot be undone."
        )
        confirm_delete(
            ctx,
            parent,
            "person",
            f"Delete {name}?",
            details,
            people_service.delete_person,
            person_id,
            ("person", person_id),
            on_deleted,
        )

    ctx.read(people_service.deletion_impact, person_id, on_done=got)


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
        confirm_delete(
            self.ctx,
            self,
            "interaction",
            f"Delete “{i.summary}”?",
            "It goes from the timeline of everyone in it. This cannot be undone.",
            interaction_service.delete_interaction,
            i.id,
            ("interaction", i.id),
            self.reject,
        )
