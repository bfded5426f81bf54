"""The placement and extension forms and the delete confirmation for a placement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
)

from crm.domain.dates import parse_date
from crm.domain.enums import (
    IR35Determination,
    PlacementStatus,
)
from crm.domain.errors import ValidationError
from crm.services import placements as placement_service
from crm.services.views import (
    PlacementDetail,
)
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import fmt_date, plural
from crm.ui.kit.forms import (
    FormDialog,
    confirm_delete,
    date_or_none,
)
from crm.ui.kit.pickers import OrganisationPicker, PersonPicker
from crm.ui.kit.widgets import enum_combo, line_edit, plain_label


def confirm_delete_placement(
    ctx: AppContext, parent: QWidget | None, detail: PlacementDetail, on_deleted: Callable[[], None]
) -> None:
    details = (
        f"This also deletes its {plural(len(detail.extensions), 'extension')} and "
        f"{plural(len(detail.notes), 'note')}. Interactions linked to it stay. "
        "This cannot be undone."
    )
    confirm_delete(
        ctx,
        parent,
        "placement",
        f"Delete the placement of {detail.candidate} as {detail.role} at {detail.organisation}?",
        details,
        placement_service.delete_placement,
        detail.id,
        ("placement", detail.id),
        on_deleted,
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
