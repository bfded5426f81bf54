"""Importing organisations: each batch's rows matched to the organisations the CRM knows
(on ODS or GSS code, X handle, or name), then written in bulk."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    func,
    select,
    update,
)

from crm.domain.enums import (
    ClientStatus,
    OrganisationType,
)
from crm.domain.errors import ValidationError
from crm.services.importing.jobs import AUDIT_COLUMNS, EMPTY, Job, audit_values, x_accounts_for
from crm.services.importing.rows import (
    ORG_TEXT,
    OrganisationRow,
    name_key,
    parse_organisation,
    with_note,
)
from crm.storage.bulk import (
    insert_ids,
    insert_rows,
    insert_values,
)
from crm.storage.models import (
    AuditEntry,
    Employment,
    Organisation,
    Person,
    XAccount,
    organisation_tags,
)
from crm.storage.search import refresh_people
from crm.storage.types import utcnow


class OrganisationImport(Job):
    entity = "organisations"

    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        rows: list[OrganisationRow] = []
        for row_number, raw in batch:
            self.tally.rows += 1
            try:
                rows.append(parse_organisation(row_number, raw, self.file))
            except ValidationError as exc:
                self.tally.refuse(row_number, exc.message, exc.field)
        while rows:
            rows = self._chunk(rows)

    def _match(self, r: OrganisationRow) -> int | None:
        by_code = {
            self.orgs.by_code[r.values[c]]
            for c in ("ods_code", "gss_code")
            if r.values.get(c) and r.values[c] in self.orgs.by_code
        }
        if len(by_code) > 1:
            raise ValidationError(
                "The ODS and GSS codes in this row belong to different organisations.",
                field="ods_code",
            )
        match = next(iter(by_code), None)
        if match is None and r.handle:
            match = self.orgs.by_handle.get(r.handle.lower())
        if match is None:
            match = self.orgs.by_name_one(r.name)
        for code in ("ods_code", "gss_code"):
            new = r.values.get(code)
            if not new:
                continue
            owner = self.orgs.by_code.get(new)
            if match is not None and owner is not None and owner != match:
                raise ValidationError(
                    f"{self.orgs.names[owner]} already has the code {new}.", field=code
                )
            held = self.orgs.codes.get(match, {}).get(code) if match is not None else None
            if held and held != new:
                label = "ODS" if code == "ods_code" else "GSS"
                raise ValidationError(
                    f"{self.orgs.names[match or 0]} has the {label} code {held}, "
                    f"not {new}; correct one of them first.",
                    field=code,
                )
        return match

    def _check_handle(self, r: OrganisationRow, match: int | None) -> None:
        if not r.handle:
            return
        owner = self.orgs.by_handle.get(r.handle.lower())
        if owner is not None and owner != match:
            raise ValidationError(
                f"@{r.handle} is already linked to {self.orgs.names[owner]}; unlink it there "
                "first.",
                field="x_handle",
            )
        person = self.session.execute(
            select(Person.first_name, Person.last_name)
            .join(XAccount, XAccount.id == Person.x_account_id)
            .where(func.lower(XAccount.handle) == r.handle.lower())
        ).first()
        if person is not None:
            raise ValidationError(
                f"@{r.handle} is already linked to {person[0]} {person[1]}; unlink it there first.",
                field="x_handle",
            )

    def _chunk(self, rows: list[OrganisationRow]) -> list[OrganisationRow]:
        used: set[tuple[Any, ...]] = set()
        accepted: list[tuple[OrganisationRow, int | None]] = []
        leftover: list[OrganisationRow] = []
        for i, r in enumerate(rows):
            keys: set[tuple[Any, ...]] = set(r.keys())
            parent_key = None
            if r.parent:
                parent_key = ("n", name_key(r.parent))
                # A parent made earlier in this chunk must be written before we look it up.
                if parent_key in used or ("c", r.parent.upper()) in used:
                    leftover = rows[i:]
                    break
            try:
                match = self._match(r)
                self._check_handle(r, match)
                if r.parent:
                    parent_id = self.orgs.by_code.get(r.parent.upper()) or self.orgs.by_name_one(
                        r.parent
                    )
                    if parent_id is None:
                        raise ValidationError(
                            f"The parent organisation {r.parent!r} is not in the CRM; import it "
                            "first or put it earlier in the file.",
                            field="parent",
                        )
                    if parent_id == match:
                        raise ValidationError(
                            "An organisation cannot be its own parent.", field="parent"
                        )
                    r.parent_id = parent_id
            except ValidationError as exc:
                self.tally.refuse(r.row, exc.message, exc.field)
                continue
            if match is not None:
                keys.add(("p", match))
            if not used.isdisjoint(keys):
                leftover = rows[i:]
                break
            used |= keys
            accepted.append((r, match))
        self._write(accepted)
        return leftover

    def _write(self, accepted: list[tuple[OrganisationRow, int | None]]) -> None:
        if not accepted:
            return
        outcomes: list[tuple[int, str, int, str, Any]] = []
        s = self.session
        now = utcnow()
        matched = [m for _, m in accepted if m is not None]
        current: dict[int, Any] = {}
        tags: dict[int, set[int]] = defaultdict(set)
        if matched:
            columns = [getattr(Organisation, c) for c in ORG_TEXT]
            for row in s.execute(
                select(
                    Organisation.id, Organisation.parent_id, Organisation.x_account_id, *columns
                ).where(Organisation.id.in_(matched))
            ):
                current[row.id] = row
            for oid, tag_id in s.execute(
                select(organisation_tags.c.organisation_id, organisation_tags.c.tag_id).where(
                    organisation_tags.c.organisation_id.in_(matched)
                )
            ):
                tags[oid].add(tag_id)
        handles = [
            r.handle
            for r, m in accepted
            if r.handle and (m is None or current[m].x_account_id is None)
        ]
        account_ids = x_accounts_for(s, handles)
        # An account linked to another organisation stays there.
        taken = set(
            s.scalars(
                select(Organisation.x_account_id).where(
                    Organisation.x_account_id.in_(list(account_ids.values()))
                )
            )
        )
        tag_ids = self.tags.ids_for(t for r, _ in accepted for t in r.tags)

        new_rows = [r for r, m in accepted if m is None]
        inserts = []
        for r in new_rows:
            params: dict[str, Any] = dict.fromkeys(ORG_TEXT)
            params["org_type"] = OrganisationType.OTHER.value
            params["client_status"] = ClientStatus.PROSPECT.value
            params.update(r.values)
            if r.attention:
                params["notes"] = with_note(params["notes"], r.attention)
            account = account_ids.get(r.handle.lower()) if r.handle else None
            params["x_account_id"] = account if account not in taken else None
            if account is not None:
                taken.add(account)
            params["parent_id"] = r.parent_id
            params.update(created_at=now, updated_at=now, version=1)
            inserts.append(params)
        new_ids = insert_ids(s, Organisation, inserts)
        tag_rows: list[dict[str, Any]] = []
        audit_new: list[tuple[int, dict[str, Any]]] = []
        audit_updated: list[tuple[int, dict[str, Any]]] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        renamed: list[int] = []
        for r, oid in zip(new_rows, new_ids, strict=True):
            self.orgs.add(oid, r.name, r.values.get("ods_code"), r.values.get("gss_code"), r.handle)
            tag_rows.extend({"organisation_id": oid, "tag_id": tag_ids[t.lower()]} for t in r.tags)
            audit_new.append((oid, {"name": r.name, "import": self.file}))
            outcomes.append((r.row, "create", oid, r.name, ()))
        for r, match in accepted:
            if match is None:
                continue
            cur = current[match]
            again = match in self.touched
            values = r.values
            if r.attention:
                # The file's notes (or the organisation's own) with what was left out, once.
                values = {
                    **values,
                    "notes": with_note(values.get("notes", cur.notes), r.attention),
                }
            changed: dict[str, Any] = {
                k: v
                for k, v in values.items()
                if v is not None
                and getattr(cur, k) != v
                and not (again and getattr(cur, k) not in EMPTY)
            }
            if r.parent_id is not None and cur.parent_id != r.parent_id and not again:
                changed["parent_id"] = r.parent_id
            if r.handle and cur.x_account_id is None:
                account = account_ids.get(r.handle.lower())
                if account is not None and account not in taken:
                    changed["x_account_id"] = account
                    taken.add(account)
            new_tags = [t for t in r.tags if tag_ids[t.lower()] not in tags[match]]
            tag_rows.extend(
                {"organisation_id": match, "tag_id": tag_ids[t.lower()]} for t in new_tags
            )
            fields = list(changed) + ["tags"] * bool(new_tags)
            if not fields:
                outcomes.append((r.row, "unchanged", match, r.name, ()))
                continue
            if "name" in changed:
                renamed.append(match)
            self.orgs.add(
                match,
                r.name,
                r.values.get("ods_code"),
                r.values.get("gss_code"),
                r.handle if "x_account_id" in changed else None,
            )
            changed["updated_at"] = now
            changed["_id"] = match
            updates[tuple(sorted(changed))].append(changed)
            audit_updated.append((match, {"import": self.file, "fields": fields}))
            outcomes.append((r.row, "update", match, r.name, fields))
        table = cast(Table, Organisation.__table__)
        for keys, params_list in updates.items():
            s.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    version=table.c.version + 1,
                    **{k: bindparam(k) for k in keys if k != "_id"},
                ),
                params_list,
            )
        insert_rows(s, organisation_tags, tag_rows)
        audit_rows = audit_values(self.who, "organisation", "create", audit_new)
        audit_rows += audit_values(self.who, "organisation", "update", audit_updated)
        insert_values(s, AuditEntry, AUDIT_COLUMNS, audit_rows)
        self.touched.update(new_ids)
        self.touched.update(m for _, m in accepted if m is not None)
        for outcome in sorted(outcomes):
            self.tally.outcome(*outcome)
        self.tally.needs_attention(i for r, _ in accepted for i in r.issues)
        if renamed:
            # People's search documents carry their organisation's name.
            refresh_people(
                s,
                s.scalars(
                    select(Employment.person_id).where(Employment.organisation_id.in_(renamed))
                ),
            )
