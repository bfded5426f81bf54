"""People: add, edit, delete, find, and their employments at organisations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.domain.enums import ConsentStatus, IR35Preference, LawfulBasis, Sector
from crm.domain.errors import AmbiguousError, NotFoundError, ValidationError
from crm.domain.filters import PeopleFilter
from crm.domain.values import (
    XHandle,
    as_record_id,
    check_date_range,
    fold,
    limit_text,
    normalise_email,
    normalise_phone,
    parse_choice,
    parse_day_rate,
    unique_ignoring_case,
)
from crm.services import audit
from crm.services.common import load, load_person, tags_named, x_view
from crm.services.views import EmploymentView, PersonDetail, PersonSummary
from crm.storage.db import Database
from crm.storage.models import (
    Employment,
    Interaction,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    Placement,
    XAccount,
    interaction_people,
)
from crm.storage.people_list import person_rows, search_person_rows
from crm.storage.search import search_people_ids
from crm.storage.search import sort_name as sort_name  # part of this module's interface
from crm.storage.types import utcnow

# A person's free-text fields (label, longest length): a recruiter's edits and an import's
# cells are cleaned by them alike.
TEXT_FIELDS = {
    "preferred_name": ("Preferred name", 100),
    "job_title": ("Job title", 200),
    "location": ("Location", 200),
    "linkedin_url": ("LinkedIn URL", 500),
    "notes": ("Notes", 100_000),
    "owner": ("Owner", 200),
    "specialisms": ("Specialisms", 500),
    "consent_source": ("Consent source", 200),
}


@dataclass
class PersonInput:
    """What a recruiter types to add a person; optional fields may stay empty."""

    first_name: str
    last_name: str
    preferred_name: str | None = None
    job_title: str | None = None
    organisation_id: int | None = None  # current employer, if any
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    location: str | None = None
    linkedin_url: str | None = None
    is_client_contact: bool = False
    is_candidate: bool = False
    notes: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    available_from: date | None = None
    day_rate_expectation: str | Decimal | None = None
    specialisms: str | None = None
    candidate_sectors: list[str] = field(default_factory=list)
    willing_to_travel: bool | None = None
    ir35_preference: str | None = None
    lawful_basis: str | None = LawfulBasis.LEGITIMATE_INTERESTS.value
    do_not_contact: bool = False


def clean_field(field_name: str, value: Any) -> Any:
    """Validate and normalise one editable field; raises ValidationError naming the field."""
    if field_name in ("first_name", "last_name"):
        # Either may be empty for a person with a single name; require_name checks both.
        label = "First name" if field_name == "first_name" else "Last name"
        return limit_text(value, label, field_name, 100)
    if field_name in TEXT_FIELDS:
        label, size = TEXT_FIELDS[field_name]
        text = limit_text(value, label, field_name, size)
        if field_name == "linkedin_url" and text and "linkedin.com/" not in text.lower():
            raise ValidationError("That is not a LinkedIn profile address.", field=field_name)
        return text or None
    if field_name == "emails":
        return unique_ignoring_case([normalise_email(e) for e in value if str(e).strip()])
    if field_name == "phones":
        return unique_ignoring_case([normalise_phone(p) for p in value if str(p).strip()])
    if field_name == "tags":
        return [str(t) for t in value]
    if field_name == "day_rate_expectation":
        if value in (None, ""):
            return None
        return parse_day_rate(value, field=field_name)
    if field_name == "candidate_sectors":
        sectors = [str(s) for s in value if str(s)]
        allowed = {s.value for s in Sector}
        bad = [s for s in sectors if s not in allowed]
        if bad:
            raise ValidationError(f"Unknown sector {bad[0]!r}.", field=field_name)
        return ",".join(sectors) or None
    if field_name == "ir35_preference":
        return parse_choice(value, IR35Preference, field_name, "an IR35 preference")
    if field_name == "lawful_basis":
        return parse_choice(value, LawfulBasis, field_name, "a lawful basis")
    if field_name == "consent_status":
        return (
            parse_choice(value, ConsentStatus, field_name, "a consent status")
            or ConsentStatus.NONE.value
        )
    if field_name in ("is_client_contact", "is_candidate", "do_not_contact"):
        return bool(value)
    if field_name == "willing_to_travel":
        return None if value is None else bool(value)
    if field_name in ("available_from", "consent_date"):
        if value is not None and not isinstance(value, date):
            raise ValidationError("Expected a date.", field=field_name)
        return value
    raise ValidationError(f"{field_name} cannot be edited.", field=field_name)


def require_name(first: str, last: str) -> None:
    """A person needs a name: a first name, a last name, or both."""
    if not first and not last:
        raise ValidationError(
            "First name or last name is required (one is enough).", field="first_name"
        )


def _set_contacts(person: Person, emails: list[str] | None, phones: list[str] | None) -> None:
    if emails is not None:
        person.emails = [PersonEmail(email=e) for e in emails]
    if phones is not None:
        person.phones = [PersonPhone(number=p) for p in phones]


def add_person(db: Database, data: PersonInput) -> int:
    """Create a person (and their current employment); returns the new id."""
    values = {
        f.name: clean_field(f.name, getattr(data, f.name))
        for f in fields(PersonInput)
        if f.name != "organisation_id"
    }
    require_name(values["first_name"], values["last_name"])
    with db.session() as session:
        if data.organisation_id is not None:
            load(session, Organisation, data.organisation_id, "organisation")
        emails, phones, tags = values.pop("emails"), values.pop("phones"), values.pop("tags")
        person = Person(**values, sort_name=sort_name(values["first_name"], values["last_name"]))
        _set_contacts(person, emails, phones)
        person.tags = tags_named(session, tags)
        if data.organisation_id is not None:
            person.employments = [
                Employment(organisation_id=data.organisation_id, title=values["job_title"])
            ]
        session.add(person)
        session.flush()
        audit.record(
            session,
            "person",
            person.id,
            "create",
            {"name": person.display_name, **{k: v for k, v in values.items() if v}},
        )
        return person.id


def update_person(
    db: Database, person_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    """Apply ``changes`` (field -> new value) to a person; returns the new version.

    ``expected_version`` is the version the user started editing; if someone saved since,
    a ConflictError names them and nothing is written.
    """
    cleaned = {name: clean_field(name, value) for name, value in changes.items()}
    with audit.versioned_edit(db, "person", person_id, "This person") as session:
        person = audit.load_for_edit(
            session, Person, "person", person_id, expected_version, lambda p: p.display_name
        )
        diff: dict[str, Any] = {}
        for name, value in cleaned.items():
            if name == "emails":
                old = [e.email for e in person.emails]
                if old != value:
                    _set_contacts(person, value, None)
                    diff[name] = value
            elif name == "phones":
                old = [p.number for p in person.phones]
                if old != value:
                    _set_contacts(person, None, value)
                    diff[name] = value
            elif name == "tags":
                new_tags = tags_named(session, value)
                if [t.name for t in person.tags] != [t.name for t in new_tags]:
                    person.tags = new_tags
                    diff[name] = [t.name for t in new_tags]
            elif getattr(person, name) != value:
                setattr(person, name, value)
                diff[name] = value
        if not diff:
            return person.version
        require_name(person.first_name, person.last_name)
        person.sort_name = sort_name(person.first_name, person.last_name)
        # Touching the row makes even a collection-only change bump the version.
        person.updated_at = utcnow()
        audit.record(session, "person", person.id, "update", diff)
        session.flush()
        return person.version


def delete_person(db: Database, person_id: int, expected_version: int | None = None) -> None:
    """Delete a person with their emails, phones, employments and tags.

    Interactions stay for the other people in them; interactions with only this person go too.
    A person who is a placement's candidate cannot be deleted (delete the placements first).
    """
    with audit.versioned_edit(db, "person", person_id, "This person") as session:
        person = audit.load_for_edit(
            session, Person, "person", person_id, expected_version, lambda p: p.display_name
        )
        placed = session.scalar(
            select(func.count()).select_from(Placement).where(Placement.candidate_id == person_id)
        )
        if placed:
            raise ValidationError(
                f"{person.display_name} is the candidate on {placed} placement(s); "
                "delete or reassign those first."
            )
        only_theirs = (
            select(interaction_people.c.interaction_id)
            .where(interaction_people.c.person_id == person_id)
            .except_(
                select(interaction_people.c.interaction_id).where(
                    interaction_people.c.person_id != person_id
                )
            )
        )
        ids = list(session.scalars(only_theirs))
        for interaction in session.scalars(select(Interaction).where(Interaction.id.in_(ids))):
            session.delete(interaction)
        name = person.display_name
        session.delete(person)
        audit.record(
            session, "person", person_id, "delete", {"name": name, "interactions_deleted": len(ids)}
        )


def deletion_impact(db: Database, person_id: int) -> dict[str, int]:
    """What goes with a person if they are deleted, for the confirmation dialog."""
    with db.read() as session:
        load(session, Person, person_id, "person")
        interactions = (
            session.scalar(
                select(func.count())
                .select_from(interaction_people)
                .where(interaction_people.c.person_id == person_id)
            )
            or 0
        )
        employments = (
            session.scalar(
                select(func.count())
                .select_from(Employment)
                .where(Employment.person_id == person_id)
            )
            or 0
        )
        placements = (
            session.scalar(
                select(func.count())
                .select_from(Placement)
                .where(Placement.candidate_id == person_id)
            )
            or 0
        )
        return {"interactions": interactions, "employments": employments, "placements": placements}


# -- reading ------------------------------------------------------------------------------
def _summary(row: Sequence[Any]) -> PersonSummary:
    # Unpacked by position: a page is 50-100 rows on every keystroke, and attribute access on
    # rows costs more than the rest of this. last_at arrives aware (UTCDateTime).
    pid, first, preferred, last, title, client, candidate, available, dnc, *rest = row
    org_id, org_name, handle, followers, last_at = rest
    return PersonSummary(
        id=pid,
        name=f"{preferred or first} {last}",
        job_title=title,
        organisation_id=org_id,
        organisation=org_name,
        is_client_contact=client,
        is_candidate=candidate,
        x_handle=handle,
        followers=followers,
        last_interaction_at=last_at,
        available_from=available,
        do_not_contact=dnc,
    )


def _summaries(session: Session, ids: Sequence[int]) -> list[PersonSummary]:
    return [_summary(row) for row in person_rows(session, ids)]


def person_summaries(db: Database, ids: Sequence[int]) -> list[PersonSummary]:
    """Rows for the given ids, in that order (the people table loads pages this way)."""
    with db.read() as session:
        out: list[PersonSummary] = []
        for start in range(0, len(ids), 500):
            out.extend(_summaries(session, ids[start : start + 500]))
        return out


def search_people(
    db: Database, text: str, filters: PeopleFilter | None = None, limit: int = 50, offset: int = 0
) -> list[PersonSummary]:
    """People matching ``text`` (any words of name, title, organisation, email, handle, tag,
    notes), best first; with empty text, everyone by surname. Never raises on odd input."""
    return [_summary(row) for row in search_person_rows(db, text, filters, limit, offset)]


# The longest list the people table holds (the first this many by name at a million people).
LIST_LIMIT = 200_000


def search_people_id_list(
    db: Database, text: str, filters: PeopleFilter | None = None, limit: int = LIST_LIMIT
) -> list[int]:
    """Only the ids, for lists that load their rows lazily."""
    with db.read() as session:
        return search_people_ids(session, text, filters, limit=limit)


def count_people(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Person)) or 0)


def people_at(db: Database, organisation_id: int, current: bool = True) -> list[PersonSummary]:
    """Everyone at an organisation now (or, with ``current=False``, who used to be)."""
    with db.read() as session:
        load(session, Organisation, organisation_id, "organisation")
        condition = Employment.end_date.is_(None) if current else Employment.end_date.is_not(None)
        ids = list(
            session.scalars(
                select(Person.id)
                .distinct()
                .join(Employment, Employment.person_id == Person.id)
                .where(Employment.organisation_id == organisation_id, condition)
                .order_by(Person.id)
            )
        )
        people = _summaries(session, ids)
        return sorted(people, key=lambda p: fold(p.name.split()[-1] + " " + p.name))


def get_person(db: Database, person_id: int) -> PersonDetail:
    with db.read() as session:
        person = load_person(session, person_id)
        employments = sorted(
            person.employments,
            key=lambda e: (e.end_date is not None, -(e.start_date or date.min).toordinal()),
        )
        return PersonDetail(
            id=person.id,
            version=person.version,
            first_name=person.first_name,
            last_name=person.last_name,
            preferred_name=person.preferred_name,
            name=person.display_name,
            job_title=person.job_title,
            location=person.location,
            linkedin_url=person.linkedin_url,
            is_client_contact=person.is_client_contact,
            is_candidate=person.is_candidate,
            notes=person.notes,
            owner=person.owner,
            emails=[e.email for e in person.emails],
            phones=[p.number for p in person.phones],
            tags=sorted((t.name for t in person.tags), key=str.casefold),
            employments=[
                EmploymentView(
                    id=e.id,
                    organisation_id=e.organisation_id,
                    organisation=e.organisation.name,
                    title=e.title,
                    start_date=e.start_date,
                    end_date=e.end_date,
                    version=e.version,
                )
                for e in employments
            ],
            lawful_basis=person.lawful_basis,
            consent_status=person.consent_status,
            consent_date=person.consent_date,
            consent_source=person.consent_source,
            do_not_contact=person.do_not_contact,
            available_from=person.available_from,
            day_rate_expectation=person.day_rate_expectation,
            day_rate_currency=person.day_rate_currency,
            specialisms=person.specialisms,
            candidate_sectors=[s for s in (person.candidate_sectors or "").split(",") if s],
            willing_to_travel=person.willing_to_travel,
            ir35_preference=person.ir35_preference,
            x_account=x_view(person.x_account),
            created_at=person.created_at,
            updated_at=person.updated_at,
        )


def resolve_person(db: Database, ref: str) -> int:
    """A person from what a user types: an id, an email, an @handle or an unambiguous name."""
    text = (ref or "").strip()
    if not text:
        raise ValidationError("Say which person: an id, an email, an @handle or a name.")
    with db.read() as session:
        number = as_record_id(text)
        if number is not None:
            if not number or session.get(Person, number) is None:
                raise NotFoundError(f"There is no person with id {text}.")
            return number
        if "@" in text and not text.startswith("@"):
            ids = list(
                session.scalars(
                    select(PersonEmail.person_id)
                    .distinct()
                    .where(func.lower(PersonEmail.email) == text.lower())
                )
            )
            return _one(session, ids, f"No one has the email {text}.", text)
        if text.startswith("@") or "x.com/" in text or "twitter.com/" in text:
            handle = XHandle.parse(text)
            ids = list(
                session.scalars(
                    select(Person.id)
                    .join(XAccount, XAccount.id == Person.x_account_id)
                    .where(func.lower(XAccount.handle) == handle.key)
                )
            )
            return _one(session, ids, f"No one is linked to {handle}.", text)
        words = fold(text).split()
        full = fold(text)
        exact = list(
            session.scalars(
                select(Person.id).where(
                    or_(
                        # Trimmed: a person with a single name has an empty first or last.
                        func.lower(func.trim(Person.first_name + " " + Person.last_name)) == full,
                        func.lower(
                            func.trim(
                                func.coalesce(Person.preferred_name, "") + " " + Person.last_name
                            )
                        )
                        == full,
                    )
                )
            )
        )
        if exact:
            return _one(session, exact, "", text)
        ids = search_people_ids(session, " ".join(words), limit=6)
        return _one(session, ids, f"No one matches {text!r}.", text)


def _one(session: Session, ids: list[int], missing: str, ref: str) -> int:
    if not ids:
        raise NotFoundError(missing)
    if len(ids) > 1:
        labels = [
            (s.id, f"{s.name} ({s.organisation or 'no organisation'})")
            for s in _summaries(session, ids[:10])
        ]
        raise AmbiguousError(
            f"{ref!r} matches {len(ids)} people: "
            + "; ".join(f"#{i} {label}" for i, label in labels[:5])
            + ". Use an id, email or handle.",
            labels,
        )
    return ids[0]


# -- employments ----------------------------------------------------------------------------
def add_employment(
    db: Database,
    person_id: int,
    organisation_id: int,
    title: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
) -> int:
    """Record that a person works (or worked) at an organisation."""
    title = limit_text(title, "Title", "title", 200) or None
    check_date_range(start_date, end_date, "job")
    with db.session() as session:
        person = load(session, Person, person_id, "person")
        org = load(session, Organisation, organisation_id, "organisation")
        employment = Employment(
            person_id=person_id,
            organisation_id=organisation_id,
            title=title,
            start_date=start_date,
            end_date=end_date,
        )
        session.add(employment)
        if end_date is None and title:
            person.job_title = title
        session.flush()
        audit.record(
            session,
            "employment",
            employment.id,
            "create",
            {
                "person": person.display_name,
                "organisation": org.name,
                "title": title,
                "start_date": start_date,
                "end_date": end_date,
            },
        )
        return employment.id


def update_employment(
    db: Database, employment_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> int:
    allowed = {"title", "start_date", "end_date", "organisation_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be edited on a job.")
    with audit.versioned_edit(db, "employment", employment_id, "This job") as session:
        employment = audit.load_for_edit(
            session, Employment, "employment", employment_id, expected_version, "This job", "job"
        )
        if "title" in changes:
            employment.title = limit_text(changes["title"], "Title", "title", 200) or None
        if "organisation_id" in changes:
            load(session, Organisation, changes["organisation_id"], "organisation")
            employment.organisation_id = changes["organisation_id"]
        if "start_date" in changes:
            employment.start_date = changes["start_date"]
        if "end_date" in changes:
            employment.end_date = changes["end_date"]
        check_date_range(employment.start_date, employment.end_date, "job")
        session.flush()
        audit.record(session, "employment", employment_id, "update", dict(changes))
        return employment.version


def end_employment(db: Database, employment_id: int, end_date: date) -> None:
    """Mark a job as ended (the person moved on)."""
    update_employment(db, employment_id, {"end_date": end_date}, None)


def delete_employment(db: Database, employment_id: int) -> None:
    with db.session() as session:
        employment = load(session, Employment, employment_id, "job")
        session.delete(employment)
        audit.record(
            session,
            "employment",
            employment_id,
            "delete",
            {"person_id": employment.person_id, "organisation_id": employment.organisation_id},
        )


def set_tags(db: Database, person_id: int, tags: Iterable[str]) -> None:
    update_person(db, person_id, {"tags": list(tags)}, None)
