"""What the people and organisation imports share: the job, its lookups, its audit entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import (
    XAccountStatus,
)
from crm.services.importing.report import ImportOptions, Tally
from crm.services.importing.rows import name_key
from crm.storage.bulk import (
    insert_ids,
    larger_cache,
    restore_cache,
    table_of,
)
from crm.storage.models import (
    AuditEntry,
    Organisation,
    Tag,
    XAccount,
)
from crm.storage.types import utcnow


class OrgIndex:
    """Every organisation's id by folded name, by code and by X handle, kept in step."""

    def __init__(self, session: Session) -> None:
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_code: dict[str, int] = {}
        self.by_handle: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.codes: dict[int, dict[str, str | None]] = {}
        rows = session.execute(
            select(
                Organisation.id,
                Organisation.name,
                Organisation.ods_code,
                Organisation.gss_code,
                XAccount.handle,
            )
            .outerjoin(XAccount, XAccount.id == Organisation.x_account_id)
            .order_by(Organisation.id)
        )
        for org_id, name, ods, gss, handle in rows:
            self.add(org_id, name, ods, gss, handle)

    def add(
        self,
        org_id: int,
        name: str,
        ods: str | None = None,
        gss: str | None = None,
        handle: str | None = None,
    ) -> None:
        old = self.names.get(org_id)
        if old is not None and name_key(old) != name_key(name):
            self.by_name[name_key(old)].remove(org_id)
        ids = self.by_name[name_key(name)]
        if org_id not in ids:
            ids.append(org_id)
            ids.sort()
        self.names[org_id] = name
        codes = self.codes.setdefault(org_id, {"ods_code": None, "gss_code": None})
        for kind, code in (("ods_code", ods), ("gss_code", gss)):
            if code:
                self.by_code[code.upper()] = org_id
                codes[kind] = code.upper()
        if handle:
            self.by_handle[handle.lower()] = org_id

    def by_name_one(self, name: str) -> int | None:
        ids = self.by_name.get(name_key(name), [])
        return ids[0] if ids else None


class Tags:
    """Tag ids by lower-case name, creating missing tags in bulk; names by id as stored."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        for tag_id, name in session.execute(select(Tag.id, Tag.name)):
            self.ids[name.lower()] = tag_id
            self.names[tag_id] = name

    def ids_for(self, names: Iterable[str]) -> dict[str, int]:
        wanted = {n.lower(): n for n in names}
        missing = [{"name": n} for k, n in wanted.items() if k not in self.ids]
        created = insert_ids(self.session, Tag, missing)
        for params, tag_id in zip(missing, created, strict=True):
            self.ids[params["name"].lower()] = tag_id
            self.names[tag_id] = params["name"]
        return {k: self.ids[k] for k in wanted}


AUDIT_COLUMNS = ("at", "who", "entity_type", "entity_id", "action", "changes")


def audit_values(
    who: str, entity_type: str, action: str, items: Iterable[tuple[int | None, dict[str, Any]]]
) -> list[tuple[Any, ...]]:
    """Audit entries, as values in the order of ``AUDIT_COLUMNS``."""
    now = utcnow()
    return [(now, who, entity_type, entity_id, action, changes) for entity_id, changes in items]


def x_accounts_for(session: Session, handles: Iterable[str]) -> dict[str, int]:
    """Ids of the X accounts with these handles, creating unverified ones that are missing."""
    wanted = {h.lower(): h for h in handles}
    if not wanted:
        return {}
    found = {
        h: i
        for i, h in session.execute(
            select(XAccount.id, func.lower(XAccount.handle)).where(
                func.lower(XAccount.handle).in_(list(wanted))
            )
        )
    }
    now = utcnow()
    missing: list[dict[str, Any]] = [
        {
            "handle": wanted[k],
            "status": XAccountStatus.UNVERIFIED.value,
            "verified": False,
            "protected": False,
            "watched": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for k in wanted
        if k not in found
    ]
    created = insert_ids(session, XAccount, missing)
    for params, account_id in zip(missing, created, strict=True):
        found[params["handle"].lower()] = account_id
    return found


# What a later row of the same record may fill: a field the earlier rows left empty.
EMPTY = (None, "", False)


class Job:
    """What the people and organisation imports share: lookups, the summary audit entry."""

    entity = ""

    def __init__(self, session: Session, tally: Tally, options: ImportOptions, file: str) -> None:
        self.session = session
        self.tally = tally
        self.options = options
        self.file = file
        self.who = settings.current_user()
        self.orgs = OrgIndex(session)
        self.tags = Tags(session)
        self.audit_id = 0
        self.cache_size: int | None = None
        self.note = {"import": file}  # shared by the audit entries of created records
        # Records this import has already written. When a file holds one record twice with
        # different values, the first row wins and later rows only fill gaps; otherwise
        # importing the file again would flip the values back and forth.
        self.touched: set[int] = set()

    def start(self) -> None:
        self.cache_size = larger_cache(self.session)  # put back in finish()
        # Written first so that on SQLite the transaction holds the write lock throughout.
        (entry,) = audit_values(self.who, "import", self.entity, [(None, {"file": self.file})])
        self.audit_id = insert_ids(
            self.session, AuditEntry, [dict(zip(AUDIT_COLUMNS, entry, strict=True))]
        )[0]

    def finish(self) -> None:
        t = self.tally
        summary = {
            "file": self.file,
            "rows": t.rows,
            "created": t.created,
            "updated": t.updated,
            "unchanged": t.unchanged,
            "refused": t.refused,
            "organisations_created": t.new_org_count,
        }
        audit = table_of(AuditEntry)
        self.session.execute(
            update(audit).where(audit.c.id == self.audit_id).values(changes=summary)
        )
        restore_cache(self.session, self.cache_size)

    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        raise NotImplementedError
