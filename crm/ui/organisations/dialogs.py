"""The organisation form and the delete confirmation for an organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
)

from crm.domain.enums import (
    ClientStatus,
    OrganisationType,
    Sector,
)
from crm.domain.errors import ValidationError
from crm.services import organisations as org_service
from crm.services.views import (
    OrganisationDetail,
)
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import plural
from crm.ui.kit.forms import (
    FormDialog,
    confirm_delete,
    split_list,
)
from crm.ui.kit.widgets import enum_combo, line_edit, plain_edit


def confirm_delete_organisation(
    ctx: AppContext, parent: QWidget | None, org_id: int, name: str, on_deleted: Callable[[], None]
) -> None:
    def got(impact: dict[str, int]) -> None:
        if impact.get("placements"):
            show_error(
                ValidationError(
                    f"{name} has {plural(impact['placements'], 'placement')}; "
                    "delete or move those first."
                ),
                parent,
            )
            return
        details = (
            f"This also deletes {plural(impact.get('employments', 0), 'job record')} there. "
            f"{plural(impact.get('interactions', 0), 'interaction')} stay, without the "
            "organisation. This cannot be undone."
        )
        confirm_delete(
            ctx,
            parent,
            "organisation",
            f"Delete {name}?",
            details,
            org_service.delete_organisation,
            org_id,
            ("organisation", org_id),
            on_deleted,
        )

    ctx.read(org_service.deletion_impact, org_id, on_done=got)


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
