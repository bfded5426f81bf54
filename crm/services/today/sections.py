"""The Today page's sections from the database: follow-ups, placements ending, available
candidates, keep in touch, and every section's count.

The statements are in :mod:`crm.storage.today_queries` (prebuilt, index-backed, run on the
read session's cursor); here they are turned into rows with their reasons.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy.orm import Session

from crm.domain.enums import Sector
from crm.services.today.rules import (
    DEFAULT_RULES,
    Available,
    Ending,
    FollowUp,
    FollowUpCounts,
    KeepInTouch,
    TodayRules,
    _local_day,
    _name,
    _plural,
    _times,
    day_words,
)
from crm.storage import today_queries as q
from crm.storage.db import Database

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
    db: Database, today: date, rules: TodayRules = DEFAULT_RULES
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
