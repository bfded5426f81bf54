"""The X API v2 gateway: tweepy's ``Client`` behind a small interface of plain results and
domain errors, so nothing else in the CRM imports tweepy or sees HTTP.

tweepy hard-codes ``https://api.twitter.com``; a requests adapter mounted on the client's
session rewrites every request to the configured base URL (the ``x_api_url`` setting), which
lets a company proxy or the test suite's fake server stand in. Faults become
:mod:`crm.domain.errors`; rate limits raise :class:`RateLimitedError`, and
:func:`call_with_rate_limit_wait` lets a worker wait for the reset visibly and cancellably.
The bearer token never appears in an exception, a repr or a log line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from crm.domain.errors import (
    Cancelled,
    CredentialsError,
    RateLimitedError,
    ValidationError,
    XApiError,
)
from crm.domain.social import check_token_characters
from crm.domain.values import X_HANDLE_RE
from crm.x.types import (
    AccountProblem,
    RateLimit,
    TweetPage,
    UserError,
    UsersResult,
    XAccountUnavailable,
    XTweet,
    XUser,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.x.com"
OFFICIAL_PREFIXES = ("https://api.twitter.com/", "https://api.x.com/")

MAX_USERS_PER_REQUEST = 100
MAX_TIMELINE_TWEETS = 3200  # X serves only the 3,200 most recent tweets of a timeline
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 5, 100

USER_FIELDS = [
    "created_at",
    "description",
    "entities",
    "location",
    "protected",
    "public_metrics",
    "url",
    "verified",
]
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "edit_history_tweet_ids",
    "entities",
    "in_reply_to_user_id",
    "public_metrics",
    "referenced_tweets",
]
# Mentioned users come back in ``includes.users``, which resolves a mention entity that lacks
# an id; the author's own profile comes along at no extra request.
TWEET_EXPANSIONS = ["author_id", "entities.mentions.username"]

# Endpoint keys (for rate limits and messages), as X's documentation names the routes.
USER_BY_USERNAME = "/2/users/by/username/:username"
USERS_BY_IDS = "/2/users"
USERS_BY_USERNAMES = "/2/users/by"
USER_TWEETS = "/2/users/:id/tweets"
USER_MENTIONS = "/2/users/:id/mentions"

_ENDPOINT_LABELS = {
    USER_BY_USERNAME: "user lookup",
    USERS_BY_IDS: "user lookup",
    USERS_BY_USERNAMES: "user lookup",
    USER_TWEETS: "user timeline",
    USER_MENTIONS: "mentions timeline",
}

_RETRY_STATUSES = frozenset({403, 404, 500, 502, 503, 504})
_DEFAULT_RATE_LIMIT_PAUSE = timedelta(minutes=1)  # when a 429 carries no usable reset header
# X's windows are 15 minutes; a reset further away than that is a server's mistake or a
# hostile answer, and nobody wants a sync that sleeps for ten years.
MAX_RATE_LIMIT_WAIT = timedelta(minutes=15)
# Ids are 64-bit: anything bigger cannot be stored (or is not an X id).
MAX_X_ID = 2**63 - 1


# --------------------------------------------------------------------------- secrets in logs


class _SecretRedactor(logging.Filter):
    """Blanks bearer tokens in records logged by tweepy, which logs request headers at DEBUG."""

    _BEARER_RE = re.compile(r"(Bearer\s+)[^\s'\",}]+")

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        with self._lock:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        text = self._BEARER_RE.sub(r"\1[redacted]", text)
        with self._lock:
            secrets = list(self._secrets)
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_redactor = _SecretRedactor()
for _name in ("tweepy.client", "tweepy"):
    logging.getLogger(_name).addFilter(_redactor)


# --------------------------------------------------------------------------- URL redirect


def rewrite_url(url: str, base_url: str) -> str:
    """``url`` with tweepy's hard-coded official host replaced by ``base_url``."""
    for prefix in OFFICIAL_PREFIXES:
        if url.startswith(prefix):
            return base_url.rstrip("/") + "/" + url[len(prefix) :]
    return url


# The connection each thread is sending on, so a deadline can cut it off: requests' timeout
# bounds each read, and a server trickling a byte every few seconds never trips it.
_sending: dict[int, HTTPConnection] = {}


class _TrackedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class RequestDeadline:
    """Cuts this thread's connection off when a whole request (headers and body) takes
    longer than ``seconds``; ``expired`` says whether it did."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.expired = False
        self._thread = threading.get_ident()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> RequestDeadline:
        _sending.pop(self._thread, None)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _sending.pop(self._thread, None)

    def _expire(self) -> None:
        self.expired = True
        connection = _sending.get(self._thread)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once


class _RedirectAdapter(HTTPAdapter):
    """Sends tweepy's requests to the configured base URL, with a timeout, counting each one.

    ``time_left`` gives the seconds a whole request may take (headers and body together);
    past it the connection is cut and the request fails as timed out."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        on_request: Callable[[], None] | None,
        time_left: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(max_retries=0)
        self._base_url = base_url
        self._timeout = timeout
        self._on_request = on_request
        self._time_left = time_left

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPPool,
            "https": _TrackedHTTPSPool,
        }

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        original = request.url or ""
        target = rewrite_url(original, self._base_url)
        if target != original:
            request.url = target
            # requests chose proxies for the official host; choose again for the real target.
            proxies = get_environ_proxies(target)
        log.debug("X API request: %s %s", request.method, _without_query(target))
        allowed = self._time_left() if self._time_left is not None else None
        if allowed is not None and allowed <= 0:
            raise DeadlineExceeded("no time left for another request")
        if self._on_request is not None:
            # Raising here (a monthly budget guard, say) stops the request before it is sent.
            self._on_request()
        if allowed is None:
            return super().send(
                request,
                stream=stream,
                timeout=self._timeout if timeout is None else timeout,
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
        with RequestDeadline(allowed) as deadline:
            try:
                response = super().send(
                    request,
                    stream=True,
                    timeout=self._timeout if timeout is None else timeout,
                    verify=verify,
                    cert=cert,
                    proxies=proxies,
                )
                if not stream:
                    _ = response.content  # the body too, under the deadline
            except (requests.RequestException, OSError) as exc:
                if deadline.expired:
                    raise DeadlineExceeded(f"no whole answer within {allowed:.0f} s") from exc
                raise
        if deadline.expired:  # it finished in the very moment the deadline passed
            raise DeadlineExceeded(f"no whole answer within {allowed:.0f} s")
        return response


class DeadlineExceeded(requests.Timeout):
    """A request (or the sync it belongs to) ran out of time as a whole."""


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


# --------------------------------------------------------------------------- rate-limit waits


SleepUntil = Callable[[datetime, Callable[[], bool]], None]


def _never() -> bool:
    return False


def _ignore(_resume_at: datetime) -> None:
    return None


def sleep_until(resume_at: datetime, cancelled: Callable[[], bool], poll: float = 0.2) -> None:
    """Sleep until ``resume_at`` (aware UTC), checking ``cancelled`` every ``poll`` seconds.

    Raises :class:`Cancelled` as soon as ``cancelled()`` is true.
    """
    while True:
        if cancelled():
            raise Cancelled("Cancelled while waiting for the X rate limit to reset.")
        left = (resume_at - datetime.now(UTC)).total_seconds()
        if left <= 0:
            return
        time.sleep(min(poll, left))


@dataclass(frozen=True)
class RateLimitWait:
    """How a worker waits out X's rate limit: visibly (``on_wait`` gets the resume time for a
    countdown), cancellably, and a bounded number of times (unlike tweepy's endless wait)."""

    on_wait: Callable[[datetime], None] = _ignore
    sleep_until: SleepUntil = sleep_until
    max_waits: int = 3
    margin: timedelta = field(default=timedelta(seconds=1))
    max_wait: timedelta = MAX_RATE_LIMIT_WAIT

    def call(self, fn: Callable[[], T], cancelled: Callable[[], bool] = _never) -> T:
        """``fn()``, waiting for the reset and trying again whenever it is rate limited."""
        waits = 0
        while True:
            if cancelled():
                raise Cancelled()
            limited: RateLimitedError | None = None
            try:
                return fn()
            except RateLimitedError as exc:
                if waits >= self.max_waits:
                    raise
                limited = exc
            waits += 1
            now = datetime.now(UTC)
            if limited.reset_at - now > self.max_wait:  # before adding: year 9999 + 1 s overflows
                minutes = int(self.max_wait.total_seconds() // 60)
                raise RateLimitedError(
                    f"{limited.message.rstrip('.')}: more than {minutes} minutes away, so the "
                    "CRM does not wait for it. Try again after then; what was fetched is kept.",
                    limited.reset_at,
                )
            resume_at = max(limited.reset_at, now) + self.margin
            log.info(
                "X rate limit reached; waiting until %s UTC (wait %d of %d)",
                resume_at.strftime("%H:%M:%S"),
                waits,
                self.max_waits,
            )
            self.on_wait(resume_at)
            self.sleep_until(resume_at, cancelled)


def call_with_rate_limit_wait(
    fn: Callable[[], T],
    *,
    cancelled: Callable[[], bool] = _never,
    on_wait: Callable[[datetime], None] = _ignore,
    sleep_until: SleepUntil = sleep_until,
    max_waits: int = 3,
    margin: timedelta = timedelta(seconds=1),
) -> T:
    """Call ``fn``; when X says "rate limited", report the resume time through ``on_wait``,
    sleep until then (raising :class:`Cancelled` if ``cancelled()`` turns true) and call again,
    at most ``max_waits`` times before letting :class:`RateLimitedError` through."""
    waiter = RateLimitWait(
        on_wait=on_wait, sleep_until=sleep_until, max_waits=max_waits, margin=margin
    )
    return waiter.call(fn, cancelled)


# --------------------------------------------------------------------------- the gateway


@dataclass(frozen=True)
class _Failure:
    error: Exception
    retryable: bool


class XGateway:
    """The X API v2 as the CRM needs it. One instance per worker thread (a requests Session is
    not meant to be shared across threads).

    ``on_request`` is called once per HTTP request about to be sent (for the monthly usage
    counter); retries count again, as X counts them.
    """

    def __init__(
        self,
        bearer_token: str,
        base_url: str = DEFAULT_API_URL,
        timeout: float = 10,
        on_request: Callable[[], None] | None = None,
        *,
        attempts: int = 3,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        request_deadline: float | None = None,
    ) -> None:
        token = (bearer_token or "").strip()
        if not token:
            raise CredentialsError("No X bearer token is set; add one in the X settings.")
        check_token_characters(token, "The X bearer token")
        self._base_url = _checked_base_url(base_url)
        # A whole request (headers and body) may take this long, though each read has only
        # ``timeout``: a server trickling a byte at a time never trips a read timeout.
        self._request_seconds = 3 * timeout if request_deadline is None else request_deadline
        self._sync_deadline: float | None = None  # time.monotonic() when the sync must end
        self._token = token
        _redactor.add(token)
        self._attempts = max(1, attempts)
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._rate_limits: dict[str, RateLimit] = {}
        self._last_rate_limit: RateLimit | None = None
        self._lock = threading.Lock()
        self._client: Any = tweepy.Client(
            bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False
        )
        adapter = _RedirectAdapter(self._base_url, timeout, on_request, self._time_left)
        for prefix in OFFICIAL_PREFIXES:
            self._client.session.mount(prefix, adapter)

    def __repr__(self) -> str:
        return f"XGateway(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    # ------------------------------------------------------------------ deadlines

    def set_deadline(self, seconds: float | None) -> None:
        """From now on, let every request together take at most ``seconds`` (None: no limit
        beyond each request's own). A request that would pass it fails as timed out."""
        self._sync_deadline = None if seconds is None else time.monotonic() + seconds

    def extend_deadline(self, seconds: float) -> None:
        """Move the overall deadline on by ``seconds`` (time spent waiting for X's rate limit,
        which is X's time, not this sync's)."""
        if self._sync_deadline is not None:
            self._sync_deadline += seconds

    def _time_left(self) -> float:
        if self._sync_deadline is None:
            return self._request_seconds
        return min(self._request_seconds, self._sync_deadline - time.monotonic())

    # ------------------------------------------------------------------ rate-limit state

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit headers of the most recent response, from any endpoint."""
        with self._lock:
            return self._last_rate_limit

    def rate_limit_for(self, endpoint: str) -> RateLimit | None:
        """The last rate-limit headers seen for ``endpoint`` (e.g. :data:`USER_TWEETS`)."""
        with self._lock:
            return self._rate_limits.get(endpoint)

    # ------------------------------------------------------------------ users

    def get_user_by_username(self, handle: str) -> XUser:
        """The account with this handle (``@`` optional).

        Raises :class:`XAccountUnavailable` when X reports it not found or suspended.
        """
        username = _checked_username(handle)
        payload = self._request(
            USER_BY_USERNAME,
            lambda: self._client.get_user(username=username, user_fields=USER_FIELDS),
        )
        data = payload.get("data")
        if isinstance(data, dict):
            return _parse(lambda: _parse_user(data))
        for error in _user_errors(payload):
            raise XAccountUnavailable(error.problem, username, error.detail)
        raise _malformed(USER_BY_USERNAME)

    def get_users(
        self,
        ids: Iterable[int] | None = None,
        usernames: Iterable[str] | None = None,
        *,
        rate_limit_wait: RateLimitWait | None = None,
        cancelled: Callable[[], bool] = _never,
    ) -> UsersResult:
        """Profiles and counts for many accounts, up to 100 per request.

        Accounts X cannot return (not found, suspended) come back in ``errors``, not as
        exceptions. With ``rate_limit_wait``, each batch waits out a rate limit on its own, so
        batches already fetched are not fetched again.
        """
        id_list = list(dict.fromkeys(int(i) for i in ids or ()))
        name_list = list(dict.fromkeys(_checked_username(u) for u in usernames or ()))
        users: list[XUser] = []
        errors: list[UserError] = []
        batches: list[tuple[str, list[Any]]] = [
            (USERS_BY_IDS, id_list[i : i + MAX_USERS_PER_REQUEST])
            for i in range(0, len(id_list), MAX_USERS_PER_REQUEST)
        ] + [
            (USERS_BY_USERNAMES, name_list[i : i + MAX_USERS_PER_REQUEST])
            for i in range(0, len(name_list), MAX_USERS_PER_REQUEST)
        ]
        for endpoint, batch in batches:
            if cancelled():
                raise Cancelled()
            payload = self._paced(
                rate_limit_wait,
                cancelled,
                functools.partial(self._lookup_batch, endpoint, batch),
            )
            data = payload.get("data", [])
            if not isinstance(data, list):
                raise _malformed(endpoint)
            users.extend(_parse(functools.partial(_parse_users, data)))
            errors.extend(_user_errors(payload))
        return UsersResult(users=tuple(users), errors=tuple(errors))

    def _lookup_batch(self, endpoint: str, batch: list[Any]) -> dict[str, Any]:
        if endpoint == USERS_BY_IDS:
            return self._request(
                endpoint, lambda: self._client.get_users(ids=batch, user_fields=USER_FIELDS)
            )
        return self._request(
            endpoint, lambda: self._client.get_users(usernames=batch, user_fields=USER_FIELDS)
        )

    # ------------------------------------------------------------------ timelines

    def get_user_tweets(
        self,
        user_id: int,
        since_id: int | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> TweetPage:
        """One page of the account's own tweets (newest first), newer than ``since_id``.

        Raises :class:`XAccountUnavailable` for a protected, suspended or missing account.
        """
        return self._timeline_page(
            USER_TWEETS,
            self._client.get_users_tweets,
            user_id,
            since_id,
            pagination_token,
            max_results,
        )

    def get_users_mentions(
        self,
        user_id: int,
        since_id: int | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> TweetPage:
        """One page of tweets mentioning the account (newest first), newer than ``since_id``."""
        return self._timeline_page(
            USER_MENTIONS,
            self._client.get_users_mentions,
            user_id,
            since_id,
            pagination_token,
            max_results,
        )

    def iter_user_tweets(
        self,
        user_id: int,
        since_id: int | None = None,
        *,
        max_tweets: int = MAX_TIMELINE_TWEETS,
        cancelled: Callable[[], bool] = _never,
        rate_limit_wait: RateLimitWait | None = None,
    ) -> Iterator[TweetPage]:
        """Pages of the account's tweets newer than ``since_id``, following ``next_token``
        until X has no more or ``max_tweets`` have been yielded. One request per page.

        The first page's ``newest_id`` is the newest tweet overall: store it as the next
        ``since_id`` only once every page has been stored. Raises :class:`Cancelled` between
        pages when ``cancelled()`` is true.
        """
        return self._iter_pages(
            self.get_user_tweets, user_id, since_id, max_tweets, cancelled, rate_limit_wait
        )

    def iter_users_mentions(
        self,
        user_id: int,
        since_id: int | None = None,
        *,
        max_tweets: int = 800,
        cancelled: Callable[[], bool] = _never,
        rate_limit_wait: RateLimitWait | None = None,
    ) -> Iterator[TweetPage]:
        """Like :meth:`iter_user_tweets` for mentions (X serves the 800 most recent)."""
        return self._iter_pages(
            self.get_users_mentions, user_id, since_id, max_tweets, cancelled, rate_limit_wait
        )

    def _iter_pages(
        self,
        fetch: Callable[[int, int | None, str | None, int], TweetPage],
        user_id: int,
        since_id: int | None,
        max_tweets: int,
        cancelled: Callable[[], bool],
        rate_limit_wait: RateLimitWait | None,
    ) -> Iterator[TweetPage]:
        remaining = max(0, max_tweets)
        token: str | None = None
        while remaining > 0:
            if cancelled():
                raise Cancelled()
            size = min(MAX_PAGE_SIZE, max(MIN_PAGE_SIZE, remaining))
            page = self._paced(
                rate_limit_wait,
                cancelled,
                functools.partial(fetch, user_id, since_id, token, size),
            )
            if len(page.tweets) > remaining:
                page = TweetPage(
                    tweets=page.tweets[:remaining],
                    result_count=remaining,
                    newest_id=page.newest_id,
                    oldest_id=page.tweets[remaining - 1].id,
                    next_token=None,
                    users=page.users,
                    errors=page.errors,
                )
            remaining -= len(page.tweets)
            yield page
            if not page.next_token or not page.tweets:
                return
            token = page.next_token

    def _timeline_page(
        self,
        endpoint: str,
        method: Callable[..., Any],
        user_id: int,
        since_id: int | None,
        pagination_token: str | None,
        max_results: int,
    ) -> TweetPage:
        params: dict[str, Any] = {
            "max_results": min(MAX_PAGE_SIZE, max(MIN_PAGE_SIZE, int(max_results))),
            "tweet_fields": TWEET_FIELDS,
            "expansions": TWEET_EXPANSIONS,
            "user_fields": USER_FIELDS,
        }
        if since_id is not None:
            params["since_id"] = int(since_id)
        if pagination_token:
            params["pagination_token"] = pagination_token
        payload = self._request(endpoint, lambda: method(int(user_id), **params))
        data = payload.get("data")
        if data is None:
            for error in _user_errors(payload):
                if error.value == str(user_id) or error.parameter == "id":
                    raise XAccountUnavailable(error.problem, str(user_id), error.detail)
            data = []
        if not isinstance(data, list):
            raise _malformed(endpoint)
        return _parse(lambda: _parse_page(payload, data))

    # ------------------------------------------------------------------ one request

    def _paced(
        self,
        rate_limit_wait: RateLimitWait | None,
        cancelled: Callable[[], bool],
        fn: Callable[[], T],
    ) -> T:
        return fn() if rate_limit_wait is None else rate_limit_wait.call(fn, cancelled)

    def _request(self, endpoint: str, call: Callable[[], Any]) -> dict[str, Any]:
        """The JSON object X answered, after bounded retries of transient failures.

        Errors are raised outside any ``except`` block so that no exception chained to them
        (tweepy's and requests' carry the request headers) travels with them.
        """
        delay = self._backoff_base
        attempt = 1
        while True:
            outcome = self._attempt(endpoint, call)
            if not isinstance(outcome, _Failure):
                return outcome
            if not outcome.retryable or attempt >= self._attempts:
                raise outcome.error
            log.info(
                "X %s failed (%s); trying again in %.1f s (attempt %d of %d)",
                _ENDPOINT_LABELS.get(endpoint, endpoint),
                outcome.error,
                delay,
                attempt + 1,
                self._attempts,
            )
            self._sleep(delay)
            delay *= 2
            attempt += 1

    def _attempt(self, endpoint: str, call: Callable[[], Any]) -> dict[str, Any] | _Failure:
        label = _ENDPOINT_LABELS.get(endpoint, endpoint)
        response: requests.Response | None = None
        failed_response: requests.Response | None = None
        failure: _Failure | None = None
        try:
            response = call()
        except tweepy.HTTPException as exc:
            failed_response = exc.response
        except DeadlineExceeded as exc:
            failure = _Failure(
                XApiError(
                    f"The X {label} was stopped: {exc.args[0] if exc.args else 'out of time'}. "
                    f"{self._host()} answers too slowly, or this sync's time is up; what was "
                    "fetched is kept.",
                    reason="deadline",
                ),
                retryable=False,
            )
        except requests.Timeout:
            failure = _Failure(
                XApiError(f"The X {label} timed out: no answer from {self._host()} in time."),
                retryable=False,
            )
        except requests.ConnectionError as exc:
            failure = _Failure(
                XApiError(
                    f"Could not connect to the X API at {self._host()} "
                    f"({_connection_reason(exc)}). Check the network and the X API URL setting."
                ),
                retryable=False,
            )
        except requests.RequestException as exc:
            failure = _Failure(
                XApiError(f"The X {label} failed: {type(exc).__name__}."), retryable=False
            )
        if failure is not None:
            return failure
        if failed_response is not None:
            self._note_rate_limit(endpoint, failed_response)
            return self._http_failure(endpoint, failed_response)
        if not isinstance(response, requests.Response):
            return _Failure(_malformed(endpoint), retryable=False)
        self._note_rate_limit(endpoint, response)
        log.debug("X %s answered HTTP %s", label, response.status_code)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _Failure(_malformed(endpoint), retryable=False)
        return payload

    def _http_failure(self, endpoint: str, response: requests.Response) -> _Failure:
        label = _ENDPOINT_LABELS.get(endpoint, endpoint)
        status = response.status_code
        body = _json_object(response)
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        detail = self._redact(_detail(body) or (response.reason or ""))
        if status == 401:
            return _Failure(
                CredentialsError(
                    "X refused the token (HTTP 401 Unauthorized). Check the bearer token in "
                    "the X settings or CRM_X_BEARER_TOKEN."
                ),
                retryable=False,
            )
        if status == 403 and reason == "client-not-enrolled":
            return _Failure(
                XApiError(
                    "X refused to read: the API plan of this developer App cannot read users or "
                    "tweets (client-not-enrolled). The free tier cannot read; attach the App to "
                    "a Project with a plan that allows reads in the X developer portal.",
                    status=403,
                    reason=reason,
                ),
                retryable=False,
            )
        if status == 429:
            reset_at = _reset_at(response) or datetime.now(UTC) + _DEFAULT_RATE_LIMIT_PAUSE
            return _Failure(
                RateLimitedError(
                    f"X's rate limit for the {label} is used up until "
                    f"{reset_at:%H:%M:%S} UTC"
                    + (
                        f" on {reset_at:%d/%m/%Y}"
                        if reset_at.date() != datetime.now(UTC).date()
                        else ""
                    )
                    + ".",
                    reset_at,
                ),
                retryable=False,
            )
        text = f"X refused the {label} (HTTP {status}"
        text += f" {response.reason})" if response.reason else ")"
        if detail and detail != response.reason:
            text += f": {_shorten(detail)}"
        return _Failure(
            XApiError(text, status=status, reason=reason), retryable=status in _RETRY_STATUSES
        )

    def _note_rate_limit(self, endpoint: str, response: requests.Response) -> None:
        headers = response.headers
        if not any(h in headers for h in ("x-rate-limit-remaining", "x-rate-limit-reset")):
            return
        limit = RateLimit(
            endpoint=endpoint,
            limit=_int_header(headers, "x-rate-limit-limit"),
            remaining=_int_header(headers, "x-rate-limit-remaining"),
            reset_at=_reset_at(response),
        )
        with self._lock:
            self._rate_limits[endpoint] = limit
            self._last_rate_limit = limit

    def _host(self) -> str:
        return urlsplit(self._base_url).netloc  # the URL holds no user or password by now

    def _redact(self, text: str) -> str:
        return _redactor.redact(text).replace(self._token, "[redacted]")


# --------------------------------------------------------------------------- parsing helpers


def without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` taken out, for use and for showing."""
    try:
        parts = urlsplit(url)
        if not (parts.username or parts.password or "@" in parts.netloc):
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number, an unbalanced bracket
        return url.split("://", 1)[0] + "://[address not shown]"
    return urlunsplit((parts.scheme, host + port, parts.path, parts.query, parts.fragment))


def _checked_base_url(base_url: str) -> str:
    given = (base_url or DEFAULT_API_URL).strip().rstrip("/")
    url = without_credentials(given)
    if url != given:
        # Credentials in the URL would end up in messages, logs and account details.
        log.warning("The X API URL had a user name or password in it; they are not used")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"The X API URL {url!r} must start with https:// (or http:// for a local server).",
            field="x_api_url",
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        log.warning("The X API URL %s is not encrypted; the token would travel in clear", url)
    return url


def _checked_username(handle: str) -> str:
    # The username becomes part of the request path, so refuse anything but a handle.
    username = str(handle).strip().removeprefix("@")
    if not X_HANDLE_RE.match(username):
        raise ValidationError(
            f"{handle!r} is not a valid X handle: use 1 to 15 letters, digits or underscores.",
            field="x_handle",
        )
    return username


def _malformed(endpoint: str) -> XApiError:
    label = _ENDPOINT_LABELS.get(endpoint, endpoint)
    return XApiError(f"X sent an answer to the {label} that is not the JSON the CRM expects.")


def _parse(fn: Callable[[], T]) -> T:
    """``fn()``, with a response of the wrong shape turned into an :class:`XApiError`."""
    error: XApiError | None = None
    try:
        return fn()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        error = XApiError(f"X sent a response the CRM cannot read ({type(exc).__name__}).")
    raise error


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(body: Mapping[str, Any]) -> str:
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    messages = [
        str(e.get("message") or e.get("detail"))
        for e in body.get("errors", []) or []
        if isinstance(e, dict) and (e.get("message") or e.get("detail"))
    ]
    return "; ".join(messages) or str(body.get("title") or "")


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _connection_reason(exc: requests.ConnectionError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "resolve" in text or "getaddrinfo" in text:
        return "host name not found"
    if "ssl" in text or "certificate" in text:
        return "TLS/certificate problem"
    return "connection failed"


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def _reset_at(response: requests.Response) -> datetime | None:
    """When the rate-limit window resets; None when the header is missing or is no time at
    all (a number past the year 9999 or before 1970 says nothing usable)."""
    seconds = _int_header(response.headers, "x-rate-limit-reset")
    if seconds is None or seconds < 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


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


def _user_errors(payload: Mapping[str, Any]) -> list[UserError]:
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


def _parse_user(raw: Mapping[str, Any]) -> XUser:
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


def _parse_users(data: list[Any]) -> list[XUser]:
    return _skipping_bad_ids(_parse_user, data, "account")


def _skipping_bad_ids(parse: Callable[[Any], T], items: Iterable[Any], what: str) -> list[T]:
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except _IdOutOfRange as exc:
            log.warning("Skipped an X %s the CRM cannot store: %s", what, exc)
    return parsed


def _parse_tweet(raw: Mapping[str, Any], ids_by_username: Mapping[str, int]) -> XTweet:
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


def _parse_page(payload: Mapping[str, Any], data: list[Any]) -> TweetPage:
    includes = payload.get("includes", {}) or {}
    users = tuple(_skipping_bad_ids(_parse_user, includes.get("users", []), "account"))
    ids_by_username = {u.username.lower(): u.id for u in users}
    tweets = tuple(
        _skipping_bad_ids(
            functools.partial(_parse_tweet, ids_by_username=ids_by_username), data, "tweet"
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
