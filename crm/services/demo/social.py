"""The social part of the sample data: Bluesky accounts for a share of the organisations and
people (some of whom have gone quiet on X since moving), and follower histories that differ
from account to account, so the league table has leaders, risers and fallers.

Called by :func:`crm.services.demo.fill.fill_demo` inside its transaction, after the X accounts,
tweets and follower snapshots are written. :func:`add_usage_demo` then writes what reading
those tweets and profiles from X would have been billed, so the usage page has a history.
"""

from __future__ import annotations

import random
import string
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from crm.domain.values import fold
from crm.domain.xcost import ResourceKind, XPricing
from crm.storage.models import (
    BlueskyAccount,
    BlueskySnapshot,
    FollowerSnapshot,
    Organisation,
    Person,
    Post,
    Tweet,
    XAccount,
    XRead,
    XUsage,
)

BLUESKY_POSTS = [
    "Proud of our teams this week: thank you to every colleague keeping services running.",
    "We have moved our updates here from X. Follow us for news from the board and services.",
    "Our annual report is out: record satisfaction scores and a balanced budget.",
    "Great conversation at the ICS leadership forum today about neighbourhood health.",
    "Recruiting: interim director of finance for six months. Get in touch.",
    "Thank you to everyone who came to our open day at the new campus.",
    "Damp and mould: what we have done this year and what comes next.",
    "Delighted to welcome our new chief nurse to the board.",
]
WEEKS = 26


def _did(rng: random.Random) -> str:
    return "did:plc:" + "".join(rng.choice(string.ascii_lowercase + "234567") for _ in range(24))


def _person_handle(person: Person, taken: set[str]) -> str:
    base = "-".join(fold(f"{person.first_name} {person.last_name}").split()) or "someone"
    base = "".join(c for c in base if c.isalnum() or c == "-")[:40].strip("-") or "someone"
    handle = f"{base}.bsky.social"
    n = 2
    while handle in taken:
        handle = f"{base}{n}.bsky.social"
        n += 1
    taken.add(handle)
    return handle


def add_social_demo(
    session: Session,
    rng: random.Random,
    now: datetime,
    organisations: list[tuple[Organisation, str]],
    people: list[Person],
) -> dict[str, int]:
    """Add Bluesky accounts, posts and snapshots, vary the X follower histories and quieten
    the X accounts of those who moved. ``organisations`` pairs each with its web domain."""
    taken: set[str] = set()
    x_accounts: dict[int, XAccount] = {}
    # Each X account's weekly growth: most grow slowly, some fast, a few shrink.
    for org, _domain in organisations:
        if org.x_account is not None:
            x_accounts[org.x_account.id] = org.x_account
    for person in people:
        if person.x_account is not None:
            x_accounts[person.x_account.id] = person.x_account
    owners: list[tuple[str, Organisation | Person, str]] = []
    for org, domain in organisations:
        if rng.random() < 0.45:
            handle = domain.lower() if rng.random() < 0.5 else f"{domain.split('.')[0]}.bsky.social"
            if handle in taken:
                continue
            taken.add(handle)
            owners.append(("organisation", org, handle))
    for person in people:
        chance = 0.45 if person.x_account is not None else 0.08
        if rng.random() < chance:
            owners.append(("person", person, _person_handle(person, taken)))
    moved: set[int] = set()
    accounts: list[tuple[BlueskyAccount, float, XAccount | None]] = []
    for kind, owner, handle in owners:
        x = owner.x_account
        account = BlueskyAccount(
            did=_did(rng),
            handle=handle,
            display_name=owner.name if isinstance(owner, Organisation) else owner.display_name,
            bio="Moved here from X." if x is not None and rng.random() < 0.35 else None,
            status="ok",
            bsky_created_at=now - timedelta(days=rng.randrange(60, 700)),
            last_synced_at=now - timedelta(hours=rng.randrange(1, 48)),
            person_id=owner.id if kind == "person" else None,
            organisation_id=owner.id if kind == "organisation" else None,
        )
        session.add(account)
        if x is not None and account.bio:
            moved.add(x.id)
        accounts.append((account, rng.uniform(0.005, 0.09), x))
    session.flush()

    # X histories: a growth rate per account; those who moved lose followers slowly.
    session.execute(
        delete(FollowerSnapshot).where(FollowerSnapshot.account_id.in_(list(x_accounts)))
    )
    x_rows: list[dict[str, Any]] = []
    for account_id, x in x_accounts.items():
        rate = (
            -0.004
            if account_id in moved
            else rng.choice([0.001, 0.002, 0.004, 0.008, 0.02, -0.002])
        )
        now_followers = x.followers_count or 0
        for week in range(WEEKS, -1, -1):
            noise = rng.randrange(-10, 10)
            # The newest snapshot is the count the header shows: no noise on it.
            followers = int(now_followers / (1 + rate) ** week) + (noise if week else 0)
            x_rows.append(
                {
                    "account_id": account_id,
                    "taken_at": now - timedelta(weeks=week),
                    "followers": max(followers, 0),
                    "following": x.following_count or 0,
                    "tweets": max((x.tweet_count or 0) - week * 5, 0),
                }
            )
    if x_rows:
        session.execute(insert(FollowerSnapshot), x_rows)
    # Those who moved have not tweeted for four months or more.
    if moved:
        session.execute(
            delete(Tweet).where(
                Tweet.account_id.in_(list(moved)), Tweet.created_at > now - timedelta(days=120)
            )
        )

    snapshots: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    for account, rate, x in accounts:
        base = (
            rng.randrange(40, 900)
            if x is None
            else max(30, int((x.followers_count or 0) * rng.uniform(0.02, 0.4)))
        )
        followers = base
        for week in range(WEEKS, -1, -1):
            value = int(base / (1 + rate) ** week)
            snapshots.append(
                {
                    "account_id": account.id,
                    "taken_at": now - timedelta(weeks=week),
                    "followers": value,
                    "follows": rng.randrange(50, 600),
                    "posts": 0,
                }
            )
            followers = value
        account.followers_count = followers
        account.follows_count = rng.randrange(50, 600)
        count = rng.randrange(10, 45) if x is not None and x.id in moved else rng.randrange(2, 25)
        newest: datetime | None = None
        for i in range(count):
            created = now - timedelta(days=rng.randrange(0, 150), minutes=rng.randrange(0, 1440))
            newest = created if newest is None or created > newest else newest
            rkey = "3l" + "".join(rng.choice(string.ascii_lowercase + "234567") for _ in range(11))
            posts.append(
                {
                    "uri": f"at://{account.did}/app.bsky.feed.post/{rkey}",
                    "cid": "bafyrei" + "".join(rng.choice("abcdef234567") for _ in range(20)),
                    "account_id": account.id,
                    "text": rng.choice(BLUESKY_POSTS),
                    "created_at": created,
                    "like_count": rng.randrange(0, 120),
                    "repost_count": rng.randrange(0, 30),
                    "reply_count": rng.randrange(0, 15),
                    "quote_count": rng.randrange(0, 5),
                    "raw": {"demo": True, "n": i},
                    "fetched_at": now,
                }
            )
        account.posts_count = count
        account.newest_post_at = newest
    if snapshots:
        session.execute(insert(BlueskySnapshot), snapshots)
    if posts:
        session.execute(insert(Post), posts)
    return {
        "Bluesky accounts": len(accounts),
        "Bluesky posts": len(posts),
        "moved from X": len(moved),
    }


def add_usage_demo(session: Session, now: datetime) -> dict[str, int]:
    """What the sample tweets and profiles cost to read from X, at the published pay-per-use
    prices: each tweet of this month and last read on the day it was posted, each account's
    profile read once a week (on Mondays). Nothing for today, so a first real sync of the
    demo skips nothing; an empty usage page the day the demo is made would show nothing."""
    today = now.date()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month's first day
    pricing = XPricing()
    reads: dict[tuple[date, str, int], int] = {}
    tweets = session.execute(
        select(Tweet.id, Tweet.created_at).where(
            Tweet.created_at >= datetime.combine(start, datetime.min.time(), now.tzinfo),
            Tweet.created_at < datetime.combine(today, datetime.min.time(), now.tzinfo),
        )
    )
    post = pricing.price_micros(ResourceKind.POST)
    for tweet_id, created in tweets:
        reads[(created.date(), ResourceKind.POST.value, tweet_id)] = post
    users = [u for u in session.scalars(select(XAccount.x_user_id)) if u is not None]
    profile = pricing.price_micros(ResourceKind.USER)
    day = start + timedelta(days=(7 - start.weekday()) % 7)  # the first Monday
    while day < today:
        for user_id in users:
            reads[(day, ResourceKind.USER.value, user_id)] = profile
        day += timedelta(weeks=1)
    rows = [
        {"day": d, "kind": kind, "resource_id": rid, "cost_micros": cost}
        for (d, kind, rid), cost in sorted(reads.items())
    ]
    if rows:
        session.execute(insert(XRead), rows)
    # The request counter: a page of up to 100 posts or 100 profiles a request.
    months: dict[str, int] = {}
    per_day: dict[tuple[date, str], int] = {}
    for d, kind, _rid in reads:
        per_day[(d, kind)] = per_day.get((d, kind), 0) + 1
    for (d, _kind), n in per_day.items():
        month = d.strftime("%Y-%m")
        months[month] = months.get(month, 0) + -(-n // 100)
    for month, requests in months.items():
        existing = session.get(XUsage, month)
        if existing is None:
            session.add(XUsage(month=month, requests=requests))
        else:
            existing.requests = (existing.requests or 0) + requests
    return {"X reads billed": len(rows)}
