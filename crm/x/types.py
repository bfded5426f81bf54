"""Plain, frozen results of the X API gateway: users, tweets, pages, per-user problems, limits.

Nothing here knows about tweepy or HTTP; the sync code and the UI only ever see these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm.domain.errors import XApiError


class AccountProblem(StrEnum):
    """Why X would not return an account. Values match ``XAccountStatus`` in the domain."""

    NOT_FOUND = "not_found"
    SUSPENDED = "suspended"
    PROTECTED = "protected"
    OTHER = "other"  # an error X has not documented; keep the account as it was


@dataclass(frozen=True)
class XUser:
    """An X account's profile and counts, as X returned them."""

    id: int
    username: str
    name: str
    description: str
    location: str | None
    url: str | None  # the expanded link when X gives one, else X's t.co link
    verified: bool
    protected: bool
    created_at: datetime  # aware, UTC
    followers_count: int
    following_count: int
    tweet_count: int
    listed_count: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class XTweet:
    """One tweet with the references the CRM stores; ``raw`` is X's JSON object for it."""

    id: int
    author_id: int
    text: str
    created_at: datetime  # aware, UTC
    conversation_id: int | None
    in_reply_to_user_id: int | None
    replied_to_id: int | None
    quoted_id: int | None
    retweeted_id: int | None
    mentioned_user_ids: tuple[int, ...]
    edit_history_ids: tuple[int, ...]
    metrics: dict[str, int] = field(compare=False, hash=False)
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class UserError:
    """X answered for a user with an error instead of the user (HTTP 200 with ``errors``)."""

    value: str  # the id or username as asked for
    parameter: str  # "id", "ids", "username" or "usernames"
    problem: AccountProblem
    title: str
    detail: str

    @property
    def message(self) -> str:
        return _problem_message(self.problem, self.value, self.detail)


@dataclass(frozen=True)
class UsersResult:
    """Users found by a (possibly batched) lookup, and the ones X reported problems for."""

    users: tuple[XUser, ...]
    errors: tuple[UserError, ...]

    def by_id(self) -> dict[int, XUser]:
        return {user.id: user for user in self.users}

    def by_username(self) -> dict[str, XUser]:
        """Users keyed by lower-case username (X compares handles case-insensitively)."""
        return {user.username.lower(): user for user in self.users}


@dataclass(frozen=True)
class TweetPage:
    """One response of a timeline or mentions request, newest tweet first."""

    tweets: tuple[XTweet, ...]
    result_count: int
    newest_id: int | None
    oldest_id: int | None
    next_token: str | None
    users: tuple[XUser, ...] = ()  # ``includes.users``: authors and mentioned accounts
    errors: tuple[dict[str, Any], ...] = ()  # partial errors, e.g. an unavailable quoted tweet


@dataclass(frozen=True)
class RateLimit:
    """The rate-limit headers X sent with the last response from one endpoint."""

    endpoint: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None  # aware, UTC


class XAccountUnavailable(XApiError):
    """A single-account request found the account not found, suspended or protected.

    Batched lookups report the same thing per user in :attr:`UsersResult.errors` instead.
    """

    def __init__(self, problem: AccountProblem, value: str, detail: str = "") -> None:
        super().__init__(_problem_message(problem, value, detail), status=200, reason=problem.value)
        self.problem = problem
        self.value = value


def _problem_message(problem: AccountProblem, value: str, detail: str) -> str:
    who = f"@{value}" if value and not value.isdigit() else f"X account {value}"
    if problem is AccountProblem.NOT_FOUND:
        return f"{who} does not exist on X (deleted, deactivated or renamed)."
    if problem is AccountProblem.SUSPENDED:
        return f"{who} is suspended by X."
    if problem is AccountProblem.PROTECTED:
        return f"{who} protects their tweets; only approved followers can read them."
    return f"X would not return {who}: {detail or 'no reason given'}"
