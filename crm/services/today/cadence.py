"""Keep-in-touch cadences: every N weeks per person (0: never) and per tag, over the default
per kind (clients, candidates) from settings. The Today page's keep-in-touch list applies
them (:mod:`crm.services.today.sections`); here they are read and set, each change one audited
transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from crm.domain.errors import NotFoundError, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.services.today.rules import DEFAULT_RULES, MAX_CADENCE_WEEKS, TodayRules
from crm.storage.db import Database
from crm.storage.models import Person, Tag, person_tags


@dataclass(frozen=True)
class PersonCadence:
    """A person's keep-in-touch cadence, and where it comes from."""

    #: Their own setting: weeks, 0 for never, None to follow their tags or kind.
    own: int | None
    #: What applies: weeks, or None when nobody keeps count (never, or no kind with one).
    weeks: int | None
    #: "own", "never", "tag NAME", "candidate", "client" or "none".
    source: str

    def describe(self) -> str:
        if self.source == "never":
            return "never (their own setting)"
        if self.weeks is None:
            return "none (neither a candidate nor a client contact)"
        where = {
            "own": "their own setting",
            "candidate": "the default for candidates",
            "client": "the default for client contacts",
        }.get(self.source, self.source)
        return f"every {self.weeks} week{'s' if self.weeks != 1 else ''} ({where})"


def person_cadence(
    db: Database, person_id: int, rules: TodayRules = DEFAULT_RULES
) -> PersonCadence:
    """The cadence that applies to a person, as the keep-in-touch list applies it: their own,
    else the shortest of their tags', else their kind's."""
    with db.read() as session:
        person = load(session, Person, person_id, "person")
        own = person.contact_every_weeks
        if own is not None:
            return PersonCadence(own, own or None, "own" if own else "never")
        tag = session.execute(
            select(Tag.contact_every_weeks, Tag.name)
            .join(person_tags, person_tags.c.tag_id == Tag.id)
            .where(person_tags.c.person_id == person_id, Tag.contact_every_weeks > 0)
            .order_by(Tag.contact_every_weeks, Tag.id)
            .limit(1)
        ).first()
        if tag is not None:
            return PersonCadence(None, int(tag[0] or 0), f"tag {tag[1]}")
        if person.is_candidate:
            return PersonCadence(None, rules.candidate_weeks, "candidate")
        if person.is_client_contact:
            return PersonCadence(None, rules.client_weeks, "client")
        return PersonCadence(None, None, "none")


def tag_cadences(db: Database) -> list[tuple[str, int | None]]:
    """Every tag by name (case-insensitively) with its cadence in weeks (None: none)."""
    with db.read() as session:
        return [
            (name, weeks)
            for name, weeks in session.execute(
                select(Tag.name, Tag.contact_every_weeks).order_by(func.lower(Tag.name), Tag.id)
            )
        ]


def _cadence(weeks: int | None, *, allow_never: bool) -> int | None:
    if weeks is None:
        return None
    low = 0 if allow_never else 1
    if not low <= weeks <= MAX_CADENCE_WEEKS:
        raise ValidationError(
            f"A keep-in-touch cadence is {low} to {MAX_CADENCE_WEEKS} weeks"
            + (" (0: never)." if allow_never else "."),
            field="contact_every_weeks",
        )
    return weeks


def set_person_cadence(db: Database, person_id: int, weeks: int | None) -> None:
    """Keep in touch with a person every ``weeks`` (0: never; None: their tags' or kind's)."""
    weeks = _cadence(weeks, allow_never=True)
    with db.session() as session:
        person = load(session, Person, person_id, "person")
        was = person.contact_every_weeks
        person.contact_every_weeks = weeks
        audit.record(session, "person", person_id, "update", {"contact_every_weeks": [was, weeks]})


def set_tag_cadence(db: Database, tag_name: str, weeks: int | None) -> None:
    """Keep in touch with everyone tagged ``tag_name`` every ``weeks`` (None: no cadence)."""
    weeks = _cadence(weeks, allow_never=False)
    name = " ".join((tag_name or "").split())
    with db.session() as session:
        tag = session.scalars(select(Tag).where(func.lower(Tag.name) == name.lower())).first()
        if tag is None:
            raise NotFoundError(f"There is no tag {name!r}.")
        was = tag.contact_every_weeks
        tag.contact_every_weeks = weeks
        audit.record(session, "tag", tag.id, "update", {"contact_every_weeks": [was, weeks]})
