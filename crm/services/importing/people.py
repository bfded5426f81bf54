"""Importing people: each batch's rows matched to the people the CRM knows, then written
in bulk with their emails, phones, jobs, tags, X accounts and search documents.

A person matches on email, X handle, or name plus organisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from crm.domain.enums import (
    ClientStatus,
    ConsentStatus,
    LawfulBasis,
    OrganisationType,
)
from crm.domain.errors import ValidationError
from crm.services.importing.jobs import AUDIT_COLUMNS, EMPTY, Job, audit_values, x_accounts_for
from crm.services.importing.report import ImportOptions, Tally
from crm.services.importing.rows import PersonRow, code_kind, name_key, parse_person, with_note
from crm.storage.bulk import (
    BulkSearchIndex,
    in_values,
    insert_ids,
    insert_values,
)
from crm.storage.models import (
    AuditEntry,
    Employment,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    XAccount,
    person_tags,
)
from crm.storage.search import person_document
from crm.storage.types import utcnow

# What a new person's row holds before the file's values go in.
_NEW_PERSON: dict[str, Any] = {
    "first_name": None,
    "last_name": None,
    "preferred_name": None,
    "job_title": None,
    "location": None,
    "linkedin_url": None,
    "notes": None,
    "owner": None,
    "specialisms": None,
    "consent_source": None,
    "day_rate_expectation": None,
    "available_from": None,
    "consent_date": None,
    "lawful_basis": LawfulBasis.LEGITIMATE_INTERESTS.value,
    "consent_status": ConsentStatus.NONE.value,
    "is_client_contact": False,
    "is_candidate": False,
    "do_not_contact": False,
}


# The person columns an import writes: those of a new person's row.
_PERSON_COLUMNS = tuple(_NEW_PERSON)


_JOB_COLUMNS = (
    "person_id",
    "organisation_id",
    "title",
    "start_date",
    "end_date",
    "version",
    "created_at",
    "updated_at",
)


class PeopleImport(Job):
    entity = "people"

    def __init__(self, session: Session, tally: Tally, options: ImportOptions, file: str) -> None:
        super().__init__(session, tally, options, file)
        self.today = date.today()
        self.org_accounts: dict[str, str] = {}  # handle -> organisation it is linked to
        self.search = BulkSearchIndex(session)

    def start(self) -> None:
        super().start()
        self.search.pause()

    def finish(self) -> None:
        self.search.restore()
        super().finish()

    # Each batch: clean every row, settle organisations, then write in collision-free chunks.
    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        rows: list[PersonRow] = []
        self.tally.rows += len(batch)
        for row_number, raw in batch:
            try:
                rows.append(parse_person(row_number, raw, self.file))
            except ValidationError as exc:
                self.tally.refuse(row_number, exc.message, exc.field)
        rows = self._organisations(rows)
        while rows:
            rows = self._chunk(rows)

    def _organisations(self, rows: list[PersonRow]) -> list[PersonRow]:
        kept: list[PersonRow] = []
        to_create: dict[str, dict[str, Any]] = {}
        waiting: list[tuple[PersonRow, str]] = []
        for r in rows:
            if r.organisation is None and r.organisation_code is None:
                kept.append(r)
                continue
            org_id = self.orgs.by_code.get(r.organisation_code) if r.organisation_code else None
            if org_id is None and r.organisation:
                org_id = self.orgs.by_name_one(r.organisation)
            if org_id is not None:
                r.org_id = org_id
                kept.append(r)
                continue
            label = r.organisation or r.organisation_code or ""
            if self.options.new_organisations == "refuse":
                self.tally.refuse(
                    r.row, f"{label!r} is not an organisation in the CRM.", "organisation"
                )
                continue
            if not r.organisation:
                self.tally.refuse(
                    r.row,
                    f"No organisation has the code {r.organisation_code}; give its name to "
                    "create it.",
                    "organisation_code",
                )
                continue
            key = name_key(r.organisation)
            if key not in to_create:
                params: dict[str, Any] = {
                    "name": r.organisation,
                    "ods_code": None,
                    "gss_code": None,
                }
                code = r.organisation_code
                if code and code not in self.orgs.by_code:
                    params[code_kind(code)] = code
                to_create[key] = params
            waiting.append((r, key))
        if to_create:
            now = utcnow()
            params_list = [
                {
                    **p,
                    "org_type": OrganisationType.OTHER.value,
                    "client_status": ClientStatus.PROSPECT.value,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in to_create.values()
            ]
            created = insert_ids(self.session, Organisation, params_list)
            audit: list[tuple[int | None, dict[str, Any]]] = []
            for params, org_id in zip(params_list, created, strict=True):
                self.orgs.add(org_id, params["name"], params["ods_code"], params["gss_code"])
                self.tally.organisation_created(params["name"])
                audit.append((org_id, {"name": params["name"], "import": self.file}))
            insert_values(
                self.session,
                AuditEntry,
                AUDIT_COLUMNS,
                audit_values(self.who, "organisation", "create", audit),
            )
            for r, _key in waiting:
                r.org_id = self.orgs.by_name_one(r.organisation or "")
                kept.append(r)
        kept.sort(key=lambda r: r.row)
        return kept

    def _chunk(self, rows: list[PersonRow]) -> list[PersonRow]:
        """Write as many rows as share no email, handle, name or matched person; return the rest."""
        c = self.session.connection()  # Core: lookups need no ORM result processing
        emails = {e.lower() for r in rows for e in r.emails}
        handles = {r.handle.lower() for r in rows if r.handle}
        names = {r.sort_name for r in rows}
        dialect = c.dialect.name
        by_email: dict[str, int] = {}
        if emails:
            for pid, email in c.execute(
                select(PersonEmail.person_id, func.lower(PersonEmail.email))
                .where(in_values(func.lower(PersonEmail.email), emails, dialect))
                .order_by(PersonEmail.person_id)
            ):
                by_email.setdefault(email, pid)
        accounts: dict[str, tuple[int, int | None]] = {}
        if handles:
            for account_id, handle, pid, org_name in c.execute(
                select(XAccount.id, func.lower(XAccount.handle), Person.id, Organisation.name)
                .outerjoin(Person, Person.x_account_id == XAccount.id)
                .outerjoin(Organisation, Organisation.x_account_id == XAccount.id)
                .where(func.lower(XAccount.handle).in_(list(handles)))
            ):
                accounts[handle] = (account_id, pid)
                if org_name is not None:
                    self.org_accounts[handle] = org_name
        by_name: dict[tuple[str, int | None], int] = {}
        same_name = list(
            c.execute(
                select(Person.id, Person.sort_name)
                .where(in_values(Person.sort_name, names, dialect))
                .order_by(Person.id)
            )
        )
        if same_name:
            jobs: dict[int, set[int]] = defaultdict(set)
            for pid, org_id in c.execute(
                select(Employment.person_id, Employment.organisation_id).where(
                    in_values(Employment.person_id, [p for p, _ in same_name], dialect, Integer),
                    Employment.end_date.is_(None),
                )
            ):
                jobs[pid].add(org_id)
            for pid, name in same_name:
                orgs: set[int | None] = set(jobs.get(pid, ())) or {None}
                for org in orgs:
                    by_name.setdefault((name, org), pid)

        used: set[tuple[Any, ...]] = set()
        accepted: list[tuple[PersonRow, int | None]] = []
        leftover: list[PersonRow] = []
        for i, r in enumerate(rows):
            try:
                match = self._match(r, by_email, accounts, by_name, self.org_accounts)
            except ValidationError as exc:
                self.tally.refuse(r.row, exc.message, exc.field)
                continue
            keys = r.keys()
            if match is not None:
                keys.add(("p", match))
            if not used.isdisjoint(keys):
                leftover = rows[i:]
                break
            used |= keys
            accepted.append((r, match))
        self._write(accepted, accounts)
        return leftover

    @staticmethod
    def _match(
        r: PersonRow,
        by_email: Mapping[str, int],
        accounts: Mapping[str, tuple[int, int | None]],
        by_name: Mapping[tuple[str, int | None], int],
        org_accounts: Mapping[str, str],
    ) -> int | None:
        email_ids = {by_email[e.lower()] for e in r.emails if e.lower() in by_email}
        if len(email_ids) > 1:
            raise ValidationError(
                "The emails in this row belong to different people ("
                + ", ".join(f"#{i}" for i in sorted(email_ids))
                + "); merge them first.",
                field="email",
            )
        email_match = next(iter(email_ids), None)
        if r.handle and r.handle.lower() in org_accounts:
            # As when linking by hand: one account, one record.
            raise ValidationError(
                f"@{r.handle} is already linked to {org_accounts[r.handle.lower()]}; "
                "unlink it there first.",
                field="x_handle",
            )
        account = accounts.get(r.handle.lower()) if r.handle else None
        handle_match = account[1] if account else None
        if email_match and handle_match and email_match != handle_match:
            raise ValidationError(
                f"The email belongs to #{email_match} but @{r.handle} to #{handle_match}; "
                "merge them first.",
                field="x_handle",
            )
        match = email_match or handle_match or by_name.get((r.sort_name, r.org_id))
        return match

    def _write(
        self,
        accepted: list[tuple[PersonRow, int | None]],
        accounts: Mapping[str, tuple[int, int | None]],
    ) -> None:
        if not accepted:
            return
        outcomes: list[tuple[int, str, int, str, Any]] = []
        s = self.session
        c = s.connection()
        now = utcnow()
        matched = [m for _, m in accepted if m is not None]
        current: dict[int, Any] = {}
        emails: dict[int, set[str]] = defaultdict(set)
        phones: dict[int, set[str]] = defaultdict(set)
        tags: dict[int, set[int]] = defaultdict(set)
        jobs: dict[int, list[Any]] = defaultdict(list)
        if matched:
            columns = [getattr(Person, c) for c in _PERSON_COLUMNS]
            for row in c.execute(
                select(Person.id, Person.x_account_id, *columns).where(Person.id.in_(matched))
            ):
                current[row.id] = row
            for pid, email in c.execute(
                select(PersonEmail.person_id, PersonEmail.email).where(
                    PersonEmail.person_id.in_(matched)
                )
            ):
                emails[pid].add(email.lower())
            for pid, number in c.execute(
                select(PersonPhone.person_id, PersonPhone.number).where(
                    PersonPhone.person_id.in_(matched)
                )
            ):
                phones[pid].add(number)
            for pid, tag_id in c.execute(
                select(person_tags.c.person_id, person_tags.c.tag_id).where(
                    person_tags.c.person_id.in_(matched)
                )
            ):
                tags[pid].add(tag_id)
            for job in c.execute(
                select(
                    Employment.id,
                    Employment.person_id,
                    Employment.organisation_id,
                    Employment.title,
                    Employment.start_date,
                ).where(Employment.person_id.in_(matched), Employment.end_date.is_(None))
            ):
                jobs[job.person_id].append(job)

        # X accounts: new people get theirs; matched people only when they have none.
        wanted_handles = [
            r.handle
            for r, m in accepted
            if r.handle
            and (m is None or current[m].x_account_id is None)
            and accounts.get(r.handle.lower(), (0, None))[1] is None
        ]
        account_ids = x_accounts_for(s, wanted_handles)
        tag_ids = self.tags.ids_for(t for r, _ in accepted for t in r.tags)

        new_rows = [r for r, m in accepted if m is None]
        inserts = []
        for r in new_rows:
            params = _NEW_PERSON.copy()
            params.update(r.values)
            if r.attention:
                params["notes"] = with_note(params["notes"], r.attention)
            params["sort_name"] = r.sort_name
            params["x_account_id"] = account_ids.get(r.handle.lower()) if r.handle else None
            params["created_at"] = now
            params["updated_at"] = now
            params["version"] = 1
            inserts.append(params)
        new_ids = insert_ids(s, Person, inserts)

        # Rows of person_email, person_phone, person_tag and employment, as value tuples.
        email_rows: list[tuple[int, str, None]] = []
        phone_rows: list[tuple[int, str, None]] = []
        tag_rows: list[tuple[int, int]] = []
        job_rows: list[tuple[Any, ...]] = []
        job_ends: list[dict[str, Any]] = []
        job_titles: list[dict[str, Any]] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        audit_new: list[tuple[int, dict[str, Any]]] = []
        audit_updated: list[tuple[int, dict[str, Any]]] = []
        docs: list[dict[str, Any]] = []

        for r, pid, params in zip(new_rows, new_ids, inserts, strict=True):
            docs.append(self._document(pid, r, params, tag_ids))
            for e in r.emails:
                email_rows.append((pid, e, None))
            for p in r.phones:
                phone_rows.append((pid, p, None))
            for t in r.tags:
                tag_rows.append((pid, tag_ids[t.lower()]))
            if r.org_id is not None:
                job_rows.append(self._job(pid, r, now))
            audit_new.append((pid, self.note))
            outcomes.append((r.row, "create", pid, r.name, ()))

        for r, match in accepted:
            if match is None:
                continue
            pid = match
            cur = current[pid]
            again = pid in self.touched
            changed: dict[str, Any] = {}
            values = r.values
            if r.attention:
                # The file's notes (or the person's own) with what was left out added once.
                values = {
                    **values,
                    "notes": with_note(values.get("notes", cur.notes), r.attention),
                }
            for name, value in values.items():
                old = getattr(cur, name)
                if old != value and not (again and old not in EMPTY):
                    changed[name] = value
            if r.handle and cur.x_account_id is None:
                account = accounts.get(r.handle.lower())
                account_id = account[0] if account else account_ids.get(r.handle.lower())
                if account_id is not None:
                    changed["x_account_id"] = account_id
            if "first_name" in changed or "last_name" in changed:
                changed["sort_name"] = r.sort_name
            fields = [k for k in changed if k != "sort_name"]
            new_emails = [e for e in r.emails if e.lower() not in emails[pid]]
            new_phones = [p for p in r.phones if p not in phones[pid]]
            new_tags = [t for t in r.tags if tag_ids[t.lower()] not in tags[pid]]
            email_rows.extend((pid, e, None) for e in new_emails)
            phone_rows.extend((pid, p, None) for p in new_phones)
            tag_rows.extend((pid, tag_ids[t.lower()]) for t in new_tags)
            fields += ["emails"] * bool(new_emails) + ["phones"] * bool(new_phones)
            fields += ["tags"] * bool(new_tags)
            if r.org_id is not None and not again:
                here = [j for j in jobs[pid] if j.organisation_id == r.org_id]
                title = r.values.get("job_title")
                if not here:
                    # They have moved: the file names their organisation now.
                    for j in jobs[pid]:
                        end = max(self.today, j.start_date or self.today)
                        job_ends.append({"_id": j.id, "end_date": end, "updated_at": now})
                    job_rows.append(self._job(pid, r, now))
                    fields.append("organisation")
                elif title and here[0].title != title:
                    job_titles.append({"_id": here[0].id, "title": title, "updated_at": now})
                    if "job_title" not in fields:
                        fields.append("job_title")
            if not fields:
                outcomes.append((r.row, "unchanged", pid, r.name, ()))
                continue
            changed["updated_at"] = now
            changed["_id"] = pid
            updates[tuple(sorted(changed))].append(changed)
            audit_updated.append((pid, {"import": self.file, "fields": fields}))
            outcomes.append((r.row, "update", pid, r.name, fields))

        table = cast(Table, Person.__table__)
        for keys, params_list in updates.items():
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    version=table.c.version + 1,
                    **{k: bindparam(k) for k in keys if k != "_id"},
                )
            )
            c.execute(stmt, params_list)
        employment = cast(Table, Employment.__table__)
        for job_changes, column in ((job_ends, "end_date"), (job_titles, "title")):
            if job_changes:
                c.execute(
                    update(employment)
                    .where(employment.c.id == bindparam("_id"))
                    .values(
                        {
                            "version": employment.c.version + 1,
                            column: bindparam(column),
                            "updated_at": bindparam("updated_at"),
                        }
                    ),
                    job_changes,
                )
        insert_values(s, Employment, _JOB_COLUMNS, job_rows)
        insert_values(s, PersonEmail, ("person_id", "email", "label"), email_rows)
        insert_values(s, PersonPhone, ("person_id", "number", "label"), phone_rows)
        insert_values(s, person_tags, ("person_id", "tag_id"), tag_rows)
        audit_rows = audit_values(self.who, "person", "create", audit_new)
        audit_rows += audit_values(self.who, "person", "update", audit_updated)
        insert_values(s, AuditEntry, AUDIT_COLUMNS, audit_rows)
        # The session hook only sees ORM objects: Core writes refresh search explicitly. New
        # people have no document yet, so theirs are only inserted (what refresh_people
        # would do after deleting nothing), through the quicker path, and built from the
        # values just written rather than read back.
        self.search.insert(docs)
        self.search.refresh([pid for pid, _ in audit_updated])
        self.touched.update(new_ids)
        self.touched.update(m for _, m in accepted if m is not None)
        for outcome in sorted(outcomes):
            self.tally.outcome(*outcome)
        self.tally.needs_attention(i for r, _ in accepted for i in r.issues)

    def _document(
        self, person_id: int, r: PersonRow, params: Mapping[str, Any], tag_ids: Mapping[str, int]
    ) -> dict[str, Any]:
        """A new person's search document, as documents_for would read it back.

        The handle is the file's spelling, not the stored account's; handles are ASCII and
        matched case-insensitively, so the two fold alike. Tags come in id order, as
        person_tag's primary key returns them.
        """
        v = r.values
        tag_list = sorted({tag_ids[t.lower()] for t in r.tags}) if r.tags else ()
        return person_document(
            person_id,
            first_name=v["first_name"],
            last_name=v["last_name"],
            preferred_name=v.get("preferred_name"),
            job_title=v.get("job_title"),
            notes=params.get("notes"),
            specialisms=v.get("specialisms"),
            location=v.get("location"),
            handle=r.handle if params["x_account_id"] is not None else None,
            employments=(
                [(self.orgs.names[r.org_id], v.get("job_title"), True)]
                if r.org_id is not None
                else ()
            ),
            emails=r.emails,
            tags=[self.tags.names[t] for t in tag_list],
        )

    def _job(self, person_id: int, r: PersonRow, now: datetime) -> tuple[Any, ...]:
        """A current employment at the row's organisation, in the order of _JOB_COLUMNS."""
        # One timestamp per batch, as for the people: each distinct object is converted once.
        return (person_id, r.org_id, r.values.get("job_title"), None, None, 1, now, now)
