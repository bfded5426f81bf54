"""How data text, dates, money and counts look on screen (UK formats), and safe linkifying.

Everything a user or a tweet wrote is escaped before it goes near rich text: ``linkify``
escapes first and only then turns http(s) URLs, @handles and #hashtags into links.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import quote, urlparse

_CURRENCY = {"GBP": "£", "EUR": "€", "USD": "$"}

# A URL ends at whitespace, quotes or angle brackets: HTML-looking text never extends it.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"'`]+)"
    r"|(?P<handle>(?<![\w@])@[A-Za-z0-9_]{1,15})\b"
    r"|(?P<tag>(?<![\w#&])#[A-Za-z][A-Za-z0-9_]{0,60})"
)
_TRAILING = ".,;:!?)]}"


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
        ClientStatus,
        InteractionKind,
        IR35Determination,
        OrganisationType,
        PlacementStatus,
        Sector,
    )

    for enum in (Sector, OrganisationType, ClientStatus, PlacementStatus, InteractionKind):
        try:
            return str(enum(value).label)
        except ValueError:
            continue
    try:
        return IR35Determination(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def is_web_url(url: str) -> bool:
    """Only http(s) links may open outside the app."""
    try:
        parsed = urlparse(url)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def linkify(text: str | None) -> str:
    """Escaped HTML of ``text`` where http(s) URLs, @handles and #hashtags are links.

    Nothing in ``text`` can become markup: each piece is escaped, and links are added around
    pieces we recognised ourselves. Newlines become line breaks.
    """
    if not text:
        return ""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        token = match.group(0)
        if match.group("url"):
            stripped = token.rstrip(_TRAILING)
            end = start + len(stripped)
            token = stripped
            href = token
        elif match.group("handle"):
            href = "https://x.com/" + token[1:]
        else:
            href = "https://x.com/hashtag/" + quote(token[1:])
        out.append(html.escape(text[pos:start]))
        out.append(f'<a href="{html.escape(href, quote=True)}">{html.escape(token)}</a>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows ``text`` exactly as it is stored.

    Qt takes a tooltip that looks like markup for rich text, so a name such as
    ``<img src=...>`` would be rendered, not shown. Text with a ``<`` in it is escaped and
    wrapped as rich text of its own; anything else is plain already and left alone (cheap,
    as a table asks for tooltips often). Every tooltip made of stored text goes through here.
    """
    if not text:
        return None
    if "<" not in text:
        return text
    return "<p>" + html.escape(text, quote=False).replace("\n", "<br>") + "</p>"


def esc(text: str | None) -> str:
    """Escaped plain text for use inside our own rich text."""
    return html.escape(text or "")
