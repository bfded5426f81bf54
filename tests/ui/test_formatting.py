"""Escaping and linkifying data text; UK dates and money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crm.ui.kit.formatting import (
    fmt_ago,
    fmt_compact,
    fmt_date,
    fmt_money,
    is_web_url,
    label_of,
    linkify,
)


def test_linkify_escapes_before_linking() -> None:
    html = linkify("<img src=x><a href='http://evil'>x</a>")
    assert "<img" not in html and "<a href='" not in html
    assert "&lt;img src=x&gt;" in html
    # The URL-looking text stops at the quote, so the markup cannot ride along.
    assert '<a href="http://evil">http://evil</a>' in html


def test_linkify_handles_hashtags_urls_and_trailing_punctuation() -> None:
    html = linkify("See https://example.org/a?b=1&c=2. Thanks @NHSEngland #NHS\nbye")
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2">https://example.org/a?b=1&amp;c=2</a>.' in html
    )
    assert '<a href="https://x.com/NHSEngland">@NHSEngland</a>' in html
    assert '<a href="https://x.com/hashtag/NHS">#NHS</a>' in html
    assert html.endswith("<br>bye")


def test_only_web_links_become_links() -> None:
    html = linkify("javascript:alert(1) file:///etc/passwd data:text/html,x mail@example.org")
    assert "<a" not in html
    assert is_web_url("https://x.com/a")
    assert not is_web_url("javascript:alert(1)")
    assert not is_web_url("file:///etc/passwd")
    assert not is_web_url("crm:person:1")


def test_uk_formats() -> None:
    assert fmt_date(date(2026, 11, 26)) == "26/11/2026"
    assert fmt_money(Decimal("850")) == "£850/day"
    assert fmt_money(Decimal("850.50"), "EUR", per_day=False) == "€850.50"
    assert fmt_money(Decimal("1200"), "CHF") == "CHF 1,200/day"
    assert fmt_compact(12_345) == "12k" and fmt_compact(1_500_000) == "1.5M"
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert fmt_ago(now - timedelta(minutes=5), now) == "5 min ago"
    assert fmt_ago(now - timedelta(days=1, hours=1), now) == "yesterday"
    assert fmt_ago(None) == "never"
    assert label_of("health_social_care") == "Health & Social Care"
    assert label_of("nhs_trust") == "NHS trust"


def test_follow_link_opens_our_records_and_refuses_other_schemes() -> None:
    from crm.ui.kit.timeline_view import crm_link, follow_link

    opened: list[tuple[str, int]] = []
    follow_link("crm:person:12", lambda kind, i: opened.append((kind, i)))
    follow_link("crm:person:x", lambda kind, i: opened.append((kind, i)))
    follow_link("javascript:alert(1)", lambda kind, i: opened.append((kind, i)))
    assert opened == [("person", 12)]
    assert crm_link("crm:organisation:3") == ("organisation", 3)
    assert crm_link("https://x.com/someone") is None
