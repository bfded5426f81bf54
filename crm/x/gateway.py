"""The X API v2 gateway: tweepy's ``Client`` behind a small interface of plain results and
domain errors, so nothing else in the CRM imports tweepy or sees HTTP.

tweepy hard-codes ``https://api.twitter.com``; a requests adapter mounted on the client's
session rewrites every request to the configured base URL (the ``x_api_url`` setting), which
lets a company proxy or the test suite's fake server stand in. Faults become
:mod:`crm.domain.errors`; rate limits raise :class:`RateLimitedError`, and
:func:`crm.x.ratelimit.call_with_rate_limit_wait` lets a worker wait for the reset visibly and cancellably.
The bearer token never appears in an exception, a repr or a log line.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy

from crm.domain.errors import (
    Cancelled,
    CredentialsError,
    RateLimitedError,
    ValidationError,
    XApiError,
)
from crm.domain.social import check_token_characters
from crm.domain.values import X_HANDLE_RE
from crm.x.parsing import parse_page, parse_user, parse_users, user_errors
from crm.x.ratelimit import RateLimitWait
from crm.x.transport import (
    OFFICIAL_PREFIXES,
    DeadlineExceeded,
    Failure,
    RedirectAdapter,
    redactor,
    with_retries,
)
from crm.x.types import (
    RateLimit,
    TweetPage,
    UserError,
    UsersResult,
    XAccountUnavailable,
    XUser,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.x.com"

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

# Server faults pass; a 403 or a 404 would answer the same again, and each retry is billed
# or wasted. (429 waits for the rate limit's reset instead.)
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_DEFAULT_RATE_LIMIT_PAUSE = timedelta(minutes=1)  # when a 429 carries no usable reset header


def _never() -> bool:
    return False


# --------------------------------------------------------------------------- the gateway


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
        redactor.add(token)
        self._attempts = max(1, attempts)
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._rate_limits: dict[str, RateLimit] = {}
        self._last_rate_limit: RateLimit | None = None
        self._lock = threading.Lock()
        self._client: Any = tweepy.Client(
            bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False
        )
        adapter = RedirectAdapter(self._base_url, timeout, on_request, self._time_left)
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
            return _parse(lambda: parse_user(data))
        for error in user_errors(payload):
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
            users.extend(_parse(functools.partial(parse_users, data)))
            errors.extend(user_errors(payload))
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
            for error in user_errors(payload):
                if error.value == str(user_id) or error.parameter == "id":
                    raise XAccountUnavailable(error.problem, str(user_id), error.detail)
            data = []
        if not isinstance(data, list):
            raise _malformed(endpoint)
        return _parse(lambda: parse_page(payload, data))

    # ------------------------------------------------------------------ one request

    def _paced(
        self,
        rate_limit_wait: RateLimitWait | None,
        cancelled: Callable[[], bool],
        fn: Callable[[], T],
    ) -> T:
        return fn() if rate_limit_wait is None else rate_limit_wait.call(fn, cancelled)

    def _request(self, endpoint: str, call: Callable[[], Any]) -> dict[str, Any]:
        """The JSON object X answered, after bounded retries of transient failures."""
        return with_retries(
            lambda: self._attempt(endpoint, call),
            what=f"X {_ENDPOINT_LABELS.get(endpoint, endpoint)}",
            attempts=self._attempts,
            backoff_base=self._backoff_base,
            sleep=self._sleep,
            logger=log,
        )

    def _attempt(self, endpoint: str, call: Callable[[], Any]) -> dict[str, Any] | Failure:
        label = _ENDPOINT_LABELS.get(endpoint, endpoint)
        response: requests.Response | None = None
        failed_response: requests.Response | None = None
        failure: Failure | None = None
        try:
            response = call()
        except tweepy.HTTPException as exc:
            failed_response = exc.response
        except DeadlineExceeded as exc:
            failure = Failure(
                XApiError(
                    f"The X {label} was stopped: {exc.args[0] if exc.args else 'out of time'}. "
                    f"{self._host()} answers too slowly, or this sync's time is up; what was "
                    "fetched is kept.",
                    reason="deadline",
                ),
                retryable=False,
            )
        except requests.Timeout:
            failure = Failure(
                XApiError(f"The X {label} timed out: no answer from {self._host()} in time."),
                retryable=False,
            )
        except requests.ConnectionError as exc:
            failure = Failure(
                XApiError(
                    f"Could not connect to the X API at {self._host()} "
                    f"({_connection_reason(exc)}). Check the network and the X API URL setting."
                ),
                retryable=False,
            )
        except requests.RequestException as exc:
            failure = Failure(
                XApiError(f"The X {label} failed: {type(exc).__name__}."), retryable=False
            )
        if failure is not None:
            return failure
        if failed_response is not None:
            self._note_rate_limit(endpoint, failed_response)
            return self._http_failure(endpoint, failed_response)
        if not isinstance(response, requests.Response):
            return Failure(_malformed(endpoint), retryable=False)
        self._note_rate_limit(endpoint, response)
        log.debug("X %s answered HTTP %s", label, response.status_code)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return Failure(_malformed(endpoint), retryable=False)
        return payload

    def _http_failure(self, endpoint: str, response: requests.Response) -> Failure:
        label = _ENDPOINT_LABELS.get(endpoint, endpoint)
        status = response.status_code
        body = _json_object(response)
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        detail = self._redact(_detail(body) or (response.reason or ""))
        if status == 401:
            return Failure(
                CredentialsError(
                    "X refused the token (HTTP 401 Unauthorized). Check the bearer token in "
                    "the X settings or CRM_X_BEARER_TOKEN."
                ),
                retryable=False,
            )
        if status == 403 and reason == "client-not-enrolled":
            return Failure(
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
            return Failure(
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
        return Failure(
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
        return redactor.redact(text).replace(self._token, "[redacted]")


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
