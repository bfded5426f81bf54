"""How data text, dates, money and counts look on screen (UK formats), and safe linkifying.

Everything a user or a tweet wrote is escaped before it goes near rich text: ``linkify``
escapes first and only then turns http(s) URLs, @handles and #hashtags into links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlparse

# The formats themselves live below the UI, so the crm command reads the same.
from crm.domain.display import (
    fmt_ago,
    fmt_compact,
    fmt_count,
    fmt_date,
    fmt_date_short,
    fmt_datetime,
    fmt_money,
    format_phone,
    label_of,
    local,
    plural,
)

# A URL ends at whitespace, quotes or angle brackets: HTML-looking text never extends it.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"'`]+)"
    r"|(?P<handle>(?<![\w@])@[A-Za-z0-9_]{1,15})\b"
    r"|(?P<tag>(?<![\w#&])#[A-Za-z][A-Za-z0-9_]{0,60})"
)
_TRAILING = ".,;:!?)]}"


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


__all__ = [
    "esc",
    "fmt_ago",
    "fmt_compact",
    "fmt_count",
    "fmt_date",
    "fmt_date_short",
    "fmt_datetime",
    "fmt_money",
    "format_phone",
    "is_web_url",
    "label_of",
    "linkify",
    "local",
    "plural",
]
