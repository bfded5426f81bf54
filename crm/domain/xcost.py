"""What reading X costs: the plan (pay-per-use with a price per resource, or a legacy monthly
plan with a cap on posts read), what a sync is expected to read, and this month's usage.

Since 6 February 2026 X bills pay-per-use per resource returned, not per request (a post, a
user profile, a follower or following entry; less for "owned reads" of your own account),
and the same resource once per UTC day. Amounts are kept in micro-dollars (whole numbers) so
sums never drift; :class:`Decimal` is only for showing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MICROS = 1_000_000  # micro-dollars in a dollar
PAGE_OF_POSTS = 100  # the most one request can return (a timeline page, a lookup batch)


class ResourceKind(StrEnum):
    """What X bills for, one resource at a time."""

    POST = "post"  # a post (tweet) read from someone else's timeline
    USER = "user"  # a user profile read
    FOLLOW = "follow"  # a follower or following entry
    OWNED = "owned"  # your own account's posts, mentions, profile, followers


KIND_LABELS = {
    ResourceKind.POST: "Posts read",
    ResourceKind.USER: "User profiles read",
    ResourceKind.FOLLOW: "Follower/following entries",
    ResourceKind.OWNED: "Owned reads (your account)",
}


_NOUNS = {
    ResourceKind.POST: ("post", "posts"),
    ResourceKind.USER: ("profile", "profiles"),
    ResourceKind.FOLLOW: ("follow entry", "follow entries"),
    ResourceKind.OWNED: ("owned read", "owned reads"),
}


class XPlan(StrEnum):
    PAY_PER_USE = "pay_per_use"
    LEGACY = "legacy"  # Basic/Pro: a monthly fee and a cap on posts read a month


# X's published pay-per-use prices (developer docs, pricing page, February 2026), USD each.
PUBLISHED_PRICES: Mapping[ResourceKind, Decimal] = {
    ResourceKind.POST: Decimal("0.005"),
    ResourceKind.USER: Decimal("0.010"),
    ResourceKind.FOLLOW: Decimal("0.010"),
    ResourceKind.OWNED: Decimal("0.001"),
}


def to_micros(usd: Decimal) -> int:
    return int((usd * MICROS).to_integral_value(rounding=ROUND_HALF_UP))


def from_micros(micros: int) -> Decimal:
    return Decimal(micros) / MICROS


@dataclass(frozen=True)
class XPricing:
    """The plan the account is on, its prices, the user's pound rate and monthly budget."""

    plan: XPlan = XPlan.PAY_PER_USE
    prices: Mapping[ResourceKind, Decimal] = field(default_factory=lambda: dict(PUBLISHED_PRICES))
    legacy_monthly_usd: Decimal = Decimal("200")
    legacy_post_cap: int = 15_000
    usd_to_gbp: Decimal = Decimal("0.79")
    budget_usd: Decimal = Decimal("0")  # 0: no budget

    def price_micros(self, kind: ResourceKind) -> int:
        """What one more resource of ``kind`` costs (nothing extra on a legacy plan)."""
        if self.plan is XPlan.LEGACY:
            return 0
        return to_micros(self.prices.get(kind, PUBLISHED_PRICES[kind]))

    def cost_micros(self, counts: Mapping[ResourceKind, int]) -> int:
        return sum(self.price_micros(kind) * n for kind, n in counts.items())

    @property
    def budget_micros(self) -> int:
        return to_micros(self.budget_usd)

    def stop_reason(self, month_micros: int, month_posts: int) -> str | None:
        """Why no further request may be sent this month, or None. A request is refused when
        a full page of posts (100) could take the month past the budget or the plan's cap,
        so a sync stops before passing it, never after."""
        page = PAGE_OF_POSTS
        if self.plan is XPlan.LEGACY:
            if self.legacy_post_cap and month_posts + page > self.legacy_post_cap:
                return (
                    f"This month's {self.legacy_post_cap:,} posts of the legacy plan are "
                    f"read ({month_posts:,}); nothing more is read from X this month."
                )
            return None
        budget = self.budget_micros
        if budget and month_micros + page * self.price_micros(ResourceKind.POST) > budget:
            return (
                f"This month's X budget of {self.money(budget)} is reached "
                f"({self.money(month_micros)} spent, and one more page of posts could pass it); "
                "nothing more is read from X this month. Raise the budget in the X settings "
                "to go on."
            )
        return None

    def money(self, micros: int) -> str:
        """``"$1.25 (£0.99)"``: US dollars, as X bills, with the pound equivalent."""
        usd = from_micros(micros)
        gbp = usd * self.usd_to_gbp
        return f"${_two(usd)} (£{_two(gbp)})"

    def price_text(self, kind: ResourceKind) -> str:
        """One resource's price as set: ``"$0.005"``."""
        return f"${self.prices.get(kind, PUBLISHED_PRICES[kind])}"

    def describe(self) -> str:
        if self.plan is XPlan.LEGACY:
            return (
                f"Legacy plan: ${_two(self.legacy_monthly_usd)} a month, up to "
                f"{self.legacy_post_cap:,} posts read a month."
            )
        prices = ", ".join(f"{self.price_text(k)} a {_NOUNS[k][0]}" for k in ResourceKind)
        return f"Pay-per-use: {prices} (once per resource per UTC day)."


def _two(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


@dataclass(frozen=True)
class CostEstimate:
    """What a sync is expected to read (and at most), priced, against this month's spend."""

    pricing: XPricing
    expected: Mapping[ResourceKind, int]
    at_most: Mapping[ResourceKind, int]
    month_micros: int  # spent this month before the sync
    month_posts: int  # posts read this month (for a legacy plan's cap)
    free_profiles: int = 0  # read already today: X does not bill them again

    @property
    def expected_micros(self) -> int:
        return self.pricing.cost_micros(self.expected)

    @property
    def max_micros(self) -> int:
        return self.pricing.cost_micros(self.at_most)

    @property
    def refusal(self) -> str | None:
        """Why the sync must not start (the budget or cap is reached), or None."""
        return self.pricing.stop_reason(self.month_micros, self.month_posts)

    @property
    def may_pass_budget(self) -> bool:
        """The expected reads would pass the budget (or cap): the sync will stop at it."""
        p = self.pricing
        if p.plan is XPlan.LEGACY:
            expected_posts = self.expected.get(ResourceKind.POST, 0)
            return self.month_posts + expected_posts > p.legacy_post_cap
        return bool(p.budget_micros) and (
            self.month_micros + self.expected_micros > p.budget_micros
        )

    def describe(self) -> str:
        p = self.pricing
        reads = ", ".join(
            f"{self.expected.get(k, 0):,} {_NOUNS[k][self.expected.get(k, 0) != 1]}"
            for k in ResourceKind
            if self.expected.get(k, 0) or self.at_most.get(k, 0)
        )
        text = (
            f"Estimated cost: {p.money(self.expected_micros)}, at most "
            f"{p.money(self.max_micros)} ({reads or 'nothing'})."
        )
        if self.free_profiles:
            n = self.free_profiles
            text += f" {n} profile{'' if n == 1 else 's'} read today already (not billed again)."
        if p.plan is XPlan.LEGACY:
            text += f" Legacy plan: {self.month_posts:,} of {p.legacy_post_cap:,} posts read."
        else:
            text += f" This month so far: {p.money(self.month_micros)}"
            text += f" of a {p.money(p.budget_micros)} budget." if p.budget_micros else "."
        if self.refusal:
            text += " " + self.refusal
        elif self.may_pass_budget:
            text += " It could reach the budget: the sync stops there, keeping what it stored."
        return text


@dataclass(frozen=True)
class UsageDay:
    day: date
    counts: Mapping[ResourceKind, int]
    micros: int


@dataclass(frozen=True)
class XUsageMonth:
    """This month's reads and their cost, by kind and by UTC day, against the budget."""

    month: str  # "2026-12"
    pricing: XPricing
    counts: Mapping[ResourceKind, int]
    micros_by_kind: Mapping[ResourceKind, int]
    days: tuple[UsageDay, ...]
    requests: int

    @property
    def micros(self) -> int:
        return sum(self.micros_by_kind.values())

    @property
    def budget_share(self) -> float | None:
        """Spent over budget (0..1+), or None without a budget."""
        budget = self.pricing.budget_micros
        return self.micros / budget if budget else None

    def summary(self) -> str:
        p = self.pricing
        if p.plan is XPlan.LEGACY:
            posts = self.counts.get(ResourceKind.POST, 0)
            return f"{self.month}: {posts:,} of {p.legacy_post_cap:,} posts read (legacy plan)."
        text = f"{self.month}: {p.money(self.micros)}"
        if p.budget_micros:
            text += f" of a {p.money(p.budget_micros)} budget"
        noun = "request" if self.requests == 1 else "requests"
        return text + f", {self.requests:,} {noun}."


class Cadence(StrEnum):
    """How often a scheduled sync reads a watched account."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def days(self) -> int:
        return {"daily": 1, "weekly": 7, "monthly": 30}[self.value]


def default_cadence(tags: Iterable[str], *, client: bool, own: bool) -> Cadence:
    """An account's cadence when none is set on it: a tag ``x-daily``/``x-weekly``/
    ``x-monthly`` (or ``daily``/``weekly``/``monthly``) decides; else your own account daily,
    clients (a client contact, a client organisation or a ``client`` tag) weekly, the rest
    monthly."""
    names = {t.strip().lower() for t in tags}
    for cadence in Cadence:
        if cadence.value in names or f"x-{cadence.value}" in names:
            return cadence
    if own:
        return Cadence.DAILY
    if client or "client" in names or "clients" in names:
        return Cadence.WEEKLY
    return Cadence.MONTHLY
