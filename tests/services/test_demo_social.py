"""The sample data's social side: Bluesky accounts, people who moved from X, and a league
table with something to show on both networks."""

from __future__ import annotations

from crm.domain.bluesky import BlueskyActor
from crm.services import bluesky
from crm.services.demo import fill_demo
from crm.services.league import LeagueQuery, league_table, moved_to_bluesky_count
from crm.services.league.export import complete
from crm.storage.db import Database


def test_demo_has_bluesky_accounts_some_moved_from_x_and_a_varied_league(any_db: Database) -> None:
    counts = fill_demo(any_db)
    assert counts["Bluesky accounts"] >= 30 and counts["moved from X"] >= 5
    linked = bluesky.linked_bluesky_accounts(any_db)
    assert len(linked) == counts["Bluesky accounts"]
    for account in linked:
        assert BlueskyActor.parse(account.handle).value == account.handle
        assert account.did.startswith("did:plc:") and len(account.did) == 32
    combined = league_table(any_db, LeagueQuery(measure="growth_4w_pct"))
    networks = {r.networks for r in combined.rows}
    assert {"X", "Bluesky", "X + Bluesky"} <= networks
    growth = [r.figures.growth_4w_pct for r in combined.rows if r.figures.growth_4w_pct is not None]
    assert len(set(growth)) > 10  # not everyone grows alike
    assert any(r.moved_to_bluesky for r in combined.rows)
    # The page's count of moves is the flags of the whole table, every row filled.
    every_row = complete(any_db, combined).rows
    assert moved_to_bluesky_count(any_db, combined) == sum(r.moved_to_bluesky for r in every_row)
    people = league_table(any_db, LeagueQuery(entity="person", network="bluesky"))
    assert len(people.rows) >= 10
    # Reproducible: the same database gives the same table.
    assert league_table(any_db, LeagueQuery(measure="growth_4w_pct")).rows == combined.rows


def test_demo_has_a_usage_history_priced_as_published_and_nothing_read_today(
    any_db: Database,
) -> None:
    from datetime import timedelta

    from crm.domain.xcost import ResourceKind, XPricing
    from crm.services.x_usage import current_month, usage_month, utc_today

    counts = fill_demo(any_db)
    pricing = XPricing()
    today = utc_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    months = [usage_month(any_db, pricing, m) for m in (last_month, current_month())]
    reads = sum(sum(m.counts.values()) for m in months)
    assert reads == counts["X reads billed"] > 0
    # Last month is whole: the demo's tweets of a week or more ago and weekly profile reads.
    earlier = months[0]
    assert earlier.counts[ResourceKind.POST] > 0 and earlier.counts[ResourceKind.USER] > 0
    for month in months:
        expected = sum(pricing.price_micros(k) * n for k, n in month.counts.items())
        assert sum(month.micros_by_kind.values()) == expected
        assert all(day.day < today for day in month.days)
        assert month.requests > 0 or not month.days
