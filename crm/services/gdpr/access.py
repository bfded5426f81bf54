"""Subject access: everything held about a person (details, jobs, interactions, placements,
notes, their X account with cached tweets and follower history, tweets that mention them,
their Bluesky account with its posts and follower history, posts that mention them, audit
entries) as JSON for machines and a self-contained HTML page for the person. Other
people's names are left out of it: they are third parties' data."""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain.errors import ValidationError
from crm.domain.values import json_ready
from crm.services import audit
from crm.services.common import load_person
from crm.services.gdpr.identify import (
    Redactor,
    about_entity,
    bluesky_account_of,
    posts_about,
    related_ids,
    terms_of,
)
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    AuditEntry,
    BlueskyAccount,
    BlueskySnapshot,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    Placement,
    Post,
    ShortlistEntry,
    Tweet,
    TweetMention,
    interaction_people,
)
from crm.storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubjectAccessResult:
    person_id: int
    json_path: str
    html_path: str
    counts: dict[str, int]


def _columns(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(skip)
    return {
        c.key: getattr(obj, c.key)
        for c in obj.__table__.columns
        if c.key not in skipped and c.key != "search_vector"
    }


def subject_access_data(db: Database, person_id: int) -> dict[str, Any]:
    """Everything held about a person, as plain JSON-ready data."""
    with db.read() as session:
        person = load_person(session, person_id)
        bluesky = bluesky_account_of(session, person_id)
        terms = terms_of(person, bluesky)
        redactor = Redactor(terms)
        data: dict[str, Any] = {
            "generated_at": utcnow(),
            "generated_by": settings.current_user(),
            "controller_note": (
                "Personal data held about this person in Interim CRM. Other people's names "
                "are withheld as third-party data."
            ),
            "person": _columns(person, skip=("sort_name", "x_account_id")),
            "emails": [e.email for e in person.emails],
            "phones": [p.number for p in person.phones],
            "tags": [t.name for t in person.tags],
            "employments": [
                {
                    "organisation": e.organisation.name,
                    "title": e.title,
                    "start_date": e.start_date,
                    "end_date": e.end_date,
                }
                for e in person.employments
            ],
        }
        data["interactions"] = _interactions_of(session, person_id)
        data["placements"] = _placements_of(session, person_id)
        data["shortlists"] = _shortlists_of(session, person_id)
        data["assignments_as_contact"] = [
            {
                "organisation": a.organisation.name,
                "role": a.role,
                "status": a.status,
                "opened_on": a.opened_on,
                "closed_on": a.closed_on,
            }
            for a in session.scalars(
                select(Assignment)
                .where(Assignment.contact_id == person_id)
                .options(selectinload(Assignment.organisation))
                .order_by(Assignment.opened_on)
            )
        ]
        account = person.x_account
        if account is not None:
            data["x_account"] = _columns(account)
            data["tweets"] = [
                _tweet(t)
                for t in session.scalars(
                    select(Tweet)
                    .where(
                        or_(
                            Tweet.account_id == account.id,
                            Tweet.author_x_user_id == (account.x_user_id or -1),
                        )
                    )
                    .order_by(Tweet.created_at)
                )
            ]
            data["tweets_mentioning_them"] = (
                [
                    _tweet(t)
                    for t in session.scalars(
                        select(Tweet)
                        .join(TweetMention, TweetMention.tweet_id == Tweet.id)
                        .where(TweetMention.x_user_id == account.x_user_id)
                        .order_by(Tweet.created_at)
                    )
                ]
                if account.x_user_id
                else []
            )
            data["follower_history"] = [
                {"taken_at": s.taken_at, "followers": s.followers, "following": s.following}
                for s in session.scalars(
                    select(FollowerSnapshot)
                    .where(FollowerSnapshot.account_id == account.id)
                    .order_by(FollowerSnapshot.taken_at)
                )
            ]
        if bluesky is not None:
            data.update(_bluesky_of(session, bluesky))
        data["audit"] = [
            {
                "at": e.at,
                "who": e.who,
                "entity": e.entity_type,
                "entity_id": e.entity_id,
                "action": e.action,
                "changes": e.changes,
            }
            for e in _audit_about(session, person, redactor, bluesky)
        ]
    result: dict[str, Any] = json_ready(data)
    return result


def _tweet(t: Tweet) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "created_at": t.created_at,
        "text": t.text,
        "likes": t.like_count,
        "retweets": t.retweet_count,
        "replies": t.reply_count,
    }


def _bluesky_of(session: Session, account: BlueskyAccount) -> dict[str, Any]:
    """Their Bluesky account, its stored posts and follower history, and others' stored
    posts that mention them or reply to them."""
    return {
        "bluesky_account": _columns(account, skip=("person_id", "organisation_id")),
        "bluesky_posts": [
            _post(p)
            for p in session.scalars(
                select(Post).where(Post.account_id == account.id).order_by(Post.created_at)
            )
        ],
        "bluesky_posts_mentioning_them": [
            _post(p)
            for p in session.scalars(
                select(Post)
                .where(Post.account_id != account.id, posts_about(account))
                .order_by(Post.created_at)
            )
        ],
        "bluesky_follower_history": [
            {"taken_at": s.taken_at, "followers": s.followers, "follows": s.follows}
            for s in session.scalars(
                select(BlueskySnapshot)
                .where(BlueskySnapshot.account_id == account.id)
                .order_by(BlueskySnapshot.taken_at, BlueskySnapshot.id)
            )
        ],
    }


def _post(p: Post) -> dict[str, Any]:
    return {
        "uri": p.uri,
        "created_at": p.created_at,
        "text": p.text,
        "likes": p.like_count,
        "reposts": p.repost_count,
        "replies": p.reply_count,
        "quotes": p.quote_count,
    }


def _interactions_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    ids = select(interaction_people.c.interaction_id).where(
        interaction_people.c.person_id == person_id
    )
    others: dict[int, int] = dict(
        session.execute(
            select(interaction_people.c.interaction_id, func.count())
            .where(
                interaction_people.c.interaction_id.in_(ids),
                interaction_people.c.person_id != person_id,
            )
            .group_by(interaction_people.c.interaction_id)
        ).all()
    )
    out = []
    for i, org in session.execute(
        select(Interaction, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Interaction.organisation_id)
        .where(Interaction.id.in_(ids))
        .order_by(Interaction.occurred_at)
    ):
        out.append(
            {
                "occurred_at": i.occurred_at,
                "kind": i.kind,
                "direction": i.direction,
                "summary": i.summary,
                "notes": i.body,
                "organisation": org,
                "logged_by": i.logged_by,
                "follow_up_due": i.follow_up_due,
                "other_people_present": others.get(i.id, 0),
            }
        )
    return out


def _placements_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    out = []
    for p in session.scalars(
        select(Placement)
        .where(or_(Placement.candidate_id == person_id, Placement.client_contact_id == person_id))
        .options(
            selectinload(Placement.organisation),
            selectinload(Placement.extensions),
            selectinload(Placement.notes),
        )
        .order_by(Placement.start_date)
    ):
        as_candidate = p.candidate_id == person_id
        entry: dict[str, Any] = {
            "as": "candidate" if as_candidate else "client contact",
            "organisation": p.organisation.name,
            "role": p.role,
            "status": p.status,
            "start_date": p.start_date,
            "end_date": p.end_date,
        }
        if as_candidate:
            # The client's commercial terms are held about the candidate too.
            entry.update(
                charge_rate=p.charge_rate,
                pay_rate=p.pay_rate,
                currency=p.currency,
                ir35=p.ir35,
                extensions=[
                    {
                        "new_end_date": x.new_end_date,
                        "day_rate": x.day_rate,
                        "reason": x.reason,
                        "created_at": x.created_at,
                    }
                    for x in p.extensions
                ],
                notes=[
                    {"text": n.text, "author": n.author, "created_at": n.created_at}
                    for n in p.notes
                ],
            )
        out.append(entry)
    return out


def _shortlists_of(session: Session, person_id: int) -> list[dict[str, Any]]:
    """The assignments the person was shortlisted for, with every dated stage."""
    entries = session.scalars(
        select(ShortlistEntry)
        .where(ShortlistEntry.person_id == person_id)
        .options(
            selectinload(ShortlistEntry.assignment).selectinload(Assignment.organisation),
            selectinload(ShortlistEntry.history),
        )
        .order_by(ShortlistEntry.id)
    )
    return [
        {
            "organisation": e.assignment.organisation.name,
            "role": e.assignment.role,
            "stage": e.stage,
            "reason": e.reason,
            "stages": [
                {"from": h.from_stage, "to": h.to_stage, "reason": h.reason, "at": h.at}
                for h in e.history
            ],
        }
        for e in entries
    ]


def _audit_about(
    session: Session, person: Person, redactor: Redactor, bluesky: BlueskyAccount | None
) -> list[AuditEntry]:
    related = related_ids(session, person.id)
    conditions = [about_entity("person", [person.id])]
    # Their accounts' entries (renames name their earlier handles).
    if person.x_account_id is not None:
        conditions.append(about_entity("x_account", [person.x_account_id]))
    if bluesky is not None:
        conditions.append(about_entity("bluesky_account", [bluesky.id]))
    conditions += [about_entity(kind, sorted(ids)) for kind, ids in related.items() if ids]
    if redactor.terms:
        conditions.append(redactor.mentions(AuditEntry.changes, is_json=True))
    entries = session.scalars(
        select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return list(entries)


def export_subject_access(
    db: Database, person_id: int, directory: str | Path
) -> SubjectAccessResult:
    """Write the subject access files for a person into ``directory`` (created if needed)."""
    data = subject_access_data(db, person_id)
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create {folder}: {exc.strerror or exc}.") from None
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    stem = f"subject-access-{person_id}-{stamp}"
    json_path = folder / f"{stem}.json"
    html_path = folder / f"{stem}.html"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(data), encoding="utf-8")
    counts = {
        key: len(value)
        for key, value in data.items()
        if isinstance(value, list) and key not in ("emails", "phones", "tags")
    }
    with db.session() as session:
        audit.record(
            session, "person", person_id, "subject_access_export", {"files": [json_path.name]}
        )
    log.info("Wrote subject access export for #%d to %s", person_id, folder)
    return SubjectAccessResult(person_id, str(json_path), str(html_path), counts)


def _cell(value: Any) -> str:
    if value is None or value == "" or value == []:
        return '<span class="none">—</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return "<pre>" + html.escape(json.dumps(value, indent=1, ensure_ascii=False)) + "</pre>"
    text_ = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", text_):
        with contextlib.suppress(ValueError):
            text_ = datetime.fromisoformat(text_).strftime("%d/%m/%Y %H:%M")
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text_):
        text_ = date.fromisoformat(text_).strftime("%d/%m/%Y")
    return html.escape(text_).replace("\n", "<br>")


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p class="none">None held.</p>'
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    head = "".join(f"<th>{html.escape(k.replace('_', ' ').capitalize())}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(k))}</td>" for k in keys) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: dict[str, Any]) -> str:
    """A readable, self-contained page of a subject access export."""
    person = data["person"]
    name = f"{person.get('first_name', '')} {person.get('last_name', '')}".strip()
    details = "".join(
        f"<tr><th>{html.escape(k.replace('_', ' ').capitalize())}</th><td>{_cell(v)}</td></tr>"
        for k, v in person.items()
    )
    sections = [
        ("Contact details", _table([{"emails": data["emails"], "phones": data["phones"]}])),
        ("Tags", _cell(data["tags"])),
        ("Jobs", _table(data["employments"])),
        ("Conversations and notes", _table(data["interactions"])),
        ("Placements", _table(data["placements"])),
        ("Shortlists for assignments", _table(data.get("shortlists", []))),
        ("Assignments as the hiring contact", _table(data.get("assignments_as_contact", []))),
    ]
    if "x_account" in data:
        sections += [
            ("X (Twitter) account", _table([data["x_account"]])),
            ("Their tweets kept here", _table(data["tweets"])),
            ("Tweets that mention them", _table(data["tweets_mentioning_them"])),
            ("Follower history", _table(data["follower_history"])),
        ]
    if "bluesky_account" in data:
        sections += [
            ("Bluesky account", _table([data["bluesky_account"]])),
            ("Their Bluesky posts kept here", _table(data["bluesky_posts"])),
            ("Bluesky posts that mention them", _table(data["bluesky_posts_mentioning_them"])),
            ("Bluesky follower history", _table(data["bluesky_follower_history"])),
        ]
    sections.append(("Changes recorded (audit)", _table(data["audit"])))
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    generated = _cell(data["generated_at"])
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Personal data held about {html.escape(name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} pre {{ margin: 0; white-space: pre-wrap; }}
.none {{ color: #888; }}
</style>
</head>
<body>
<h1>Personal data held about {html.escape(name)}</h1>
<p>Prepared {generated} by {html.escape(str(data["generated_by"]))}.
{html.escape(data["controller_note"])}</p>
<h2>Details</h2>
<table>{details}</table>
{body}
</body>
</html>
"""
