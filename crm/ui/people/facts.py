"""What the person page says about a person: the reads it shows first (person, follower
history, Bluesky account, activity) and the header's facts line built from them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from crm.domain.errors import NotFoundError
from crm.services import bluesky as bluesky_service
from crm.services import people as people_service
from crm.services import xlink
from crm.services.bluesky import BlueskyAccountView, SocialActivity
from crm.services.views import PersonDetail
from crm.storage.db import Database
from crm.ui.kit.formatting import esc, fmt_ago, fmt_count, fmt_date, fmt_money, label_of
from crm.ui.kit.theme import colours

Followers = list[tuple[datetime, int]]


Shown = tuple[PersonDetail, Followers | None, BlueskyAccountView | None, SocialActivity | None]


def person_and_followers(db: Database, person_id: int) -> Shown:
    """What the page shows first: the person, their X follower history for the chart if they
    have an X account, their Bluesky account and when they last posted on each network
    (short queries, so all arrive together)."""
    detail = people_service.get_person(db, person_id)
    bsky = bluesky_service.bluesky_account_of(db, person_id=person_id)
    activity = None
    if detail.x_account is not None or bsky is not None:
        activity = bluesky_service.social_activity(db, person_id=person_id)
    if detail.x_account is None:
        return detail, None, bsky, activity
    try:
        return detail, xlink.follower_history(db, detail.x_account.id), bsky, activity
    except NotFoundError:  # the account went in between the two reads: an empty chart
        return detail, [], bsky, activity


def bluesky_facts(bsky: BlueskyAccountView) -> list[str]:
    """The header's Bluesky part: handle (linked to the profile), followers, last sync."""
    handle = esc(bsky.handle)
    facts = [f'Bluesky <a href="https://bsky.app/profile/{handle}">@{handle}</a>']
    if bsky.followers_count is not None:
        facts.append(f"<b>{esc(fmt_count(bsky.followers_count))}</b> followers")
    facts.append(
        "synced " + esc(fmt_ago(bsky.last_synced_at)) if bsky.last_synced_at else "posts not synced"
    )
    facts.append('<a href="crm:bsky-sync">sync Bluesky</a>')
    if bsky.status != "ok":
        facts.append(f"<span style='color:red'>{esc(label_of(bsky.status))}</span>")
    return facts


def activity_facts(activity: SocialActivity) -> list[str]:
    """Last post per network, and the flag for someone who moved from X to Bluesky."""
    facts = []
    if activity.moved_to_bluesky:
        since = (
            f"since {fmt_date(activity.last_x_post)}"
            if activity.last_x_post
            else "no tweets stored"
        )
        facts.append(
            f"<span style='color:{colours().danger}'><b>Moved to Bluesky?</b> silent on X "
            f"{esc(since)}, active on Bluesky</span>"
        )
        return facts
    if activity.has_x and activity.has_bluesky:
        last = []
        if activity.last_x_post:
            last.append(f"X {esc(fmt_date(activity.last_x_post))}")
        if activity.last_bluesky_post:
            last.append(f"Bluesky {esc(fmt_date(activity.last_bluesky_post))}")
        if last:
            facts.append("last post: " + ", ".join(last))
    return facts


def header_facts(
    p: PersonDetail,
    bsky: BlueskyAccountView | None,
    activity: SocialActivity | None,
    x_problems: Mapping[int, str],
) -> list[str]:
    """The header's facts line, as rich-text pieces: availability and rate for a candidate,
    the X account (with its last sync failure from ``x_problems``), Bluesky and activity."""
    facts: list[str] = []
    if p.is_candidate:
        if p.available_from:
            facts.append(f"Available from <b>{esc(fmt_date(p.available_from))}</b>")
        else:
            facts.append("Availability not known")
        if p.day_rate_expectation is not None:
            facts.append(f"<b>{esc(fmt_money(p.day_rate_expectation, p.day_rate_currency))}</b>")
        if p.ir35_preference:
            facts.append(esc(f"{p.ir35_preference.capitalize()} IR35"))
    if p.x_account is not None:
        x = p.x_account
        handle = esc(x.handle)
        facts.append(f'X <a href="https://x.com/{handle}">@{handle}</a>')
        if x.followers_count is not None:
            facts.append(f"<b>{esc(fmt_count(x.followers_count))}</b> followers")
        facts.append(
            "synced " + esc(fmt_ago(x.last_synced_at)) if x.last_synced_at else "not synced yet"
        )
        problem = x_problems.get(x.id)
        if problem:
            # Stays here until a sync of this account works (the banner can be dismissed).
            facts.append(
                f"<span style='color:{colours().danger}'>last sync failed: {esc(problem)}</span>"
            )
        facts.append('<a href="crm:sync">sync now</a>')
        if x.status not in ("ok", "unverified"):
            facts.append(f"<span style='color:red'>{esc(label_of(x.status))}</span>")
    if bsky is not None:
        facts.extend(bluesky_facts(bsky))
    if activity is not None:
        facts.extend(activity_facts(activity))
    return facts
