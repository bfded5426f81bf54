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
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.dates import UK
from crm.domain.enums import Sector
from crm.domain.errors import NotFoundError, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage import today_queries as q
from crm.storage.db import Database
from crm.storage.models import (
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    SeenMarker,
    Tag,
    XAccount,
)
from crm.storage.types import utcnow

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


def _follow_up_rows(
    session: Session,
    statement: Any,
    params: dict[str, Any],
    today: date,
    dnc: set[int],
) -> list[FollowUp]:
    """A page of follow-ups from one of the storage's pages (a row per person, by id)."""
    result = []
    for _iid, group in itertools.groupby(q.run(session, statement, params), key=lambda r: r[0]):
        rows = list(group)
        iid, version, due_day, summary, kind, org_id, org = rows[0][:7]
        people = [(r[7], _name(r[8], r[9], r[10])) for r in rows if r[7] is not None]
        if rows[0][7] is not None and rows[0][11]:
            dnc.add(rows[0][7])
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
                people=people,
                organisation_id=org_id,
                organisation=org,
                reason=f"{reason}: {summary}",
            )
        )
    return result


def follow_ups(
    db: Database, today: date, rules: TodayRules = TodayRules()
) -> tuple[list[FollowUp], FollowUpCounts]:
    """Open follow-ups: overdue and due today (oldest first), then the next days."""
    with db.read() as session:
        tags = bool(q.run(session, q.KEEP_TAGS, {}))
        counts = _counts(session, _count_params(today, rules), tags)
        return _follow_ups(session, today, rules, set()), counts.follow_ups


def _follow_ups(session: Session, today: date, rules: TodayRules, dnc: set[int]) -> list[FollowUp]:
    until = today + timedelta(days=rules.follow_up_days)
    due = _follow_up_rows(
        session, q.FOLLOW_UPS_DUE, {"last": today, "limit": rules.limit}, today, dnc
    )
    upcoming = _follow_up_rows(
        session,
        q.FOLLOW_UPS_UPCOMING,
        {"first": today + timedelta(days=1), "last": until, "limit": rules.limit},
        today,
        dnc,
    )
    return due + upcoming


# -- counts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counts:
    follow_ups: FollowUpCounts
    ending: int
    available_listed: int
    available_blocked: int
    #: Overdue on their kind's cadence: candidates, then clients.
    keep_by_kind: tuple[int, int]


def _count_params(today: date, rules: TodayRules) -> dict[str, Any]:
    midnight = datetime.combine(today, time(0, 0), tzinfo=UTC)
    return {
        "today": today,
        "until": today + timedelta(days=rules.follow_up_days),
        "ending_horizon": today + timedelta(weeks=rules.ending_weeks),
        "available_horizon": today + timedelta(weeks=rules.available_weeks),
        "candidate_cutoff": midnight - timedelta(weeks=rules.candidate_weeks),
        "client_cutoff": midnight - timedelta(weeks=rules.client_weeks),
    }


def _counts(session: Session, params: dict[str, Any], tags: bool) -> _Counts:
    """Every section's count, in one statement (``tags``: some tag sets a cadence)."""
    values = [int(v or 0) for v in q.run(session, q.COUNTS[tags], params)[0]]
    overdue, due_today, upcoming, ending, listed, blocked = values[:6]
    return _Counts(
        FollowUpCounts(overdue, due_today, upcoming),
        ending,
        listed,
        blocked,
        (values[6] + values[7], values[8] + values[9]),
    )


# -- placements ending -------------------------------------------------------------------------


def _ending(
    session: Session, today: date, rules: TodayRules, params: dict[str, Any], dnc: set[int]
) -> list[Ending]:
    rows = q.run(session, q.ENDING, {**params, "limit": rules.limit})
    lined_up: dict[int, list[tuple[int, str, date | None, str]]] = defaultdict(list)
    if rows:
        for pid, cid, status, start, org in q.run(session, q.LINED_UP, params):
            lined_up[cid].append((pid, status, start, org))
    result = []
    for row in rows:
        pid, cid, org_id, org, contact_id, role, end, n_ext = row[:8]
        c_first, c_preferred, c_last, c_dnc, k_first, k_preferred, k_last = row[8:]
        if c_dnc:
            dnc.add(cid)
        candidate = _name(c_first, c_preferred, c_last) if c_last is not None else "?"
        contact = (
            _name(k_first, k_preferred, k_last)
            if contact_id is not None and k_last is not None
            else None
        )
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
                candidate=candidate,
                organisation_id=org_id,
                organisation=org,
                client_contact_id=contact_id,
                client_contact=contact,
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
    return result


# -- available candidates ----------------------------------------------------------------------


def _available(
    session: Session, today: date, rules: TodayRules, params: dict[str, Any], counts: _Counts
) -> tuple[list[Available], int]:
    """Candidates free now or within the weeks: from the later of ``available_from`` and the
    end of their current placement; one with neither date has not said, and is not listed.

    Candidates whose current placement ends within the weeks are few: they are read and
    worked out here. The rest come from the index on ``available_from`` (newest first for
    "now", soonest first after that, a page each) and are counted from it, less those a
    placement keeps busy beyond the weeks."""
    horizon = today + timedelta(weeks=rules.available_weeks)
    freed: dict[int, tuple[Any, date]] = {}  # candidate -> (row, end of their latest placement)
    for *row, end in q.run(session, q.AVAILABLE_FREED, params):
        end_day = cast(date, end)  # never None: the query asks for a range of end dates
        known = freed.get(row[0])
        if known is None or end_day > known[1]:
            freed[row[0]] = (row, end_day)
    busy_rows: list[Any] = []  # (row, free from, until) of the candidates freed within
    for row, until in freed.values():
        free = max(until, row[4] or until)
        if free <= horizon:
            busy_rows.append((row, free, until))
    total = (
        counts.available_listed
        - counts.available_blocked
        + sum(1 for row, _f, _u in busy_rows if row[4] is None)
    )
    page = {**params, "limit": rules.limit}
    now_rows = q.run(session, q.AVAILABLE_NOW, page)
    soon_rows = q.run(session, q.AVAILABLE_SOON, page)
    free_today = sorted(
        ((r, f, u) for r, f, u in busy_rows if f <= today), key=lambda item: item[0][0]
    )
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
    session: Session,
    today: date,
    rules: TodayRules,
    params: dict[str, Any],
    counts: _Counts,
    tag_rows: Sequence[Sequence[Any]],
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
    own_rows = q.run(session, q.KEEP_OWN, {})
    tag_weeks: dict[int, tuple[int, str]] = {}
    for pid, weeks, name in tag_rows:
        tag_weeks.setdefault(pid, (int(weeks or 0), name))  # the shortest comes first
    tagged_rows = q.run(session, q.KEEP_TAGGED, {}) if tag_weeks else []
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
    page = {**params, "limit": rules.limit}
    for (kind, weeks), overdue in zip(
        (("candidate", rules.candidate_weeks), ("client", rules.client_weeks)),
        counts.keep_by_kind,
        strict=True,
    ):
        total += overdue
        for statement in q.KEEP_BY_KIND[kind, bool(tag_weeks)]:
            for row in q.run(session, statement, page):
                found.append((_since(row) + timedelta(weeks=weeks), row, weeks, kind))
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
    session: Session, account_ids: Iterable[int], dnc: set[int] | None = None
) -> dict[int, tuple[int | None, int | None, str]]:
    """Account id -> (person id, organisation id, name) for accounts linked to a record;
    the people not to be contacted are added to ``dnc``."""
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
    for aid, pid, first, preferred, last, dont in session.execute(
        select(
            Person.x_account_id,
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
            Person.do_not_contact,
        ).where(Person.x_account_id.in_(ids))
    ):
        if aid is not None:
            found[aid] = (pid, None, _name(first, preferred, last))  # a person before an org
            if dont and dnc is not None:
                dnc.add(pid)
    return found


def _x_signals(
    session: Session, since: datetime, rules: TodayRules, dnc: set[int] | None = None
) -> list[XSignal]:
    """Linked accounts that tweeted, changed their profile or moved in followers since
    ``since``, newest first; the people among them not to be contacted go to ``dnc``."""
    dnc = set() if dnc is None else dnc
    signals: list[XSignal] = []
    tweeted = q.run(session, q.X_TWEETED, {"since": since})
    changes = q.run(session, q.X_PROFILE_CHANGES, {"since": since})
    moved = _follower_moves(session, since, rules)
    account_ids = {r[0] for r in changes if r[0] is not None} | set(moved)
    linked = _linked(session, account_ids, dnc)
    handles: dict[int, str] = {}
    if linked:
        handles = dict(
            session.execute(
                select(XAccount.id, XAccount.handle).where(XAccount.id.in_(sorted(linked)))
            ).all()
        )
    for aid, _n, _at, _tid, handle, pid, first, preferred, last, oid, org, dont in tweeted:
        if pid is not None and dont:
            dnc.add(pid)
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
    scored = []
    for pid, found in reasons.items():
        if pid in skip:
            continue
        best = max(points for points, _text in found)
        scored.append((-(best + 3 * min(len(found) - 1, 3)), names[pid], pid))
    scored.sort()
    ranked = []
    for negative, name, pid in scored[:limit]:
        found = reasons[pid]
        found.sort(key=lambda r: -r[0])
        ranked.append(ToCall(pid, name, -negative, [text for _, text in found], answers.get(pid)))
    return ranked


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
        params = _count_params(today, rules)
        tag_rows = q.run(session, q.KEEP_TAGS, {})  # (person, weeks, tag) of cadence tags
        counts = _counts(session, params, bool(tag_rows))
        dnc: set[int] = set()  # people on the lists not to be contacted: not to call
        follow_up_rows = _follow_ups(session, today, rules, dnc)
        ending_rows = _ending(session, today, rules, params, dnc)
        available_rows, available_total = _available(session, today, rules, params, counts)
        keep_rows, keep_total = _keep_in_touch(session, today, rules, params, counts, tag_rows)
        x_rows = _x_signals(session, x_since, rules, dnc)
    calls = rank_who_to_call(
        follow_up_rows, ending_rows, keep_rows, x_rows, rules.call_limit, frozenset(dnc)
    )
    return TodayReport(
        today=today,
        rules=rules,
        follow_ups=follow_up_rows,
        follow_up_counts=counts.follow_ups,
        ending=ending_rows,
        ending_total=counts.ending,
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
        overdue, due_today = q.run(session, q.FOLLOW_UPS_DUE_COUNT, {"today": today})[0]
        return int(overdue) + int(due_today)


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
