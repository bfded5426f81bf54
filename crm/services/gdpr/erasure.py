"""UK GDPR duties for each person held: subject access, erasure and retention review.

* Subject access: everything held about a person (details, jobs, interactions, placements,
  notes, their X account with cached tweets and follower history, tweets that mention them,
  audit entries) as JSON for machines and a self-contained HTML page for the person.
  Other people's names are left out of it: they are third parties' data.
* Erasure: the person goes with their emails, phones, jobs, tags, search document and X
  account (cached tweets and follower snapshots too); interactions with no one else are
  deleted, shared ones keep the others and lose every mention of the person; placements
  where they were the candidate are deleted; earlier audit entries are scrubbed of their
  details. One audit line without personal data records that an erasure happened.
  On SQLite, freed pages are zeroed and the full-text indexes rebuilt so that deleted
  words do not linger in the file.
* Retention review: people with no interaction (and no review) for N months.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain.errors import ValidationError
from crm.domain.values import fold, format_phone
from crm.services import audit
from crm.services.assignments import transfer as assignment_transfer
from crm.services.common import load, load_person
from crm.storage.db import Database
from crm.storage.limits import LIMITS
from crm.storage.models import (
    Assignment,
    AuditEntry,
    Employment,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    Placement,
    PlacementNote,
    ShortlistEntry,
    ShortlistStageChange,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
)
from crm.storage.search import refresh_people
from crm.storage.types import utcnow

log = logging.getLogger(__name__)

ERASED = "[erased]"
_BLANKED = {"redacted": "erased person"}
RENEWED = "retention_renewed"


# -- what identifies a person in free text ---------------------------------------------------------
def _terms(person: Person) -> list[str]:
    """Text that identifies ``person`` wherever it appears: names, addresses, numbers, handle.

    A first name alone is not one (it would blank every other Jo); the full name is.
    """
    terms: set[str] = set()
    names: set[str] = set()
    for first in {person.first_name, person.preferred_name}:
        # Stripped: a person with a single name has an empty first or last name, and that
        # one name is their full name (which may be short: 최유림 is three letters).
        full = f"{first or ''} {person.last_name}".strip()
        if full and (first or first == person.first_name):
            names.add(full)
    terms.update(e.email for e in person.emails)
    for phone in person.phones:
        terms.update({phone.number, format_phone(phone.number)})
    if person.x_account is not None:
        handle = person.x_account.handle
        terms.update({"@" + handle, f"x.com/{handle}", f"twitter.com/{handle}"})
        if len(handle) >= 5:
            terms.add(handle)
    if person.linkedin_url:
        terms.add(person.linkedin_url.rstrip("/"))
    terms = {t for t in terms if len(t.strip()) >= 4} | {n for n in names if len(n) >= 2}
    return sorted(terms, key=len, reverse=True)


class _Redactor:
    def __init__(self, terms: Sequence[str], names: Iterable[tuple[str, str]] = ()) -> None:
        self.terms = list(terms)
        # (first, last) pairs: a record of fields naming them (an audit entry of a person
        # later merged into them, say) loses all its fields, not only the matching text.
        self.names = {(fold(first), fold(last)) for first, last in names if first or last}
        # The JSON columns store non-ASCII text escaped (\u00e1): look for that form too.
        self.json_terms = sorted(
            {t.lower() for t in terms} | {json.dumps(t)[1:-1].lower() for t in terms},
            key=len,
            reverse=True,
        )
        self.pattern = (
            re.compile("|".join(re.escape(t) for t in self.terms), re.IGNORECASE)
            if self.terms
            else None
        )

    def text(self, value: str | None) -> str | None:
        if value is None or self.pattern is None:
            return value
        return self.pattern.sub(ERASED, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            first, last = value.get("first_name"), value.get("last_name")
            named = isinstance(first, str) and isinstance(last, str)
            if named and (fold(str(first)), fold(str(last))) in self.names:
                return dict(_BLANKED)
            return {k: self.value(v) for k, v in value.items()}
        return value

    def mentions(self, column: Any, is_json: bool = False) -> Any:
        """A SQL condition: the column may hold one of the terms (checked again in Python)."""
        searched = func.lower(cast(column, Text)) if is_json else func.lower(column)
        terms = self.json_terms if is_json else [t.lower() for t in self.terms]
        return or_(*(searched.like(f"%{_like(t)}%", escape="\\") for t in terms))


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Free text where other records may name the person. Identity columns of other records
# (names, addresses) are not touched: they belong to someone else.
_FREE_TEXT: list[tuple[Any, str]] = [
    (Interaction, "summary"),
    (Interaction, "body"),
    (Placement, "role"),
    (PlacementNote, "text"),
    (Extension, "reason"),
    (Person, "notes"),
    (Person, "specialisms"),
    (Organisation, "notes"),
    (Assignment, "notes"),
    (Assignment, "closed_reason"),
    (ShortlistEntry, "reason"),
    (ShortlistStageChange, "reason"),
    (XAccount, "bio"),
    (Tweet, "text"),
]
_FREE_JSON: list[tuple[Any, str]] = [(Tweet, "raw"), (AuditEntry, "changes")]


# -- subject access ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubjectAccessResult:
    person_id: int
    json_path: str
    html_path: str
    counts: dict[str, int]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(skip)
    return {
        c.key: getattr(obj, c.key)
        for c in obj.__table__.columns
        if c.key not in skipped and c.key != "search_vector"
    }


def subject_access_data(db: Database, person_id: int) -> dict[str, Any]:
    """Everything held about a person, as plain JSON-ready data."""
    with db.read() as session:
        person = load_person(session, person_id)
        terms = _terms(person)
        redactor = _Redactor(terms)
        data: dict[str, Any] = {
            "generated_at": utcnow(),
            "generated_by": settings.current_user(),
            "controller_note": (
                "Personal data held about this person in Interim CRM. Other people's names "
                "are withheld as third-party data."
            ),
            "person": _columns(person, skip=("sort_name", "x_account_id")),
            "emails": [e.email for e in person.emails],
            "phones": [p.number for p in person.phones],
            "tags": [t.name for t in person.tags],
            "employments": [
                {
                    "organisation": e.organisation.name,
                    "title": e.title,
                    "start_date": e.start_date,
                    "end_date": e.end_date,
                }
                for e in person.employments
            ],
        }
        data["interactions"] = _interactions_of(session, person_id)
        data["placements"] = _placements_of(session, person_id)
        data["shortlists"] = _shortlists_of(session, person_id)
        data["assignments_as_contact"] = [
            {
                "organisation": a.organisation.name,
                "role": a.role,
                "status": a.status,
                "opened_on": a.opened_on,
                "closed_on": a.closed_on,
            }
            for a in session.scalars(
                select(Assignment)
                .where(Assignment.contact_id == person_id)
                .options(selectinload(Assignment.organisation))
                .order_by(Assignment.opened_on)
            )
        ]
        account = person.x_account
        if account is not None:
            data["x_account"] = _columns(account)
            data["tweets"] = [
                _tweet(t)
                for t in session.scalars(
                    select(Tweet)
                    .where(
                        or_(
                            Tweet.account_id == account.id,
                            Tweet.author_x_user_id == (account.x_user_id or -1),
                        )
                    )
                    .order_by(Tweet.created_at)
                )
            ]
            data["tweets_mentioning_them"] = (
                [
                    _tweet(t)
                    for t in session.scalars(
                        select(Tweet)
                        .join(TweetMention, TweetMention.tweet_id == Tweet.id)
                        .where(TweetMention.x_user_id == account.x_user_id)
                        .order_by(Tweet.created_at)
                    )
                ]
                if account.x_user_id
                else []
            )
            data["follower_history"] = [
                {"taken_at": s.taken_at, "followers": s.followers, "following": s.following}
                for s in session.scalars(
                    select(FollowerSnapshot)
                    .where(FollowerSnapshot.account_id == account.id)
                    .order_by(FollowerSnapshot.taken_at)
                )
            ]
        data["audit"] = [
            {
                "at": e.at,
                "who": e.who,
                "entity": e.entity_type,
                "entity_id": e.entity_id,
                "action": e.action,
                "changes": e.changes,
            }
            for e in _audit_about(session, person, redactor)
        ]
    result: dict[str, Any] = _plain(data)
    return result


def _tweet(t: Tweet) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "created_at": t.created_at,
        "text": t.text,
        "likes": t.like_count,
        "retweets": t.retweet_count,
        "replies": t.reply_count,
    }


def _interactions_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    ids = select(interaction_people.c.interaction_id).where(
        interaction_people.c.person_id == person_id
    )
    others: dict[int, int] = dict(
        session.execute(
            select(interaction_people.c.interaction_id, func.count())
            .where(
                interaction_people.c.interaction_id.in_(ids),
                interaction_people.c.person_id != person_id,
            )
            .group_by(interaction_people.c.interaction_id)
        ).all()
    )
    out = []
    for i, org in session.execute(
        select(Interaction, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Interaction.organisation_id)
        .where(Interaction.id.in_(ids))
        .order_by(Interaction.occurred_at)
    ):
        out.append(
            {
                "occurred_at": i.occurred_at,
                "kind": i.kind,
                "direction": i.direction,
                "summary": i.summary,
                "notes": i.body,
                "organisation": org,
                "logged_by": i.logged_by,
                "follow_up_due": i.follow_up_due,
                "other_people_present": others.get(i.id, 0),
            }
        )
    return out


def _placements_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    out = []
    for p in session.scalars(
        select(Placement)
        .where(or_(Placement.candidate_id == person_id, Placement.client_contact_id == person_id))
        .options(
            selectinload(Placement.organisation),
            selectinload(Placement.extensions),
            selectinload(Placement.notes),
        )
        .order_by(Placement.start_date)
    ):
        as_candidate = p.candidate_id == person_id
        entry: dict[str, Any] = {
            "as": "candidate" if as_candidate else "client contact",
            "organisation": p.organisation.name,
            "role": p.role,
            "status": p.status,
            "start_date": p.start_date,
            "end_date": p.end_date,
        }
        if as_candidate:
            # The client's commercial terms are held about the candidate too.
            entry.update(
                charge_rate=p.charge_rate,
                pay_rate=p.pay_rate,
                currency=p.currency,
                ir35=p.ir35,
                extensions=[
                    {
                        "new_end_date": x.new_end_date,
                        "day_rate": x.day_rate,
                        "reason": x.reason,
                        "created_at": x.created_at,
                    }
                    for x in p.extensions
                ],
                notes=[
                    {"text": n.text, "author": n.author, "created_at": n.created_at}
                    for n in p.notes
                ],
            )
        out.append(entry)
    return out


def _shortlists_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    """The assignments the person was shortlisted for, with every dated stage."""
    entries = session.scalars(
        select(ShortlistEntry)
        .where(ShortlistEntry.person_id == person_id)
        .options(
            selectinload(ShortlistEntry.assignment).selectinload(Assignment.organisation),
            selectinload(ShortlistEntry.history),
        )
        .order_by(ShortlistEntry.id)
    )
    return [
        {
            "organisation": e.assignment.organisation.name,
            "role": e.assignment.role,
            "stage": e.stage,
            "reason": e.reason,
            "stages": [
                {"from": h.from_stage, "to": h.to_stage, "reason": h.reason, "at": h.at}
                for h in e.history
            ],
        }
        for e in entries
    ]


def _related_ids(session: Session, person_id: int) -> dict[str, set[int]]:
    """Ids of the records that are about the person: their jobs, placements, interactions."""
    return {
        "employment": set(
            session.scalars(select(Employment.id).where(Employment.person_id == person_id))
        ),
        "placement": set(
            session.scalars(select(Placement.id).where(Placement.candidate_id == person_id))
        ),
        "shortlist_entry": set(
            session.scalars(select(ShortlistEntry.id).where(ShortlistEntry.person_id == person_id))
        ),
        "interaction": set(
            session.scalars(
                select(interaction_people.c.interaction_id).where(
                    interaction_people.c.person_id == person_id
                )
            )
        ),
    }


def _audit_about(session: Session, person: Person, redactor: _Redactor) -> list[AuditEntry]:
    related = _related_ids(session, person.id)
    conditions = [_about_entity("person", [person.id])]
    conditions += [_about_entity(kind, sorted(ids)) for kind, ids in related.items() if ids]
    if redactor.terms:
        conditions.append(redactor.mentions(AuditEntry.changes, is_json=True))
    entries = session.scalars(
        select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return list(entries)


def _about_entity(entity_type: str, ids: Sequence[int]) -> Any:
    return (AuditEntry.entity_type == entity_type) & AuditEntry.entity_id.in_(ids)


def export_subject_access(
    db: Database, person_id: int, directory: str | Path
) -> SubjectAccessResult:
    """Write the subject access files for a person into ``directory`` (created if needed)."""
    data = subject_access_data(db, person_id)
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create {folder}: {exc.strerror or exc}.") from None
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    stem = f"subject-access-{person_id}-{stamp}"
    json_path = folder / f"{stem}.json"
    html_path = folder / f"{stem}.html"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(data), encoding="utf-8")
    counts = {
        key: len(value)
        for key, value in data.items()
        if isinstance(value, list) and key not in ("emails", "phones", "tags")
    }
    with db.session() as session:
        audit.record(
            session, "person", person_id, "subject_access_export", {"files": [json_path.name]}
        )
    log.info("Wrote subject access export for #%d to %s", person_id, folder)
    return SubjectAccessResult(person_id, str(json_path), str(html_path), counts)


def _cell(value: Any) -> str:
    if value is None or value == "" or value == []:
        return '<span class="none">—</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return "<pre>" + html.escape(json.dumps(value, indent=1, ensure_ascii=False)) + "</pre>"
    text_ = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", text_):
        with contextlib.suppress(ValueError):
            text_ = datetime.fromisoformat(text_).strftime("%d/%m/%Y %H:%M")
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text_):
        text_ = date.fromisoformat(text_).strftime("%d/%m/%Y")
    return html.escape(text_).replace("\n", "<br>")


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p class="none">None held.</p>'
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    head = "".join(f"<th>{html.escape(k.replace('_', ' ').capitalize())}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(k))}</td>" for k in keys) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: dict[str, Any]) -> str:
    """A readable, self-contained page of a subject access export."""
    person = data["person"]
    name = f"{person.get('first_name', '')} {person.get('last_name', '')}".strip()
    details = "".join(
        f"<tr><th>{html.escape(k.replace('_', ' ').capitalize())}</th><td>{_cell(v)}</td></tr>"
        for k, v in person.items()
    )
    sections = [
        ("Contact details", _table([{"emails": data["emails"], "phones": data["phones"]}])),
        ("Tags", _cell(data["tags"])),
        ("Jobs", _table(data["employments"])),
        ("Conversations and notes", _table(data["interactions"])),
        ("Placements", _table(data["placements"])),
        ("Shortlists for assignments", _table(data.get("shortlists", []))),
        ("Assignments as the hiring contact", _table(data.get("assignments_as_contact", []))),
    ]
    if "x_account" in data:
        sections += [
            ("X (Twitter) account", _table([data["x_account"]])),
            ("Their tweets kept here", _table(data["tweets"])),
            ("Tweets that mention them", _table(data["tweets_mentioning_them"])),
            ("Follower history", _table(data["follower_history"])),
        ]
    sections.append(("Changes recorded (audit)", _table(data["audit"])))
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    generated = _cell(data["generated_at"])
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Personal data held about {html.escape(name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} pre {{ margin: 0; white-space: pre-wrap; }}
.none {{ color: #888; }}
</style>
</head>
<body>
<h1>Personal data held about {html.escape(name)}</h1>
<p>Prepared {generated} by {html.escape(str(data["generated_by"]))}.
{html.escape(data["controller_note"])}</p>
<h2>Details</h2>
<table>{details}</table>
{body}
</body>
</html>
"""


# -- erasure -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErasureImpact:
    """What erasing a person removes, for the confirmation question."""

    person_id: int
    name: str
    interactions_deleted: int
    interactions_kept: int
    placements_deleted: int
    placements_as_contact: int
    employments: int
    emails: int
    phones: int
    x_handle: str | None
    tweets: int
    do_not_contact: bool
    shortlist_entries: int = 0
    assignments_as_contact: int = 0


def _only_theirs(person_id: int) -> Any:
    return (
        select(interaction_people.c.interaction_id)
        .where(interaction_people.c.person_id == person_id)
        .except_(
            select(interaction_people.c.interaction_id).where(
                interaction_people.c.person_id != person_id
            )
        )
    )


def _account_is_theirs_alone(session: Session, person: Person) -> bool:
    if person.x_account_id is None:
        return False
    shared = session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.x_account_id == person.x_account_id)
    ) or session.scalar(
        select(func.count()).select_from(User).where(User.x_account_id == person.x_account_id)
    )
    return not shared


def _tweet_ids(session: Session, person: Person, account_deleted: bool) -> list[int]:
    """Cached tweets by or about the person: theirs, and others' that mention them."""
    account = person.x_account
    if account is None:
        return []
    conditions = []
    if account_deleted:
        conditions.append(Tweet.account_id == account.id)
    if account.x_user_id:
        conditions.append(Tweet.author_x_user_id == account.x_user_id)
        conditions.append(
            Tweet.id.in_(
                select(TweetMention.tweet_id).where(TweetMention.x_user_id == account.x_user_id)
            )
        )
    conditions.append(
        func.lower(Tweet.text).like(f"%@{_like(account.handle.lower())}%", escape="\\")
    )
    return list(session.scalars(select(Tweet.id).where(or_(*conditions))))


def erasure_impact(db: Database, person_id: int) -> ErasureImpact:
    with db.read() as session:
        person = load_person(session, person_id)
        linked = select(interaction_people.c.interaction_id).where(
            interaction_people.c.person_id == person_id
        )
        total = int(session.scalar(select(func.count()).select_from(linked.subquery())) or 0)
        alone = int(
            session.scalar(select(func.count()).select_from(_only_theirs(person_id).subquery()))
            or 0
        )
        own_account = _account_is_theirs_alone(session, person)
        return ErasureImpact(
            person_id=person.id,
            name=person.display_name,
            interactions_deleted=alone,
            interactions_kept=total - alone,
            placements_deleted=int(
                session.scalar(select(func.count()).where(Placement.candidate_id == person_id)) or 0
            ),
            placements_as_contact=int(
                session.scalar(select(func.count()).where(Placement.client_contact_id == person_id))
                or 0
            ),
            employments=len(person.employments),
            emails=len(person.emails),
            phones=len(person.phones),
            x_handle=person.x_account.handle if person.x_account else None,
            tweets=len(_tweet_ids(session, person, own_account)),
            do_not_contact=person.do_not_contact,
            **assignment_transfer.erasure_counts(session, person_id),
        )


@dataclass(frozen=True)
class ErasureReport:
    person_id: int
    removed: dict[str, int] = field(default_factory=dict)


def erase_person(
    db: Database, person_id: int, *, expected_version: int | None = None
) -> ErasureReport:
    """Erase a person and every personal detail held about them (see the module docstring)."""
    with audit.versioned_edit(db, "person", person_id, "This person") as session:
        _secure_delete(session, True)
        report = _erase(session, person_id, expected_version)
        _purge_indexes(session)
        _secure_delete(session, False)
    _checkpoint(db)
    return report


def erase_people(db: Database, person_ids: Sequence[int]) -> list[ErasureReport]:
    """Erase several people (a retention review's choice) in one transaction."""
    reports = []
    with db.session() as session:
        _secure_delete(session, True)
        for person_id in dict.fromkeys(person_ids):
            reports.append(_erase(session, person_id, None))
        _purge_indexes(session)
        _secure_delete(session, False)
    _checkpoint(db)
    return reports


def _secure_delete(session: Session, on: bool) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # Freed pages are overwritten with zeros instead of keeping the deleted text. (If
        # the erasure fails, the pooled connection keeps it on: slower deletes, no harm.)
        session.execute(text(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}"))


def _purge_indexes(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    # FTS5 keeps deleted words in its segments until they are merged: merge them all now.
    for table in ("person_fts", "interaction_fts"):
        exists_ = session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = :n"), {"n": table}
        )
        if exists_:
            session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))


def _checkpoint(db: Database) -> None:
    if not db.is_sqlite:
        return
    # The write-ahead log still holds the old pages until it is checkpointed and truncated.
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # best effort: another reader may hold the log open
        log.warning("Could not checkpoint the write-ahead log after an erasure: %s", exc)


def _erase(session: Session, person_id: int, expected_version: int | None) -> ErasureReport:
    person = load_person(session, person_id)
    audit.check_version(
        session, "person", person_id, person.version, expected_version, person.display_name
    )
    redactor = _Redactor(
        _terms(person),
        [(person.first_name, person.last_name)]
        + ([(person.preferred_name, person.last_name)] if person.preferred_name else []),
    )
    related = _related_ids(session, person_id)
    merged = _merged_into(session, person_id)
    removed: dict[str, int] = {}

    alone = list(session.scalars(_only_theirs(person_id)))
    if alone:
        session.execute(delete(Interaction).where(Interaction.id.in_(alone)))
    removed["interactions"] = len(alone)
    shared = related["interaction"] - set(alone)
    session.execute(delete(interaction_people).where(interaction_people.c.person_id == person_id))
    removed["interactions_unlinked"] = len(shared)

    placements = sorted(related["placement"])
    if placements:
        session.execute(delete(PlacementNote).where(PlacementNote.placement_id.in_(placements)))
        session.execute(delete(Extension).where(Extension.placement_id.in_(placements)))
        session.execute(
            update(Interaction)
            .where(Interaction.placement_id.in_(placements))
            .values(placement_id=None)
        )
        session.execute(delete(Placement).where(Placement.id.in_(placements)))
    removed["placements"] = len(placements)
    session.execute(
        update(Placement)
        .where(Placement.client_contact_id == person_id)
        .values(client_contact_id=None, version=Placement.version + 1)
    )
    shortlisted = sorted(related["shortlist_entry"])
    if shortlisted:
        # Their stage history goes with each entry (ON DELETE CASCADE).
        session.execute(delete(ShortlistEntry).where(ShortlistEntry.id.in_(shortlisted)))
    removed["shortlist_entries"] = len(shortlisted)
    session.execute(
        update(Assignment)
        .where(Assignment.contact_id == person_id)
        .values(contact_id=None, version=Assignment.version + 1)
    )

    own_account = _account_is_theirs_alone(session, person)
    tweet_ids = _tweet_ids(session, person, own_account)
    for start in range(0, len(tweet_ids), 500):
        chunk = tweet_ids[start : start + 500]
        session.execute(delete(TweetMention).where(TweetMention.tweet_id.in_(chunk)))
        session.execute(delete(Tweet).where(Tweet.id.in_(chunk)))
    removed["tweets"] = len(tweet_ids)
    account_id = person.x_account_id
    removed["employments"] = len(person.employments)
    removed["emails"] = len(person.emails)
    removed["phones"] = len(person.phones)

    session.expire(person)
    session.delete(person)
    session.flush()
    if account_id is not None and own_account:
        removed["follower_snapshots"] = int(
            session.execute(
                delete(FollowerSnapshot).where(FollowerSnapshot.account_id == account_id)
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
        session.execute(delete(XAccount).where(XAccount.id == account_id))
        removed["x_account"] = 1

    # Audit entries about the person, their jobs, placements and only-theirs interactions
    # lose their details entirely; any other entry loses the words that identify them.
    blanked = _BLANKED
    targets = [("person", [person_id, *merged])]
    targets += [("employment", sorted(related["employment"])), ("placement", placements)]
    targets += [("interaction", alone), ("shortlist_entry", shortlisted)]
    scrubbed = 0
    for entity_type, ids in targets:
        for start in range(0, len(ids), 500):
            result = session.execute(
                update(AuditEntry)
                .where(_about_entity(entity_type, ids[start : start + 500]))
                .values(changes=blanked)
            )
            scrubbed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed["audit_entries_scrubbed"] = scrubbed + _redact_everywhere(session, redactor)
    audit.record(session, "person", person_id, "erase", {"erased": True, "removed": removed})
    log.info("Erased person #%d", person_id)
    return ErasureReport(person_id, removed)


def _merged_into(session: Session, person_id: int) -> list[int]:
    """Ids of the records merged into this person (and into those, and so on): the same
    human, whose audit entries are theirs too."""
    found: list[int] = []
    todo = [person_id]
    while todo:
        survivor = todo.pop()
        for changes in session.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "person",
                AuditEntry.entity_id == survivor,
                AuditEntry.action == "merge",
            )
        ):
            other = changes.get("merged_person_id") if isinstance(changes, dict) else None
            if isinstance(other, int) and other not in found and other != person_id:
                found.append(other)
                todo.append(other)
    return found


def _redact_everywhere(session: Session, redactor: _Redactor) -> int:
    """Replace the person's identifying words in every free-text column; returns the number
    of audit entries changed. People whose notes changed get fresh search documents."""
    if not redactor.terms:
        return 0
    touched_people: set[int] = set()
    audit_changed = 0
    for model, column_name in _FREE_TEXT:
        column = getattr(model, column_name)
        key = model.__mapper__.primary_key[0]
        rows = session.execute(select(key, column).where(redactor.mentions(column))).all()
        # "[erased]" can be longer than the name it replaces: stay within the column.
        limit = LIMITS.get(model.__tablename__, {}).get(column_name)
        for row_id, value in rows:
            new = redactor.text(value)
            if limit is not None and new is not None and len(new) > limit:
                new = new[: limit - 1] + "…"
            if new != value:
                session.execute(update(model).where(key == row_id).values({column_name: new}))
                if model is Person:
                    touched_people.add(row_id)
    for model, column_name in _FREE_JSON:
        column = getattr(model, column_name)
        key = model.__mapper__.primary_key[0]
        rows = session.execute(
            select(key, column).where(redactor.mentions(column, is_json=True))
        ).all()
        for row_id, value in rows:
            new = redactor.value(value)
            if new != value:
                session.execute(update(model).where(key == row_id).values({column_name: new}))
                audit_changed += model is AuditEntry
    if touched_people:
        refresh_people(session, touched_people)
    return audit_changed


# -- retention review -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionCandidate:
    person_id: int
    name: str
    organisation: str | None
    last_interaction_at: datetime | None
    last_reviewed_at: datetime | None
    created_at: datetime
    lawful_basis: str | None
    consent_status: str
    do_not_contact: bool


def retention_months() -> int:
    return int(settings.get("retention_months"))


def retention_review(
    db: Database, months: int | None = None, *, now: datetime | None = None, limit: int = 10_000
) -> list[RetentionCandidate]:
    """People with no interaction for ``months`` (the ``retention_months`` setting by
    default), nor a retention renewal, who were added before then; longest silent first."""
    months = retention_months() if months is None else months
    if months < 1:
        raise ValidationError("The retention period is at least one month.")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=round(months * 30.44))
    with db.read() as session:
        last_at = Person.last_interaction_at  # kept by the database (migration 0004)
        last_review = (
            select(AuditEntry.entity_id.label("pid"), func.max(AuditEntry.at).label("reviewed"))
            .where(AuditEntry.entity_type == "person", AuditEntry.action == RENEWED)
            .group_by(AuditEntry.entity_id)
            .subquery()
        )
        current = (
            select(Employment.person_id.label("pid"), func.min(Organisation.name).label("org"))
            .join(Organisation, Organisation.id == Employment.organisation_id)
            .where(Employment.end_date.is_(None))
            .group_by(Employment.person_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Person.id,
                Person.first_name,
                Person.preferred_name,
                Person.last_name,
                Person.created_at,
                Person.lawful_basis,
                Person.consent_status,
                Person.do_not_contact,
                last_at.label("last_at"),
                last_review.c.reviewed,
                current.c.org,
            )
            .outerjoin(last_review, last_review.c.pid == Person.id)
            .outerjoin(current, current.c.pid == Person.id)
            .where(
                Person.created_at < cutoff,
                or_(last_at.is_(None), last_at < cutoff),
                or_(last_review.c.reviewed.is_(None), last_review.c.reviewed < cutoff),
            )
            .order_by(last_at.is_not(None), last_at, Person.sort_name)
            .limit(limit)
        ).all()
    return [
        RetentionCandidate(
            person_id=r.id,
            name=f"{r.preferred_name or r.first_name} {r.last_name}",
            organisation=r.org,
            last_interaction_at=_utc(r.last_at),
            last_reviewed_at=_utc(r.reviewed),
            created_at=r.created_at,
            lawful_basis=r.lawful_basis,
            consent_status=r.consent_status,
            do_not_contact=r.do_not_contact,
        )
        for r in rows
    ]


def _utc(value: Any) -> datetime | None:
    """Aggregates over SQLite come back as naive text or datetimes: make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    result: datetime = value
    return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


def renew_retention(db: Database, person_ids: Sequence[int], reason: str = "") -> int:
    """Record that these people were reviewed and are kept: they leave the review list until
    another retention period passes without contact."""
    reason = (reason or "").strip()[:500]
    with db.session() as session:
        for person_id in dict.fromkeys(person_ids):
            load(session, Person, person_id, "person")
            audit.record(
                session, "person", person_id, RENEWED, {"reason": reason} if reason else {}
            )
    return len(set(person_ids))
