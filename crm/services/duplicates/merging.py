"""Reviewing and merging a pair side by side: the recruiter chooses field by field, then
everything attached to the other record moves to the survivor, the other is deleted, and
audit entries on both say what happened. Both records' versions are checked, so a merge
never overwrites an edit someone saved while the recruiter was choosing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm.domain.errors import ValidationError
from crm.services import audit
from crm.services.assignments import transfer as assignment_transfer
from crm.services.common import load_organisation, load_person
from crm.services.duplicates.finding import ORGANISATION, PERSON
from crm.services.people import sort_name
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    BlueskyAccount,
    Employment,
    Interaction,
    Organisation,
    Person,
    Placement,
    ShortlistEntry,
    interaction_people,
    organisation_tags,
)
from crm.storage.search import refresh_people
from crm.storage.types import utcnow

log = logging.getLogger(__name__)

SURVIVOR = "survivor"
OTHER = "other"
BOTH = "both"


@dataclass(frozen=True)
class FieldChoice:
    """One line of the side-by-side review."""

    field: str
    label: str
    survivor: str
    other: str
    default: str  # "survivor", "other" or "both"
    can_combine: bool = False

    @property
    def differs(self) -> bool:
        return self.survivor != self.other


@dataclass(frozen=True)
class MergePreview:
    kind: str
    survivor_id: int
    survivor_version: int
    survivor_name: str
    other_id: int
    other_version: int
    other_name: str
    fields: list[FieldChoice]
    moves: dict[str, int] = field(default_factory=dict)


_PERSON_FIELDS: list[tuple[str, str]] = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("preferred_name", "Preferred name"),
    ("job_title", "Job title"),
    ("location", "Location"),
    ("linkedin_url", "LinkedIn"),
    ("owner", "Owner"),
    ("is_client_contact", "Client contact"),
    ("is_candidate", "Candidate"),
    ("do_not_contact", "Do not contact"),
    ("lawful_basis", "Lawful basis"),
    ("consent_status", "Consent"),
    ("consent_date", "Consent date"),
    ("consent_source", "Consent source"),
    ("available_from", "Available from"),
    ("day_rate_expectation", "Day rate"),
    ("day_rate_currency", "Currency"),
    ("specialisms", "Specialisms"),
    ("candidate_sectors", "Sectors"),
    ("willing_to_travel", "Willing to travel"),
    ("ir35_preference", "IR35 preference"),
    ("notes", "Notes"),
    ("x_account_id", "X account"),
    ("bluesky_account", "Bluesky account"),
]
# Fields whose two values can be kept together: text is joined, flags are or-ed (so a
# do-not-contact on either record stays on), sector lists are united.
_PERSON_COMBINABLE = {
    "notes",
    "specialisms",
    "candidate_sectors",
    "is_client_contact",
    "is_candidate",
    "do_not_contact",
}
_FLAGS = {"is_client_contact", "is_candidate", "do_not_contact"}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _default_choice(name: str, mine: Any, theirs: Any, combinable: set[str]) -> str:
    if name in _FLAGS and name in combinable and mine != theirs:
        return BOTH  # yes on either record stays yes: above all, do-not-contact
    if name in combinable and mine and theirs and mine != theirs:
        return BOTH
    if mine in (None, "", False) and theirs not in (None, "", False):
        return OTHER
    return SURVIVOR


_Merged = Person | Organisation


def _side_by_side(
    survivor: _Merged,
    other: _Merged,
    fields: list[tuple[str, str]],
    combinable: set[str],
    shown: Mapping[str, tuple[str, str]],
    held: Mapping[str, tuple[Any, Any]] | None = None,
) -> list[FieldChoice]:
    """The review's lines, each with the choice a merge makes unless told otherwise; ``shown``
    gives what a field's two values read as where that is not the value (a name for an id),
    ``held`` the two values of a field that is not a column of the record (the Bluesky
    account, which names its owner)."""
    lines = []
    for name, label in fields:
        mine, theirs = (held or {}).get(name) or (getattr(survivor, name), getattr(other, name))
        shown_mine, shown_theirs = shown.get(name) or (_shown(mine), _shown(theirs))
        lines.append(
            FieldChoice(
                name,
                label,
                shown_mine,
                shown_theirs,
                _default_choice(name, mine, theirs, combinable),
                name in combinable,
            )
        )
    return lines


def _handle(record: _Merged) -> str:
    return "@" + record.x_account.handle if record.x_account else ""


def _bluesky_owner(record: _Merged) -> Any:
    return (
        BlueskyAccount.person_id if isinstance(record, Person) else BlueskyAccount.organisation_id
    )


def _bluesky_of(session: Session, record: _Merged) -> BlueskyAccount | None:
    return session.scalars(
        select(BlueskyAccount).where(_bluesky_owner(record) == record.id)
    ).first()


def _bluesky_lines(
    session: Session, survivor: _Merged, other: _Merged
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[Any, Any]]]:
    """The Bluesky line of a review: the two handles shown, the two account ids held."""
    mine, theirs = _bluesky_of(session, survivor), _bluesky_of(session, other)
    shown = ("@" + mine.handle if mine else "", "@" + theirs.handle if theirs else "")
    held = (mine.id if mine else None, theirs.id if theirs else None)
    return {"bluesky_account": shown}, {"bluesky_account": held}


def _take_bluesky(
    session: Session, survivor: _Merged, other: _Merged, choices: Mapping[str, str]
) -> tuple[bool, int | None]:
    """Give the survivor the other's Bluesky link (its posts and follower history go with the
    account) unless the survivor keeps its own; before the other is deleted, which would drop
    the link. Returns whether the survivor took it, and the account left linked to nobody."""
    mine, theirs = _bluesky_of(session, survivor), _bluesky_of(session, other)
    if theirs is None:
        return False, None
    choice = choices.get("bluesky_account") or _default_choice(
        "bluesky_account", mine, theirs, set()
    )
    column = _bluesky_owner(other).key
    setattr(theirs, column, None)
    if choice != OTHER:
        return False, theirs.id
    if mine is not None:
        setattr(mine, column, None)
    session.flush()  # the owner's slot is unique: free it before giving it away
    setattr(theirs, column, survivor.id)
    return True, mine.id if mine is not None else None


def person_merge_preview(db: Database, survivor_id: int, other_id: int) -> MergePreview:
    """Both people's fields side by side, with a sensible choice for each, and what moves."""
    if survivor_id == other_id:
        raise ValidationError("Choose two different people to merge.")
    with db.read() as session:
        survivor = load_person(session, survivor_id)
        other = load_person(session, other_id)
        bluesky_shown, held = _bluesky_lines(session, survivor, other)
        shown = {"x_account_id": (_handle(survivor), _handle(other)), **bluesky_shown}
        fields = _side_by_side(survivor, other, _PERSON_FIELDS, _PERSON_COMBINABLE, shown, held)
        moves = {
            "emails": len(
                {e.email.lower() for e in other.emails} - {e.email.lower() for e in survivor.emails}
            ),
            "phones": len({p.number for p in other.phones} - {p.number for p in survivor.phones}),
            "employments": len(other.employments),
            "tags": len({t.id for t in other.tags} - {t.id for t in survivor.tags}),
            "interactions": _count(
                session,
                select(func.count())
                .select_from(interaction_people)
                .where(interaction_people.c.person_id == other_id),
            ),
            "placements": _count(
                session,
                select(func.count())
                .select_from(Placement)
                .where(
                    (Placement.candidate_id == other_id) | (Placement.client_contact_id == other_id)
                ),
            ),
            **assignment_transfer.merge_counts(session, survivor_id, other_id),
        }
        return MergePreview(
            PERSON,
            survivor.id,
            survivor.version,
            survivor.display_name,
            other.id,
            other.version,
            other.display_name,
            fields,
            moves,
        )


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def _combine(name: str, mine: Any, theirs: Any) -> Any:
    if name in _FLAGS:
        return bool(mine) or bool(theirs)
    if name == "candidate_sectors":
        sectors = [s for s in f"{mine or ''},{theirs or ''}".split(",") if s]
        return ",".join(dict.fromkeys(sectors)) or None
    if not mine or not theirs or mine == theirs:
        return mine or theirs
    separator = "\n\n" if name == "notes" else "; "
    return f"{mine}{separator}{theirs}"


def _checked_choices(
    choices: Mapping[str, str] | None, fields: list[tuple[str, str]], combinable: set[str]
) -> dict[str, str]:
    """The recruiter's choices, refused before anything is opened if one makes no sense."""
    checked = dict(choices or {})
    allowed = {name for name, _label in fields}
    for name, choice in checked.items():
        if name not in allowed:
            raise ValidationError(f"{name} is not a field that can be chosen in a merge.")
        if choice not in (SURVIVOR, OTHER, BOTH):
            raise ValidationError(
                f"Keep the survivor's value, the other's, or both; not {choice!r}."
            )
        if choice == BOTH and name not in combinable:
            raise ValidationError(f"Only one {name.replace('_', ' ')} can be kept.")
    return checked


def _chosen_values(
    survivor: _Merged,
    other: _Merged,
    names: Iterable[str],
    choices: Mapping[str, str],
    combinable: set[str],
) -> dict[str, Any]:
    """What the survivor should hold where it takes the other's value or both: each field as
    chosen, or as the preview suggested."""
    values: dict[str, Any] = {}
    for name in names:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        choice = choices.get(name) or _default_choice(name, mine, theirs, combinable)
        if choice == OTHER:
            values[name] = theirs
        elif choice == BOTH:
            values[name] = _combine(name, mine, theirs)
    return values


def _take_values(survivor: _Merged, values: Mapping[str, Any]) -> list[str]:
    """Set ``values`` on the survivor; the names of the fields that changed."""
    taken = []
    for name, value in values.items():
        if getattr(survivor, name) != value:
            setattr(survivor, name, value)
            taken.append(name)
    return taken


def _take_tags(survivor: _Merged, other: _Merged) -> int:
    """Give the survivor the other's tags it lacks; how many."""
    tags = [t for t in other.tags if t not in survivor.tags]
    survivor.tags.extend(tags)
    return len(tags)


# The columns that name a person or an organisation, each with what a merge reports the rows
# as: a merge points them all at the survivor. Links that need more than that (interactions or
# shortlists both people are on, jobs recorded twice) are handled beside these.
_PERSON_REFERENCES: list[tuple[str, Any]] = [
    ("placements", Placement.candidate_id),
    ("placements", Placement.client_contact_id),
    ("shortlist_entries", ShortlistEntry.person_id),
    ("assignments", Assignment.contact_id),
]
_ORGANISATION_REFERENCES: list[tuple[str, Any]] = [
    ("employments", Employment.organisation_id),
    ("placements", Placement.organisation_id),
    ("assignments", Assignment.organisation_id),
    ("interactions", Interaction.organisation_id),
    ("child_organisations", Organisation.parent_id),
]


def _repoint_references(
    session: Session, references: list[tuple[str, Any]], survivor: _Merged, other: _Merged
) -> dict[str, int]:
    """Point the rows that name the other record in ``references`` at the survivor instead,
    bumping their versions (an editor open on one must reload); how many rows moved, by
    label. A record of the merged kind never comes to name the survivor itself (as its own
    parent)."""
    moved: dict[str, int] = {}
    for label, column in references:
        model = column.class_
        itself = [model.id != survivor.id] if model is type(survivor) else []
        result = session.execute(
            update(model)
            .where(column == other.id, *itself)
            .values({column.key: survivor.id, "version": model.version + 1})
            .execution_options(synchronize_session=False)
        )
        moved[label] = moved.get(label, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]
    return moved


def _delete_merged(
    session: Session,
    kind: str,
    survivor: _Merged,
    other: _Merged,
    other_name: str,
    taken: list[str],
    moved: dict[str, int],
    **more: Any,
) -> None:
    """Delete the other record and say on both what the merge did (the survivor's entry
    names the other as ``merged_person_id`` or ``merged_organisation_id``)."""
    survivor_id, other_id = survivor.id, other.id
    survivor.updated_at = utcnow()
    session.flush()
    session.expire(other)
    session.delete(other)
    session.flush()
    audit.record(
        session,
        kind,
        survivor_id,
        "merge",
        {
            f"merged_{kind}_id": other_id,
            "merged_name": other_name,
            "fields_from_merged": taken,
            "moved": moved,
            **more,
        },
    )
    audit.record(session, kind, other_id, "merged_into", {"survivor_id": survivor_id})


def merge_people(
    db: Database,
    survivor_id: int,
    other_id: int,
    choices: Mapping[str, str] | None = None,
    *,
    survivor_version: int | None = None,
    other_version: int | None = None,
) -> int:
    """Merge ``other_id`` into ``survivor_id``; returns the survivor's new version.

    ``choices`` maps a field to ``"survivor"``, ``"other"`` or ``"both"``; fields left out
    take :func:`person_merge_preview`'s default. Every email, phone, tag, job, interaction,
    placement (as candidate or client contact), the X link and the Bluesky link move to the
    survivor; the other person is deleted. Versions given are checked against both records.
    """
    if survivor_id == other_id:
        raise ValidationError("Choose two different people to merge.")
    choices = _checked_choices(choices, _PERSON_FIELDS, _PERSON_COMBINABLE)
    with audit.versioned_edit(db, "person", survivor_id, "This person") as session:
        survivor = load_person(session, survivor_id)
        other = load_person(session, other_id)
        for person, expected in ((survivor, survivor_version), (other, other_version)):
            audit.check_version(
                session, "person", person.id, person.version, expected, person.display_name
            )
        other_name = other.display_name
        # The X and Bluesky links are unique and the one not kept is unlinked: they are
        # handled on their own below.
        names = (name for name, _label in _PERSON_FIELDS if name not in ("x_account_id", *_LINKS))
        values = _chosen_values(survivor, other, names, choices, _PERSON_COMBINABLE)
        taken = _take_values(survivor, values)
        if not survivor.first_name and not survivor.last_name:
            raise ValidationError("The merged person needs a name (first, last or both).")
        survivor.sort_name = sort_name(survivor.first_name, survivor.last_name)
        x_choice = choices.get("x_account_id") or _default_choice(
            "x_account_id", survivor.x_account_id, other.x_account_id, set()
        )
        unlinked_account: int | None = None
        if other.x_account_id is not None:
            account = other.x_account_id
            other.x_account_id = None
            session.flush()  # the link is unique: free it before giving it away
            if x_choice == OTHER:
                unlinked_account = survivor.x_account_id
                survivor.x_account_id = account
                taken.append("x_account_id")
            else:
                unlinked_account = account
        took_bluesky, unlinked_bluesky = _take_bluesky(session, survivor, other, choices)
        if took_bluesky:
            taken.append("bluesky_account")
        moved = _move_person_things(session, survivor, other)
        _delete_merged(
            session,
            "person",
            survivor,
            other,
            other_name,
            taken,
            moved,
            x_account_left_unlinked=unlinked_account,
            bluesky_account_left_unlinked=unlinked_bluesky,
        )
        refresh_people(session, [survivor_id])
        session.flush()
        log.info("Merged person #%d into #%d", other_id, survivor_id)
        return survivor.version


def _move_person_things(session: Session, survivor: Person, other: Person) -> dict[str, int]:
    moved: dict[str, int] = {}
    have = {e.email.lower() for e in survivor.emails}
    emails = [e for e in other.emails if e.email.lower() not in have]
    for email in emails:
        email.person = survivor
    moved["emails"] = len(emails)
    numbers = {p.number for p in survivor.phones}
    phones = [p for p in other.phones if p.number not in numbers]
    for phone in phones:
        phone.person = survivor
    moved["phones"] = len(phones)
    moved["tags"] = _take_tags(survivor, other)
    jobs = 0
    for job in list(other.employments):
        twin = next(
            (
                mine
                for mine in survivor.employments
                if mine.organisation_id == job.organisation_id
                and (
                    (mine.end_date is None and job.end_date is None)
                    or (mine.start_date, mine.end_date) == (job.start_date, job.end_date)
                )
            ),
            None,
        )
        if twin is not None:
            # The same job recorded twice: keep one, with a title if either had one.
            if not twin.title and job.title:
                twin.title = job.title
            continue
        job.person = survivor
        jobs += 1
    moved["employments"] = jobs
    session.flush()
    # Interactions with both keep one link; the rest move. Core: no objects to load.
    shared = select(interaction_people.c.interaction_id).where(
        interaction_people.c.person_id == survivor.id
    )
    result = session.execute(
        update(interaction_people)
        .where(
            interaction_people.c.person_id == other.id,
            interaction_people.c.interaction_id.not_in(shared),
        )
        .values(person_id=survivor.id)
    )
    moved["interactions"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(delete(interaction_people).where(interaction_people.c.person_id == other.id))
    # On an assignment both were shortlisted for, the survivor's entry stays and the other's
    # goes (its stage history with it); the rest move with the other references.
    both = select(ShortlistEntry.assignment_id).where(ShortlistEntry.person_id == survivor.id)
    session.execute(
        delete(ShortlistEntry).where(
            ShortlistEntry.person_id == other.id, ShortlistEntry.assignment_id.in_(both)
        )
    )
    moved.update(_repoint_references(session, _PERSON_REFERENCES, survivor, other))
    return moved


_ORGANISATION_FIELDS: list[tuple[str, str]] = [
    ("name", "Name"),
    ("sector", "Sector"),
    ("org_type", "Type"),
    ("region", "Region"),
    ("website", "Website"),
    ("ods_code", "ODS code"),
    ("gss_code", "GSS code"),
    ("parent_id", "Parent organisation"),
    ("client_status", "Client status"),
    ("owner", "Owner"),
    ("notes", "Notes"),
    ("x_account_id", "X account"),
    ("bluesky_account", "Bluesky account"),
]
_ORGANISATION_COMBINABLE = {"notes"}
# Links that are not a column of the record: chosen like fields, moved on their own.
_LINKS = ("bluesky_account",)


def organisation_merge_preview(db: Database, survivor_id: int, other_id: int) -> MergePreview:
    if survivor_id == other_id:
        raise ValidationError("Choose two different organisations to merge.")
    with db.read() as session:
        survivor = load_organisation(session, survivor_id)
        other = load_organisation(session, other_id)
        shown = {
            "parent_id": (
                survivor.parent.name if survivor.parent else "",
                other.parent.name if other.parent else "",
            ),
            "x_account_id": (_handle(survivor), _handle(other)),
        }
        bluesky_shown, held = _bluesky_lines(session, survivor, other)
        shown.update(bluesky_shown)
        fields = _side_by_side(
            survivor, other, _ORGANISATION_FIELDS, _ORGANISATION_COMBINABLE, shown, held
        )

        moves = {
            label: _count(session, select(func.count()).where(column == other_id))
            for label, column in _ORGANISATION_REFERENCES
        }
        moves["tags"] = len({t.id for t in other.tags} - {t.id for t in survivor.tags})
        return MergePreview(
            ORGANISATION,
            survivor.id,
            survivor.version,
            survivor.name,
            other.id,
            other.version,
            other.name,
            fields,
            moves,
        )


def merge_organisations(
    db: Database,
    survivor_id: int,
    other_id: int,
    choices: Mapping[str, str] | None = None,
    *,
    survivor_version: int | None = None,
    other_version: int | None = None,
) -> int:
    """Merge organisation ``other_id`` into ``survivor_id``; returns the survivor's version.

    Jobs, placements, interactions, child organisations, tags, the X link and the Bluesky
    link move to the survivor; the other organisation is deleted.
    """
    if survivor_id == other_id:
        raise ValidationError("Choose two different organisations to merge.")
    choices = _checked_choices(choices, _ORGANISATION_FIELDS, _ORGANISATION_COMBINABLE)
    with audit.versioned_edit(db, "organisation", survivor_id, "This organisation") as session:
        survivor = load_organisation(session, survivor_id)
        other = load_organisation(session, other_id)
        for org, expected in ((survivor, survivor_version), (other, other_version)):
            audit.check_version(session, "organisation", org.id, org.version, expected, org.name)
        other_name = other.name
        names = (name for name, _label in _ORGANISATION_FIELDS if name not in _LINKS)
        values = _chosen_values(survivor, other, names, choices, _ORGANISATION_COMBINABLE)
        if values.get("parent_id") in (survivor_id, other_id):
            values["parent_id"] = None
        # Codes and the X link are unique: take them off the other record first.
        for name in ("ods_code", "gss_code", "x_account_id"):
            if name in values:
                setattr(other, name, None)
        session.flush()
        taken = _take_values(survivor, values)
        took_bluesky, unlinked_bluesky = _take_bluesky(session, survivor, other, choices)
        if took_bluesky:
            taken.append("bluesky_account")
        moved = _move_organisation_things(session, survivor, other)
        _delete_merged(
            session,
            "organisation",
            survivor,
            other,
            other_name,
            taken,
            moved,
            bluesky_account_left_unlinked=unlinked_bluesky,
        )
        people = session.scalars(
            select(Employment.person_id).where(Employment.organisation_id == survivor_id)
        )
        refresh_people(session, people)
        session.flush()
        return survivor.version


def _move_organisation_things(
    session: Session, survivor: Organisation, other: Organisation
) -> dict[str, int]:
    moved = _repoint_references(session, _ORGANISATION_REFERENCES, survivor, other)
    if survivor.parent_id == other.id:
        survivor.parent_id = other.parent_id if other.parent_id != survivor.id else None
    moved["tags"] = _take_tags(survivor, other)
    session.execute(
        delete(organisation_tags).where(organisation_tags.c.organisation_id == other.id)
    )
    return moved
