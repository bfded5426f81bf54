"""A fake Bluesky AppView on 127.0.0.1 for tests, answering the XRPC queries the CRM uses
with the shapes of the public lexicons:

- ``app.bsky.actor.getProfile`` (``actor``) and ``app.bsky.actor.getProfiles`` (``actors``,
  at most 25) return ``app.bsky.actor.defs#profileViewDetailed`` objects; unknown, deactivated
  and taken-down accounts are left out of getProfiles and refused by getProfile with the
  XRPC error body (``{"error": ..., "message": ...}``) the AppView sends.
- ``app.bsky.feed.getAuthorFeed`` (``actor``, ``limit``, ``cursor``, ``filter``) returns
  ``app.bsky.feed.defs#feedViewPost`` items newest first (posts with ``record``, reply refs,
  counts; reposts with ``reason: #reasonRepost``) and a cursor while there are more.
- ``app.bsky.actor.searchActors`` (``term``, ``limit``) returns ``profileView`` objects.

Every request is recorded; :meth:`FakeBlueskyServer.fail_next` queues HTTP faults.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

JANE_DID = "did:plc:janeokaforceo0000000001"
TRUST_DID = "did:plc:kingsfordtrust00000000002"
MOVED_DID = "did:plc:movedfromx0000000000003"
GONE_DID = "did:plc:deactivated00000000000004"
OTHER_DID = "did:plc:someoneelse000000000005"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _cid(text: str) -> str:
    return "bafyrei" + hashlib.sha256(text.encode()).hexdigest()[:52]


@dataclass
class FakeActor:
    did: str
    handle: str
    display_name: str = ""
    description: str = ""
    followers: int = 100
    follows: int = 50
    created_at: datetime = datetime(2023, 5, 1, 8, 0, tzinfo=UTC)
    status: str = "ok"  # ok, deactivated, takendown
    posts: list[dict[str, Any]] = field(default_factory=list)  # feed items, newest first

    def basic(self) -> dict[str, Any]:
        """``profileViewBasic``: the author of a post."""
        return {
            "did": self.did,
            "handle": self.handle,
            "displayName": self.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{self.did}/x@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "labels": [],
            "createdAt": iso(self.created_at),
        }

    def view(self) -> dict[str, Any]:
        """``profileView``: a search result (no counts)."""
        body = self.basic()
        body["description"] = self.description
        body["indexedAt"] = iso(self.created_at)
        return body

    def detailed(self) -> dict[str, Any]:
        """``profileViewDetailed``: getProfile and getProfiles."""
        body = self.view()
        body.update(
            {
                "banner": f"https://cdn.bsky.app/img/banner/plain/{self.did}/x@jpeg",
                "followersCount": self.followers,
                "followsCount": self.follows,
                "postsCount": sum(1 for p in self.posts if "reason" not in p),
                "viewer": {"muted": False, "blockedBy": False},
            }
        )
        return body


@dataclass(frozen=True)
class Recorded:
    method: str
    query: dict[str, list[str]]


class FakeBlueskyServer:
    def __init__(self) -> None:
        self.actors: dict[str, FakeActor] = {}
        self._requests: list[Recorded] = []
        self._faults: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._load_default_data()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeBlueskyServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBlueskyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- test controls ----------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, error: str = "InternalServerError") -> None:
        with self._lock:
            self._faults.extend([(status, error)] * times)

    def add_actor(self, actor: FakeActor) -> FakeActor:
        self.actors[actor.did] = actor
        return actor

    def add_post(
        self,
        did: str,
        text: str,
        at: datetime,
        *,
        likes: int = 0,
        reposts: int = 0,
        replies: int = 0,
        quotes: int = 0,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """A new post by ``did`` at ``at`` (kept newest first)."""
        actor = self.actors[did]
        rkey = "3l" + hashlib.sha1(f"{did}{text}{at}".encode()).hexdigest()[:11]
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(at),
            "langs": ["en"],
        }
        item: dict[str, Any] = {
            "post": {
                "uri": uri,
                "cid": _cid(uri),
                "author": actor.basic(),
                "record": record,
                "replyCount": replies,
                "repostCount": reposts,
                "likeCount": likes,
                "quoteCount": quotes,
                "indexedAt": iso(at + timedelta(seconds=1)),
                "viewer": {"threadMuted": False, "embeddingDisabled": False},
                "labels": [],
            },
            "_sort": at,
        }
        if reply_to is not None:
            ref = {"uri": reply_to, "cid": _cid(reply_to)}
            record["reply"] = {"root": ref, "parent": ref}
            item["reply"] = {
                "root": {
                    "$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": reply_to,
                    "notFound": True,
                },
                "parent": {
                    "$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": reply_to,
                    "notFound": True,
                },
            }
        actor.posts.append(item)
        actor.posts.sort(key=lambda i: i["_sort"], reverse=True)
        return item

    def add_repost(self, did: str, of: dict[str, Any], at: datetime) -> None:
        """``did`` reposts someone else's post ``of`` at ``at`` (a ``reasonRepost`` item)."""
        actor = self.actors[did]
        actor.posts.append(
            {
                "post": of["post"],
                "reason": {
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": actor.basic(),
                    "indexedAt": iso(at),
                },
                "_sort": at,
            }
        )
        actor.posts.sort(key=lambda i: i["_sort"], reverse=True)

    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[Recorded]:
        return [r for r in self.requests() if r.method == method]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- default data ------------------------------------------------------------------------
    def _load_default_data(self) -> None:
        jane = self.add_actor(
            FakeActor(
                JANE_DID,
                "janeokafor.bsky.social",
                "Jane Okafor",
                "Chief Executive, Kingsford NHS Trust. Views my own.",
                followers=869,
                follows=210,
            )
        )
        self.add_actor(
            FakeActor(
                TRUST_DID,
                "kingsford.nhs.uk",
                "Kingsford NHS Trust",
                "News from Kingsford NHS Trust.",
                followers=7971,
                follows=120,
            )
        )
        self.add_actor(
            FakeActor(MOVED_DID, "amara.bsky.social", "Amara Okafor", "Left X in 2025.", 310, 90)
        )
        self.add_actor(FakeActor(GONE_DID, "gone.bsky.social", "Gone", status="deactivated"))
        self.add_actor(FakeActor(OTHER_DID, "someone.bsky.social", "Someone Else"))
        for i in range(130):
            self.add_post(
                JANE_DID,
                f"Jane's post number {i}: proud of our teams.",
                NOW - timedelta(hours=6 * (130 - i)),
                likes=i % 7,
                reposts=i % 3,
                replies=i % 2,
            )
        for i in range(3):
            self.add_post(TRUST_DID, f"Trust news {i}", NOW - timedelta(days=3 * (3 - i)), likes=20)
        boosted = self.add_post(OTHER_DID, "Someone else's post", NOW - timedelta(days=2))
        self.add_repost(jane.did, boosted, NOW - timedelta(days=1, hours=1))

    # -- answering ---------------------------------------------------------------------------
    def _actor(self, ref: str) -> FakeActor | None:
        ref = ref.lower() if not ref.startswith("did:") else ref
        for actor in self.actors.values():
            if actor.did == ref or actor.handle == ref:
                return actor
        return None

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        method = path.removeprefix("/xrpc/")
        with self._lock:
            self._requests.append(Recorded(method, query))
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            return fault[0], {"error": fault[1], "message": "fault injected by the test"}
        one = {k: v[0] for k, v in query.items() if v}
        if method == "app.bsky.actor.getProfile":
            actor = self._actor(one.get("actor", ""))
            if actor is None:
                return 400, {"error": "InvalidRequest", "message": "Profile not found"}
            if actor.status == "deactivated":
                return 400, {"error": "AccountDeactivated", "message": "Account is deactivated"}
            if actor.status == "takendown":
                return 400, {"error": "AccountTakedown", "message": "Account has been suspended"}
            return 200, actor.detailed()
        if method == "app.bsky.actor.getProfiles":
            refs = query.get("actors", [])
            if len(refs) > 25:
                return 400, {
                    "error": "InvalidRequest",
                    "message": "Error: actors must not have more than 25 elements",
                }
            found = [self._actor(r) for r in refs]
            return 200, {"profiles": [a.detailed() for a in found if a and a.status == "ok"]}
        if method == "app.bsky.feed.getAuthorFeed":
            return self._feed(one)
        if method == "app.bsky.actor.searchActors":
            term = one.get("term", "").lower()
            limit = int(one.get("limit", "25"))
            hits = [
                a.view()
                for a in self.actors.values()
                if a.status == "ok"
                and any(w in (a.display_name.lower() + " " + a.handle) for w in term.split())
            ]
            return 200, {"actors": hits[:limit]}
        return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}

    def _feed(self, one: dict[str, str]) -> tuple[int, dict[str, Any]]:
        actor = self._actor(one.get("actor", ""))
        if actor is None:
            return 400, {"error": "InvalidRequest", "message": "Profile not found"}
        if actor.status == "deactivated":
            return 400, {"error": "AccountDeactivated", "message": "Account is deactivated"}
        limit = int(one.get("limit", "50"))
        if not 1 <= limit <= 100:
            return 400, {"error": "InvalidRequest", "message": "limit must be <= 100"}
        items = actor.posts
        cursor = one.get("cursor")
        if cursor:
            # Like the AppView: the cursor is the sort time of the last item served.
            items = [i for i in items if iso(i["_sort"]) < cursor]
        page = items[:limit]
        body: dict[str, Any] = {
            "feed": [{k: v for k, v in i.items() if k != "_sort"} for i in page]
        }
        if len(items) > limit:
            body["cursor"] = iso(page[-1]["_sort"])
        return 200, body


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        fake: FakeBlueskyServer = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        status, body = fake.answer(parts.path, parse_qs(parts.query))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ratelimit-limit", "3000")
        self.send_header("ratelimit-remaining", "2999")
        self.send_header("ratelimit-reset", str(int(NOW.timestamp()) + 300))
        self.send_header("ratelimit-policy", "3000;w=300")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None
