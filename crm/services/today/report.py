"""The Today page: who to call and why, from follow-ups, endings, availability, cadences, X.

The whole report, and the ranking across its sections: one statement for every count and one
per list, prebuilt (:mod:`crm.storage.today_queries`), in one read transaction; about 80 ms
of CPU at 100,000 people and 1,000,000 interactions on SQLite (docs/performance.md).

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

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from crm import settings
from crm.services.today.rules import (
    DEFAULT_RULES,
    Ending,
    FollowUp,
    KeepInTouch,
    ToCall,
    TodayReport,
    TodayRules,
    XSignal,
)
from crm.services.today.sections import (
    _available,
    _count_params,
    _counts,
    _ending,
    _follow_ups,
    _keep_in_touch,
)
from crm.services.today.x_signals import _x_signals, default_x_since
from crm.storage import today_queries as q
from crm.storage.db import Database
from crm.storage.models import (
    SeenMarker,
)

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
    rules: TodayRules = DEFAULT_RULES,
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
