"""How the X gateway's requests travel: tweepy's hard-coded host rewritten to the configured
API URL, every request counted before it is sent, a deadline that closes a stalled socket,
and bearer tokens blanked in whatever tweepy logs; and, for the X and Bluesky gateways both,
how a transient failure is tried again."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger(__name__)

OFFICIAL_PREFIXES = ("https://api.twitter.com/", "https://api.x.com/")

T = TypeVar("T")


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class Failure:
    """A request that did not succeed: the error to raise, and whether trying again may help."""

    error: Exception
    retryable: bool


def with_retries(
    attempt: Callable[[], T | Failure],
    *,
    what: str,
    attempts: int,
    backoff_base: float,
    sleep: Callable[[float], None],
    logger: logging.Logger,
) -> T:
    """What ``attempt()`` answers, trying again after a retryable failure up to ``attempts``
    times in all, waiting ``backoff_base`` seconds and twice as long each time after.

    The last failure's error is raised outside any ``except`` block, so that no exception
    chained to it (tweepy's and requests' carry the request headers) travels with it.
    """
    delay = backoff_base
    number = 1
    while True:
        outcome = attempt()
        if not isinstance(outcome, Failure):
            return outcome
        if not outcome.retryable or number >= attempts:
            raise outcome.error
        logger.info(
            "%s failed (%s); trying again in %.1f s (attempt %d of %d)",
            what,
            outcome.error,
            delay,
            number + 1,
            attempts,
        )
        sleep(delay)
        delay *= 2
        number += 1


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


redactor = _SecretRedactor()
for _name in ("tweepy.client", "tweepy"):
    logging.getLogger(_name).addFilter(redactor)


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


class RedirectAdapter(HTTPAdapter):
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
