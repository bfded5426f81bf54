"""Waiting out X's rate limit visibly and cancellably: sleep until the reset, tell the caller
when it will resume, and give up after a few waits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from crm.domain.errors import Cancelled, RateLimitedError

log = logging.getLogger(__name__)

T = TypeVar("T")

# X's windows are 15 minutes; a reset further away than that is a server's mistake or a
# hostile answer, and nobody wants a sync that sleeps for ten years.
MAX_RATE_LIMIT_WAIT = timedelta(minutes=15)

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
