"""How dates, money, counts, enumeration values and phone numbers read to a person (UK
formats): the desktop app and the ``crm`` command both speak through these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from crm.domain.values import format_phone

_CURRENCY = {"GBP": "£", "EUR": "€", "USD": "$"}


def fmt_date(d: date | None, empty: str = "") -> str:
    """26/11/2026."""
    return d.strftime("%d/%m/%Y") if d else empty


def fmt_date_short(d: date | None, empty: str = "") -> str:
    """26 Nov 2026."""
    return f"{d.day} {d:%b %Y}" if d else empty


def local(dt: datetime) -> datetime:
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone()


def fmt_datetime(dt: datetime | None, empty: str = "") -> str:
    """26/11/2026 14:05 in the computer's time zone."""
    return local(dt).strftime("%d/%m/%Y %H:%M") if dt else empty


def fmt_ago(dt: datetime | None, now: datetime | None = None, empty: str = "never") -> str:
    """'just now', '5 min ago', '3 hours ago', 'yesterday', '4 days ago', else the date."""
    if dt is None:
        return empty
    current = now or datetime.now(UTC)
    seconds = (current - dt).total_seconds()
    if seconds < 0:
        return fmt_date(local(dt).date())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return fmt_date(local(dt).date())


def fmt_money(amount: Decimal | None, currency: str = "GBP", per_day: bool = True) -> str:
    if amount is None:
        return ""
    symbol = _CURRENCY.get(currency)
    value = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    text = f"{symbol}{value}" if symbol else f"{currency} {value}"
    return text + ("/day" if per_day else "")


def fmt_money_range(
    low: Decimal | None, high: Decimal | None, currency: str = "GBP", per_day: bool = True
) -> str:
    """£850–£950/day; one amount when only one end is known or both are the same."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        return fmt_money(high if low is None else low, currency, per_day)
    return f"{fmt_money(low, currency, per_day=False)}–{fmt_money(high, currency, per_day)}"


def fmt_count(n: int | None, empty: str = "") -> str:
    """12,345 (exact: recruiters compare follower counts)."""
    return f"{n:,}" if n is not None else empty


def fmt_compact(n: int | None, empty: str = "") -> str:
    """1.2k, 34k, 1.5M: for tight spaces."""
    if n is None:
        return empty
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def label_of(value: str | None) -> str:
    """A stored enum value as words: 'health_social_care' -> 'Health social care'."""
    if not value:
        return ""
    from crm.domain.enums import (
        AssignmentStatus,
        ClientStatus,
        InteractionKind,
        IR35Determination,
        OrganisationType,
        PlacementStatus,
        Sector,
        ShortlistStage,
        WorkingPattern,
    )

    for enum in (
        Sector,
        OrganisationType,
        ClientStatus,
        PlacementStatus,
        InteractionKind,
        AssignmentStatus,
        ShortlistStage,
        WorkingPattern,
    ):
        try:
            return str(enum(value).label)
        except ValueError:
            continue
    try:
        return IR35Determination(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 week', '3 weeks', '1,204 people' (``many`` when adding an s is wrong)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


__all__ = [
    "fmt_ago",
    "fmt_compact",
    "fmt_count",
    "fmt_date",
    "fmt_date_short",
    "fmt_datetime",
    "fmt_money",
    "fmt_money_range",
    "format_phone",
    "label_of",
    "local",
    "plural",
]
