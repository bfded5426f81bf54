"""One timeline per person: logged interactions, tweets, placement events and notes, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain.enums import InteractionKind, PlacementStatus
from crm.services.common import load
from crm.services.views import TimelineEntry
from crm.storage.db import Database
from crm.storage.models import (
    Interaction,
    Organisation,
    Person,
    Placement,
    PlacementNote,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
)

_ONE_WAY_KINDS = frozenset({"call", "video_call", "email", "tweet", "dm"})
ALL_KINDS = frozenset({"interaction", "tweet", "placement", "placement_note"})


@dataclass(frozen=True)
class TimelineQuery:
    kinds: frozenset[str] = ALL_KINDS
    before: datetime | None = None  # for "load more": entries strictly older than this
    limit: int = 100


def _own_account_id(session: Session) -> int | None:
    """The own account's X user id: the ``x_own_handle`` setting, else the current user's
    linked account (as :func:`crm.x.sync.own_account` finds it)."""
    from sqlalchemy import func

    handle = str(settings.get("x_own_handle") or "").strip().lstrip("@").lower()
    if handle:
        found = session.scalar(
            select(XAccount.x_user_id).where(func.lower(XAccount.handle) == handle)
        )
        if found is not None:
            return found
    return session.scalar(
        select(XAccount.x_user_id)
        .join(User, User.x_account_id == XAccount.id)
        .where(User.name == settings.current_user())
    )


def _at(d: Any) -> datetime:
    return datetime.combine(d, time(9, 0), tzinfo=UTC)


def person_timeline(
    db: Database, person_id: int, query: TimelineQuery | None = None
) -> list[TimelineEntry]:
    q = query or TimelineQuery()
    with db.read() as session:
        person = load(session, Person, person_id, "person")
        entries: list[TimelineEntry] = []
        if "interaction" in q.kinds:
            entries += _interactions(session, person_id, q)
        if "tweet" in q.kinds and person.x_account_id is not None:
            entries += _tweets(session, person.x_account_id, q)
        if q.kinds & {"placement", "placement_note"}:
            entries += _placements(
                session,
                [Placement.candidate_id == person_id, Placement.client_contact_id == person_id],
                q,
            )
        entries.sort(key=lambda e: (e.at, e.ref_id), reverse=True)
        return entries[: q.limit]


def organisation_timeline(
    db: Database, organisation_id: int, query: TimelineQuery | None = None
) -> list[TimelineEntry]:
    q = query or TimelineQuery()
    with db.read() as session:
        org = load(session, Organisation, organisation_id, "organisation")
        entries: list[TimelineEntry] = []
        if "interaction" in q.kinds:
            stmt = _interaction_stmt(q).where(Interaction.organisation_id == organisation_id)
            entries += [_interaction_entry(i) for i in session.scalars(stmt)]
        if "tweet" in q.kinds and org.x_account_id is not None:
            entries += _tweets(session, org.x_account_id, q)
        if q.kinds & {"placement", "placement_note"}:
            entries += _placements(session, [Placement.organisation_id == organisation_id], q)
        entries.sort(key=lambda e: (e.at, e.ref_id), reverse=True)
        return entries[: q.limit]


def _interaction_stmt(q: TimelineQuery) -> Any:
    stmt = select(Interaction).options(selectinload(Interaction.people))
    if q.before is not None:
        stmt = stmt.where(Interaction.occurred_at < q.before)
    return stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(q.limit)


def _interaction_entry(i: Interaction) -> TimelineEntry:
    try:
        label = InteractionKind(i.kind).label
    except ValueError:
        label = i.kind
    # Calls, emails and messages go one way; meetings, events, chats and notes are "with".
    one_way = i.kind in _ONE_WAY_KINDS
    arrow = {"in": " from", "out": " to"}.get(i.direction or "", " with") if one_way else " with"
    names = ", ".join(p.display_name for p in i.people)
    return TimelineEntry(
        kind="interaction",
        at=i.occurred_at,
        title=f"{label}{arrow} {names}".strip(),
        text=i.summary + (("\n\n" + i.body) if i.body else ""),
        ref_id=i.id,
        subtype=i.kind,
        author=i.logged_by,
        placement_id=i.placement_id,
        extra={
            "follow_up_due": i.follow_up_due,
            "follow_up_done": i.follow_up_done,
            "summary": i.summary,
            "version": i.version,
        },
    )


def _interactions(session: Session, person_id: int, q: TimelineQuery) -> list[TimelineEntry]:
    stmt = _interaction_stmt(q).where(
        Interaction.id.in_(
            select(interaction_people.c.interaction_id).where(
                interaction_people.c.person_id == person_id
            )
        )
    )
    return [_interaction_entry(i) for i in session.scalars(stmt)]


def _tweets(session: Session, account_id: int, q: TimelineQuery) -> list[TimelineEntry]:
    account = session.get(XAccount, account_id)
    if account is None:
        return []
    conditions = [Tweet.account_id == account_id]
    own_id = _own_account_id(session)
    # Mentions of this person by the user's own account.
    if account.x_user_id is not None and own_id is not None and own_id != account.x_user_id:
        conditions.append(
            Tweet.id.in_(
                select(TweetMention.tweet_id).where(TweetMention.x_user_id == account.x_user_id)
            )
            & (Tweet.author_x_user_id == own_id)
        )
    stmt = select(Tweet).where(or_(*conditions))
    if q.before is not None:
        stmt = stmt.where(Tweet.created_at < q.before)
    stmt = stmt.order_by(Tweet.created_at.desc()).limit(q.limit)
    out = []
    for t in session.scalars(stmt):
        mine = t.author_x_user_id == account.x_user_id or t.account_id == account_id
        subtype = "retweet" if t.retweeted_id else "reply" if t.replied_to_id else "tweet"
        out.append(
            TimelineEntry(
                kind="tweet",
                at=t.created_at,
                title=(f"@{account.handle}" if mine else "You mentioned them")
                + (
                    " retweeted"
                    if subtype == "retweet"
                    else " replied"
                    if subtype == "reply"
                    else " tweeted"
                ),
                text=t.text,
                ref_id=t.id,
                subtype=subtype if mine else "mention",
                author=account.handle if mine else None,
                extra={
                    "likes": t.like_count,
                    "retweets": t.retweet_count,
                    "replies": t.reply_count,
                    "url": f"https://x.com/{account.handle}/status/{t.id}",
                },
            )
        )
    return out


def _placements(session: Session, conditions: list[Any], q: TimelineQuery) -> list[TimelineEntry]:
    placements = list(
        session.scalars(
            select(Placement)
            .where(or_(*conditions))
            .options(
                selectinload(Placement.candidate),
                selectinload(Placement.organisation),
                selectinload(Placement.extensions),
            )
        )
    )
    out: list[TimelineEntry] = []
    for p in placements:
        where = f"{p.candidate.display_name} as {p.role} at {p.organisation.name}"
        if "placement" in q.kinds:
            if p.start_date:
                out.append(
                    TimelineEntry(
                        "placement",
                        _at(p.start_date),
                        "Placement starts",
                        where,
                        p.id,
                        "start",
                        placement_id=p.id,
                        extra={"status": p.status},
                    )
                )
            if p.end_date and p.status not in (PlacementStatus.CANCELLED.value,):
                out.append(
                    TimelineEntry(
                        "placement",
                        _at(p.end_date),
                        "Placement ends",
                        where,
                        p.id,
                        "end",
                        placement_id=p.id,
                        extra={"status": p.status},
                    )
                )
            for e in p.extensions:
                rate = f" at {p.currency} {e.day_rate}/day" if e.day_rate else ""
                out.append(
                    TimelineEntry(
                        "placement",
                        e.created_at,
                        "Placement extended",
                        f"{where}: to {e.new_end_date:%d/%m/%Y}{rate}"
                        + (f". {e.reason}" if e.reason else ""),
                        e.id,
                        "extension",
                        author=e.created_by,
                        placement_id=p.id,
                    )
                )
    if "placement_note" in q.kinds and placements:
        stmt = select(PlacementNote).where(
            PlacementNote.placement_id.in_([p.id for p in placements])
        )
        if q.before is not None:
            stmt = stmt.where(PlacementNote.created_at < q.before)
        names = {p.id: f"{p.role} at {p.organisation.name}" for p in placements}
        for n in session.scalars(stmt.order_by(PlacementNote.created_at.desc()).limit(q.limit)):
            out.append(
                TimelineEntry(
                    "placement_note",
                    n.created_at,
                    f"Placement note: {names[n.placement_id]}",
                    n.text,
                    n.id,
                    author=n.author,
                    placement_id=n.placement_id,
                )
            )
    if q.before is not None:
        out = [e for e in out if e.at < q.before]
    return out
