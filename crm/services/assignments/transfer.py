"""Assignments and shortlists in and out of files: what the export writes and the import reads.

``crm export assignments FILE.json`` writes every assignment with its shortlist and each
entry's dated stages; ``.csv`` writes one row per assignment, and ``crm export shortlists
FILE.csv`` one row per shortlisted candidate. ``crm import assignments|shortlists FILE`` reads
those files back (the export's column names, or its JSON keys). Records are matched by what
survives a move between databases, never by id: the client by its name, people by email, else
by their exact name; an assignment by client, role and opening date. A record already there is
left as it is (importing the same file twice changes nothing); a new one is created with its
status, dates and stages as exported, audited as an import. A row whose client or candidate is
not in the CRM is refused with the reason, the rest are imported (one transaction).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm.domain.enums import AssignmentStatus, ShortlistStage
from crm.domain.errors import ValidationError
from crm.domain.values import parse_choice
from crm.services import audit
from crm.services.assignments.records import EDITABLE, check_values, clean_field
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    Organisation,
    Person,
    PersonEmail,
    ShortlistEntry,
    ShortlistStageChange,
)

ASSIGNMENTS = "assignments"
SHORTLISTS = "shortlists"
KINDS = (ASSIGNMENTS, SHORTLISTS)

Column = tuple[str, str]  # (the CSV header, the record's key)

# Column headers for CSV; the record keys are the JSON names. Import reads either.
ASSIGNMENT_COLUMNS: list[Column] = [
    ("Id", "id"),
    ("Client", "client"),
    ("Hiring contact", "contact"),
    ("Hiring contact email", "contact_email"),
    ("Role", "role"),
    ("Sector", "sector"),
    ("Location", "location"),
    ("Working pattern", "working_pattern"),
    ("Days a week", "days_per_week"),
    ("Start date", "start_date"),
    ("Start ASAP", "start_asap"),
    ("Duration in weeks", "duration_weeks"),
    ("Charge rate from", "charge_rate_min"),
    ("Charge rate to", "charge_rate_max"),
    ("Pay rate", "pay_rate"),
    ("Currency", "currency"),
    ("IR35", "ir35"),
    ("IR35 determined on", "ir35_determined_on"),
    ("IR35 determined by", "ir35_determined_by"),
    ("Source", "source"),
    ("Owner", "owner"),
    ("Status", "status"),
    ("Closed reason", "closed_reason"),
    ("Opened on", "opened_on"),
    ("Closed on", "closed_on"),
    ("Notes", "notes"),
]

SHORTLIST_COLUMNS: list[Column] = [
    ("Id", "id"),
    ("Assignment id", "assignment_id"),
    ("Client", "client"),
    ("Role", "role"),
    ("Opened on", "opened_on"),
    ("Person", "person"),
    ("Person email", "person_email"),
    ("Stage", "stage"),
    ("Reason", "reason"),
    ("Stage changed at", "stage_changed_at"),
]

COLUMNS = {ASSIGNMENTS: ASSIGNMENT_COLUMNS, SHORTLISTS: SHORTLIST_COLUMNS}

# A cell the export neutralised ("'=..."): the quote goes again on the way in.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


# -- export ------------------------------------------------------------------------------------
def all_ids(session: Session, kind: str) -> list[int]:
    """Every assignment (oldest opened first) or every shortlist entry (by assignment)."""
    if kind == ASSIGNMENTS:
        return list(
            session.scalars(select(Assignment.id).order_by(Assignment.opened_on, Assignment.id))
        )
    return list(
        session.scalars(
            select(ShortlistEntry.id).order_by(ShortlistEntry.assignment_id, ShortlistEntry.id)
        )
    )


def records(session: Session, ids: Sequence[int], kind: str) -> list[dict[str, Any]]:
    """The export's records of ``kind`` for ``ids``, in that order."""
    if kind == ASSIGNMENTS:
        return assignment_records(session, ids)
    return shortlist_records(session, ids)


def _emails(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's first email."""
    first: dict[int, str] = {}
    wanted = sorted(set(person_ids))
    if not wanted:
        return first
    for pid, email in session.execute(
        select(PersonEmail.person_id, PersonEmail.email)
        .where(PersonEmail.person_id.in_(wanted))
        .order_by(PersonEmail.id)
    ):
        first.setdefault(pid, email)
    return first


def assignment_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Assignments with their shortlist and every entry's dated stages."""
    if not ids:
        return []
    found = session.scalars(
        select(Assignment)
        .where(Assignment.id.in_(ids))
        .options(
            selectinload(Assignment.organisation),
            selectinload(Assignment.contact),
            selectinload(Assignment.shortlist).selectinload(ShortlistEntry.person),
            selectinload(Assignment.shortlist).selectinload(ShortlistEntry.history),
        )
    ).all()
    emails = _emails(
        session,
        [a.contact_id for a in found if a.contact_id is not None]
        + [e.person_id for a in found for e in a.shortlist],
    )
    by_id: dict[int, dict[str, Any]] = {}
    for a in found:
        record: dict[str, Any] = {
            "id": a.id,
            "client": a.organisation.name,
            "contact": a.contact.display_name if a.contact is not None else None,
            "contact_email": emails.get(a.contact_id) if a.contact_id is not None else None,
        }
        for key in ASSIGNMENT_COLUMNS[4:]:
            record[key[1]] = getattr(a, key[1])
        record["shortlist"] = [_entry(e, a, emails) for e in a.shortlist]
        by_id[a.id] = record
    return [by_id[i] for i in ids if i in by_id]


def _entry(e: ShortlistEntry, a: Assignment, emails: dict[int, str]) -> dict[str, Any]:
    return {
        "id": e.id,
        "assignment_id": a.id,
        "client": a.organisation.name,
        "role": a.role,
        "opened_on": a.opened_on,
        "person": e.person.display_name,
        "person_email": emails.get(e.person_id),
        "stage": e.stage,
        "reason": e.reason,
        "stage_changed_at": e.stage_changed_at,
        "history": [
            {
                "from_stage": h.from_stage,
                "to_stage": h.to_stage,
                "reason": h.reason,
                "at": h.at,
                "by": h.by,
            }
            for h in e.history
        ],
    }


def shortlist_records(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Shortlist entries, each naming its assignment and candidate, with its dated stages."""
    if not ids:
        return []
    found = session.scalars(
        select(ShortlistEntry)
        .where(ShortlistEntry.id.in_(ids))
        .options(
            selectinload(ShortlistEntry.assignment).selectinload(Assignment.organisation),
            selectinload(ShortlistEntry.person),
            selectinload(ShortlistEntry.history),
        )
    ).all()
    emails = _emails(session, [e.person_id for e in found])
    by_id = {e.id: _entry(e, e.assignment, emails) for e in found}
    return [by_id[i] for i in ids if i in by_id]


# -- import ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    row: int  # the CSV row (the header is row 1) or the JSON record (from 1)
    reason: str


@dataclass
class TransferReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0  # assignments (or, importing shortlists, entries) made
    unchanged: int = 0  # already there: left as they are
    shortlisted: int = 0  # shortlist entries made (with their assignments)
    refusals: list[Refusal] = field(default_factory=list)
    committed: bool = False

    @property
    def refused(self) -> int:
        return len(self.refusals)


def read_file(path: Path, kind: str) -> list[dict[str, Any]]:
    """The records of an export file (.json, or .csv with the export's headers)."""
    if kind not in KINDS:
        raise ValidationError(f"{kind!r} cannot be imported here: assignments or shortlists.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            with open(path, encoding="utf-8-sig") as fh:
                data = json.load(fh)
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise ValidationError(f"{path.name} is not a list of {kind} records.")
            return data
        if suffix == ".csv":
            keys = {header.lower(): key for header, key in COLUMNS[kind]}
            with open(path, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh))
            return [
                {keys[h.strip().lower()]: _restore(v) for h, v in row.items() if h and v}
                for row in rows
                if any((v or "").strip() for v in row.values() if isinstance(v, str))
            ]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"Cannot read {path.name}: {exc}.") from None
    except KeyError as exc:
        raise ValidationError(
            f"{path.name} has a column the {kind} export does not: {exc}."
        ) from None
    raise ValidationError(f"Import {kind} from the export's .json or .csv, not {path.name}.")


def _restore(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_NEUTRALISED):
        return value[1:]
    return value


def import_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
) -> TransferReport:
    """Import an assignments or shortlists export (see the module's note); one transaction,
    rolled back on a dry run, or with ``all_or_nothing`` when a record was refused."""
    data = read_file(Path(path), kind)
    report = TransferReport(kind, dry_run, rows=len(data))
    with db.session() as session:
        finder = _Finder(session)
        for row, record in enumerate(data, start=1 if Path(path).suffix == ".json" else 2):
            try:
                with session.begin_nested():
                    if kind == ASSIGNMENTS:
                        _import_assignment(session, finder, record, report, row)
                    else:
                        _import_entry(session, finder, record, report, None)
            except ValidationError as exc:
                report.refusals.append(Refusal(row, str(exc)))
        report.committed = not dry_run and not (all_or_nothing and report.refusals)
        if not report.committed:
            session.rollback()
    return report


class _Finder:
    """Records looked up by what survives a move between databases (names, emails)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def organisation(self, name: Any) -> int:
        text = str(name or "").strip()
        if not text:
            raise ValidationError("No client is named.")
        ids = list(
            self.session.scalars(
                select(Organisation.id).where(func.lower(Organisation.name) == text.lower())
            )
        )
        if not ids:
            raise ValidationError(f"There is no organisation named {text!r}: import it first.")
        if len(ids) > 1:
            raise ValidationError(f"{len(ids)} organisations are named {text!r}.")
        return ids[0]

    def person(self, name: Any, email: Any, what: str) -> int:
        mail = str(email or "").strip().lower()
        if mail:
            ids = list(
                self.session.scalars(
                    select(PersonEmail.person_id)
                    .distinct()
                    .where(func.lower(PersonEmail.email) == mail)
                )
            )
            if len(ids) == 1:
                return ids[0]
        text = " ".join(str(name or "").split())
        if not text:
            raise ValidationError(f"No {what} is named.")
        shown = func.coalesce(Person.preferred_name, Person.first_name) + " " + Person.last_name
        ids = list(self.session.scalars(select(Person.id).where(func.lower(shown) == text.lower())))
        if not ids:
            raise ValidationError(f"There is no one named {text!r} ({what}): import them first.")
        if len(ids) > 1:
            raise ValidationError(f"{len(ids)} people are named {text!r}; give their email.")
        return ids[0]

    def assignment(self, organisation_id: int, role: Any, opened_on: date | None) -> int | None:
        stmt = select(Assignment.id).where(
            Assignment.organisation_id == organisation_id,
            func.lower(Assignment.role) == str(role or "").strip().lower(),
        )
        if opened_on is not None:
            stmt = stmt.where(Assignment.opened_on == opened_on)
        return self.session.scalars(stmt.order_by(Assignment.id)).first()


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValidationError(f"{name} {value!r} is not a date (YYYY-MM-DD).") from None


def _moment(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{name} {value!r} is not a date and time.") from None
    # The CSV writes local time without a zone; JSON writes the zone.
    return (when if when.tzinfo else when.astimezone()).astimezone(UTC)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("yes", "y", "true", "1")


def _choice(enum: Any, value: Any, what: str) -> str:
    return parse_choice(str(value).strip(), enum, "value", what) or ""


def _import_assignment(
    session: Session, finder: _Finder, record: dict[str, Any], report: TransferReport, row: int
) -> None:
    organisation_id = finder.organisation(record.get("client"))
    opened_on = _date(record.get("opened_on"), "Opened on") or date.today()
    found = finder.assignment(organisation_id, record.get("role"), opened_on)
    if found is not None:
        report.unchanged += 1
        assignment_id = found
    else:
        values = {
            name: clean_field(name, record.get(name))
            for name in EDITABLE - {"organisation_id", "contact_id", "status", "opened_on"}
        }
        for name in ("start_date", "ir35_determined_on"):
            values[name] = _date(record.get(name), name.replace("_", " ").capitalize())
        values["start_asap"] = _flag(record.get("start_asap"))
        status = _choice(AssignmentStatus, record.get("status") or "open", "an assignment status")
        closed = AssignmentStatus(status).is_closed
        contact_id = None
        if record.get("contact") or record.get("contact_email"):
            contact_id = finder.person(
                record.get("contact"), record.get("contact_email"), "hiring contact"
            )
        a = Assignment(
            **values,
            organisation_id=organisation_id,
            contact_id=contact_id,
            status=status,
            opened_on=opened_on,
            closed_on=_date(record.get("closed_on"), "Closed on") if closed else None,
            closed_reason=(record.get("closed_reason") or None) if closed else None,
        )
        check_values(a)
        audit.add_new(session, "assignment", a, {"client": record.get("client")}, action="import")
        report.created += 1
        assignment_id = a.id
    # One candidate who cannot be placed is refused alone: the assignment and the rest stay.
    for entry in record.get("shortlist") or []:
        if not isinstance(entry, dict):
            continue
        try:
            with session.begin_nested():
                _import_entry(session, finder, entry, report, assignment_id)
        except ValidationError as exc:
            report.refusals.append(Refusal(row, f"Shortlist of {record.get('role')!r}: {exc}"))


def _import_entry(
    session: Session,
    finder: _Finder,
    record: dict[str, Any],
    report: TransferReport,
    assignment_id: int | None,
) -> None:
    if assignment_id is None:
        organisation_id = finder.organisation(record.get("client"))
        assignment_id = finder.assignment(
            organisation_id, record.get("role"), _date(record.get("opened_on"), "Opened on")
        )
        if assignment_id is None:
            raise ValidationError(
                f"There is no assignment {record.get('role')!r} at {record.get('client')!r}: "
                "import the assignments first."
            )
    person_id = finder.person(record.get("person"), record.get("person_email"), "candidate")
    taken = session.scalar(
        select(ShortlistEntry.id).where(
            ShortlistEntry.assignment_id == assignment_id, ShortlistEntry.person_id == person_id
        )
    )
    if taken is not None:
        if report.kind == SHORTLISTS:
            report.unchanged += 1
        return
    stage = _choice(ShortlistStage, record.get("stage") or "identified", "a shortlist stage")
    changed = _moment(record.get("stage_changed_at"), "Stage changed at") or datetime.now(UTC)
    entry = ShortlistEntry(
        assignment_id=assignment_id,
        person_id=person_id,
        stage=stage,
        reason=record.get("reason") or None,
        stage_changed_at=changed,
    )
    session.add(entry)
    steps = [h for h in record.get("history") or [] if isinstance(h, dict)]
    if not steps:  # a CSV row: its present stage is the one step known
        steps = [{"to_stage": stage, "reason": entry.reason, "at": changed}]
    for h in steps:
        session.add(
            ShortlistStageChange(
                entry=entry,
                from_stage=_choice(ShortlistStage, h["from_stage"], "a stage")
                if h.get("from_stage")
                else None,
                to_stage=_choice(ShortlistStage, h.get("to_stage") or stage, "a stage"),
                reason=h.get("reason") or None,
                at=_moment(h.get("at"), "Stage date") or changed,
                by=h.get("by") or None,
            )
        )
    person = session.get(Person, person_id)
    if person is not None and not person.is_candidate:
        person.is_candidate = True
    session.flush()
    audit.record(
        session,
        "shortlist_entry",
        entry.id,
        "import",
        {"assignment_id": assignment_id, "person_id": person_id, "stage": stage},
    )
    if report.kind == SHORTLISTS:
        report.created += 1
    report.shortlisted += 1


# -- GDPR erasure and merging people: what they touch ---------------------------------------------
def erasure_counts(session: Session, person_id: int) -> dict[str, int]:
    """What erasing a person does to assignments: shortlist entries deleted (with their
    stages) and assignments they stop being the hiring contact of."""
    return {
        "shortlist_entries": _count(session, ShortlistEntry.person_id == person_id),
        "assignments_as_contact": _count(session, Assignment.contact_id == person_id),
    }


def merge_counts(session: Session, survivor_id: int, other_id: int) -> dict[str, int]:
    """What merging ``other_id`` into ``survivor_id`` moves: their shortlist entries (those on
    an assignment both are on stay with the survivor's) and the assignments they are contact
    for."""
    both = select(ShortlistEntry.assignment_id).where(ShortlistEntry.person_id == survivor_id)
    return {
        "shortlist_entries": _count(
            session,
            ShortlistEntry.person_id == other_id,
            ShortlistEntry.assignment_id.not_in(both),
        ),
        "assignments": _count(session, Assignment.contact_id == other_id),
    }


def _count(session: Session, *where: Any) -> int:
    return int(session.scalar(select(func.count()).where(*where)) or 0)
