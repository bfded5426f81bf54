"""Organisations (clients): add, edit, delete, find, list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

from crm.domain.enums import ClientStatus, OrganisationType, Sector
from crm.domain.errors import AmbiguousError, NotFoundError, ValidationError
from crm.domain.values import (
    as_record_id,
    limit_text,
    parse_choice,
    require_text,
    search_words,
)
from crm.services import audit
from crm.services.common import load, load_organisation, tags_named, x_view
from crm.services.views import OrganisationDetail, OrganisationSummary
from crm.storage.db import Database
from crm.storage.models import Employment, Interaction, Organisation, Placement, XAccount
from crm.storage.types import utcnow


@dataclass
class OrganisationInput:
    name: str
    sector: str | None = None
    org_type: str = OrganisationType.OTHER.value
    region: str | None = None
    website: str | None = None
    ods_code: str | None = None
    gss_code: str | None = None
    parent_id: int | None = None
    client_status: str = ClientStatus.PROSPECT.value
    owner: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)


def clean_field(name: str, value: Any) -> Any:
    if name == "name":
        return require_text(value, "Organisation name", "name", 200)
    if name == "sector":
        return parse_choice(value, Sector, name, "a sector")
    if name == "org_type":
        return parse_choice(value, OrganisationType, name, "an organisation type") or "other"
    if name == "client_status":
        return parse_choice(value, ClientStatus, name, "a client status") or "prospect"
    if name in ("region", "owner"):
        return limit_text(value, name.capitalize(), name, 200) or None
    if name == "website":
        text = limit_text(value, "Website", name, 500)
        if text and not text.startswith(("http://", "https://")):
            text = "https://" + text
        return text or None
    if name == "notes":
        return limit_text(value, "Notes", name, 100_000) or None
    if name == "ods_code":
        code = limit_text(value, "ODS code", name, 10).upper()
        if code and not code.isalnum():
            raise ValidationError(f"{code!r} is not an NHS ODS code.", field=name)
        return code or None
    if name == "gss_code":
        code = limit_text(value, "GSS code", name, 9).upper()
        if code and not (len(code) == 9 and code[0].isalpha() and code[1:].isdigit()):
            raise ValidationError(f"{code!r} is not a GSS code (like E06000001).", field=name)
        return code or None
    if name == "parent_id":
        return value
    if name == "tags":
        return [str(t) for t in value]
    raise ValidationError(f"{name} cannot be edited.", field=name)


# The fields of an organisation a recruiter (or an import) fills in.
FIELDS = (
    "name",
    "sector",
    "org_type",
    "region",
    "website",
    "ods_code",
    "gss_code",
    "parent_id",
    "client_status",
    "owner",
    "notes",
)


def _check_codes_free(session: Any, values: Mapping[str, Any], own_id: int | None) -> None:
    for column, label in ((Organisation.ods_code, "ODS code"), (Organisation.gss_code, "GSS code")):
        code = values.get(column.key)
        if not code:
            continue
        other = session.scalars(select(Organisation).where(column == code)).first()
        if other is not None and other.id != own_id:
            raise ValidationError(f"{other.name} already has the {label} {code}.", field=column.key)


def _refuse_parent_loop(session: Any, org: Organisation, parent: Organisation) -> None:
    """Refuse a parent that is already below ``org`` (A under B under A)."""
    seen = {org.id}
    current: Organisation | None = parent
    while current is not None and current.parent_id is not None:
        if current.parent_id in seen:
            raise ValidationError(
                f"{parent.name} is already part of {org.name}; it cannot also be its parent.",
                field="parent_id",
            )
        seen.add(current.id)
        current = session.get(Organisation, current.parent_id)


def add_organisation(db: Database, data: OrganisationInput) -> int:
    values = {name: clean_field(name, getattr(data, name)) for name in FIELDS}
    tags = clean_field("tags", data.tags)
    with db.session() as session:
        if values["parent_id"] is not None:
            load(session, Organisation, values["parent_id"], "parent organisation")
        _check_codes_free(session, values, None)
        org = Organisation(**values)
        org.tags = tags_named(session, tags)
        session.add(org)
        session.flush()
        audit.record(
            session, "organisation", org.id, "create", {k: v for k, v in values.items() if v}
        )
        return org.id


def update_organisation(
    db: Database, organisation_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    cleaned = {name: clean_field(name, value) for name, value in changes.items()}
    with audit.versioned_edit(db, "organisation", organisation_id, "This organisation") as session:
        org = audit.load_for_edit(
            session,
            Organisation,
            "organisation",
            organisation_id,
            expected_version,
            lambda o: o.name,
        )
        _check_codes_free(session, cleaned, org.id)
        diff: dict[str, Any] = {}
        for name, value in cleaned.items():
            if name == "tags":
                new_tags = tags_named(session, value)
                if [t.name for t in org.tags] != [t.name for t in new_tags]:
                    org.tags = new_tags
                    diff[name] = [t.name for t in new_tags]
                continue
            if name == "parent_id" and value is not None:
                if value == org.id:
                    raise ValidationError("An organisation cannot be its own parent.", field=name)
                parent = load(session, Organisation, value, "parent organisation")
                _refuse_parent_loop(session, org, parent)
            if getattr(org, name) != value:
                setattr(org, name, value)
                diff[name] = value
        if not diff:
            return org.version
        org.updated_at = utcnow()
        audit.record(session, "organisation", org.id, "update", diff)
        session.flush()
        return org.version


def deletion_impact(db: Database, organisation_id: int) -> dict[str, int]:
    with db.read() as session:
        load(session, Organisation, organisation_id, "organisation")

        def count(model: Any, column: Any) -> int:
            return int(
                session.scalar(
                    select(func.count()).select_from(model).where(column == organisation_id)
                )
                or 0
            )

        return {
            "employments": count(Employment, Employment.organisation_id),
            "placements": count(Placement, Placement.organisation_id),
            "interactions": count(Interaction, Interaction.organisation_id),
        }


def delete_organisation(
    db: Database, organisation_id: int, expected_version: int | None = None
) -> None:
    """Delete an organisation and the job records there; refused while placements point at it."""
    with audit.versioned_edit(db, "organisation", organisation_id, "This organisation") as session:
        org = audit.load_for_edit(
            session,
            Organisation,
            "organisation",
            organisation_id,
            expected_version,
            lambda o: o.name,
        )
        placements = session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(Placement.organisation_id == organisation_id)
        )
        if placements:
            raise ValidationError(
                f"{org.name} has {placements} placement(s); delete or move those first."
            )
        for employment in session.scalars(
            select(Employment).where(Employment.organisation_id == organisation_id)
        ):
            session.delete(employment)
        name = org.name
        session.delete(org)
        audit.record(session, "organisation", organisation_id, "delete", {"name": name})


def get_organisation(db: Database, organisation_id: int) -> OrganisationDetail:
    with db.read() as session:
        org = load_organisation(session, organisation_id)
        return OrganisationDetail(
            id=org.id,
            version=org.version,
            name=org.name,
            sector=org.sector,
            org_type=org.org_type,
            region=org.region,
            website=org.website,
            ods_code=org.ods_code,
            gss_code=org.gss_code,
            parent_id=org.parent_id,
            parent_name=org.parent.name if org.parent else None,
            client_status=org.client_status,
            owner=org.owner,
            notes=org.notes,
            tags=sorted((t.name for t in org.tags), key=str.casefold),
            x_account=x_view(org.x_account),
        )


def list_organisations(
    db: Database,
    text: str = "",
    sector: str | None = None,
    client_status: str | None = None,
    limit: int = 10_000,
) -> list[OrganisationSummary]:
    """Organisations by name; ``text`` keeps those with every word in their name or codes."""
    with db.read() as session:
        stmt = select(
            Organisation.id,
            Organisation.name,
            Organisation.sector,
            Organisation.org_type,
            Organisation.region,
            Organisation.client_status,
            XAccount.handle,
            XAccount.followers_count,
        ).outerjoin(XAccount, XAccount.id == Organisation.x_account_id)
        for word in search_words(text):
            pattern = f"%{word}%"
            stmt = stmt.where(
                or_(
                    func.lower(func.replace(Organisation.name, "'", "")).like(pattern),
                    func.lower(func.coalesce(Organisation.ods_code, "")) == word,
                    func.lower(func.coalesce(Organisation.gss_code, "")) == word,
                )
            )
        if sector:
            stmt = stmt.where(Organisation.sector == sector)
        if client_status:
            stmt = stmt.where(Organisation.client_status == client_status)
        found = session.execute(stmt.order_by(func.lower(Organisation.name)).limit(limit)).all()
        # Count people only for the organisations listed, through the (organisation, end)
        # index, rather than aggregating every job in the database first.
        counts: dict[int, int] = {}
        ids = [row.id for row in found]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            counts.update(
                (org_id, n)
                for org_id, n in session.execute(
                    select(
                        Employment.organisation_id, func.count(func.distinct(Employment.person_id))
                    )
                    .where(Employment.organisation_id.in_(chunk), Employment.end_date.is_(None))
                    .group_by(Employment.organisation_id)
                )
            )
        return [
            OrganisationSummary(
                id=row.id,
                name=row.name,
                sector=row.sector,
                org_type=row.org_type,
                region=row.region,
                client_status=row.client_status,
                people_count=counts.get(row.id, 0),
                x_handle=row.handle,
                followers=row.followers_count,
            )
            for row in found
        ]


def resolve_organisation(db: Database, ref: str) -> int:
    """An organisation from an id, an ODS/GSS code, its exact name or an unambiguous part."""
    text = (ref or "").strip()
    if not text:
        raise ValidationError("Say which organisation: an id, a code or a name.")
    with db.read() as session:
        number = as_record_id(text)
        if number is not None:
            if not number or session.get(Organisation, number) is None:
                raise NotFoundError(f"There is no organisation with id {text}.")
            return number
        by_code = list(
            session.scalars(
                select(Organisation.id).where(
                    or_(
                        Organisation.ods_code == text.upper(), Organisation.gss_code == text.upper()
                    )
                )
            )
        )
        if len(by_code) == 1:
            return by_code[0]
        exact = list(
            session.scalars(
                select(Organisation.id).where(func.lower(Organisation.name) == text.lower())
            )
        )
        if len(exact) == 1:
            return exact[0]
    matches = list_organisations(db, text, limit=11)
    if not matches:
        raise NotFoundError(f"No organisation matches {text!r}.")
    if len(matches) > 1:
        raise AmbiguousError(
            f"{text!r} matches {len(matches)} organisations: "
            + "; ".join(f"#{m.id} {m.name}" for m in matches[:5])
            + ".",
            [(m.id, m.name) for m in matches],
        )
    return matches[0].id
