"""Storing what X returned: tweets in bulk, profiles with their follower snapshots, renames
followed by user id, and the recruiter's own account. The sync, linking and the archive
import all write through these, inside the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.enums import XAccountStatus
from crm.services import audit
from crm.storage.db import Database
from crm.storage.models import (
    FollowerSnapshot,
    Organisation,
    Person,
    Tweet,
    TweetMention,
    User,
    XAccount,
)
from crm.storage.types import utcnow
from crm.storage.upsert import insert_for
from crm.x.types import TweetPage, UserError, XAccountUnavailable, XTweet, XUser

log = logging.getLogger(__name__)

_ID_CHUNK = 500  # ids per IN (...) when checking which tweets are already stored


# --------------------------------------------------------------------------- own account


def own_account(session: Session) -> XAccount | None:
    """The recruiter's own X account: the ``x_own_handle`` setting, else the current user's
    linked account (``User.x_account``)."""
    handle = str(settings.get("x_own_handle") or "").strip().lstrip("@").lower()
    if handle:
        found = session.scalars(
            select(XAccount).where(func.lower(XAccount.handle) == handle)
        ).first()
        if found is not None:
            return found
    return session.scalars(
        select(XAccount)
        .join(User, User.x_account_id == XAccount.id)
        .where(User.name == settings.current_user())
    ).first()


def linked_account_ids(session: Session) -> set[int]:
    people = session.scalars(select(Person.x_account_id).where(Person.x_account_id.is_not(None)))
    orgs = session.scalars(
        select(Organisation.x_account_id).where(Organisation.x_account_id.is_not(None))
    )
    return {int(i) for i in (*people, *orgs) if i is not None}


# --------------------------------------------------------------------------- storing tweets


def _tweet_row(tweet: XTweet, account_id: int | None, fetched_at: datetime) -> dict[str, Any]:
    metrics = tweet.metrics
    return {
        "id": tweet.id,
        "account_id": account_id,
        "author_x_user_id": tweet.author_id,
        "text": tweet.text,
        "created_at": tweet.created_at,
        "conversation_id": tweet.conversation_id,
        "in_reply_to_user_id": tweet.in_reply_to_user_id,
        "replied_to_id": tweet.replied_to_id,
        "quoted_id": tweet.quoted_id,
        "retweeted_id": tweet.retweeted_id,
        "mentioned_user_ids": list(tweet.mentioned_user_ids),
        "like_count": int(metrics.get("like_count", 0)),
        "retweet_count": int(metrics.get("retweet_count", 0)),
        "reply_count": int(metrics.get("reply_count", 0)),
        "quote_count": int(metrics.get("quote_count", 0)),
        "raw": tweet.raw,
        "fetched_at": fetched_at,
    }


def _existing_ids(session: Session, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        found.update(
            session.scalars(select(Tweet.id).where(Tweet.id.in_(ids[start : start + _ID_CHUNK])))
        )
    return found


def store_tweets(
    session: Session,
    tweets: Iterable[XTweet],
    account_for: Callable[[XTweet], int | None],
) -> int:
    """Insert ``tweets`` (and their mention rows) in bulk in the session's transaction, skipping
    those already stored and those ``account_for`` gives no account; returns how many were new.
    """
    now = utcnow()
    wanted: dict[int, tuple[XTweet, int]] = {}
    for tweet in tweets:
        account_id = account_for(tweet)
        if account_id is not None:
            wanted.setdefault(tweet.id, (tweet, account_id))
    if not wanted:
        return 0
    tweet_table: Table = Tweet.__table__  # type: ignore[assignment]
    mention_table: Table = TweetMention.__table__  # type: ignore[assignment]
    # ON CONFLICT DO NOTHING skips tweets already stored (by an earlier page, an earlier sync
    # or another recruiter's sync at the same moment).
    insert = insert_for(session, tweet_table).on_conflict_do_nothing(
        index_elements=[tweet_table.c.id]
    )
    if session.get_bind().dialect.name == "sqlite":
        # RETURNING says which rows were new without a query first: fastest on SQLite.
        inserted = set(
            session.scalars(
                insert.returning(tweet_table.c.id),
                [_tweet_row(t, a, now) for t, a in wanted.values()],
            )
        )
    else:
        # psycopg pipelines a plain executemany; RETURNING would turn it into large
        # multi-row statements, measured twice as slow. Ask which ids exist instead.
        existing = _existing_ids(session, list(wanted))
        rows = [_tweet_row(t, a, now) for i, (t, a) in wanted.items() if i not in existing]
        if rows:
            session.execute(insert, rows)
        inserted = {row["id"] for row in rows}
    mentions = [
        {"tweet_id": t.id, "x_user_id": uid}
        for t, _a in wanted.values()
        if t.id in inserted
        for uid in t.mentioned_user_ids
    ]
    if mentions:
        session.execute(
            insert_for(session, mention_table).on_conflict_do_nothing(
                index_elements=[mention_table.c.tweet_id, mention_table.c.x_user_id]
            ),
            mentions,
        )
    return len(inserted)


def store_tweet_pages(db: Database, account_id: int, pages: Iterable[TweetPage]) -> int:
    """Store every tweet of ``pages`` under the account ``account_id`` in one transaction.

    The bulk path the sync uses for each page (and the benchmark for 3,200 tweets); returns
    how many tweets were new.
    """
    with db.session() as session:
        return store_tweets(
            session, (t for page in pages for t in page.tweets), lambda _t: account_id
        )


# --------------------------------------------------------------------------- profiles and renames


def rename_accounts(session: Session, renames: Sequence[tuple[XAccount, str]]) -> dict[int, str]:
    """Give each account its new handle, following renames by id; returns the accounts that
    could not take theirs (another linked record holds it), with a message.

    Handles are unique and two accounts can swap or pass on a handle, so every renamed row
    first takes a placeholder, then its new handle. A stale row that no record links to gives
    its handle up: an unverified one is deleted, a known one keeps its tweets under a
    placeholder until its id is looked up again.
    """
    if not renames:
        return {}
    renaming = {account.id for account, _ in renames}
    wanted = {new.lower() for _, new in renames}
    holders = {
        h.handle.lower(): h
        for h in session.scalars(select(XAccount).where(func.lower(XAccount.handle).in_(wanted)))
        if h.id not in renaming
    }
    linked = linked_account_ids(session) | {
        i for i in session.scalars(select(User.x_account_id)) if i is not None
    }
    refused: dict[int, str] = {}
    go: list[tuple[XAccount, str, str]] = []
    for account, new in renames:
        holder = holders.get(new.lower())
        if holder is not None and holder.id in linked:
            message = (
                f"X says @{account.handle} is now @{new}, but @{new} is linked to another "
                "record here; sync that one too, or unlink it."
            )
            account.status_detail = message
            refused[account.id] = message
            continue
        if holder is not None:
            if holder.x_user_id is None:
                session.delete(holder)
            else:
                holder.handle = f"~{holder.id}"
                holder.status_detail = f"Its old handle @{new} now belongs to another account."
            holders.pop(new.lower())
        go.append((account, account.handle, new))
    for account, old, new in go:
        if old.lower() != new.lower():
            account.handle = f"~{account.id}"
    session.flush()
    for account, old, new in go:
        account.handle = new
        if old != new and not old.startswith("~"):
            audit.record(session, "x_account", account.id, "rename", {"handle": [old, new]})
            log.info("@%s is now @%s on X; link kept by id", old, new)
    return refused


def apply_profile(
    session: Session, account: XAccount, user: XUser, now: datetime | None = None
) -> None:
    """Copy X's profile and counts onto ``account``, set its status from them, and add a
    follower snapshot. The caller follows a changed handle (it may clash with another row)."""
    now = now or utcnow()
    account.x_user_id = user.id
    known = account.id is not None and account.last_synced_at is not None
    before = {"display_name": account.display_name, "bio": account.bio}
    account.display_name = (user.name or "")[:100] or None
    account.bio = user.description or None
    changed = {
        name: [was, getattr(account, name)]
        for name, was in before.items()
        if was != getattr(account, name)
    }
    if known and changed:
        # A new title in a bio is often the first sign of a new role: the Today page lists it.
        audit.record(session, "x_account", account.id, "profile", changed)
    account.location = (user.location or "")[:200] or None
    account.url = (user.url or "")[:500] or None
    account.verified = user.verified
    account.protected = user.protected
    account.x_created_at = user.created_at
    account.followers_count = user.followers_count
    account.following_count = user.following_count
    account.tweet_count = user.tweet_count
    account.status = XAccountStatus.PROTECTED.value if user.protected else XAccountStatus.OK.value
    account.status_detail = (
        f"@{user.username} protects their tweets; only the profile and counts sync."
        if user.protected
        else None
    )
    account.updated_at = now
    session.add(
        FollowerSnapshot(
            account_id=account.id,
            taken_at=now,
            followers=user.followers_count,
            following=user.following_count,
            tweets=user.tweet_count,
        )
    )


def account_message(account: XAccount, error: UserError) -> str:
    return XAccountUnavailable(error.problem, account.handle, error.detail).message
