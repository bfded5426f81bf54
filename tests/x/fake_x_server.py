"""A fake X API v2 server on 127.0.0.1 for tests: realistic payloads, rate-limit headers on
every response, fault switches, and a record of every request.

It serves the user lookups (``/2/users/by/username/:u``, ``/2/users?ids=``,
``/2/users/by?usernames=``), user timelines and mentions with ``since_id``, ``until_id``,
``max_results`` and opaque ``pagination_token`` paging, and honours ``user.fields``,
``tweet.fields`` and ``expansions`` the way X does (only the default fields unless asked).
Accounts can be renamed, suspended or protected; faults are queued with :meth:`fail_next`.

Use it as a context manager or through the ``fake_x`` fixture in ``tests/x/conftest.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.x.fake_x_payloads import (
    client_not_enrolled,
    fields,
    invalid_count,
    metrics,
    protected_error,
    route,
    tweet_json,
    user_error,
)

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeBearer%2Fsecret%3DTokenValue123"
TWITTER_EPOCH_MS = 1288834974657
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)  # the fake's "latest tweet" time
WINDOW_SECONDS = 900

ENDPOINT_LIMITS = {
    "/2/users/by/username/:username": 300,
    "/2/users": 300,
    "/2/users/by": 300,
    "/2/users/:id/tweets": 1500,
    "/2/users/:id/mentions": 450,
}

# The well-known accounts of the default data set.
JANE_ID = 1402000001  # a trust chief executive with 250 tweets
TRUST_ID = 1402000002  # her organisation's account
RITA_ID = 1402000003  # the recruiter's own account
PAT_ID = 1402000004  # protects her tweets
SAM_ID = 1402000005  # suspended
TOM_ID = 1402000006  # a councillor who never tweets

TOPICS = [
    "Proud of our emergency department team for another record week.",
    "Great to visit the new community diagnostic centre this morning.",
    "Our annual members' meeting is open to everyone: come and ask us anything.",
    "Winter pressures are real; thank you to every colleague going the extra mile.",
    "Interim leadership done well keeps services steady through change.",
    "Delighted to welcome our new Director of Nursing to the board.",
    "Listening event with staff networks today, lots to act on.",
    "Waiting lists are coming down, with more to do. Update in the board papers.",
]


class Fault(StrEnum):
    """Faults a test can queue with :meth:`FakeXServer.fail_next`."""

    RATE_LIMITED = "429"
    UNAUTHORIZED = "401"
    NOT_ENROLLED = "403-client-not-enrolled"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    UNAVAILABLE = "503"
    MALFORMED_JSON = "malformed-json"
    SLOW = "slow"
    TRICKLE = "trickle"  # a proper answer, one byte every ``trickle_seconds``


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class FakeUser:
    id: int
    username: str
    name: str
    description: str = ""
    location: str | None = None
    url: str | None = None
    created_at: datetime = datetime(2012, 5, 1, 8, 0, tzinfo=UTC)
    followers: int = 100
    following: int = 100
    listed: int = 1
    verified: bool = False
    protected: bool = False
    suspended: bool = False
    tweets: list[dict[str, Any]] = field(default_factory=list)  # newest first

    def as_json(self, fields: set[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(self.id), "name": self.name, "username": self.username}
        short_url = f"https://t.co/{hashlib.sha1(str(self.id).encode()).hexdigest()[:10]}"
        optional: dict[str, Any] = {
            "created_at": _iso(self.created_at),
            "description": self.description,
            "protected": self.protected,
            "verified": self.verified,
            "public_metrics": {
                "followers_count": self.followers,
                "following_count": self.following,
                "tweet_count": len(self.tweets),
                "listed_count": self.listed,
                "like_count": len(self.tweets) * 3,
            },
        }
        if self.location:
            optional["location"] = self.location
        optional["url"] = short_url if self.url else ""
        if self.url:
            display = self.url.split("://", 1)[-1]
            optional["entities"] = {
                "url": {
                    "urls": [
                        {
                            "start": 0,
                            "end": 23,
                            "url": short_url,
                            "expanded_url": self.url,
                            "display_url": display,
                        }
                    ]
                }
            }
        body.update({k: v for k, v in optional.items() if k in fields})
        return body


def snowflake(moment: datetime, worker: int, sequence: int = 0) -> int:
    """An id built the way X builds them, so ids sort like their times."""
    ms = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
    return (ms << 22) | ((worker & 0x3FF) << 12) | (sequence & 0xFFF)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeXServer:
    """The fake server. ``base_url`` is set once :meth:`start` has run."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.users: dict[int, FakeUser] = {}
        self.slow_seconds = 3.0
        self.rate_limit_reset_seconds = 1
        self.trickle_seconds = 4.0
        # When set, every answer's x-rate-limit-reset header says this (absurd values too).
        self.reset_header: str | None = None
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._counts: dict[str, int] = {}
        self._window_start = int(time.time())
        self._tokens: dict[str, int] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._load_default_data()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeXServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.handle_error = self._handle_error  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # so that stop() returns at once
            name="fake-x",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeXServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake X server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("fake X: connection from %s ended abruptly", client_address, exc_info=True)

    # ------------------------------------------------------------------ switches

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests (to any endpoint) with ``fault``."""
        with self._lock:
            self._faults.extend([fault] * times)

    def rename(self, user_id: int, new_username: str) -> None:
        with self._lock:
            self.users[user_id].username = new_username

    def suspend(self, user_id: int) -> None:
        with self._lock:
            self.users[user_id].suspended = True

    def protect(self, user_id: int) -> None:
        with self._lock:
            self.users[user_id].protected = True

    def add_user(self, user: FakeUser, tweet_count: int = 0, worker: int = 0) -> FakeUser:
        with self._lock:
            self.users[user.id] = user
            if tweet_count:
                self._generate_tweets(user, tweet_count, worker or (user.id % 1000))
        return user

    def add_bulk_users(self, count: int, first_id: int = 1500000000) -> list[int]:
        """``count`` plain accounts (``member0001``…), for batching tests."""
        ids = []
        for n in range(count):
            user = FakeUser(
                id=first_id + n,
                username=f"member{n + 1:04d}",
                name=f"Member {n + 1}",
                followers=10 + n,
                following=20 + n,
            )
            self.add_user(user)
            ids.append(user.id)
        return ids

    def add_tweet(self, author_id: int, text: str, **extra: Any) -> dict[str, Any]:
        """Add a tweet newer than any other by this author; returns its JSON."""
        with self._lock:
            author = self.users[author_id]
            newest = author.tweets[0] if author.tweets else None
            moment = (
                datetime.fromisoformat(newest["created_at"]) + timedelta(minutes=5)
                if newest
                else NOW
            )
            tweet_id = snowflake(moment, author_id % 1000)
            tweet = {
                "id": str(tweet_id),
                "text": text,
                "author_id": str(author_id),
                "created_at": _iso(moment),
                "conversation_id": str(tweet_id),
                "edit_history_tweet_ids": [str(tweet_id)],
                "lang": "en",
                "public_metrics": metrics(0),
                **extra,
            }
            author.tweets.insert(0, tweet)
            return tweet

    # ------------------------------------------------------------------ records

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_fragment: str) -> list[RecordedRequest]:
        return [r for r in self.requests if path_fragment in r.path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def tweets_of(self, user_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.users[user_id].tweets)

    # ------------------------------------------------------------------ default data

    def _load_default_data(self) -> None:
        self.add_user(
            FakeUser(
                JANE_ID,
                "JaneOkaforCEO",
                "Dr Jane Okafor",
                "Chief Executive, Harbourside NHS Foundation Trust. Nurse by background. "
                "Views my own.",
                "Bristol, England",
                "https://www.harbourside.nhs.uk/about/board",
                datetime(2011, 2, 3, 10, 15, tzinfo=UTC),
                followers=8420,
                following=1211,
                listed=97,
            )
        )
        self.add_user(
            FakeUser(
                TRUST_ID,
                "HarboursideNHS",
                "Harbourside NHS FT",
                "Official account of Harbourside NHS Foundation Trust. Not monitored 24/7; "
                "in an emergency call 999.",
                "Bristol",
                "https://www.harbourside.nhs.uk",
                datetime(2009, 6, 2, 20, 12, tzinfo=UTC),
                followers=48210,
                following=903,
                listed=412,
                verified=True,
            )
        )
        self.add_user(
            FakeUser(
                RITA_ID,
                "RecruiterRita",
                "Rita Shah",
                "Interim management in health, housing and local government.",
                "London",
                None,
                datetime(2015, 9, 9, 9, 9, tzinfo=UTC),
                followers=2310,
                following=1800,
            )
        )
        self.add_user(FakeUser(PAT_ID, "private_pat", "Pat Reilly", protected=True, followers=120))
        self.add_user(FakeUser(SAM_ID, "spammy_sam", "Sam", suspended=True))
        self.add_user(FakeUser(TOM_ID, "CllrTomBriggs", "Cllr Tom Briggs", location="Leeds"))
        self._generate_tweets(self.users[TRUST_ID], 40, worker=2)
        self._generate_tweets(self.users[RITA_ID], 30, worker=3)
        self._generate_tweets(self.users[PAT_ID], 12, worker=4)
        self._generate_tweets(self.users[JANE_ID], 250, worker=1)

    def _generate_tweets(self, author: FakeUser, count: int, worker: int) -> None:
        """``count`` tweets, newest first, every three hours back from :data:`NOW`."""
        others = [u for u in (self.users.get(TRUST_ID), self.users.get(RITA_ID)) if u]
        others = [u for u in others if u.id != author.id]
        trust_tweets = self.users[TRUST_ID].tweets if TRUST_ID in self.users else []
        tweets = []
        for i in range(count):
            moment = NOW - timedelta(hours=3 * i, minutes=author.id % 60)
            tweet_id = snowflake(moment, worker, i % 4096)
            text = TOPICS[i % len(TOPICS)]
            tweet: dict[str, Any] = {
                "id": str(tweet_id),
                "author_id": str(author.id),
                "created_at": _iso(moment),
                "conversation_id": str(tweet_id),
                "edit_history_tweet_ids": [str(tweet_id)],
                "lang": "en",
                "public_metrics": metrics(i),
            }
            references: list[dict[str, str]] = []
            mentions: list[dict[str, Any]] = []
            if others and i % 3 == 0:
                other = others[(i // 3) % len(others)]
                prefix = f"Thanks @{other.username} "
                mentions.append(
                    {
                        "start": 7,
                        "end": 8 + len(other.username),
                        "username": other.username,
                        "id": str(other.id),
                    }
                )
                text = prefix + text[0].lower() + text[1:]
            if i % 11 == 4 and trust_tweets and author.id != TRUST_ID:
                original = trust_tweets[i % len(trust_tweets)]
                text = f"RT @HarboursideNHS: {original['text']}"
                references.append({"type": "retweeted", "id": original["id"]})
                mentions = [
                    {"start": 3, "end": 18, "username": "HarboursideNHS", "id": str(TRUST_ID)}
                ]
            elif i % 5 == 1 and trust_tweets and author.id != TRUST_ID:
                parent = trust_tweets[(i * 7) % len(trust_tweets)]
                references.append({"type": "replied_to", "id": parent["id"]})
                tweet["in_reply_to_user_id"] = str(TRUST_ID)
                tweet["conversation_id"] = parent["conversation_id"]
                text = "@HarboursideNHS " + text
                mentions = [
                    {"start": 0, "end": 15, "username": "HarboursideNHS", "id": str(TRUST_ID)}
                ]
            elif i % 7 == 3 and trust_tweets and author.id != TRUST_ID:
                quoted = trust_tweets[(i * 3) % len(trust_tweets)]
                references.append({"type": "quoted", "id": quoted["id"]})
                text += f" https://t.co/q{i:05d}"
            if i == 2:
                # An edited tweet: X lists every version's id, oldest first.
                tweet["edit_history_tweet_ids"] = [str(tweet_id - (1 << 22) * 60000), str(tweet_id)]
            tweet["text"] = text
            if references:
                tweet["referenced_tweets"] = references
            if mentions:
                tweet["entities"] = {"mentions": mentions}
            tweets.append(tweet)
        author.tweets = sorted(author.tweets + tweets, key=lambda t: -int(t["id"]))

    # ------------------------------------------------------------------ answering

    def handle(self, method: str, raw_path: str, authorization: str | None) -> _Answer:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self._requests.append(RecordedRequest(method, path, query, authorization))
            fault = self._faults.pop(0) if self._faults else None
        endpoint, args = route(path)
        if fault is Fault.SLOW:
            # Answer properly, but only after the client has given up waiting.
            self._stopping.wait(self.slow_seconds)
        elif fault is Fault.TRICKLE:
            answer = self.handle(method, raw_path, authorization)
            answer.trickle = self.trickle_seconds
            return answer
        elif fault is not None:
            return self._fault(fault, endpoint)
        if authorization != f"Bearer {self.token}":
            return self._answer(
                endpoint,
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if method != "GET" or endpoint is None:
            return self._answer(
                endpoint,
                404,
                {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]},
            )
        with self._lock:
            return self._serve(endpoint, args, query)

    def _fault(self, fault: Fault, endpoint: str | None) -> _Answer:
        if fault is Fault.RATE_LIMITED:
            reset = math.ceil(time.time()) + self.rate_limit_reset_seconds
            return self._answer(
                endpoint,
                429,
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                remaining=0,
                reset=reset,
            )
        if fault is Fault.UNAUTHORIZED:
            return self._answer(
                endpoint,
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if fault is Fault.NOT_ENROLLED:
            return self._answer(endpoint, 403, client_not_enrolled())
        if fault is Fault.FORBIDDEN:
            return self._answer(
                endpoint,
                403,
                {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"},
            )
        if fault is Fault.NOT_FOUND:
            return self._answer(
                endpoint,
                404,
                {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]},
            )
        if fault is Fault.UNAVAILABLE:
            return self._answer(
                endpoint,
                503,
                {
                    "title": "Service Unavailable",
                    "detail": "Service Unavailable",
                    "type": "about:blank",
                    "status": 503,
                },
            )
        if fault is Fault.MALFORMED_JSON:
            answer = self._answer(endpoint, 200, {})
            answer.body = b'{"data": [{"id": "1", "text": "cut off'
            return answer
        raise AssertionError(f"unhandled fault {fault}")

    def _serve(self, endpoint: str, args: dict[str, str], query: dict[str, str]) -> _Answer:
        user_fields = fields(query, "user.fields")
        if endpoint == "/2/users/by/username/:username":
            username = args["username"]
            user = self._by_username(username)
            if user is None or user.suspended:
                return self._answer(
                    endpoint, 200, {"errors": [user_error(user, username, "username")]}
                )
            return self._answer(endpoint, 200, {"data": user.as_json(user_fields)})
        if endpoint in ("/2/users", "/2/users/by"):
            param = "ids" if endpoint == "/2/users" else "usernames"
            values = [v for v in query.get(param, "").split(",") if v]
            if not 1 <= len(values) <= 100:
                return self._answer(endpoint, 400, invalid_count(param, values))
            data, errors = [], []
            for value in values:
                user = (
                    self.users.get(int(value))
                    if param == "ids" and value.isdigit()
                    else self._by_username(value)
                    if param == "usernames"
                    else None
                )
                if user is None or user.suspended:
                    errors.append(user_error(user, value, param))
                else:
                    data.append(user.as_json(user_fields))
            body: dict[str, Any] = {}
            if data:
                body["data"] = data
            if errors:
                body["errors"] = errors
            return self._answer(endpoint, 200, body)
        user_id = args["id"]
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None or user.suspended:
            return self._answer(endpoint, 200, {"errors": [user_error(user, user_id, "id")]})
        if endpoint == "/2/users/:id/tweets":
            if user.protected:
                return self._answer(endpoint, 200, {"errors": [protected_error(user_id)]})
            timeline = user.tweets[:3200]
        else:
            timeline = self._mentions_of(user)[:800]
        return self._timeline(endpoint, timeline, query, user_fields)

    def _timeline(
        self,
        endpoint: str,
        timeline: list[dict[str, Any]],
        query: dict[str, str],
        user_fields: set[str],
    ) -> _Answer:
        try:
            max_results = int(query.get("max_results", "10"))
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            return self._answer(
                endpoint,
                400,
                {
                    "errors": [
                        {
                            "parameters": {"max_results": [query.get("max_results", "")]},
                            "message": f"The `max_results` query parameter value "
                            f"[{query.get('max_results')}] is not between 5 and 100",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        since_id = int(query["since_id"]) if query.get("since_id") else None
        until_id = int(query["until_id"]) if query.get("until_id") else None
        selected = [
            t
            for t in timeline
            if (since_id is None or int(t["id"]) > since_id)
            and (until_id is None or int(t["id"]) < until_id)
        ]
        offset = 0
        token = query.get("pagination_token")
        if token:
            if token not in self._tokens:
                return self._answer(
                    endpoint,
                    400,
                    {
                        "errors": [
                            {
                                "parameters": {"pagination_token": [token]},
                                "message": f"The `pagination_token` query parameter value "
                                f"[{token}] is not valid",
                            }
                        ],
                        "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.twitter.com/2/problems/invalid-request",
                    },
                )
            offset = self._tokens[token]
        page = selected[offset : offset + max_results]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if offset + max_results < len(selected):
            meta["next_token"] = self._token_for(offset + max_results)
        if offset:
            meta["previous_token"] = self._token_for(max(0, offset - max_results))
        body: dict[str, Any] = {"meta": meta}
        if page:
            tweet_fields = fields(query, "tweet.fields")
            body["data"] = [tweet_json(t, tweet_fields) for t in page]
            includes = self._includes(page, fields(query, "expansions"), user_fields)
            if includes:
                body["includes"] = includes
        return self._answer(endpoint, 200, body)

    def _includes(
        self, page: list[dict[str, Any]], expansions: set[str], user_fields: set[str]
    ) -> dict[str, Any]:
        wanted: list[int] = []
        for tweet in page:
            if "author_id" in expansions:
                wanted.append(int(tweet["author_id"]))
            if "in_reply_to_user_id" in expansions and tweet.get("in_reply_to_user_id"):
                wanted.append(int(tweet["in_reply_to_user_id"]))
            if "entities.mentions.username" in expansions:
                for mention in tweet.get("entities", {}).get("mentions", []):
                    user = self._by_username(mention["username"])
                    if user is not None:
                        wanted.append(user.id)
        users = [
            self.users[i].as_json(user_fields)
            for i in dict.fromkeys(wanted)
            if i in self.users and not self.users[i].suspended
        ]
        return {"users": users} if users else {}

    def _mentions_of(self, user: FakeUser) -> list[dict[str, Any]]:
        found = [
            t
            for other in self.users.values()
            if other.id != user.id and not other.protected and not other.suspended
            for t in other.tweets
            if any(m.get("id") == str(user.id) for m in t.get("entities", {}).get("mentions", []))
        ]
        return sorted(found, key=lambda t: -int(t["id"]))

    def _by_username(self, username: str) -> FakeUser | None:
        for user in self.users.values():
            if user.username.lower() == username.lower():
                return user
        return None

    def _token_for(self, offset: int) -> str:
        token = hashlib.sha256(f"{offset}:{len(self._tokens)}".encode()).hexdigest()[:27]
        token = "7140dibdnow9c7btw" + token[:24]
        self._tokens[token] = offset
        return token

    def _answer(
        self,
        endpoint: str | None,
        status: int,
        body: dict[str, Any],
        *,
        remaining: int | None = None,
        reset: int | None = None,
    ) -> _Answer:
        key = endpoint or "other"
        limit = ENDPOINT_LIMITS.get(key, 300)
        with self._lock:
            now = int(time.time())
            if now >= self._window_start + WINDOW_SECONDS:
                self._window_start, self._counts = now, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            used = self._counts[key]
            window_reset = self._window_start + WINDOW_SECONDS
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, limit - used) if remaining is None else remaining),
            "x-rate-limit-reset": self.reset_header
            or str(window_reset if reset is None else reset),
            "x-response-time": "42",
            "cache-control": "no-cache, no-store, max-age=0",
        }
        return _Answer(status, headers, json.dumps(body).encode())


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    trickle: float = 0.0  # seconds between bytes of the whole answer, status line included


class _Handler(BaseHTTPRequestHandler):
    fake: FakeXServer
    protocol_version = "HTTP/1.1"
    timeout = 5
    # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs each
    # keep-alive response would wait ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self._reply()

    def _reply(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        answer = self.fake.handle(self.command, self.path, self.headers.get("Authorization"))
        if answer.trickle:
            self._trickle(answer)
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test)

    def _trickle(self, answer: _Answer) -> None:
        """Send the answer a byte at a time: each read a client makes gets something in time,
        so only a deadline on the whole answer stops it."""
        head = f"HTTP/1.1 {answer.status} OK\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in answer.headers.items()
        )
        raw = f"{head}content-length: {len(answer.body)}\r\n\r\n".encode() + answer.body
        self.close_connection = True
        for i in range(len(raw)):
            if self.fake._stopping.wait(answer.trickle):
                return
            try:
                self.wfile.write(raw[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up: that is the point
                return

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake X: " + format, *args)
