"""One timeline per person: logged interactions, tweets, Bluesky posts, placement events and
notes, newest first. Tweets and posts carry their network in ``extra["network"]``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import AssignmentStatus, InteractionKind, PlacementStatus, ShortlistStage
from crm.domain.errors import NotFoundError
from crm.services.views import TimelineEntry
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    BlueskyAccount,
    Extension,
    Interaction,
    Organisation,
    Person,
    Placement,
    PlacementNote,
    Post,
    ShortlistEntry,
    ShortlistStageChange,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
)

_ONE_WAY_KINDS = frozenset({"call", "video_call", "email", "tweet", "dm"})
# "assignment": assignments opened and closed, and shortlist stage changes.
ALL_KINDS = frozenset({"interaction", "tweet", "post", "placement", "placement_note", "assignment"})


@dataclass(frozen=True)
class TimelineQuery:
    kinds: frozenset[str] = ALL_KINDS
    before: datetime | None = None  # for "load more": entries strictly older than this
    limit: int = 100


def _own_account_id(session: Session) -> int | None:
    """The own account's X user id: the ``x_own_handle`` setting, else the current user's
    linked account (as :func:`crm.services.x_store.own_account` finds it)."""
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


@dataclass(frozen=True)
class _Whose:
    """What picks a person's or an organisation's entries out of each kind."""

    interactions: Any
    posts: Any
    placements: list[Any]
    assignments: list[Any]
    stages: Any = None  # shortlist stage changes (a person's only)


def _record_timeline(
    session: Session, q: TimelineQuery, x_account_id: int | None, whose: _Whose
) -> list[TimelineEntry]:
    interactions: list[Row[Any]] = []
    others: list[TimelineEntry] = []
    if "interaction" in q.kinds:
        interactions = _interaction_rows(session, q, whose.interactions)
    if "tweet" in q.kinds and x_account_id is not None:
        others += _tweets(session, x_account_id, q)
    if "post" in q.kinds:
        others += _posts(session, whose.posts, q)
    if q.kinds & {"placement", "placement_note"}:
        others += _placements(session, whose.placements, q)
    if "assignment" in q.kinds:
        others += _assignment_events(session, whose.assignments, q)
        if whose.stages is not None:
            others += _stage_events(session, whose.stages, q)
    return _newest(session, q, interactions, others)


def person_timeline(
    db: Database, person_id: int, query: TimelineQuery | None = None
) -> list[TimelineEntry]:
    whose = _Whose(
        interactions=Interaction.id.in_(
            select(interaction_people.c.interaction_id).where(
                interaction_people.c.person_id == person_id
            )
        ),
        posts=BlueskyAccount.person_id == person_id,
        placements=[Placement.candidate_id == person_id, Placement.client_contact_id == person_id],
        assignments=[Assignment.contact_id == person_id],
        stages=ShortlistEntry.person_id == person_id,
    )
    with db.read() as session:
        x_account_id = _x_account_of(session, Person, person_id, "person")
        return _record_timeline(session, query or TimelineQuery(), x_account_id, whose)


def organisation_timeline(
    db: Database, organisation_id: int, query: TimelineQuery | None = None
) -> list[TimelineEntry]:
    whose = _Whose(
        interactions=Interaction.organisation_id == organisation_id,
        posts=BlueskyAccount.organisation_id == organisation_id,
        placements=[Placement.organisation_id == organisation_id],
        assignments=[Assignment.organisation_id == organisation_id],
    )
    with db.read() as session:
        x_account_id = _x_account_of(session, Organisation, organisation_id, "organisation")
        return _record_timeline(session, query or TimelineQuery(), x_account_id, whose)


def assignment_timeline(
    db: Database, assignment_id: int, query: TimelineQuery | None = None
) -> list[TimelineEntry]:
    """An assignment's history: opened, every shortlist stage change, closed; newest first."""
    q = query or TimelineQuery()
    with db.read() as session:
        if session.get(Assignment, assignment_id) is None:
            raise NotFoundError(f"There is no assignment with id {assignment_id}.")
        others = _assignment_events(session, [Assignment.id == assignment_id], q)
        others += _stage_events(session, ShortlistEntry.assignment_id == assignment_id, q)
        return _newest(session, q, [], others)


def _assignment_events(
    session: Session, conditions: list[Any], q: TimelineQuery
) -> list[TimelineEntry]:
    """Assignments opened and closed, as timeline entries."""
    out: list[TimelineEntry] = []
    rows = session.execute(
        select(
            Assignment.id,
            Assignment.role,
            Assignment.status,
            Assignment.closed_reason,
            Assignment.opened_on,
            Assignment.closed_on,
            Assignment.owner,
            Organisation.name.label("organisation"),
        )
        .join(Organisation, Organisation.id == Assignment.organisation_id)
        .where(or_(*conditions))
        .order_by(Assignment.id)
    )
    for a in rows:
        where = f"{a.role} at {a.organisation}"
        extra = {"assignment_id": a.id, "status": a.status}
        out.append(
            TimelineEntry(
                "assignment",
                _at(a.opened_on),
                "Assignment opened",
                where,
                a.id,
                "opened",
                author=a.owner,
                extra=extra,
            )
        )
        if a.closed_on is not None:
            try:
                status = AssignmentStatus(a.status).label.lower()
            except ValueError:
                status = a.status
            out.append(
                TimelineEntry(
                    "assignment",
                    _at(a.closed_on),
                    f"Assignment {status}",
                    where + (f". {a.closed_reason}" if a.closed_reason else ""),
                    a.id,
                    "closed",
                    extra=extra,
                )
            )
    if q.before is not None:
        out = [e for e in out if e.at < q.before]
    return out


def _stage_events(session: Session, where: Any, q: TimelineQuery) -> list[TimelineEntry]:
    """Shortlist stage changes (the newest ``q.limit``), as timeline entries."""
    stmt = (
        select(
            ShortlistStageChange.id,
            ShortlistStageChange.from_stage,
            ShortlistStageChange.to_stage,
            ShortlistStageChange.reason,
            ShortlistStageChange.at,
            ShortlistStageChange.by,
            ShortlistEntry.assignment_id,
            Person.preferred_name,
            Person.first_name,
            Person.last_name,
            Assignment.role,
            Organisation.name.label("organisation"),
        )
        .join(ShortlistEntry, ShortlistEntry.id == ShortlistStageChange.entry_id)
        .join(Person, Person.id == ShortlistEntry.person_id)
        .join(Assignment, Assignment.id == ShortlistEntry.assignment_id)
        .join(Organisation, Organisation.id == Assignment.organisation_id)
        .where(where)
    )
    if q.before is not None:
        stmt = stmt.where(ShortlistStageChange.at < q.before)
    stmt = stmt.order_by(ShortlistStageChange.at.desc(), ShortlistStageChange.id.desc())
    out: list[TimelineEntry] = []
    for c in session.execute(stmt.limit(q.limit)):
        name = _display_name(c.preferred_name, c.first_name, c.last_name)
        stage = ShortlistStage(c.to_stage).label.lower()
        title = f"Shortlisted ({stage})" if c.from_stage is None else f"Shortlist: {stage}"
        out.append(
            TimelineEntry(
                "assignment",
                c.at,
                title,
                f"{name} for {c.role} at {c.organisation}" + (f". {c.reason}" if c.reason else ""),
                c.id,
                "stage",
                author=c.by,
                extra={"assignment_id": c.assignment_id, "stage": c.to_stage},
            )
        )
    return out


def _x_account_of(
    session: Session, model: type[Person] | type[Organisation], entity_id: int, label: str
) -> int | None:
    """The record's X account id; NotFoundError (as :func:`load` raises) if it is gone."""
    found = session.execute(select(model.x_account_id).where(model.id == entity_id)).first()
    if found is None:
        raise NotFoundError(f"There is no {label} with id {entity_id}.")
    x_account_id: int | None = found[0]
    return x_account_id


def _newest(
    session: Session, q: TimelineQuery, interactions: list[Row[Any]], others: list[TimelineEntry]
) -> list[TimelineEntry]:
    """The newest ``q.limit`` entries. Interactions come as rows and become entries only if
    they make the cut, so only the shown ones have their people's names looked up."""
    items: list[tuple[datetime, int, Row[Any] | TimelineEntry]] = [
        (i.occurred_at, i.id, i) for i in interactions
    ]
    items += [(e.at, e.ref_id, e) for e in others]
    # Stable: entries with the same time and id keep the order they were listed in.
    items.sort(key=lambda item: (item[0], item[1]), reverse=True)
    del items[q.limit :]
    shown = [item for _at, _id, item in items if not isinstance(item, TimelineEntry)]
    names = _people_names(session, [i.id for i in shown])
    return [
        item if isinstance(item, TimelineEntry) else _interaction_entry(item, names[item.id])
        for _at, _id, item in items
    ]


def _interaction_rows(session: Session, q: TimelineQuery, where: Any) -> list[Row[Any]]:
    """The newest ``q.limit`` interactions matching ``where``: only the columns shown."""
    stmt = select(
        Interaction.id,
        Interaction.kind,
        Interaction.direction,
        Interaction.occurred_at,
        Interaction.summary,
        Interaction.body,
        Interaction.logged_by,
        Interaction.placement_id,
        Interaction.follow_up_due,
        Interaction.follow_up_done,
        Interaction.version,
    ).where(where)
    if q.before is not None:
        stmt = stmt.where(Interaction.occurred_at < q.before)
    stmt = stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(q.limit)
    return list(session.execute(stmt))


def _display_name(preferred_name: str | None, first_name: str, last_name: str) -> str:
    """:attr:`crm.storage.models.Person.display_name` from the three columns."""
    return f"{preferred_name or first_name} {last_name}".strip()


def _people_names(session: Session, interaction_ids: list[int]) -> defaultdict[int, list[str]]:
    """The names of each interaction's people (by person id, as the relationship loads them)."""
    names: defaultdict[int, list[str]] = defaultdict(list)
    if not interaction_ids:
        return names
    link = interaction_people.c
    rows = session.execute(
        select(link.interaction_id, Person.preferred_name, Person.first_name, Person.last_name)
        .join(Person, Person.id == link.person_id)
        .where(link.interaction_id.in_(interaction_ids))
        .order_by(link.interaction_id, link.person_id)
    )
    for interaction_id, preferred_name, first_name, last_name in rows:
        names[interaction_id].append(_display_name(preferred_name, first_name, last_name))
    return names


def _interaction_entry(i: Row[Any], people: list[str]) -> TimelineEntry:
    try:
        label = InteractionKind(i.kind).label
    except ValueError:
        label = i.kind
    # Calls, emails and messages go one way; meetings, events, chats and notes are "with".
    one_way = i.kind in _ONE_WAY_KINDS
    arrow = {"in": " from", "out": " to"}.get(i.direction or "", " with") if one_way else " with"
    names = ", ".join(people)
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


def _tweets(session: Session, account_id: int, q: TimelineQuery) -> list[TimelineEntry]:
    account = session.execute(
        select(XAccount.handle, XAccount.x_user_id).where(XAccount.id == account_id)
    ).first()
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
    stmt = select(
        Tweet.id,
        Tweet.account_id,
        Tweet.author_x_user_id,
        Tweet.text,
        Tweet.created_at,
        Tweet.replied_to_id,
        Tweet.retweeted_id,
        Tweet.like_count,
        Tweet.retweet_count,
        Tweet.reply_count,
    ).where(or_(*conditions))
    if q.before is not None:
        stmt = stmt.where(Tweet.created_at < q.before)
    stmt = stmt.order_by(Tweet.created_at.desc()).limit(q.limit)
    out = []
    for t in session.execute(stmt):
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
                    "network": "x",
                },
            )
        )
    return out


def _posts(session: Session, owner: Any, q: TimelineQuery) -> list[TimelineEntry]:
    """The Bluesky posts of the account linked to the person or organisation (``owner``)."""
    account = session.execute(select(BlueskyAccount.id, BlueskyAccount.handle).where(owner)).first()
    if account is None:
        return []
    stmt = select(
        Post.id,
        Post.uri,
        Post.text,
        Post.created_at,
        Post.reply_parent_uri,
        Post.like_count,
        Post.repost_count,
        Post.reply_count,
    ).where(Post.account_id == account.id)
    if q.before is not None:
        stmt = stmt.where(Post.created_at < q.before)
    stmt = stmt.order_by(Post.created_at.desc(), Post.id.desc()).limit(q.limit)
    out = []
    for p in session.execute(stmt):
        subtype = "reply" if p.reply_parent_uri else "post"
        out.append(
            TimelineEntry(
                kind="post",
                at=p.created_at,
                title=f"@{account.handle} " + ("replied" if subtype == "reply" else "posted"),
                text=p.text,
                ref_id=p.id,
                subtype=subtype,
                author=account.handle,
                extra={
                    "likes": p.like_count,
                    "reposts": p.repost_count,
                    "replies": p.reply_count,
                    "url": (
                        f"https://bsky.app/profile/{account.handle}/post/"
                        + p.uri.rsplit("/", 1)[-1]
                    ),
                    "network": "bluesky",
                },
            )
        )
    return out


def _placements(session: Session, conditions: list[Any], q: TimelineQuery) -> list[TimelineEntry]:
    placements = list(
        session.execute(
            select(
                Placement.id,
                Placement.role,
                Placement.status,
                Placement.currency,
                Placement.start_date,
                Placement.end_date,
                Person.preferred_name,
                Person.first_name,
                Person.last_name,
                Organisation.name.label("organisation"),
            )
            .join(Person, Person.id == Placement.candidate_id)
            .join(Organisation, Organisation.id == Placement.organisation_id)
            .where(or_(*conditions))
            .order_by(Placement.id)
        )
    )
    out: list[TimelineEntry] = []
    if "placement" in q.kinds and placements:
        extensions: defaultdict[int, list[Any]] = defaultdict(list)
        for ext in session.execute(
            select(
                Extension.id,
                Extension.placement_id,
                Extension.new_end_date,
                Extension.day_rate,
                Extension.reason,
                Extension.created_by,
                Extension.created_at,
            )
            .where(Extension.placement_id.in_([p.id for p in placements]))
            .order_by(Extension.created_at, Extension.id)
        ):
            extensions[ext.placement_id].append(ext)
        for p in placements:
            candidate = _display_name(p.preferred_name, p.first_name, p.last_name)
            where = f"{candidate} as {p.role} at {p.organisation}"
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
            for e in extensions[p.id]:
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
        stmt = select(
            PlacementNote.id,
            PlacementNote.placement_id,
            PlacementNote.text,
            PlacementNote.author,
            PlacementNote.created_at,
        ).where(PlacementNote.placement_id.in_([p.id for p in placements]))
        if q.before is not None:
            stmt = stmt.where(PlacementNote.created_at < q.before)
        names = {p.id: f"{p.role} at {p.organisation}" for p in placements}
        for n in session.execute(stmt.order_by(PlacementNote.created_at.desc()).limit(q.limit)):
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
