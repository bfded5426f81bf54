"""Values that cross layers for X and Bluesky: what a sync covers, plans and reports, and
where the X token comes from (never the token itself).

Services build these, the window and the ``crm`` command show them; nothing here touches
the network, the database or the keyring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm.domain.enums import XAccountStatus
from crm.domain.errors import CredentialsError
from crm.domain.xcost import CostEstimate

# The league table: which networks it ranks on, and by what (key: label).
LEAGUE_NETWORKS = ("combined", "x", "bluesky")
LEAGUE_MEASURES: dict[str, str] = {
    "followers": "Followers",
    "growth_4w": "Growth, 4 weeks",
    "growth_4w_pct": "Growth, 4 weeks (%)",
    "growth_12w": "Growth, 12 weeks",
    "growth_12w_pct": "Growth, 12 weeks (%)",
    "posts_per_week": "Posts a week",
    "engagement": "Engagement per post",
}

ENV_BEARER_TOKEN = "CRM_X_BEARER_TOKEN"

THIS_RUN_ONLY_HINT = (
    f"the token can be used for this run only — set {ENV_BEARER_TOKEN} in the environment, "
    "or install and unlock a keyring (GNOME Keyring, KWallet, macOS Keychain, Windows "
    "Credential Manager) to keep it."
)
NO_KEYRING_MESSAGE = "No system keyring is available on this machine; " + THIS_RUN_ONLY_HINT


# --------------------------------------------------------------------------- credentials


class CredentialSource(StrEnum):
    """Where the bearer token in use comes from."""

    ENV = "env"
    THIS_RUN = "this_run"
    KEYRING = "keyring"
    NONE = "none"


@dataclass(frozen=True)
class CredentialStatus:
    """What the settings page and ``crm x credentials status`` show; holds no secret."""

    source: CredentialSource
    backend_name: str
    backend_usable: bool
    plaintext_backend: bool
    has_user_context: bool
    problem: str | None = None  # why the keyring could not be read, if it could not

    @property
    def has_token(self) -> bool:
        return self.source is not CredentialSource.NONE

    @property
    def warning(self) -> str | None:
        """A warning the user must see, or None."""
        if self.plaintext_backend:
            return (
                f"Warning: the keyring backend ({self.backend_name}) stores secrets in a plain "
                "text file; anyone who can read your files can read the X token. Install a "
                "system keyring to keep it safely."
            )
        if not self.backend_usable:
            return self.problem or NO_KEYRING_MESSAGE
        return None

    @property
    def text(self) -> str:
        """One paragraph describing where the token comes from, with any warning."""
        lines = {
            CredentialSource.ENV: f"X bearer token: from the {ENV_BEARER_TOKEN} environment "
            "variable (it overrides the keyring).",
            CredentialSource.THIS_RUN: "X bearer token: held in memory for this run only; it "
            "will be forgotten when the program exits.",
            CredentialSource.KEYRING: f"X bearer token: stored in the keyring ({self.backend_name}).",
            CredentialSource.NONE: "X bearer token: not set.",
        }
        parts = [lines[self.source]]
        if self.has_user_context:
            parts.append("User-context keys: stored.")
        if self.warning:
            parts.append(self.warning)
        return " ".join(parts)


@dataclass(frozen=True)
class UserContextKeys:
    """OAuth 1.0a user-context keys; the repr shows none of them."""

    api_key: str = field(repr=False)
    api_key_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)


def check_token_characters(token: str, what: str) -> None:
    """Refuse a token that cannot travel in an HTTP header: X's tokens are printable ASCII,
    and a curly quote or an invisible character pasted along with one would otherwise fail
    deep inside the HTTP library."""
    if not (token.isascii() and token.isprintable()) or any(ch.isspace() for ch in token):
        raise CredentialsError(
            f"{what} contains a character X's tokens never have (a space, a curly quote, an "
            "accent or an invisible character, perhaps pasted along with it); paste it again."
        )


# --------------------------------------------------------------------------- what to sync


@dataclass(frozen=True)
class SyncSelection:
    """Which accounts a sync covers. ``include_own`` adds the user's own account (its tweets,
    which mention people, and its mentions by linked people)."""

    person_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    account_ids: tuple[int, ...] = ()
    watched: bool = False
    all_linked: bool = False
    include_own: bool = True
    due_only: bool = False  # only accounts their refresh cadence says are due (the schedule)


@dataclass(frozen=True)
class AccountTarget:
    """One account as it stood when the sync was planned."""

    account_id: int
    handle: str
    x_user_id: int | None
    status: str
    newest_tweet_id: int | None
    newest_mention_id: int | None
    tweet_count: int | None
    person_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    is_own: bool = False
    last_synced_at: datetime | None = None
    recent_posts: int = 0  # stored posts of the last 28 days, for the expected new ones

    @property
    def label(self) -> str:
        return "@" + self.handle


@dataclass(frozen=True)
class SyncPlan:
    """What a sync will do and how many requests it will make, before it makes any."""

    targets: tuple[AccountTarget, ...]
    own_account_id: int | None  # whose mentions to fetch, if any
    lookup_requests: int  # profiles read today already are not looked up again
    timeline_requests: int
    mention_requests: int
    max_requests: int
    month_requests: int  # already made this month
    budget: int  # the monthly request budget setting (0 = none)
    cost: CostEstimate | None = None  # the resources it reads, priced (None: not priced)
    skip_profiles: frozenset[int] = frozenset()  # read today: a scheduled sync skips them

    @property
    def refusal(self) -> str | None:
        """Why this sync must not start (the money budget or plan cap is reached)."""
        return self.cost.refusal if self.cost is not None and self.targets else None

    @property
    def may_pass_budget(self) -> bool:
        """It could pass the request budget, or its expected reads the money budget."""
        return self.over_budget or (self.cost is not None and self.cost.may_pass_budget)

    @property
    def requests(self) -> int:
        """The expected number of requests (an incremental sync usually needs one page)."""
        return self.lookup_requests + self.timeline_requests + self.mention_requests

    @property
    def over_budget(self) -> bool:
        return self.budget > 0 and self.month_requests + self.max_requests > self.budget

    def describe(self) -> str:
        """One paragraph for a confirmation: how many requests, for what, and this month's."""
        if not self.targets:
            return "Nothing to sync: no linked X accounts were chosen."
        n = len(self.targets)
        text = (
            f"This sync will make about {self.requests} request{_s(self.requests)} to the X API "
            f"(at most {self.max_requests}) for {n} account{_s(n)}: "
            f"{self.lookup_requests} profile lookup{_s(self.lookup_requests)}, "
            f"about {self.timeline_requests} timeline page{_s(self.timeline_requests)}"
        )
        if self.own_account_id is not None:
            text += f", about {self.mention_requests} mentions page{_s(self.mention_requests)}"
        text += f". {self.month_requests} request{_s(self.month_requests)} so far this month"
        text += f" (budget {self.budget})." if self.budget else "."
        if self.over_budget:
            text += " This sync could go over the monthly budget."
        if self.cost is not None:
            text += "\n" + self.cost.describe()
        return text


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# --------------------------------------------------------------------------- the report


@dataclass
class AccountResult:
    """What a sync did for one account."""

    account_id: int
    handle: str
    person_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    is_own: bool = False
    new_tweets: int = 0
    new_mentions: int = 0
    followers: int | None = None
    status: str = XAccountStatus.UNVERIFIED.value
    renamed_from: str | None = None
    message: str | None = None  # a problem to show beside the account
    complete: bool = False  # profile and every page stored, since_id moved on

    @property
    def label(self) -> str:
        return "@" + self.handle


@dataclass
class SyncReport:
    accounts: list[AccountResult] = field(default_factory=list)
    requests: int = 0  # counted against this month during the run
    cancelled: bool = False
    error: str | None = None  # a problem that stopped the whole sync (token refused, ...)
    reads: dict[str, int] = field(default_factory=dict)  # new resources read today, by kind
    cost: str | None = None  # what those cost, "$0.42 (£0.33)", when priced

    @property
    def new_tweets(self) -> int:
        return sum(a.new_tweets + a.new_mentions for a in self.accounts)

    @property
    def problems(self) -> list[AccountResult]:
        return [a for a in self.accounts if a.message]

    def summary(self) -> str:
        """One line for the status bar or the end of ``crm x sync``."""
        done = sum(1 for a in self.accounts if a.complete)
        return sync_summary(
            "X",
            done,
            len(self.accounts),
            self.new_tweets,
            "tweet",
            self.requests,
            len(self.problems),
            self.cancelled,
            self.error,
            self.cost,
        )


def sync_summary(
    network: str,
    synced: int,
    accounts: int,
    new: int,
    item: str,
    requests: int,
    problems: int,
    cancelled: bool,
    error: str | None,
    cost: str | None = None,
) -> str:
    """One line for the status bar or the end of a sync: "X sync: 2 of 3 accounts synced,
    12 new tweets, 4 requests, 1 with problems."."""
    text = (
        f"{network} sync: {synced} of {accounts} account{_s(accounts)} synced, {new} new "
        f"{item}{_s(new)}, {requests} request{_s(requests)}"
    )
    if cost:
        text += f", {cost}"
    if problems:
        text += f", {problems} with problems"
    if cancelled:
        text += "; cancelled (what was fetched is kept)"
    if error:
        text += f"; stopped: {error}"
    return text + "."


# --------------------------------------------------------------------------- usage


@dataclass(frozen=True)
class XUsageView:
    month: str  # "2026-11"
    requests: int
    budget: int  # 0 means no budget

    @property
    def text(self) -> str:
        budget = f" of a budget of {self.budget}" if self.budget else ""
        return f"{self.requests} X API request{'s' if self.requests != 1 else ''}{budget} in {self.month}."
