"""Exporting people, organisations and interactions to CSV, vCard and JSON files.

CSV files are written as UTF-8 with a byte-order mark and CRLF line ends, which is what makes
Excel (and LibreOffice) open them with accents intact; every cell that a spreadsheet would
read as a formula is neutralised. Their column names are the ones the import recognises, so
exporting and importing the same records changes nothing. Records are read in batches and
written as they come, to a temporary file renamed into place at the end: a cancel or an
error leaves no half-written file.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import operator
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.domain.errors import Cancelled, ValidationError
from crm.domain.values import format_phone, json_ready
from crm.services import vcards
from crm.services.assignments import transfer as assignment_transfer
from crm.storage.db import Database
from crm.storage.models import (
    BlueskyAccount,
    Employment,
    Interaction,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    Tag,
    XAccount,
    interaction_people,
    organisation_tags,
    person_tags,
)

log = logging.getLogger(__name__)

PEOPLE = "people"
ORGANISATIONS = "organisations"
INTERACTIONS = "interactions"
KINDS = (PEOPLE, ORGANISATIONS, INTERACTIONS, *assignment_transfer.KINDS)
FORMATS = {".csv": "csv", ".vcf": "vcard", ".vcard": "vcard", ".json": "json"}
BATCH = 1000

# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice;
# OWASP's advice is to make it text with a leading single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ExportProgress = Callable[[int, int], None]
"""Called with the records written so far and the total."""


@dataclass(frozen=True)
class ExportResult:
    path: str
    kind: str
    format: str
    count: int


def neutralise(value: str) -> str:
    """``=SUM(A1)`` becomes ``'=SUM(A1)``: shown as text, never run as a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The export format: given, or from the file's extension."""
    if fmt:
        if fmt not in FORMATS.values():
            raise ValidationError(f"{fmt!r} is not an export format (csv, vcard or json).")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(
            f"Cannot tell the format from {Path(path).name!r}: name the file .csv, .vcf or .json."
        )
    return FORMATS[suffix]


def export(
    db: Database,
    kind: str,
    path: str | Path,
    *,
    ids: Sequence[int] | None = None,
    fmt: str | None = None,
    vcard_version: str = "3.0",
    progress: ExportProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ExportResult:
    """Write ``kind`` records (all of them, or those in ``ids`` in that order) to ``path``."""
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise ValidationError(
            f"{kind!r} cannot be exported: people, organisations, interactions, assignments "
            "or shortlists."
        )
    path = Path(path)
    fmt = format_for(path, fmt)
    if fmt == "vcard" and kind not in (PEOPLE, ORGANISATIONS):
        raise ValidationError(
            f"vCard holds people and organisations; export {kind} as CSV or JSON."
        )
    if vcard_version not in ("3.0", "4.0"):
        raise ValidationError("vCard version 3.0 or 4.0.")
    check_target_file(path)
    tmp = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with db.read() as session:
            all_ids = list(ids) if ids is not None else _all_ids(session, kind)
            records = _records(session, kind, all_ids)
            with open(
                tmp, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline=""
            ) as out:
                for _record in _writer(fmt, kind, out, vcard_version, records):
                    count += 1
                    if count % BATCH == 0:
                        if cancel is not None and cancel():
                            raise Cancelled("Export cancelled; no file was written.")
                        if progress is not None:
                            progress(count, len(all_ids))
        os.replace(tmp, path)
    except OSError as exc:
        # A full disk, a folder that refuses writing: the old file, if any, is untouched.
        tmp.unlink(missing_ok=True)
        raise ValidationError(
            f"Cannot write {path}: {exc.strerror or exc}; nothing was written."
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(count, count)
    log.info("Exported %d %s to %s (%s)", count, kind, path, fmt)
    return ExportResult(str(path), kind, fmt, count)


def check_target_file(path: Path) -> None:
    """Refuse, before any work, a target that cannot become a regular file: a folder, a
    device (writing beside /dev/full and renaming over it would replace the device), a
    missing folder."""
    if not path.parent.is_dir():
        raise ValidationError(f"There is no folder {path.parent}.")
    if path.is_dir():
        raise ValidationError(f"{path} is a folder; give a file name, e.g. {path / 'export.csv'}.")
    if path.exists() and not path.is_file():
        raise ValidationError(f"{path} is not a regular file; give another file name.")


def _all_ids(session: Session, kind: str) -> list[int]:
    if kind in assignment_transfer.KINDS:
        return assignment_transfer.all_ids(session, kind)
    if kind == PEOPLE:
        return list(session.scalars(select(Person.id).order_by(Person.sort_name, Person.id)))
    if kind == ORGANISATIONS:
        return list(
            session.scalars(
                select(Organisation.id).order_by(func.lower(Organisation.name), Organisation.id)
            )
        )
    return list(
        session.scalars(select(Interaction.id).order_by(Interaction.occurred_at, Interaction.id))
    )


def _records(session: Session, kind: str, ids: list[int]) -> Iterator[dict[str, Any]]:
    load: Callable[[Session, Sequence[int]], list[dict[str, Any]]]
    if kind in assignment_transfer.KINDS:
        load = functools.partial(assignment_transfer.records, kind=kind)
    else:
        load = {PEOPLE: people_records, ORGANISATIONS: organisation_records}.get(
            kind, interaction_records
        )
    for start in range(0, len(ids), BATCH):
        yield from load(session, ids[start : start + BATCH])


# -- reading records in batches -----------------------------------------------------------------
def people_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Everything the export holds about these people, in the order of ``ids``."""
    if not ids:
        return []
    rows = session.execute(
        select(Person, XAccount.handle, BlueskyAccount.handle)
        .outerjoin(XAccount, XAccount.id == Person.x_account_id)
        .outerjoin(BlueskyAccount, BlueskyAccount.person_id == Person.id)
        .where(Person.id.in_(ids))
    ).all()
    emails: dict[int, list[str]] = defaultdict(list)
    for pid, email in session.execute(
        select(PersonEmail.person_id, PersonEmail.email)
        .where(PersonEmail.person_id.in_(ids))
        .order_by(PersonEmail.id)
    ):
        emails[pid].append(email)
    phones: dict[int, list[str]] = defaultdict(list)
    for pid, number in session.execute(
        select(PersonPhone.person_id, PersonPhone.number)
        .where(PersonPhone.person_id.in_(ids))
        .order_by(PersonPhone.id)
    ):
        phones[pid].append(number)
    tags: dict[int, list[str]] = defaultdict(list)
    for pid, name in session.execute(
        select(person_tags.c.person_id, Tag.name)
        .join(Tag, Tag.id == person_tags.c.tag_id)
        .where(person_tags.c.person_id.in_(ids))
        .order_by(Tag.name)
    ):
        tags[pid].append(name)
    jobs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for job in session.execute(
        select(
            Employment.person_id,
            Organisation.name,
            Organisation.ods_code,
            Organisation.gss_code,
            Employment.title,
            Employment.start_date,
            Employment.end_date,
        )
        .join(Organisation, Organisation.id == Employment.organisation_id)
        .where(Employment.person_id.in_(ids))
        .order_by(
            Employment.end_date.is_not(None), Employment.start_date.desc(), Employment.id.desc()
        )
    ):
        jobs[job.person_id].append(
            {
                "organisation": job.name,
                "organisation_code": job.ods_code or job.gss_code,
                "title": job.title,
                "start_date": job.start_date,
                "end_date": job.end_date,
            }
        )
    by_id: dict[int, dict[str, Any]] = {}
    for person, handle, bluesky_handle in rows:
        current = next((j for j in jobs[person.id] if j["end_date"] is None), None)
        kinds = [
            k
            for k, on in (("client", person.is_client_contact), ("candidate", person.is_candidate))
            if on
        ]
        by_id[person.id] = {
            "id": person.id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "preferred_name": person.preferred_name,
            "name": person.display_name,
            "job_title": person.job_title,
            "organisation": current["organisation"] if current else None,
            "organisation_code": current["organisation_code"] if current else None,
            "emails": emails[person.id],
            "phones": phones[person.id],
            "x_handle": handle,
            "bluesky_handle": bluesky_handle,
            "linkedin_url": person.linkedin_url,
            "location": person.location,
            "tags": tags[person.id],
            "kind": kinds,
            "available_from": person.available_from,
            "day_rate_expectation": person.day_rate_expectation,
            "day_rate_currency": person.day_rate_currency,
            "specialisms": person.specialisms,
            "candidate_sectors": [s for s in (person.candidate_sectors or "").split(",") if s],
            "willing_to_travel": person.willing_to_travel,
            "ir35_preference": person.ir35_preference,
            "lawful_basis": person.lawful_basis,
            "consent_status": person.consent_status,
            "consent_date": person.consent_date,
            "consent_source": person.consent_source,
            "do_not_contact": person.do_not_contact,
            "owner": person.owner,
            "notes": person.notes,
            "employments": jobs[person.id],
            "created_at": person.created_at,
            "updated_at": person.updated_at,
        }
    return [by_id[i] for i in ids if i in by_id]


def organisation_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    parent = aliased(Organisation)
    rows = session.execute(
        select(Organisation, parent.name, XAccount.handle, BlueskyAccount.handle)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .outerjoin(XAccount, XAccount.id == Organisation.x_account_id)
        .outerjoin(BlueskyAccount, BlueskyAccount.organisation_id == Organisation.id)
        .where(Organisation.id.in_(ids))
    ).all()
    tags: dict[int, list[str]] = defaultdict(list)
    for oid, name in session.execute(
        select(organisation_tags.c.organisation_id, Tag.name)
        .join(Tag, Tag.id == organisation_tags.c.tag_id)
        .where(organisation_tags.c.organisation_id.in_(ids))
        .order_by(Tag.name)
    ):
        tags[oid].append(name)
    by_id = {
        org.id: {
            "id": org.id,
            "name": org.name,
            "ods_code": org.ods_code,
            "gss_code": org.gss_code,
            "sector": org.sector,
            "org_type": org.org_type,
            "region": org.region,
            "website": org.website,
            "parent": parent_name,
            "client_status": org.client_status,
            "owner": org.owner,
            "tags": tags[org.id],
            "x_handle": handle,
            "bluesky_handle": bluesky_handle,
            "notes": org.notes,
            "created_at": org.created_at,
            "updated_at": org.updated_at,
        }
        for org, parent_name, handle, bluesky_handle in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def interaction_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = session.execute(
        select(Interaction, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Interaction.organisation_id)
        .where(Interaction.id.in_(ids))
    ).all()
    people: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for iid, pid, first, preferred, last in session.execute(
        select(
            interaction_people.c.interaction_id,
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
        )
        .join(Person, Person.id == interaction_people.c.person_id)
        .where(interaction_people.c.interaction_id.in_(ids))
        .order_by(Person.sort_name)
    ):
        people[iid].append((pid, f"{preferred or first} {last}"))
    by_id = {
        i.id: {
            "id": i.id,
            "occurred_at": i.occurred_at,
            "kind": i.kind,
            "direction": i.direction,
            "summary": i.summary,
            "body": i.body,
            "people": [name for _, name in people[i.id]],
            "person_ids": [pid for pid, _ in people[i.id]],
            "organisation": org_name,
            "logged_by": i.logged_by,
            "follow_up_due": i.follow_up_due,
            "follow_up_done": i.follow_up_done,
            "placement_id": i.placement_id,
        }
        for i, org_name in rows
    }
    return [by_id[i] for i in ids if i in by_id]


# -- writing -------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


# Column headers are the import's own names for the fields (see crm.services.importing.mapping).
PEOPLE_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("Id", lambda r: r["id"]),
    ("First name", lambda r: r["first_name"]),
    ("Last name", lambda r: r["last_name"]),
    ("Preferred name", lambda r: r["preferred_name"]),
    ("Job title", lambda r: r["job_title"]),
    ("Organisation", lambda r: r["organisation"]),
    ("Organisation code", lambda r: r["organisation_code"]),
    ("Email", lambda r: r["emails"][:1]),
    ("Email 2", lambda r: r["emails"][1:2]),
    ("Email 3", lambda r: r["emails"][2:]),
    # National format: a UK number starting "+44" would otherwise need neutralising.
    ("Phone", lambda r: [format_phone(p) for p in r["phones"][:1]]),
    ("Phone 2", lambda r: [format_phone(p) for p in r["phones"][1:]]),
    ("X handle", lambda r: r["x_handle"]),
    ("Bluesky handle", lambda r: r["bluesky_handle"]),
    ("LinkedIn URL", lambda r: r["linkedin_url"]),
    ("Location", lambda r: r["location"]),
    ("Tags", lambda r: r["tags"]),
    ("Client or candidate", lambda r: ", ".join(r["kind"])),
    ("Available from", lambda r: r["available_from"]),
    ("Day rate", lambda r: r["day_rate_expectation"]),
    ("Specialisms", lambda r: r["specialisms"]),
    ("Lawful basis", lambda r: r["lawful_basis"]),
    ("Consent", lambda r: r["consent_status"]),
    ("Consent date", lambda r: r["consent_date"]),
    ("Consent source", lambda r: r["consent_source"]),
    ("Do not contact", lambda r: r["do_not_contact"]),
    ("Owner", lambda r: r["owner"]),
    ("Notes", lambda r: r["notes"]),
]

ORGANISATION_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("Id", lambda r: r["id"]),
    ("Name", lambda r: r["name"]),
    ("ODS code", lambda r: r["ods_code"]),
    ("GSS code", lambda r: r["gss_code"]),
    ("Sector", lambda r: r["sector"]),
    ("Type", lambda r: r["org_type"]),
    ("Region", lambda r: r["region"]),
    ("Website", lambda r: r["website"]),
    ("Parent organisation", lambda r: r["parent"]),
    ("Client status", lambda r: r["client_status"]),
    ("Owner", lambda r: r["owner"]),
    ("Tags", lambda r: r["tags"]),
    ("X handle", lambda r: r["x_handle"]),
    ("Bluesky handle", lambda r: r["bluesky_handle"]),
    ("Notes", lambda r: r["notes"]),
]

INTERACTION_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("Id", lambda r: r["id"]),
    ("When", lambda r: r["occurred_at"]),
    ("Kind", lambda r: r["kind"]),
    ("Direction", lambda r: r["direction"]),
    ("Summary", lambda r: r["summary"]),
    ("Notes", lambda r: r["body"]),
    ("People", lambda r: r["people"]),
    ("Person ids", lambda r: r["person_ids"]),
    ("Organisation", lambda r: r["organisation"]),
    ("Logged by", lambda r: r["logged_by"]),
    ("Follow-up due", lambda r: r["follow_up_due"]),
    ("Follow-up done", lambda r: r["follow_up_done"]),
    ("Placement id", lambda r: r["placement_id"]),
]

COLUMNS: dict[str, list[tuple[str, Callable[[dict[str, Any]], Any]]]] = {
    PEOPLE: PEOPLE_COLUMNS,
    ORGANISATIONS: ORGANISATION_COLUMNS,
    INTERACTIONS: INTERACTION_COLUMNS,
    **{
        kind: [(header, operator.itemgetter(key)) for header, key in columns]
        for kind, columns in assignment_transfer.COLUMNS.items()
    },
}


def _writer(
    fmt: str, kind: str, out: IO[str], vcard_version: str, records: Iterator[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    if fmt == "csv":
        columns = COLUMNS[kind]
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([name for name, _ in columns])
        for record in records:
            writer.writerow([neutralise(_text(get(record))) for _, get in columns])
            yield record
    elif fmt == "json":
        out.write("[")
        first = True
        for record in records:
            out.write("\n  " if first else ",\n  ")
            out.write(json.dumps(json_ready(record), ensure_ascii=False, sort_keys=False))
            first = False
            yield record
        out.write("\n]\n")
    else:
        card = vcards.person_card if kind == PEOPLE else vcards.organisation_card
        for record in records:
            out.write(card(record, vcard_version))
            yield record
