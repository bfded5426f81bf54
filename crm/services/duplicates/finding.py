"""Finding likely duplicates: pairs of people or organisations that share an identifier (an
email address, a phone number, a LinkedIn profile, a website) or have similar names at the
same organisation (rapidfuzz)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.domain.values import fold, format_phone, search_words
from crm.storage.db import Database
from crm.storage.models import (
    Employment,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
)

PERSON = "person"
ORGANISATION = "organisation"
NAME_THRESHOLD = 85
SURNAME_THRESHOLD = 80  # with the very same first name: Smith and Smyth
ORGANISATION_THRESHOLD = 92
MAX_PAIRS = 1000


@dataclass(frozen=True)
class DuplicatePair:
    """Two records that are probably one: ``score`` is 100 for a shared identifier."""

    kind: str
    first_id: int
    first_name: str
    first_detail: str
    second_id: int
    second_name: str
    second_detail: str
    reasons: tuple[str, ...]
    score: int


def _compact(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text or ""))


def _first_names_alike(a: Iterable[str], b: Iterable[str]) -> int:
    best = 0
    for x in a:
        for y in b:
            if not x or not y:
                continue
            if x == y:
                return 100
            short, long_ = sorted((x, y), key=len)
            if len(short) >= 3 and long_.startswith(short):
                best = max(best, 90)  # Jon and Jonathan, Chris and Christopher
            else:
                best = max(best, int(fuzz.ratio(x, y)))
    return best


@dataclass
class _Candidate:
    id: int
    name: str
    firsts: tuple[str, ...]
    last: str


def _name_pairs(people: list[_Candidate], threshold: int) -> Iterable[tuple[int, int, int, str]]:
    """Pairs of people (at one organisation) whose names are alike: same or near surname and
    same or near first name."""
    by_last: dict[str, list[_Candidate]] = defaultdict(list)
    for p in people:
        by_last[p.last].append(p)
    lasts = list(by_last)
    for i, last in enumerate(lasts):
        group = by_last[last]
        for a_index, a in enumerate(group):
            for b in group[a_index + 1 :]:
                score = _first_names_alike(a.firsts, b.firsts)
                if score >= threshold:
                    yield a.id, b.id, score, "similar names at the same organisation"
        # Surnames spelt a little differently (Smith, Smyth) with the very same first name.
        others = lasts[i + 1 :]
        if not others or len(last) < 4:
            continue
        for other_last, last_score, _ in process.extract(
            last, others, scorer=fuzz.ratio, score_cutoff=SURNAME_THRESHOLD, limit=None
        ):
            for a in group:
                for b in by_last[other_last]:
                    if _first_names_alike(a.firsts, b.firsts) == 100:
                        yield a.id, b.id, int(last_score), "similar names at the same organisation"


class _Found:
    """The pairs found so far, each with its best score and every reason it was found for."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[int, int], tuple[int, set[str]]] = {}

    def note(self, a: int, b: int, score: int, reason: str) -> None:
        key = (min(a, b), max(a, b))
        old_score, reasons = self.pairs.get(key, (0, set()))
        reasons.add(reason)
        self.pairs[key] = (max(old_score, score), reasons)

    def best(self, limit: int) -> list[tuple[tuple[int, int], tuple[int, set[str]]]]:
        """The ``limit`` most certain pairs, most certain first."""
        return sorted(self.pairs.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]


def find_duplicate_people(
    db: Database, *, threshold: int = NAME_THRESHOLD, limit: int = MAX_PAIRS
) -> list[DuplicatePair]:
    """Likely duplicate people, most certain first."""
    found = _Found()
    note = found.note

    with db.read() as session:
        for label, column, owner in (
            ("same email", func.lower(PersonEmail.email), PersonEmail.person_id),
            ("same phone", PersonPhone.number, PersonPhone.person_id),
        ):
            groups = _shared(session, column, owner)
            for value, ids in groups:
                shown = format_phone(value) if label == "same phone" else value
                for a, b in _pairs(ids):
                    note(a, b, 100, f"{label} {shown}")
        linkedin = func.lower(func.rtrim(Person.linkedin_url, "/"))
        for value, ids in _shared(session, linkedin, Person.id, Person.linkedin_url.is_not(None)):
            for a, b in _pairs(ids):
                note(a, b, 100, f"same LinkedIn profile {value}")
        # Similar names among the people currently at each organisation.
        rows = session.execute(
            select(
                Employment.organisation_id,
                Person.id,
                Person.first_name,
                Person.preferred_name,
                Person.last_name,
            )
            .join(Person, Person.id == Employment.person_id)
            .where(Employment.end_date.is_(None))
            .order_by(Employment.organisation_id, Person.id)
        )
        by_org: dict[int, dict[int, _Candidate]] = defaultdict(dict)
        for org_id, pid, first, preferred, last in rows:
            by_org[org_id][pid] = _Candidate(
                pid,
                f"{first} {last}",
                tuple(x for x in (_compact(first), _compact(preferred)) if x),
                _compact(last),
            )
        for people in by_org.values():
            if len(people) < 2:
                continue
            for a, b, score, reason in _name_pairs(list(people.values()), threshold):
                note(a, b, score, reason)
        ordered = found.best(limit)
        details = _person_labels(session, {i for key, _ in ordered for i in key})
    return [
        DuplicatePair(
            PERSON,
            a,
            details[a][0],
            details[a][1],
            b,
            details[b][0],
            details[b][1],
            tuple(sorted(reasons)),
            score,
        )
        for (a, b), (score, reasons) in ordered
        if a in details and b in details
    ]


def _shared(
    session: Session, column: Any, owner: Any, *conditions: Any
) -> list[tuple[str, list[int]]]:
    """Values of ``column`` held by more than one owner, with the owners."""
    dupes = (
        select(column.label("value"))
        .where(*conditions)
        .group_by(column)
        .having(func.count(func.distinct(owner)) > 1)
        .subquery()
    )
    rows = session.execute(
        select(column, owner).where(column.in_(select(dupes.c.value))).order_by(owner)
    )
    groups: dict[str, list[int]] = defaultdict(list)
    for value, owner_id in rows:
        if owner_id not in groups[value]:
            groups[value].append(owner_id)
    return list(groups.items())


def _pairs(ids: list[int]) -> Iterable[tuple[int, int]]:
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            yield a, b


def _person_labels(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    labels: dict[int, tuple[str, str]] = {}
    orgs: dict[int, str] = {}
    for pid, name in session.execute(
        select(Employment.person_id, Organisation.name)
        .join(Organisation, Organisation.id == Employment.organisation_id)
        .where(Employment.person_id.in_(ids), Employment.end_date.is_(None))
        .order_by(Employment.id)
    ):
        orgs.setdefault(pid, name)
    for pid, first, preferred, last, title in session.execute(
        select(
            Person.id, Person.first_name, Person.preferred_name, Person.last_name, Person.job_title
        ).where(Person.id.in_(ids))
    ):
        detail = ", ".join(x for x in (title, orgs.get(pid)) if x)
        labels[pid] = (f"{preferred or first} {last}", detail)
    return labels


# Words that say what kind of body an organisation is rather than which one it is.
_GENERIC = {"nhs", "trust", "foundation", "ft", "the", "ltd", "limited", "plc", "and", "of"}


def _core_name(name: str) -> str:
    return " ".join(w for w in search_words(name) if w not in _GENERIC)


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url if "://" in url else "https://" + url).hostname or ""
    host = host.lower().removeprefix("www.")
    return host or None


def find_duplicate_organisations(
    db: Database, *, threshold: int = ORGANISATION_THRESHOLD, limit: int = MAX_PAIRS
) -> list[DuplicatePair]:
    """Likely duplicate organisations: same website, same name apart from words like "NHS
    Trust", or names spelt nearly the same."""
    found = _Found()
    note = found.note

    with db.read() as session:
        rows = session.execute(
            select(
                Organisation.id,
                Organisation.name,
                Organisation.website,
                Organisation.ods_code,
                Organisation.gss_code,
                Organisation.org_type,
            ).order_by(Organisation.id)
        ).all()
    names = {r.id: r.name for r in rows}
    detail = {
        r.id: ", ".join(x for x in (r.ods_code or r.gss_code, r.org_type.replace("_", " ")) if x)
        for r in rows
    }
    by_domain: dict[str, list[int]] = defaultdict(list)
    by_core: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        domain = _domain(r.website)
        if domain:
            by_domain[domain].append(r.id)
        core = _core_name(r.name)
        if core:
            by_core[core].append(r.id)
    for domain, ids in by_domain.items():
        for a, b in _pairs(ids):
            note(a, b, 100, f"same website {domain}")
    for ids in by_core.values():
        for a, b in _pairs(ids):
            note(a, b, 100, "same name apart from words like NHS or Trust")
    # Near spellings, compared within blocks that share the first word of the core name.
    blocks: dict[str, list[str]] = defaultdict(list)
    for core in by_core:
        blocks[core.split()[0]].append(core)
    for cores in blocks.values():
        for i, core in enumerate(cores):
            others = cores[i + 1 :]
            if not others:
                continue
            for other, score, _ in process.extract(
                core, others, scorer=fuzz.ratio, score_cutoff=threshold, limit=None
            ):
                for a in by_core[core]:
                    for b in by_core[other]:
                        note(a, b, int(score), "similar names")
    ordered = found.best(limit)
    return [
        DuplicatePair(
            ORGANISATION,
            a,
            names[a],
            detail[a],
            b,
            names[b],
            detail[b],
            tuple(sorted(reasons)),
            score,
        )
        for (a, b), (score, reasons) in ordered
    ]
