"""Matching: an assignment's candidates ranked by fit in one query, each with the reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, or_, select

from crm.domain import matching
from crm.domain.enums import PlacementStatus, WorkingPattern
from crm.services.assignments.records import rate_ceiling
from crm.services.assignments.views import CandidateMatch
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import Assignment, Person, Placement, ShortlistEntry

# Placements that keep an interim busy.
_BUSY = (
    PlacementStatus.CONFIRMED.value,
    PlacementStatus.ACTIVE.value,
    PlacementStatus.EXTENDED.value,
)


def _facts(a: Assignment, today: date) -> matching.AssignmentFacts:
    start = a.start_date if a.start_date is not None and a.start_date > today else today
    return matching.AssignmentFacts(
        role=a.role,
        sector=a.sector,
        start=start,
        location=a.location,
        remote=a.working_pattern == WorkingPattern.REMOTE.value,
        rate_ceiling=rate_ceiling(a),
        ir35=a.ir35,
        currency=a.currency,
    )


def _score_sql(f: matching.AssignmentFacts, today: date, *, sqlite: bool) -> Any:
    """The score of :func:`crm.domain.matching.fit` as one SQL expression.

    It is evaluated for every candidate free by the start (~15,000 at 100,000 people), so
    each part is written to be cheap per row: SQLite's ``LIKE`` already ignores the case of
    ASCII letters, which is all its ``lower()`` folds, so there the text is not lowered
    first; the specialism words are counted once and capped with ``min``/``least``.
    """
    M = matching

    def folded(column: Any) -> Any:
        text = func.coalesce(column, "")
        return text if sqlite else func.lower(text)

    parts: list[Any] = [
        case((Person.available_from.is_(None), M.AVAILABILITY_UNKNOWN), else_=M.AVAILABLE)
    ]
    if f.sector:
        # Stored comma-separated without spaces; commas around make whole-value matches.
        parts.append(
            case(
                ((literal(",") + Person.candidate_sectors + ",").like(f"%,{f.sector},%"), M.SECTOR),
                else_=0,
            )
        )
    specialisms = folded(Person.specialisms)
    words = matching.role_words(f.role)
    if words:
        hits = [case((specialisms.like(f"%{w}%"), 1), else_=0) for w in words]
        total: Any = hits[0]
        for h in hits[1:]:
            total = total + h
        if len(words) > M.MAX_SPECIALISM_WORDS:
            # Two-argument min() is SQLite's scalar minimum; PostgreSQL calls it least().
            smaller = func.min if sqlite else func.least
            total = smaller(total, M.MAX_SPECIALISM_WORDS)
        parts.append(total * M.SPECIALISM)
    if f.rate_ceiling is not None:
        rate = Person.day_rate_expectation
        parts.append(
            case(
                (rate.is_(None), 0),
                (rate <= f.rate_ceiling, M.RATE_WITHIN),
                (rate <= f.rate_ceiling * Decimal("1.1"), M.RATE_NEAR),
                else_=M.RATE_ABOVE,
            )
        )
    if f.ir35 in ("inside", "outside"):
        pref = Person.ir35_preference
        parts.append(
            case(
                (pref.is_(None), 0),
                (pref.in_([f.ir35, "either"]), M.IR35_SUITS),
                else_=M.IR35_CLASH,
            )
        )
    if f.remote:
        parts.append(literal(M.REMOTE))
    else:
        travels = case((Person.willing_to_travel.is_(True), M.TRAVELS), else_=0)
        if f.location:
            place = folded(Person.location)
            escaped = f.location.lower().replace("\\", "\\\\").replace("%", "\\%")
            escaped = escaped.replace("_", "\\_")
            parts.append(
                case((place.like(f"%{escaped}%", escape="\\"), M.SAME_PLACE), else_=travels)
            )
        else:
            parts.append(travels)
    recent, this_year = matching.contact_cutoffs(today)
    last = Person.last_interaction_at
    parts.append(
        case(
            (last.is_(None), 0),
            (last >= datetime.combine(recent, time(0), tzinfo=UTC), M.CONTACT_RECENT),
            (last >= datetime.combine(this_year, time(0), tzinfo=UTC), M.CONTACT_THIS_YEAR),
            else_=0,
        )
    )
    score = parts[0]
    for part in parts[1:]:
        score = score + part
    return score


def match_candidates(
    db: Database, assignment_id: int, *, limit: int = 25, today: date | None = None
) -> list[CandidateMatch]:
    """Candidates for an assignment, best fit first, each with the reasons.

    Only candidates free by the start date are ranked: their ``available_from`` is on or
    before it (or not recorded), and no placement of theirs runs past it. People marked
    do-not-contact and those already on the shortlist are left out.
    """
    day = today or date.today()
    with db.read() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        facts = _facts(a, day)
        # The few people busy past the start, and those already listed: each set is built
        # once (an index range each), not probed per candidate.
        busy = select(Placement.candidate_id).where(
            Placement.status.in_(_BUSY),
            or_(Placement.end_date.is_(None), Placement.end_date >= facts.start),
        )
        on_list = select(ShortlistEntry.person_id).where(ShortlistEntry.assignment_id == a.id)
        score = _score_sql(facts, day, sqlite=db.is_sqlite).label("score")
        stmt = (
            select(Person.id, score)
            .where(
                Person.is_candidate.is_(True),
                # One pass over the candidates' entries of ix_person_candidate_match (an OR
                # of two ranges would fetch every row from the table instead).
                func.coalesce(Person.available_from, facts.start) <= facts.start,
                Person.do_not_contact.is_(False),
                Person.id.not_in(busy),
                Person.id.not_in(on_list),
            )
            .order_by(score.desc(), Person.last_interaction_at.desc(), Person.id)
            .limit(limit)
        )
        ranked = list(session.execute(stmt))
        people = {
            p.id: p
            for p in session.scalars(select(Person).where(Person.id.in_([r[0] for r in ranked])))
        }
        out = []
        for person_id, sql_score in ranked:
            p = people[person_id]
            _points, reasons = matching.fit(facts, _candidate_facts(p), day)
            out.append(
                CandidateMatch(
                    person_id=p.id,
                    name=p.display_name,
                    score=int(sql_score),
                    reasons=reasons,
                    available_from=p.available_from,
                    rate=p.day_rate_expectation,
                    last_contact=p.last_interaction_at,
                )
            )
        return out


def _candidate_facts(p: Person) -> matching.CandidateFacts:
    return matching.CandidateFacts(
        available_from=p.available_from,
        sectors=p.candidate_sectors,
        specialisms=p.specialisms,
        rate=p.day_rate_expectation,
        ir35_preference=p.ir35_preference,
        location=p.location,
        willing_to_travel=p.willing_to_travel,
        last_contact=p.last_interaction_at,
    )


def fit_for(db: Database, assignment_id: int, person_id: int, today: date | None = None) -> int:
    """One candidate's score computed in Python (tests check it equals the ranked score)."""
    day = today or date.today()
    with db.read() as session:
        a = load(session, Assignment, assignment_id, "assignment")
        p = load(session, Person, person_id, "person")
        return matching.fit(_facts(a, day), _candidate_facts(p), day)[0]
