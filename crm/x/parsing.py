"""Turning X API v2 JSON into the plain results of :mod:`crm.x.types`: users, tweets,
pages and per-user errors. A value the CRM cannot store (an id past 64 bits) skips that
one item, with a warning, rather than the whole answer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from crm.x.types import AccountProblem, TweetPage, UserError, XTweet, XUser

log = logging.getLogger(__name__)

T = TypeVar("T")

# Ids are 64-bit: anything bigger cannot be stored (or is not an X id).
MAX_X_ID = 2**63 - 1


def _problem_of(error: Mapping[str, Any]) -> AccountProblem:
    title = str(error.get("title", ""))
    detail = str(error.get("detail", ""))
    if "suspended" in detail.lower():
        return AccountProblem.SUSPENDED
    if title == "Not Found Error" or detail.startswith("Could not find"):
        return AccountProblem.NOT_FOUND
    if title == "Authorization Error" or "not-authorized" in str(error.get("type", "")):
        return AccountProblem.PROTECTED
    return AccountProblem.OTHER


def user_errors(payload: Mapping[str, Any]) -> list[UserError]:
    result = []
    for error in payload.get("errors", []) or []:
        if not isinstance(error, dict) or error.get("resource_type") != "user":
            continue
        result.append(
            UserError(
                value=str(error.get("value") or error.get("resource_id") or ""),
                parameter=str(error.get("parameter", "")),
                problem=_problem_of(error),
                title=str(error.get("title", "")),
                detail=str(error.get("detail", "")),
            )
        )
    return result


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class _IdOutOfRange(ValueError):
    """An id X sent that no 64-bit column can hold: the item is skipped, not the page."""


def _x_id(value: Any) -> int:
    number = int(value)
    if not 0 < number <= MAX_X_ID:
        raise _IdOutOfRange(f"id {number} is out of range")
    return number


def _optional_int(value: Any) -> int | None:
    """An optional id: None when absent, and None when it is out of range (a reference the
    CRM cannot follow is not worth losing the tweet for)."""
    if value in (None, ""):
        return None
    try:
        return _x_id(value)
    except _IdOutOfRange:
        return None


def _count(value: Any) -> int:
    # Counts go into 64-bit columns too; a count past them is a server's nonsense.
    return max(0, min(int(value), MAX_X_ID))


def parse_user(raw: Mapping[str, Any]) -> XUser:
    metrics = raw["public_metrics"]
    url = raw.get("url") or None
    for entry in raw.get("entities", {}).get("url", {}).get("urls", []):
        if entry.get("url") == url and entry.get("expanded_url"):
            url = entry["expanded_url"]
    return XUser(
        id=_x_id(raw["id"]),
        username=str(raw["username"]),
        name=str(raw.get("name", "")),
        description=str(raw.get("description", "")),
        location=raw.get("location") or None,
        url=url,
        verified=bool(raw.get("verified", False)),
        protected=bool(raw.get("protected", False)),
        created_at=_timestamp(raw["created_at"]),
        followers_count=_count(metrics["followers_count"]),
        following_count=_count(metrics["following_count"]),
        tweet_count=_count(metrics["tweet_count"]),
        listed_count=_count(metrics.get("listed_count", 0)),
        raw=dict(raw),
    )


def parse_users(data: list[Any]) -> list[XUser]:
    return _skipping_bad_ids(parse_user, data, "account")


def _skipping_bad_ids(parse: Callable[[Any], T], items: Iterable[Any], what: str) -> list[T]:
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except _IdOutOfRange as exc:
            log.warning("Skipped an X %s the CRM cannot store: %s", what, exc)
    return parsed


def parse_tweet(raw: Mapping[str, Any], ids_by_username: Mapping[str, int]) -> XTweet:
    references = {str(r["type"]): _optional_int(r["id"]) for r in raw.get("referenced_tweets", [])}
    mentioned: list[int] = []
    for mention in raw.get("entities", {}).get("mentions", []):
        user_id = _optional_int(mention.get("id"))
        if user_id is None:
            user_id = ids_by_username.get(str(mention.get("username", "")).lower())
        if user_id is not None and user_id not in mentioned:
            mentioned.append(user_id)
    return XTweet(
        id=_x_id(raw["id"]),
        author_id=_x_id(raw["author_id"]),
        text=str(raw["text"]),
        created_at=_timestamp(raw["created_at"]),
        conversation_id=_optional_int(raw.get("conversation_id")),
        in_reply_to_user_id=_optional_int(raw.get("in_reply_to_user_id")),
        replied_to_id=references.get("replied_to"),
        quoted_id=references.get("quoted"),
        retweeted_id=references.get("retweeted"),
        mentioned_user_ids=tuple(mentioned),
        edit_history_ids=tuple(
            i
            for i in (_optional_int(x) for x in raw.get("edit_history_tweet_ids", []))
            if i is not None
        ),
        metrics={str(k): int(v) for k, v in raw.get("public_metrics", {}).items()},
        raw=dict(raw),
    )


def parse_page(payload: Mapping[str, Any], data: list[Any]) -> TweetPage:
    includes = payload.get("includes", {}) or {}
    users = tuple(_skipping_bad_ids(parse_user, includes.get("users", []), "account"))
    ids_by_username = {u.username.lower(): u.id for u in users}
    tweets = tuple(
        _skipping_bad_ids(
            functools.partial(parse_tweet, ids_by_username=ids_by_username), data, "tweet"
        )
    )
    meta = payload.get("meta", {}) or {}
    errors = tuple(e for e in payload.get("errors", []) or [] if isinstance(e, dict))
    return TweetPage(
        tweets=tweets,
        result_count=int(meta.get("result_count", len(tweets))),
        newest_id=_optional_int(meta.get("newest_id")),
        oldest_id=_optional_int(meta.get("oldest_id")),
        next_token=meta.get("next_token") or None,
        users=users,
        errors=errors,
    )
