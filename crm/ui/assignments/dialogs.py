"""The assignment's forms: open or edit one, close it, say why a candidate moves, place one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from crm.domain.enums import (
    AssignmentStatus,
    IR35Determination,
    Sector,
    ShortlistStage,
    WorkingPattern,
)
from crm.domain.errors import ValidationError
from crm.services.assignments import records, shortlist, views
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import fmt_date
from crm.ui.kit.forms import FormDialog, date_or_none
from crm.ui.kit.pickers import OrganisationPicker, PersonPicker
from crm.ui.kit.widgets import enum_combo, line_edit, plain_label


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class AssignmentDialog(FormDialog):
    """Open an assignment for a client, or edit one."""

    def __init__(
        self,
        ctx: AppContext,
        detail: views.AssignmentDetail | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Edit assignment" if detail else "New assignment", parent)
        d = detail
        self.detail = d
        self.org = self.field(
            "organisation_id",
            "C&lient",
            OrganisationPicker(ctx, d.organisation_id if d else None, optional=False),
        )
        contact = (d.contact_id, d.contact or "") if d and d.contact_id else None
        self.contact = self.field(
            "contact_id",
            "Hiring co&ntact",
            PersonPicker(ctx, contact),
        )
        self.role = self.field("role", "&Role", line_edit(d.role if d else ""))
        self.sector = self.field(
            "sector", "Sec&tor", enum_combo(Sector, d.sector if d else None, blank="The client's")
        )
        self.location = self.field("location", "L&ocation", line_edit(_text(d and d.location)))
        self.pattern = self.field(
            "working_pattern",
            "&Working",
            enum_combo(WorkingPattern, d.working_pattern if d else None, blank="—"),
        )
        self.days = self.field(
            "days_per_week", "&Days a week", line_edit(_text(d and d.days_per_week))
        )
        start = "ASAP" if d and d.start_asap else fmt_date(d.start_date) if d else ""
        self.start = self.field("start_date", "&Start", line_edit(start), hint="dd/mm/yyyy or ASAP")
        self.weeks = self.field(
            "duration_weeks", "D&uration", line_edit(_text(d and d.duration_weeks)), hint="weeks"
        )
        self.rate_min = self.field(
            "charge_rate_min",
            "Charge &from",
            line_edit(_text(d and d.charge_rate_min)),
            hint="£/day",
        )
        self.rate_max = self.field(
            "charge_rate_max",
            "Charge &up to",
            line_edit(_text(d and d.charge_rate_max)),
            hint="£/day",
        )
        self.pay = self.field(
            "pay_rate", "&Pay rate", line_edit(_text(d and d.pay_rate)), hint="£/day"
        )
        self.ir35 = self.field(
            "ir35", "&IR35", enum_combo(IR35Determination, d.ir35 if d else "undetermined")
        )
        self.ir35_by = self.field(
            "ir35_determined_by", "IR35 decided &by", line_edit(_text(d and d.ir35_determined_by))
        )
        self.ir35_on = self.field(
            "ir35_determined_on",
            "IR35 decided o&n",
            line_edit(fmt_date(d.ir35_determined_on) if d else ""),
            hint="dd/mm/yyyy",
        )
        self.source = self.field(
            "source", "Sour&ce", line_edit(_text(d and d.source), "call, tender, tweet…")
        )
        self.notes = self.field("notes", "Not&es", line_edit(_text(d and d.notes)))
        self.errors.alias("organisation", "organisation_id")
        self.new_id: int | None = None

    def _values(self) -> dict[str, Any]:
        start = self.start.text().strip()
        asap = start.lower() == "asap"
        org_id = self.org.organisation_id()
        if org_id is None:
            raise ValidationError("Choose the client.", field="organisation_id")
        return {
            "organisation_id": org_id,
            "contact_id": self.contact.person_id("contact_id", required=False),
            "role": self.role.text(),
            "sector": self.sector.currentData(),
            "location": self.location.text(),
            "working_pattern": self.pattern.currentData(),
            "days_per_week": self.days.text().strip() or None,
            "start_date": None if asap else date_or_none(start, "start_date"),
            "start_asap": asap,
            "duration_weeks": self.weeks.text().strip() or None,
            "charge_rate_min": self.rate_min.text().strip().lstrip("£") or None,
            "charge_rate_max": self.rate_max.text().strip().lstrip("£") or None,
            "pay_rate": self.pay.text().strip().lstrip("£") or None,
            "ir35": self.ir35.currentData(),
            "ir35_determined_by": self.ir35_by.text(),
            "ir35_determined_on": date_or_none(self.ir35_on.text(), "ir35_determined_on"),
            "source": self.source.text(),
            "notes": self.notes.text(),
        }

    def collect(self) -> Callable[[Database], Any]:
        values = self._values()
        if self.detail is None:
            data = records.AssignmentInput(**values)
            return lambda db: records.add_assignment(db, data)
        d = self.detail
        current = {name: getattr(d, name) for name in values}
        changes = {
            k: v
            for k, v in values.items()
            if _text(v).strip() != _text(current[k])
            and not (v in ("", None) and current[k] is None)
        }
        return lambda db: records.update_assignment(db, d.id, changes, d.version)

    def notify(self, result: Any) -> None:
        assignment_id = self.detail.id if self.detail else int(result)
        self.new_id = assignment_id
        self.ctx.notify("assignment", assignment_id)
        if self.detail is None:
            self.ctx.open("assignment", assignment_id)


class CloseDialog(FormDialog):
    """Close an assignment as filled, lost or cancelled, with the reason."""

    def __init__(
        self, ctx: AppContext, detail: views.AssignmentDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "Close assignment", parent)
        self.detail = detail
        self.form.addRow("Assignment", plain_label(f"{detail.role} at {detail.organisation}"))
        self.status = self.field("status", "&Closed as", QComboBox())
        for s in (AssignmentStatus.LOST, AssignmentStatus.CANCELLED, AssignmentStatus.FILLED):
            self.status.addItem(s.label, s.value)
        self.reason = self.field("reason", "&Reason", line_edit())

    def collect(self) -> Callable[[Database], Any]:
        d, status, reason = self.detail, self.status.currentData(), self.reason.text()
        return lambda db: records.close_assignment(db, d.id, status, reason, d.version)

    def notify(self, result: Any) -> None:
        self.ctx.notify("assignment", self.detail.id)


class StageDialog(FormDialog):
    """Why a candidate leaves the shortlist (or goes back a stage): the stage and the reason."""

    def __init__(
        self,
        ctx: AppContext,
        card: views.ShortlistCard,
        stages: list[ShortlistStage],
        assignment_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, f"Move {card.name}", parent)
        self.card = card
        self.assignment_id = assignment_id
        self.stage = self.field("stage", "&Stage", QComboBox())
        for s in stages:
            self.stage.addItem(s.label, s.value)
        self.reason = self.field("reason", "&Reason", line_edit())

    def collect(self) -> Callable[[Database], Any]:
        card, stage, reason = self.card, self.stage.currentData(), self.reason.text()
        return lambda db: shortlist.move_candidate(db, card.id, stage, reason, card.version)

    def notify(self, result: Any) -> None:
        self.ctx.notify("assignment", self.assignment_id)


class PlaceDialog(FormDialog):
    """Place a candidate: dates and rates from the assignment unless changed here."""

    placed_result: views.PlacedResult | None = None

    def __init__(
        self,
        ctx: AppContext,
        card: views.ShortlistCard,
        detail: views.AssignmentDetail,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, f"Place {card.name}", parent)
        self.card, self.detail = card, detail
        self.form.addRow("As", plain_label(f"{detail.role} at {detail.organisation}"))
        start = detail.start_date or (date.today() if detail.start_asap else None)
        self.start = self.field("start_date", "S&tart", line_edit(fmt_date(start)))
        self.end = self.field(
            "end_date", "&End", line_edit(), hint="empty: start + the expected duration"
        )
        top = detail.charge_rate_max or detail.charge_rate_min
        self.charge = self.field("charge_rate", "Char&ge rate", line_edit(_text(top)), hint="£/day")
        self.pay = self.field(
            "pay_rate", "&Pay rate", line_edit(_text(detail.pay_rate)), hint="£/day"
        )
        self.let_know = QCheckBox("Remind me to let the others know")
        self.let_know.setChecked(True)
        self.form.addRow("", self.let_know)

    def collect(self) -> Callable[[Database], Any]:
        start = date_or_none(self.start.text(), "start_date")
        end = date_or_none(self.end.text(), "end_date")
        charge = self.charge.text().strip().lstrip("£") or None
        pay = self.pay.text().strip().lstrip("£") or None
        card, remind = self.card, self.let_know.isChecked()

        return lambda db: shortlist.place_candidate(
            db,
            card.id,
            start_date=start,
            end_date=end,
            charge_rate=charge,
            pay_rate=pay,
            let_others_know=remind,
        )

    def notify(self, result: Any) -> None:
        self.placed_result = result
        self.ctx.notify("assignment", self.detail.id)
        self.ctx.notify("placement", result.placement_id)
