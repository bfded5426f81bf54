"""The Bluesky AppView gateway: plain HTTP (requests) to the public XRPC API, behind the same
shape as the X gateway: plain frozen results in, domain errors out, nothing else sees HTTP.

The public AppView reads profiles, author feeds and actor searches without an account, so
no token exists and none is stored. Profiles come 25 a request (``app.bsky.actor.getProfiles``);
author feeds page by an opaque cursor (``app.bsky.feed.getAuthorFeed``), newest first.
Transient failures (5xx, a dropped connection) are tried again a bounded number of times;
4xx answers are not (they would only fail again).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from crm.domain.bluesky import BlueskyActor
from crm.domain.errors import BlueskyApiError, Cancelled, ValidationError
from crm.x.transport import Failure, with_retries

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_APPVIEW_URL = "https://public.api.bsky.app"
MAX_ACTORS_PER_REQUEST = 25  # app.bsky.actor.getProfiles takes at most 25 actors
MAX_FEED_PAGE = 100  # app.bsky.feed.getAuthorFeed: limit 1..100
MAX_SEARCH = 100

GET_PROFILE = "app.bsky.actor.getProfile"
GET_PROFILES = "app.bsky.actor.getProfiles"
GET_AUTHOR_FEED = "app.bsky.feed.getAuthorFeed"
SEARCH_ACTORS = "app.bsky.actor.searchActors"

_LABELS = {
    GET_PROFILE: "profile lookup",
    GET_PROFILES: "profile lookup",
    GET_AUTHOR_FEED: "author feed",
    SEARCH_ACTORS: "account search",
}
# XRPC error names that mean "this account cannot be read", with the status to store.
_ACCOUNT_ERRORS = {
    "AccountTakedown": "suspended",
    "AccountDeactivated": "deactivated",
    "BlockedActor": "blocked",
    "BlockedByActor": "blocked",
}
_RETRY_STATUSES = frozenset({500, 502, 503, 504})


def _never() -> bool:
    return False


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BlueskyProfile:
    """An account as the AppView describes it (``profileViewDetailed``; a search result's
    ``profileView`` has no counts, so they are None there)."""

    did: str
    handle: str
    display_name: str | None
    description: str | None
    followers_count: int | None
    follows_count: int | None
    posts_count: int | None
    created_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class BlueskyPost:
    """One post of an author feed (``feedViewPost``): the account's own posts and replies."""

    uri: str
    cid: str
    author_did: str
    text: str
    created_at: datetime  # aware, UTC: the record's createdAt
    reply_parent_uri: str | None
    reply_root_uri: str | None
    like_count: int
    repost_count: int
    reply_count: int
    quote_count: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def rkey(self) -> str:
        """The record key: the last part of the ``at://`` URI, used in the web address."""
        return self.uri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FeedPage:
    """One answer of ``getAuthorFeed``: the author's own posts (reposts of others are left
    out) and the cursor of the next, older page."""

    posts: tuple[BlueskyPost, ...]
    cursor: str | None
    items: int  # feed items the page held, reposts included (an empty page ends paging)


class BlueskyAccountUnavailable(BlueskyApiError):
    """The AppView will not show this account: not found, taken down, deactivated, blocked."""

    def __init__(self, actor: str, status: str, detail: str = "") -> None:
        who = actor if actor.startswith("did:") else "@" + actor
        text = {
            "not_found": f"{who} does not exist on Bluesky (deleted, or the handle changed).",
            "suspended": f"{who} was taken down by Bluesky's moderators.",
            "deactivated": f"{who} has deactivated their Bluesky account.",
            "blocked": f"{who} cannot be read (blocked).",
        }.get(status, f"Bluesky would not return {who}: {detail or status}")
        super().__init__(text, status=400, error=status)
        self.actor = actor
        self.account_status = status


def profile_url(handle_or_did: str) -> str:
    return f"https://bsky.app/profile/{handle_or_did}"


def post_url(handle_or_did: str, uri: str) -> str:
    return f"{profile_url(handle_or_did)}/post/{uri.rsplit('/', 1)[-1]}"


# --------------------------------------------------------------------------- the gateway


class BlueskyGateway:
    """The public Bluesky AppView as the CRM needs it. One instance per worker thread.

    ``on_request`` is called once per HTTP request about to be sent (for counting).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_APPVIEW_URL,
        timeout: float = 10,
        on_request: Callable[[], None] | None = None,
        *,
        attempts: int = 3,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base_url = checked_base_url(base_url)
        self._timeout = timeout
        self._on_request = on_request
        self._attempts = max(1, attempts)
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        self._lock = threading.Lock()
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"BlueskyGateway(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    # ------------------------------------------------------------------ profiles

    def get_profile(self, actor: str) -> BlueskyProfile:
        """One account by handle or DID. Raises :class:`BlueskyAccountUnavailable`."""
        value = BlueskyActor.parse(actor).value
        payload = self._get(GET_PROFILE, [("actor", value)], actor=value)
        return _parse(GET_PROFILE, lambda: parse_profile(payload))

    def get_profiles(
        self, actors: Iterable[str], *, cancelled: Callable[[], bool] = _never
    ) -> list[BlueskyProfile]:
        """Profiles and counts of many accounts, 25 a request. Accounts the AppView cannot
        show are simply missing from the answer (that is how getProfiles reports them)."""
        wanted = list(dict.fromkeys(BlueskyActor.parse(a).value for a in actors))
        found: list[BlueskyProfile] = []
        for start in range(0, len(wanted), MAX_ACTORS_PER_REQUEST):
            if cancelled():
                raise Cancelled()
            batch = wanted[start : start + MAX_ACTORS_PER_REQUEST]
            payload = self._get(GET_PROFILES, [("actors", a) for a in batch])
            profiles = payload.get("profiles")
            if not isinstance(profiles, list):
                raise _malformed(GET_PROFILES)
            found.extend(_parse(GET_PROFILES, functools.partial(_parse_profiles, profiles)))
        return found

    def search_actors(self, term: str, limit: int = 10) -> list[BlueskyProfile]:
        """Accounts whose name or handle matches ``term`` (one request, best first)."""
        text = " ".join((term or "").split())
        if not text:
            raise ValidationError("Say whom to look for on Bluesky.", field="term")
        size = min(MAX_SEARCH, max(1, int(limit)))
        payload = self._get(SEARCH_ACTORS, [("term", text[:200]), ("limit", str(size))])
        actors = payload.get("actors")
        if not isinstance(actors, list):
            raise _malformed(SEARCH_ACTORS)
        return _parse(SEARCH_ACTORS, lambda: [parse_profile(a) for a in actors])

    # ------------------------------------------------------------------ posts

    def get_author_feed(
        self, actor: str, cursor: str | None = None, limit: int = MAX_FEED_PAGE
    ) -> FeedPage:
        """One page of the account's feed, newest first (its posts and replies)."""
        value = BlueskyActor.parse(actor).value
        params = [
            ("actor", value),
            ("limit", str(min(MAX_FEED_PAGE, max(1, int(limit))))),
            ("filter", "posts_with_replies"),
        ]
        if cursor:
            params.append(("cursor", cursor))
        payload = self._get(GET_AUTHOR_FEED, params, actor=value)
        feed = payload.get("feed")
        if not isinstance(feed, list):
            raise _malformed(GET_AUTHOR_FEED)
        posts = _parse(GET_AUTHOR_FEED, lambda: parse_feed(feed, value))
        next_cursor = payload.get("cursor")
        return FeedPage(
            posts=tuple(posts),
            cursor=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
            items=len(feed),
        )

    def iter_new_posts(
        self,
        actor: str,
        newer_than: datetime | None,
        *,
        max_pages: int = 10,
        cancelled: Callable[[], bool] = _never,
    ) -> Iterator[FeedPage]:
        """Pages of the account's posts newer than ``newer_than``, following the cursor until
        a page reaches a post at or before that time, the feed ends, or ``max_pages``.

        Each yielded page holds only the posts newer than ``newer_than``.
        """
        cursor: str | None = None
        for _ in range(max(1, max_pages)):
            if cancelled():
                raise Cancelled()
            page = self.get_author_feed(actor, cursor)
            fresh = tuple(p for p in page.posts if newer_than is None or p.created_at > newer_than)
            reached_old = len(fresh) < len(page.posts)
            yield FeedPage(posts=fresh, cursor=page.cursor, items=page.items)
            if reached_old or not page.cursor or page.items == 0:
                return
            cursor = page.cursor

    # ------------------------------------------------------------------ one request

    def _get(
        self, method: str, params: list[tuple[str, str]], actor: str | None = None
    ) -> dict[str, Any]:
        return with_retries(
            lambda: self._attempt(method, params, actor),
            what=f"Bluesky {_LABELS[method]}",
            attempts=self._attempts,
            backoff_base=self._backoff_base,
            sleep=self._sleep,
            logger=log,
        )

    def _attempt(
        self, method: str, params: list[tuple[str, str]], actor: str | None
    ) -> dict[str, Any] | Failure:
        label = _LABELS[method]
        url = f"{self._base_url}/xrpc/{method}"
        if self._on_request is not None:
            self._on_request()
        with self._lock:
            self.requests_sent += 1
        log.debug("Bluesky request: GET %s", url)
        try:
            response = self._session.get(url, params=params, timeout=self._timeout)
        except requests.Timeout:
            return Failure(
                BlueskyApiError(f"The Bluesky {label} timed out: no answer from {self._host()}."),
                retryable=True,
            )
        except requests.ConnectionError:
            return Failure(
                BlueskyApiError(
                    f"Could not connect to the Bluesky AppView at {self._host()}. Check the "
                    "network and the Bluesky AppView URL setting."
                ),
                retryable=True,
            )
        except requests.RequestException as exc:
            return Failure(
                BlueskyApiError(f"The Bluesky {label} failed: {type(exc).__name__}."),
                retryable=False,
            )
        body = _json_object(response)
        if response.status_code == 200:
            if body is None:
                return Failure(_malformed(method), retryable=False)
            return body
        return self._http_failure(method, response, body or {}, actor)

    def _http_failure(
        self,
        method: str,
        response: requests.Response,
        body: Mapping[str, Any],
        actor: str | None,
    ) -> Failure:
        label = _LABELS[method]
        status = response.status_code
        error = str(body.get("error") or "")
        message = str(body.get("message") or response.reason or "")
        if actor is not None and status == 400:
            if error in _ACCOUNT_ERRORS:
                return Failure(
                    BlueskyAccountUnavailable(actor, _ACCOUNT_ERRORS[error], message), False
                )
            if "not found" in message.lower() or error in ("NotFound", "ActorNotFound"):
                return Failure(BlueskyAccountUnavailable(actor, "not_found", message), False)
        if status == 429:
            reset = _int_header(response.headers, "ratelimit-reset")
            when = (
                f" until {datetime.fromtimestamp(reset, UTC):%H:%M:%S} UTC"
                if reset is not None
                else ""
            )
            return Failure(
                BlueskyApiError(
                    f"Bluesky's rate limit for the {label} is used up{when}; try again later.",
                    status=429,
                    error=error or "RateLimitExceeded",
                ),
                retryable=False,
            )
        text = f"Bluesky refused the {label} (HTTP {status}"
        text += f" {error})" if error else ")"
        if message:
            text += f": {message[:300]}"
        return Failure(
            BlueskyApiError(text, status=status, error=error or None),
            retryable=status in _RETRY_STATUSES,
        )

    def _host(self) -> str:
        return urlsplit(self._base_url).netloc


# --------------------------------------------------------------------------- parsing


def checked_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; refuses anything but http(s)."""
    url = (base_url or DEFAULT_APPVIEW_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"The Bluesky AppView URL {url!r} must start with https:// "
            "(or http:// for a server on this machine).",
            field="bluesky_appview_url",
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValidationError(
            "The Bluesky AppView URL must use https:// (plain http:// only for a server on "
            "this machine).",
            field="bluesky_appview_url",
        )
    return url


def _malformed(method: str) -> BlueskyApiError:
    return BlueskyApiError(
        f"Bluesky sent an answer to the {_LABELS[method]} that is not the JSON the CRM expects."
    )


def _parse(method: str, fn: Callable[[], T]) -> T:
    error: BlueskyApiError | None = None
    try:
        return fn()
    except (KeyError, TypeError, ValueError, AttributeError):
        error = _malformed(method)
    raise error


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def parse_time(text: str) -> datetime:
    """An atproto datetime (RFC 3339, ``Z`` or an offset, any fraction) as aware UTC."""
    value = str(text).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _optional_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        return None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def parse_profile(raw: Mapping[str, Any]) -> BlueskyProfile:
    """A ``profileViewDetailed`` (or ``profileView``) object."""
    did = str(raw["did"])
    if not did.startswith("did:"):
        raise ValueError("not a DID")
    return BlueskyProfile(
        did=did,
        handle=str(raw["handle"]).lower(),
        display_name=(str(raw.get("displayName") or "").strip() or None),
        description=(str(raw.get("description") or "").strip() or None),
        followers_count=_optional_int(raw.get("followersCount")),
        follows_count=_optional_int(raw.get("followsCount")),
        posts_count=_optional_int(raw.get("postsCount")),
        created_at=_optional_time(raw.get("createdAt")),
        raw=dict(raw),
    )


def _parse_profiles(raw: list[Any]) -> list[BlueskyProfile]:
    return [parse_profile(x) for x in raw]


def parse_feed(feed: list[Any], actor: str) -> list[BlueskyPost]:
    """The author's own posts of a list of ``feedViewPost`` items (reposts of other people's
    posts, marked by ``reason``, are theirs and left out)."""
    posts: list[BlueskyPost] = []
    for item in feed:
        if not isinstance(item, dict):
            raise TypeError("feed item")
        if item.get("reason"):
            continue
        post = item["post"]
        author = post["author"]
        if actor.startswith("did:"):
            if author["did"] != actor:
                continue
        elif str(author["handle"]).lower() != actor:
            continue
        posts.append(parse_post(post))
    return posts


def parse_post(post: Mapping[str, Any]) -> BlueskyPost:
    """A ``postView`` whose record is an ``app.bsky.feed.post``."""
    record = post["record"]
    reply = record.get("reply") or {}
    return BlueskyPost(
        uri=str(post["uri"]),
        cid=str(post["cid"]),
        author_did=str(post["author"]["did"]),
        text=str(record.get("text", "")),
        created_at=parse_time(record.get("createdAt") or post["indexedAt"]),
        reply_parent_uri=(reply.get("parent") or {}).get("uri"),
        reply_root_uri=(reply.get("root") or {}).get("uri"),
        like_count=int(post.get("likeCount") or 0),
        repost_count=int(post.get("repostCount") or 0),
        reply_count=int(post.get("replyCount") or 0),
        quote_count=int(post.get("quoteCount") or 0),
        raw=dict(post),
    )
