"""Reading dates and times as a UK recruiter types them: 26/11/2026, 2026-11-26, today, +2w."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm.domain.errors import ValidationError

UK = ZoneInfo("Europe/London")
# Dates a recruiter can mean; outside them date arithmetic (an extension, a reminder)
# would overflow Python's year 1 to 9999, and nobody logs a call in the year 40,000.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_RELATIVE = re.compile(r"^\+(\d+)\s*([dwm])$")


def parse_date(
    text: str,
    field: str = "date",
    today: date | None = None,
    *,
    counted_from: date | None = None,
) -> date:
    """``26/11/2026``, ``26/11/26``, ``2026-11-26``, ``today``, ``tomorrow``, ``+3d``, ``+2w``,
    ``+1m`` (calendar months). ``+N`` counts from ``counted_from`` (a placement's current end,
    say), else from ``today``, which defaults to the real today."""
    raw = (text or "").strip().lower()
    base = today or date.today()
    if raw in ("today", "now"):
        return base
    if raw == "tomorrow":
        return base + timedelta(days=1)
    if raw == "yesterday":
        return base - timedelta(days=1)
    match = _RELATIVE.match(raw)
    if match:
        n, unit = int(match.group(1)), match.group(2)
        try:
            start = counted_from or base
            if unit == "m":
                return check_year(add_months(start, n), field, text)
            return check_year(start + timedelta(days=n * (7 if unit == "w" else 1)), field, text)
        except (OverflowError, ValueError):
            raise _out_of_range(text, field) from None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y"):
        try:
            parsed = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        return check_year(parsed, field, text)
    raise ValidationError(f"{text!r} is not a date (use dd/mm/yyyy or yyyy-mm-dd).", field=field)


def add_months(day: date, months: int) -> date:
    """``day`` moved by calendar months, kept within the month: 31/01 + 1 month is 28/02
    (29/02 in a leap year), 30/11 + 3 months is 28/02."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise ValueError("year out of range")
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def check_year(day: date, field: str = "date", text: str | None = None) -> date:
    """``day`` if it falls between :data:`FIRST_YEAR` and :data:`LAST_YEAR`, else refused."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _out_of_range(text or f"{day.day:02d}/{day.month:02d}/{day.year:04d}", field)
    return day


def _out_of_range(text: str, field: str) -> ValidationError:
    return ValidationError(
        f"{text!r} is out of range (too far in the past or future): give a date from "
        f"{FIRST_YEAR} to {LAST_YEAR}.",
        field=field,
    )


def parse_when(text: str, field: str = "occurred_at", now: datetime | None = None) -> datetime:
    """A moment in UK local time, returned in UTC: ``now``, ``yesterday 14:00``,
    ``26/11/2026 09:30``, ``2026-11-26T09:30``, or a date alone (09:00)."""
    raw = (text or "").strip()
    current = now or datetime.now(UTC)
    if raw.lower() in ("", "now"):
        return current
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        pass
    else:
        check_year(parsed.date(), field, raw)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UK)
        return parsed.astimezone(UTC)
    parts = raw.rsplit(" ", 1)
    clock = time(9, 0)
    day_text = raw
    if len(parts) == 2 and re.fullmatch(r"\d{1,2}[:.]\d{2}", parts[1]):
        hours, minutes = re.split(r"[:.]", parts[1])
        try:
            clock = time(int(hours), int(minutes))
        except ValueError:
            raise ValidationError(f"{parts[1]!r} is not a time of day.", field=field) from None
        day_text = parts[0]
    day = parse_date(day_text, field=field, today=current.astimezone(UK).date())
    return datetime.combine(day, clock, tzinfo=UK).astimezone(UTC)
