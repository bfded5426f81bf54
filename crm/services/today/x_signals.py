"""On X today: linked people and organisations that tweeted, changed their profile or moved
in followers unusually since the recruiter last looked (the marker kept per user)."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.dates import UK
from crm.domain.errors import ValidationError
from crm.services import audit
from crm.services.today.rules import TodayRules, XSignal, _name, _times
from crm.storage import today_queries as q
from crm.storage.db import Database
from crm.storage.models import (
    FollowerSnapshot,
    Organisation,
    Person,
    SeenMarker,
    XAccount,
)

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
