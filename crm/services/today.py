"""The Today page: who to call and why, from follow-ups, endings, availability, cadences, X.

Every rule here takes ``today`` (and the moment the X signals count from) as arguments and
never reads the clock, so each one is tested on fixed dates. The queries are index-backed
(migration 0006) so the whole report answers in well under 100 ms at 100,000 people.

Who to call: one ranked list. Each reason a person is on it scores points in a band:

====================================================  ===========================================
reason                                                points
====================================================  ===========================================
follow-up overdue or due today                        400 + days overdue (at most 89)
placement ending within N weeks, nothing lined up     300 + (89 - days left), at least 300
keep-in-touch cadence overdue                         200 + weeks overdue (at most 89)
X signal (tweeted, profile changed, followers moved)  100 + 30 profile, 20 followers, 1 a tweet (10)
====================================================  ===========================================

A person's score is their best reason's points plus 3 for each further reason (at most 9), so a
band is never overtaken by a lower one: any overdue follow-up outranks any ending placement,
which outranks any overdue cadence, which outranks any X signal. Ties go to the name.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.dates import UK
from crm.domain.enums import PlacementStatus, Sector
from crm.domain.errors import NotFoundError, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import (
    AuditEntry,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    Placement,
    SeenMarker,
    Tag,
    Tweet,
    XAccount,
    interaction_people,
    person_tags,
)
from crm.storage.types import utcnow

#: Placements that occupy a candidate until their end date.
BUSY_STATUSES = (
    PlacementStatus.CONFIRMED.value,
    PlacementStatus.ACTIVE.value,
    PlacementStatus.EXTENDED.value,
)
#: A next assignment counts as lined up when it is proposed or confirmed.
NEXT_STATUSES = (PlacementStatus.PROPOSED.value, PlacementStatus.CONFIRMED.value)
#: The longest keep-in-touch cadence a person or tag can have, in weeks.
MAX_CADENCE_WEEKS = 104


@dataclass(frozen=True)
class TodayRules:
    """The knobs of the Today page; :func:`rules_from_settings` reads them from settings."""

    ending_weeks: int = 8
    available_weeks: int = 8
    client_weeks: int = 6
    candidate_weeks: int = 4
    follow_up_days: int = 7
    #: Rows listed per section (counts are always complete).
    limit: int = 100
    #: Who-to-call rows.
    call_limit: int = 50
    #: A follower change is unusual beyond this many times the account's typical daily change.
    follower_factor: float = 3.0
    #: ... and beyond this many followers a day (small accounts move by a few anyway).
    follower_min_change: int = 25
    #: Without history (fewer than three earlier changes): beyond this share of followers.
    follower_share: float = 0.05


def rules_from_settings() -> TodayRules:
    return TodayRules(
        ending_weeks=max(1, int(settings.get("today_ending_weeks"))),
        available_weeks=max(0, int(settings.get("today_available_weeks"))),
        client_weeks=max(1, int(settings.get("cadence_client_weeks"))),
        candidate_weeks=max(1, int(settings.get("cadence_candidate_weeks"))),
    )


# -- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    interaction_id: int
    version: int
    due: date
    #: "overdue", "today" or "upcoming".
    bucket: str
    days_overdue: int
    summary: str
    kind: str
    people: list[tuple[int, str]]
    organisation_id: int | None
    organisation: str | None
    reason: str

    @property
    def person_id(self) -> int | None:
        return self.people[0][0] if self.people else None

    @property
    def name(self) -> str:
        return ", ".join(name for _, name in self.people) or "(nobody)"


@dataclass(frozen=True)
class Ending:
    placement_id: int
    candidate_id: int
    candidate: str
    organisation_id: int
    organisation: str
    client_contact_id: int | None
    client_contact: str | None
    role: str
    end_date: date
    days_left: int
    extensions: int
    #: The next proposed or confirmed placement, in words; None when nothing is lined up.
    next_lined_up: str | None
    reason: str


@dataclass(frozen=True)
class Available:
    person_id: int
    name: str
    free_from: date
    #: The end of the current placement when that is what keeps them busy.
    busy_until: date | None
    sectors: list[str]
    specialisms: str | None
    day_rate: Decimal | None
    last_contact: datetime | None
    reason: str


@dataclass(frozen=True)
class KeepInTouch:
    person_id: int
    name: str
    is_client_contact: bool
    is_candidate: bool
    cadence_weeks: int
    #: Where the cadence comes from: "own", "tag NAME", "client" or "candidate".
    cadence_source: str
    last_contact: datetime | None
    weeks_since: int
    days_overdue: int
    reason: str


@dataclass(frozen=True)
class XSignal:
    account_id: int
    handle: str
    person_id: int | None
    organisation_id: int | None
    name: str
    #: "tweets", "profile" or "followers".
    kind: str
    at: datetime
    tweets: int
    tweet_id: int | None
    reason: str


@dataclass(frozen=True)
class ToCall:
    person_id: int
    name: str
    score: int
    reasons: list[str]
    #: The open follow-up this call answers, if one is due.
    follow_up_id: int | None


@dataclass(frozen=True)
class FollowUpCounts:
    overdue: int = 0
    today: int = 0
    upcoming: int = 0

    @property
    def due(self) -> int:
        """Overdue and due today: what the reminder counts."""
        return self.overdue + self.today


@dataclass(frozen=True)
class TodayReport:
    today: date
    rules: TodayRules
    follow_ups: list[FollowUp]
    follow_up_counts: FollowUpCounts
    ending: list[Ending]
    ending_total: int
    available: list[Available]
    available_total: int
    keep_in_touch: list[KeepInTouch]
    keep_in_touch_total: int
    x_signals: list[XSignal]
    x_since: datetime
    who_to_call: list[ToCall]
    notes: list[str] = field(default_factory=list)


# -- words -------------------------------------------------------------------------------------


def day_words(day: date, today: date) -> str:
    """``today``, ``yesterday``, ``tomorrow``, ``Tue`` within a week, else ``19 Dec``."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == -1:
        return "yesterday"
    if delta == 1:
        return "tomorrow"
    if -6 <= delta <= 6:
        return f"{day:%a}"
    if day.year != today.year:
        return f"{day.day} {day:%b %Y}"
    return f"{day.day} {day:%b}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _name(first: str, preferred: str | None, last: str) -> str:
    return f"{preferred or first} {last}".strip()


def _local_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()


# -- follow-ups --------------------------------------------------------------------------------


def _open_follow_ups() -> ColumnElement[bool]:
    # "follow_up_done = 0/false", the condition of the partial index ix_interaction_open_follow_up.
    return and_(Interaction.follow_up_done == false(), Interaction.follow_up_due.is_not(None))


def _follow_up_counts(session: Session, today: date, until: date) -> FollowUpCounts:
    due = Interaction.follow_up_due
    row = session.execute(
        select(
            func.coalesce(func.sum(case((due < today, 1), else_=0)), 0),
            func.coalesce(func.sum(case((due == today, 1), else_=0)), 0),
            func.count(),
        ).where(_open_follow_ups(), due <= until)
    ).one()
    overdue, due_today, total = (int(v) for v in row)
    return FollowUpCounts(overdue, due_today, total - overdue - due_today)


def _follow_up_rows(
    session: Session, today: date, first: date | None, last: date, limit: int
) -> list[FollowUp]:
    due = Interaction.follow_up_due
    where = [_open_follow_ups(), due <= last]
    if first is not None:
        where.append(due >= first)
    rows = session.execute(
        select(
            Interaction.id,
            Interaction.version,
            due,
            Interaction.summary,
            Interaction.kind,
            Interaction.organisation_id,
            Organisation.name,
        )
        .outerjoin(Organisation, Organisation.id == Interaction.organisation_id)
        .where(*where)
        .order_by(due, Interaction.id)
        .limit(limit)
    ).all()
    people = _interaction_people(session, [r[0] for r in rows])
    result = []
    for iid, version, due_day, summary, kind, org_id, org in rows:
        day = cast(date, due_day)  # never None: the query asks for open follow-ups only
        overdue = (today - day).days
        if overdue > 0:
            bucket, reason = "overdue", f"follow-up due since {day_words(day, today)}"
        elif overdue == 0:
            bucket, reason = "today", "follow-up due today"
        else:
            bucket, reason = "upcoming", f"follow-up due {day_words(day, today)}"
        result.append(
            FollowUp(
                interaction_id=iid,
                version=version,
                due=day,
                bucket=bucket,
                days_overdue=max(0, overdue),
                summary=summary,
                kind=kind,
                people=people.get(iid, []),
                organisation_id=org_id,
                organisation=org,
                reason=f"{reason}: {summary}",
            )
        )
    return result


def _interaction_people(session: Session, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return found
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
        .order_by(interaction_people.c.interaction_id, Person.id)
    ):
        found[iid].append((pid, _name(first, preferred, last)))
    return found


def follow_ups(
    db: Database, today: date, rules: TodayRules = TodayRules()
) -> tuple[list[FollowUp], FollowUpCounts]:
    """Open follow-ups: overdue and due today (oldest first), then the next days."""
    with db.read() as session:
        return _follow_ups(session, today, rules)


def _follow_ups(
    session: Session, today: date, rules: TodayRules
) -> tuple[list[FollowUp], FollowUpCounts]:
    until = today + timedelta(days=rules.follow_up_days)
    counts = _follow_up_counts(session, today, until)
    due = _follow_up_rows(session, today, None, today, rules.limit)
    upcoming = _follow_up_rows(session, today, today + timedelta(days=1), until, rules.limit)
    return due + upcoming, counts


# -- placements ending -------------------------------------------------------------------------


def _ending(session: Session, today: date, rules: TodayRules) -> tuple[list[Ending], int]:
    horizon = today + timedelta(weeks=rules.ending_weeks)
    where = (
        Placement.status.in_(BUSY_STATUSES),
        Placement.end_date >= today,
        Placement.end_date <= horizon,
    )
    total = int(session.execute(select(func.count()).where(*where)).scalar_one())
    extensions = (
        select(func.count())
        .where(Extension.placement_id == Placement.id)
        .correlate(Placement)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Placement.id,
            Placement.candidate_id,
            Placement.organisation_id,
            Organisation.name,
            Placement.client_contact_id,
            Placement.role,
            Placement.end_date,
            extensions,
        )
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .where(*where)
        .order_by(Placement.end_date, Placement.id)
        .limit(rules.limit)
    ).all()
    names = _names(session, {r[1] for r in rows} | {r[4] for r in rows if r[4] is not None})
    lined_up: dict[int, list[tuple[int, str, date | None, str]]] = defaultdict(list)
    candidates = {r[1] for r in rows}
    if candidates:
        for pid, cid, status, start, org in session.execute(
            select(
                Placement.id,
                Placement.candidate_id,
                Placement.status,
                Placement.start_date,
                Organisation.name,
            )
            .join(Organisation, Organisation.id == Placement.organisation_id)
            .where(
                Placement.candidate_id.in_(candidates),
                Placement.status.in_(NEXT_STATUSES),
                or_(Placement.start_date.is_(None), Placement.start_date > today),
            )
            .order_by(Placement.status.desc(), Placement.start_date, Placement.id)
        ):
            lined_up[cid].append((pid, status, start, org))
    result = []
    for pid, cid, org_id, org, contact_id, role, end, n_ext in rows:
        following = [n for n in lined_up.get(cid, []) if n[0] != pid]
        next_text = None
        if following:
            _, status, start, next_org = following[0]
            when = f" from {day_words(start, today)}" if start else ""
            next_text = f"{status} at {next_org}{when}"
        days_left = (end - today).days
        extended = f", extended {_times(n_ext)}" if n_ext else ""
        lined = f"next: {next_text}" if next_text else "nothing lined up"
        result.append(
            Ending(
                placement_id=pid,
                candidate_id=cid,
                candidate=names.get(cid, "?"),
                organisation_id=org_id,
                organisation=org,
                client_contact_id=contact_id,
                client_contact=names.get(contact_id) if contact_id else None,
                role=role,
                end_date=end,
                days_left=days_left,
                extensions=int(n_ext),
                next_lined_up=next_text,
                reason=(
                    f"assignment at {org} ends {end.day} {end:%b}"
                    f"{'' if end.year == today.year else f' {end.year}'}"
                    f"{extended}, {lined}"
                ),
            )
        )
    return result, total


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        pid: _name(first, preferred, last)
        for pid, first, preferred, last in session.execute(
            select(Person.id, Person.first_name, Person.preferred_name, Person.last_name).where(
                Person.id.in_(wanted)
            )
        )
    }


# -- available candidates ----------------------------------------------------------------------


def _busy_placements(today: date) -> Any:
    """Placements that keep their candidate busy from today (an open end: indefinitely)."""
    return and_(
        Placement.status.in_(BUSY_STATUSES),
        or_(Placement.end_date.is_(None), Placement.end_date >= today),
    )


def _available(session: Session, today: date, rules: TodayRules) -> tuple[list[Available], int]:
    """Candidates free now or within the weeks: from the later of ``available_from`` and the
    end of their current placement; one with neither date has not said, and is not listed.

    Candidates whose current placement ends within the weeks are few: they are read and
    worked out here. The rest come from the index on ``available_from`` (newest first for
    "now", soonest first after that, a page each) and are counted from it, less those a
    placement keeps busy beyond the weeks."""
    horizon = today + timedelta(weeks=rules.available_weeks)
    # Flags wrapped in coalesce: with two equalities to offer, SQLite (without statistics)
    # would pick ix_person_keep_in_touch and read every candidate; the date is what narrows.
    candidate = (
        func.coalesce(Person.is_candidate, false()) == true(),
        func.coalesce(Person.do_not_contact, false()) == false(),
    )
    columns = (
        Person.id,
        Person.first_name,
        Person.preferred_name,
        Person.last_name,
        Person.available_from,
        Person.candidate_sectors,
        Person.specialisms,
        Person.day_rate_expectation,
        Person.last_interaction_at,
    )
    busy_beyond = select(Placement.candidate_id).where(
        Placement.status.in_(BUSY_STATUSES),
        or_(Placement.end_date.is_(None), Placement.end_date > horizon),
    )
    ending: dict[int, date] = {}  # candidate -> end of the placement that ends within
    for cid, end in session.execute(
        select(Placement.candidate_id, Placement.end_date).where(
            Placement.status.in_(BUSY_STATUSES),
            Placement.end_date >= today,
            Placement.end_date <= horizon,
        )
    ):
        end_day = cast(date, end)  # never None: the query asks for a range of end dates
        ending[cid] = max(end_day, ending.get(cid, end_day))
    busy_rows: list[Any] = []  # (row, free from, until) of the candidates freed within
    for chunk in _chunks(sorted(ending)):
        for row in session.execute(
            select(*columns).where(Person.id.in_(chunk), *candidate, Person.id.not_in(busy_beyond))
        ):
            until = ending[row[0]]
            free = max(until, row[4] or until)
            if free <= horizon:
                busy_rows.append((row, free, until))
    listed = int(
        session.execute(
            select(func.count()).where(Person.available_from <= horizon, *candidate)
        ).scalar_one()
    )
    blocking = int(
        session.execute(
            select(func.count()).where(
                Person.available_from <= horizon, *candidate, Person.id.in_(busy_beyond)
            )
        ).scalar_one()
    )
    total = listed - blocking + sum(1 for row, _f, _u in busy_rows if row[4] is None)
    not_busy = Person.id.not_in(select(Placement.candidate_id).where(_busy_placements(today)))
    now_rows = session.execute(
        select(*columns)
        .where(Person.available_from <= today, *candidate, not_busy)
        .order_by(Person.available_from.desc(), Person.id.desc())
        .limit(rules.limit)
    ).all()
    soon_rows = session.execute(
        select(*columns)
        .where(
            Person.available_from > today, Person.available_from <= horizon, *candidate, not_busy
        )
        .order_by(Person.available_from, Person.id)
        .limit(rules.limit)
    ).all()
    free_today = [(r, f, u) for r, f, u in busy_rows if f <= today]
    later = sorted(
        [(r, f, u) for r, f, u in busy_rows if f > today] + [(r, r[4], None) for r in soon_rows],
        key=lambda item: (item[1], item[0][0]),
    )
    ordered = free_today + [(r, r[4], None) for r in now_rows] + later
    result = []
    for row, free, until in ordered[: rules.limit]:
        pid, first, preferred, last, _avail, sectors, specialisms, rate, contact = row
        if free <= today:
            reason = "available now"
        else:
            reason = f"available from {day_words(free, today)}"
            if until is not None and until >= free:
                reason += " (current assignment ends)"
        result.append(
            Available(
                person_id=pid,
                name=_name(first, preferred, last),
                free_from=free,
                busy_until=until,
                sectors=_sector_labels(sectors),
                specialisms=specialisms,
                day_rate=rate,
                last_contact=contact,
                reason=reason,
            )
        )
    return result, total


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _sector_labels(raw: str | None) -> list[str]:
    labels = []
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            labels.append(Sector(part).label)
        except ValueError:
            labels.append(part)
    return labels


# -- keep in touch -----------------------------------------------------------------------------


def _keep_in_touch(
    db: Database, session: Session, today: date, rules: TodayRules
) -> tuple[list[KeepInTouch], int]:
    """People overdue for contact against their cadence, most overdue first.

    A cadence is the person's own, else the shortest of their tags', else their kind's
    (candidate, else client contact); people with none are not tracked. Contact counts from
    the last interaction (kept by triggers, so every write resets it), else from when the
    person was added. Overdue: more than the cadence's days between that day and today.

    The few people with a cadence of their own or from a tag are read whole; the many on
    their kind's default are counted and listed by index (ix_person_keep_in_touch), each
    kind in the order of its last contact, which is the order of its due dates."""
    midnight = datetime.combine(today, time(0, 0), tzinfo=UTC)
    own_rows = session.execute(
        select(*_KEEP_COLUMNS).where(
            Person.contact_every_weeks.is_not(None), Person.do_not_contact == false()
        )
    ).all()
    tag_weeks: dict[int, tuple[int, str]] = {}
    cadence_tags = session.execute(
        select(Tag.id, Tag.contact_every_weeks, Tag.name).where(Tag.contact_every_weeks > 0)
    ).all()
    if cadence_tags:  # most agencies set none: then person_tag is not read at all
        tags = {tid: (int(weeks or 0), name) for tid, weeks, name in cadence_tags}
        for pid, tid in session.execute(
            select(person_tags.c.person_id, person_tags.c.tag_id).where(
                person_tags.c.tag_id.in_(sorted(tags))
            )
        ):
            if pid not in tag_weeks or tags[tid][0] < tag_weeks[pid][0]:
                tag_weeks[pid] = tags[tid]
    own_ids = {r[0] for r in own_rows}
    tagged_ids = [pid for pid in tag_weeks if pid not in own_ids]
    tagged_rows: list[Any] = []
    for chunk in _chunks(sorted(tagged_ids)):
        tagged_rows += session.execute(
            select(*_KEEP_COLUMNS).where(Person.id.in_(chunk), Person.do_not_contact == false())
        ).all()
    found: list[tuple[datetime, Any, int, str]] = []  # (due, row, weeks, source)
    total = 0
    for row in own_rows:
        weeks = int(row[6] or 0)
        due = _since(row) + timedelta(weeks=weeks)
        if weeks > 0 and due < midnight:
            found.append((due, row, weeks, "own"))
            total += 1
    for row in tagged_rows:
        weeks, name = tag_weeks[row[0]]
        due = _since(row) + timedelta(weeks=weeks)
        if due < midnight:
            found.append((due, row, weeks, f"tag {name}"))
            total += 1
    # Everyone else, on their kind's cadence: candidates, then client contacts who are not.
    for is_candidate, weeks, source in (
        (True, rules.candidate_weeks, "candidate"),
        (False, rules.client_weeks, "client"),
    ):
        cutoff = midnight - timedelta(weeks=weeks)
        kind = [
            Person.is_candidate == (true() if is_candidate else false()),
            Person.do_not_contact == false(),
            Person.contact_every_weeks.is_(None),
        ]
        if tag_weeks:
            kind.append(Person.id.not_in(sorted(tag_weeks)))
        if not is_candidate:
            kind.append(Person.is_client_contact == true())
        contacted = [*kind, Person.last_interaction_at < cutoff]
        never = [*kind, Person.last_interaction_at.is_(None), Person.created_at < cutoff]
        for where in (contacted, never):
            # Two index ranges, counted apart: together (an OR) they would not be ranges.
            total += int(session.execute(select(func.count()).where(*where)).scalar_one())
            # In index order, so the first rows come without sorting them all.
            order = (Person.last_interaction_at, Person.created_at)
            for row in session.execute(
                select(*_KEEP_COLUMNS).where(*where).order_by(*order).limit(rules.limit)
            ):
                found.append((_since(row) + timedelta(weeks=weeks), row, weeks, source))
    found.sort(key=lambda item: (item[0], item[1][0]))
    result = []
    for _due, row, cadence, source in found[: rules.limit]:
        pid, first, preferred, last, client, candidate, _own, contact, created = row
        start = _local_day(contact or created)
        days = (today - start).days
        weeks_since = days // 7
        if contact is None:
            reason = f"never contacted, added {_plural(weeks_since, 'week')} ago, cadence {cadence}"
        else:
            reason = f"no contact for {_plural(weeks_since, 'week')}, cadence {cadence}"
        result.append(
            KeepInTouch(
                person_id=pid,
                name=_name(first, preferred, last),
                is_client_contact=bool(client),
                is_candidate=bool(candidate),
                cadence_weeks=cadence,
                cadence_source=source,
                last_contact=contact,
                weeks_since=weeks_since,
                days_overdue=max(0, days - cadence * 7),
                reason=reason,
            )
        )
    return result, total


_KEEP_COLUMNS = (
    Person.id,
    Person.first_name,
    Person.preferred_name,
    Person.last_name,
    Person.is_client_contact,
    Person.is_candidate,
    Person.contact_every_weeks,
    Person.last_interaction_at,
    Person.created_at,
)


def _since(row: Any) -> datetime:
    """When a keep-in-touch row's cadence counts from: last contact, else being added."""
    moment: datetime = row[7] or row[8]
    return moment


# -- X -----------------------------------------------------------------------------------------


def default_x_since(today: date) -> datetime:
    """Without a marker, X signals count from the start of yesterday (UK time)."""
    return datetime.combine(today - timedelta(days=1), time(0, 0), tzinfo=UK).astimezone(UTC)


def x_seen_at(db: Database, who: str | None = None) -> datetime | None:
    """When ``who`` (the current user) last marked the X signals seen."""
    with db.read() as session:
        marker = session.get(SeenMarker, (who or settings.current_user(), "x"))
        return marker.seen_at if marker else None


def mark_x_seen(db: Database, at: datetime, who: str | None = None) -> None:
    """The X signals up to ``at`` are seen: the next Today page lists only newer ones."""
    if at.tzinfo is None:
        raise ValidationError("A time needs a time zone.", field="seen_at")
    user = who or settings.current_user()
    with db.session() as session:
        marker = session.get(SeenMarker, (user, "x"))
        was = marker.seen_at if marker else None
        if marker is None:
            session.add(SeenMarker(who=user, what="x", seen_at=at))
        else:
            marker.seen_at = at
        audit.record(session, "seen_marker", None, "update", {"x": [was, at]}, who=user)


def _linked(
    session: Session, account_ids: Iterable[int]
) -> dict[int, tuple[int | None, int | None, str]]:
    """Account id -> (person id, organisation id, name) for accounts linked to a record."""
    ids = sorted(set(account_ids))
    found: dict[int, tuple[int | None, int | None, str]] = {}
    if not ids:
        return found
    for aid, oid, name in session.execute(
        select(Organisation.x_account_id, Organisation.id, Organisation.name).where(
            Organisation.x_account_id.in_(ids)
        )
    ):
        if aid is not None:
            found[aid] = (None, oid, name)
    for aid, pid, first, preferred, last in session.execute(
        select(
            Person.x_account_id,
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
        ).where(Person.x_account_id.in_(ids))
    ):
        if aid is not None:
            found[aid] = (pid, None, _name(first, preferred, last))  # a person before an org
    return found


def _x_signals(session: Session, since: datetime, rules: TodayRules) -> list[XSignal]:
    signals: list[XSignal] = []
    # Grouped by "account_id + 0", not account_id: without statistics SQLite would walk the
    # (account, time) index to group, reading every tweet ever stored (500,000 in the
    # benchmark, 15 s) instead of the day's few by ix_tweet_created.
    account = Tweet.account_id + literal_column("0")  # no parameter: the same SQL twice
    grouped = (
        select(
            account.label("account_id"),
            func.count().label("tweets"),
            func.max(Tweet.created_at).label("newest"),
            func.max(Tweet.id).label("newest_id"),
        )
        .where(Tweet.created_at > since)
        .group_by(account)
        .subquery("tweeted")
    )
    # Who each account is, in the same statement: hundreds of accounts tweet in a day.
    tweeted = session.execute(
        select(
            grouped.c.account_id,
            grouped.c.tweets,
            grouped.c.newest,
            grouped.c.newest_id,
            XAccount.handle,
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
            Organisation.id,
            Organisation.name,
        )
        .join(XAccount, XAccount.id == grouped.c.account_id)
        .outerjoin(Person, Person.x_account_id == grouped.c.account_id)
        .outerjoin(Organisation, Organisation.x_account_id == grouped.c.account_id)
        .where(or_(Person.id.is_not(None), Organisation.id.is_not(None)))
    ).all()
    changes = session.execute(
        select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.changes, AuditEntry.at)
        .where(
            AuditEntry.entity_type == "x_account",
            AuditEntry.at > since,
            AuditEntry.action.in_(("rename", "profile")),
        )
        .order_by(AuditEntry.at)
    ).all()
    moved = _follower_moves(session, since, rules)
    account_ids = {r[0] for r in changes if r[0] is not None} | set(moved)
    linked = _linked(session, account_ids)
    handles: dict[int, str] = {}
    if linked:
        handles = dict(
            session.execute(
                select(XAccount.id, XAccount.handle).where(XAccount.id.in_(sorted(linked)))
            ).all()
        )
    for aid, _n, _at, _tid, handle, pid, first, preferred, last, oid, org in tweeted:
        handles[aid] = handle
        linked[aid] = (
            (pid, None, _name(first, preferred, last)) if pid is not None else (None, oid, org)
        )

    def signal(
        aid: int, kind: str, at: datetime, reason: str, tweets: int = 0, tid: Any = None
    ) -> None:
        person_id, org_id, name = linked[aid]
        signals.append(
            XSignal(
                aid, handles.get(aid, "?"), person_id, org_id, name, kind, at, tweets, tid, reason
            )
        )

    for aid, count, newest, newest_id, *_who in tweeted:
        if aid in linked:
            signal(
                aid,
                "tweets",
                newest,
                f"tweeted {_times(int(count))} since you last looked",
                int(count),
                newest_id,
            )
    profile: dict[int, dict[str, Any]] = {}
    for aid, _action, changed, at in changes:
        if aid not in linked:
            continue
        entry = profile.setdefault(aid, {"at": at})
        entry["at"] = at
        for name, pair in (changed or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                first = entry.get(name, pair)
                entry[name] = [first[0], pair[1]]
    for aid, entry in profile.items():
        parts = []
        if "handle" in entry:
            parts.append(f"now @{entry['handle'][1]} (was @{entry['handle'][0]})")
        if "display_name" in entry:
            parts.append(f"name now “{entry['display_name'][1] or ''}”")
        if "bio" in entry:
            parts.append(f"bio now “{_short(entry['bio'][1] or '')}”")
        if parts:
            signal(aid, "profile", entry["at"], "; ".join(parts))
    for aid, (at, text) in moved.items():
        if aid in linked:
            signal(aid, "followers", at, text)
    signals.sort(key=lambda s: (s.at, s.account_id), reverse=True)
    return signals


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _follower_moves(
    session: Session, since: datetime, rules: TodayRules
) -> dict[int, tuple[datetime, str]]:
    """Accounts whose followers moved unusually since ``since``, against their own history:
    the change per day since the last snapshot before ``since`` beside the typical change
    per day between their earlier snapshots."""
    recent = [
        aid
        for (aid,) in session.execute(
            select(FollowerSnapshot.account_id + literal_column("0"))  # by time (see tweets)
            .where(FollowerSnapshot.taken_at > since)
            .group_by(FollowerSnapshot.account_id + literal_column("0"))
        )
    ]
    linked = _linked(session, recent)
    accounts = [a for a in recent if a in linked]
    history: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for chunk_start in range(0, len(accounts), 500):
        chunk = accounts[chunk_start : chunk_start + 500]
        for aid, taken, followers in session.execute(
            select(
                FollowerSnapshot.account_id, FollowerSnapshot.taken_at, FollowerSnapshot.followers
            )
            .where(
                FollowerSnapshot.account_id.in_(chunk),
                FollowerSnapshot.taken_at > since - timedelta(days=400),
            )
            .order_by(FollowerSnapshot.account_id, FollowerSnapshot.taken_at)
        ):
            history[aid].append((taken, followers))
    moves: dict[int, tuple[datetime, str]] = {}
    for aid, points in history.items():
        before = [p for p in points if p[0] <= since]
        after = [p for p in points if p[0] > since]
        if not before or not after:
            continue
        (t0, f0), (t1, f1) = before[-1], after[-1]
        days = max((t1 - t0).total_seconds() / 86400, 1.0)
        change = f1 - f0
        rate = change / days
        rates = [
            abs(b[1] - a[1]) / max((b[0] - a[0]).total_seconds() / 86400, 1.0)
            for a, b in itertools.pairwise(before)
        ]
        if len(rates) >= 3:
            typical = statistics.median(rates)
            limit = max(rules.follower_factor * typical, rules.follower_min_change)
            usual = f"usually {typical:,.0f} a day"
        else:
            limit = max(rules.follower_share * f0, rules.follower_min_change)
            usual = f"{abs(change) / max(f0, 1):.0%} of {f0:,}"
        if abs(rate) > limit:
            sign = "+" if change > 0 else "−"
            span = "a day" if days <= 1.5 else f"in {days:.0f} days"
            moves[aid] = (t1, f"followers {sign}{abs(change):,} {span} ({usual})")
    return moves


# -- who to call -------------------------------------------------------------------------------


def rank_who_to_call(
    follow_up_rows: Sequence[FollowUp],
    ending_rows: Sequence[Ending],
    keep_rows: Sequence[KeepInTouch],
    x_rows: Sequence[XSignal],
    limit: int = 50,
    skip: frozenset[int] = frozenset(),
) -> list[ToCall]:
    """The ranked list across the sections (the score is in the module docstring)."""
    reasons: dict[int, list[tuple[int, str]]] = defaultdict(list)
    names: dict[int, str] = {}
    answers: dict[int, int] = {}
    for f in follow_up_rows:
        if f.bucket == "upcoming":
            continue
        for pid, name in f.people[:1]:
            reasons[pid].append((400 + min(f.days_overdue, 89), f.reason))
            names[pid] = name
            answers.setdefault(pid, f.interaction_id)
    for e in ending_rows:
        if e.next_lined_up is None:
            reasons[e.candidate_id].append((300 + max(0, 89 - e.days_left), e.reason))
            names[e.candidate_id] = e.candidate
    for k in keep_rows:
        reasons[k.person_id].append((200 + min(k.days_overdue // 7, 89), k.reason))
        names[k.person_id] = k.name
    for x in x_rows:
        if x.person_id is None:
            continue
        extra = {"profile": 30, "followers": 20}.get(x.kind, min(x.tweets, 10))
        reasons[x.person_id].append((100 + extra, f"on X: {x.reason}"))
        names[x.person_id] = x.name
    ranked = []
    for pid, found in reasons.items():
        if pid in skip:
            continue
        found.sort(key=lambda r: -r[0])
        score = found[0][0] + 3 * min(len(found) - 1, 3)
        ranked.append(ToCall(pid, names[pid], score, [text for _, text in found], answers.get(pid)))
    ranked.sort(key=lambda c: (-c.score, c.name, c.person_id))
    return ranked[:limit]


def _do_not_contact(session: Session, ids: Iterable[int]) -> frozenset[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return frozenset()
    return frozenset(
        session.scalars(
            select(Person.id).where(Person.id.in_(wanted), Person.do_not_contact == true())
        )
    )


# -- the page ----------------------------------------------------------------------------------


def today_report(
    db: Database,
    today: date,
    rules: TodayRules = TodayRules(),
    *,
    x_since: datetime | None = None,
    who: str | None = None,
) -> TodayReport:
    """Every section of the Today page, and who to call, as of ``today``.

    ``x_since`` is when X signals count from: by default the current user's marker
    (:func:`mark_x_seen`), else the start of yesterday.
    """
    with db.read() as session:
        if x_since is None:
            marker = session.get(SeenMarker, (who or settings.current_user(), "x"))
            x_since = marker.seen_at if marker else default_x_since(today)
        follow_up_rows, counts = _follow_ups(session, today, rules)
        ending_rows, ending_total = _ending(session, today, rules)
        available_rows, available_total = _available(session, today, rules)
        keep_rows, keep_total = _keep_in_touch(db, session, today, rules)
        x_rows = _x_signals(session, x_since, rules)
        candidates = (
            {p for f in follow_up_rows for p, _ in f.people[:1]}
            | {e.candidate_id for e in ending_rows}
            | {x.person_id for x in x_rows if x.person_id is not None}
        )
        skip = _do_not_contact(session, candidates)
    calls = rank_who_to_call(follow_up_rows, ending_rows, keep_rows, x_rows, rules.call_limit, skip)
    return TodayReport(
        today=today,
        rules=rules,
        follow_ups=follow_up_rows,
        follow_up_counts=counts,
        ending=ending_rows,
        ending_total=ending_total,
        available=available_rows,
        available_total=available_total,
        keep_in_touch=keep_rows,
        keep_in_touch_total=keep_total,
        x_signals=x_rows,
        x_since=x_since,
        who_to_call=calls,
    )


def due_count(db: Database, today: date) -> int:
    """Follow-ups overdue or due today: the number on the tray icon."""
    with db.read() as session:
        return _follow_up_counts(session, today, today).due


# -- writes ------------------------------------------------------------------------------------


def snooze_follow_up(db: Database, interaction_id: int, until: date, today: date) -> None:
    """Move an open follow-up to ``until`` (after ``today``); one audited transaction."""
    if until <= today:
        raise ValidationError("Snooze to a day after today.", field="follow_up_due")
    with db.session() as session:
        interaction = load(session, Interaction, interaction_id, "interaction")
        if interaction.follow_up_due is None or interaction.follow_up_done:
            raise NotFoundError("That interaction has no open follow-up to snooze.")
        was = interaction.follow_up_due
        interaction.follow_up_due = until
        interaction.updated_at = utcnow()
        audit.record(
            session, "interaction", interaction_id, "snooze", {"follow_up_due": [was, until]}
        )


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


__all__ = [
    "Available",
    "Ending",
    "FollowUp",
    "FollowUpCounts",
    "KeepInTouch",
    "ToCall",
    "TodayReport",
    "TodayRules",
    "XSignal",
    "day_words",
    "due_count",
    "follow_ups",
    "mark_x_seen",
    "rank_who_to_call",
    "rules_from_settings",
    "set_person_cadence",
    "set_tag_cadence",
    "snooze_follow_up",
    "today_report",
    "x_seen_at",
]
