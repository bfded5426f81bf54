"""Rates and margin: what the agency earns between the client's charge rate and the pay rate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal


def working_days(start: date, end: date, days_per_week: int | None = None) -> Decimal:
    """Weekdays from ``start`` to ``end`` inclusive; scaled to ``days_per_week`` when the
    interim works fewer (or more) than five days a week."""
    if end < start:
        return Decimal(0)
    total = (end - start).days + 1
    weeks, rest = divmod(total, 7)
    days = weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            days += 1
    if days_per_week is None or days_per_week == 5:
        return Decimal(days)
    return (Decimal(days) * Decimal(days_per_week) / Decimal(5)).quantize(Decimal("0.1"))


def margin_per_day(charge_rate: Decimal | None, pay_rate: Decimal | None) -> Decimal | None:
    """Charge rate less pay rate; None until both are known."""
    if charge_rate is None or pay_rate is None:
        return None
    return charge_rate - pay_rate


def margin_over(
    charge_rate: Decimal | None,
    pay_rate: Decimal | None,
    start: date | None,
    end: date | None,
    days_per_week: int | None = None,
) -> Decimal | None:
    """The margin over a placement's length (start to its current end, extensions included)."""
    per_day = margin_per_day(charge_rate, pay_rate)
    if per_day is None or start is None or end is None:
        return None
    return (per_day * working_days(start, end, days_per_week)).quantize(Decimal("0.01"))


def rate_within(rate: Decimal | None, low: Decimal | None, high: Decimal | None) -> bool | None:
    """Whether ``rate`` lies in the range [low, high] (either end may be open); None if unknown."""
    if rate is None or (low is None and high is None):
        return None
    if low is not None and rate < low:
        return False
    return not (high is not None and rate > high)
