"""Relative dates as recruiters type them: months are calendar months."""

from __future__ import annotations

from datetime import date

import pytest

from crm.domain.dates import add_months, parse_date
from crm.domain.errors import ValidationError


def test_plus_one_month_is_a_calendar_month_not_thirty_days() -> None:
    # 30 days from 1 March is 31 March; one month is 1 April.
    assert parse_date("+1m", today=date(2027, 3, 1)) == date(2027, 4, 1)
    assert parse_date("+3m", today=date(2026, 11, 26)) == date(2027, 2, 26)
    assert parse_date("+12m", today=date(2026, 11, 26)) == date(2027, 11, 26)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 5, 31), 1, date(2026, 6, 30)),
        (date(2026, 1, 1), 25, date(2028, 2, 1)),
    ],
)
def test_add_months_keeps_within_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_relative_dates_count_from_a_given_day() -> None:
    end = date(2027, 3, 31)
    assert parse_date("+3m", today=date(2026, 12, 1), counted_from=end) == date(2027, 6, 30)
    assert parse_date("+2w", today=date(2026, 12, 1), counted_from=end) == date(2027, 4, 14)
    # Words and absolute dates are not relative to it.
    assert parse_date("today", today=date(2026, 12, 1), counted_from=end) == date(2026, 12, 1)
    assert parse_date("01/05/2027", counted_from=end) == date(2027, 5, 1)


def test_a_month_too_far_is_refused_with_one_line() -> None:
    with pytest.raises(ValidationError, match="too far"):
        parse_date("+99999999m", today=date(2026, 12, 1))
