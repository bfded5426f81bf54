"""The league table from stored snapshots and posts: each measure, both networks and combined,
filters, rank change since last week, chief executives, and reproducibility."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from crm.domain.errors import ValidationError
from crm.services.league import (
    MEASURES,
    LeagueQuery,
    LeagueTable,
    league_table,
    moved_to_bluesky_count,
)
from crm.services.league.export import to_csv
from crm.storage.db import Database
from crm.storage.models import FollowerSnapshot, Organisation, Tweet
from tests.fixtures.league import AS_OF, build_world


@pytest.fixture
def world(any_db: Database) -> dict[str, int]:
    return build_world(any_db)


def test_followers_rank_on_x_with_growth_posts_and_engagement(
    any_db: Database, world: dict[str, int]
) -> None:
    table = league_table(any_db, LeagueQuery(network="x"))
    assert table.as_of == AS_OF
    names = [r.name for r in table.rows]
    assert names == ["Kingsford NHS Trust", "Leeds City Council", "Harbourside NHS FT"]
    kingsford, leeds, harbour = table.rows
    assert kingsford.figures.followers == 7913
    assert kingsford.figures.growth_4w == 4 and kingsford.figures.growth_12w == 12
    assert harbour.figures.growth_4w == 400
    assert harbour.figures.growth_4w_pct == pytest.approx(100 * 400 / 1900, abs=0.05)
    assert harbour.figures.posts_per_week == 1.5  # 6 tweets in the last 28 days (not day 30)
    assert harbour.figures.engagement == 10.0  # 9 likes + 1 retweet
    assert kingsford.figures.posts_per_week == 0 and kingsford.figures.engagement is None
    assert leeds.figures.growth_4w is None  # one snapshot: no growth yet
    assert harbour.figures.spark == tuple(1100 + 100 * i for i in range(13))
    assert kingsford.chief_executive == "Jane Okafor"
    assert kingsford.chief_executive_followers == 869


def test_each_measure_orders_the_table_and_rows_without_a_figure_come_last(
    any_db: Database, world: dict[str, int]
) -> None:
    by_growth = league_table(any_db, LeagueQuery(network="x", measure="growth_4w"))
    assert [(r.name, r.rank) for r in by_growth.rows] == [
        ("Harbourside NHS FT", 1),
        ("Kingsford NHS Trust", 2),
        ("Leeds City Council", None),
    ]
    by_posts = league_table(any_db, LeagueQuery(network="x", measure="posts_per_week"))
    assert by_posts.rows[0].name == "Harbourside NHS FT"
    by_engagement = league_table(any_db, LeagueQuery(network="x", measure="engagement"))
    assert [r.rank for r in by_engagement.rows] == [1, None, None]


def test_bluesky_and_combined_views(any_db: Database, world: dict[str, int]) -> None:
    bsky = league_table(any_db, LeagueQuery(network="bluesky"))
    assert [r.name for r in bsky.rows] == ["Kingsford NHS Trust"]
    row = bsky.rows[0]
    assert row.figures.followers == 1400 and row.figures.growth_4w == 400
    assert row.figures.posts_per_week == 1.0 and row.figures.engagement == 4.0
    combined = league_table(any_db, LeagueQuery(network="combined"))
    kingsford = next(r for r in combined.rows if r.name == "Kingsford NHS Trust")
    assert kingsford.figures.followers == 7913 + 1400
    assert kingsford.figures.growth_4w == 404
    assert kingsford.networks == "X + Bluesky"
    assert kingsford.by_network["x"].followers == 7913


def test_rank_change_since_last_week(any_db: Database, world: dict[str, int]) -> None:
    # A week ago Kingsford led Harbourside on X followers (Leeds had no snapshot yet); a
    # jump this week puts Harbourside first.
    with any_db.session() as session:
        account = session.get(Organisation, world["harbour"])
        assert account is not None and account.x_account_id is not None
        session.add(
            FollowerSnapshot(
                account_id=account.x_account_id,
                taken_at=AS_OF,
                followers=9999,
                following=1,
                tweets=1,
            )
        )
    table = league_table(any_db, LeagueQuery(network="x"))
    first = table.rows[0]
    assert first.name == "Harbourside NHS FT" and first.rank == 1 and first.rank_change == 1
    assert [(r.name, r.rank_change) for r in table.rows[1:]] == [
        ("Kingsford NHS Trust", -1),
        ("Leeds City Council", None),  # new in the table this week
    ]


def test_filters_by_sector_and_type(any_db: Database, world: dict[str, int]) -> None:
    health = league_table(any_db, LeagueQuery(network="x", sector="Health & Social Care"))
    assert {r.name for r in health.rows} == {"Kingsford NHS Trust", "Harbourside NHS FT"}
    trusts = league_table(any_db, LeagueQuery(network="x", org_types=("nhs",)))
    assert len(trusts.rows) == 2
    councils = league_table(any_db, LeagueQuery(network="x", org_types=("council",)))
    assert [r.name for r in councils.rows] == ["Leeds City Council"]
    with pytest.raises(ValidationError, match="not a sector"):
        league_table(any_db, LeagueQuery(sector="space"))
    with pytest.raises(ValidationError, match="Rank by one of"):
        league_table(any_db, LeagueQuery(measure="vibes"))


def test_people_are_ranked_too(any_db: Database, world: dict[str, int]) -> None:
    people = league_table(any_db, LeagueQuery(entity="person", network="x"))
    assert [(r.name, r.organisation, r.figures.followers) for r in people.rows] == [
        ("Jane Okafor", "Kingsford NHS Trust", 869)
    ]
    health = league_table(any_db, LeagueQuery(entity="person", sector="health_social_care"))
    assert len(health.rows) == 1


def test_silent_on_x_and_active_on_bluesky_is_flagged(
    any_db: Database, world: dict[str, int]
) -> None:
    table = league_table(any_db, LeagueQuery())
    flags = {r.name: r.moved_to_bluesky for r in table.rows}
    assert flags == {
        "Kingsford NHS Trust": True,
        "Harbourside NHS FT": False,
        "Leeds City Council": False,
    }
    kingsford = next(r for r in table.rows if r.moved_to_bluesky)
    assert kingsford.last_x_post == AS_OF - timedelta(days=100)
    assert kingsford.last_bluesky_post == AS_OF - timedelta(days=1)


def test_moves_to_bluesky_are_counted_for_the_whole_table(
    any_db: Database, world: dict[str, int]
) -> None:
    table = league_table(any_db, LeagueQuery())
    assert moved_to_bluesky_count(any_db, table) == 1  # Kingsford
    # Only a view of both networks can show a move.
    assert moved_to_bluesky_count(any_db, league_table(any_db, LeagueQuery(network="x"))) == 0
    # 100 days is past the 90; 80 is not.
    kingsford = next(r for r in table.rows if r.moved_to_bluesky)
    with any_db.session() as session:
        tweet = Tweet(
            id=9_000_000_001,
            account_id=kingsford.accounts["x"],
            author_x_user_id=1,
            text="Back on X",
            created_at=AS_OF - timedelta(days=80),
        )
        session.add(tweet)
    assert moved_to_bluesky_count(any_db, league_table(any_db, LeagueQuery())) == 0


def test_the_same_database_gives_the_same_table(any_db: Database, world: dict[str, int]) -> None:
    first = league_table(any_db, LeagueQuery(measure="growth_12w"))
    again = league_table(any_db, LeagueQuery(measure="growth_12w"))
    assert first == again
    assert to_csv(first) == to_csv(again)
    lines = to_csv(first).splitlines()
    assert lines[0].startswith("rank,rank_change,name,networks")
    assert len(lines) == 4


def test_rows_are_built_when_read_and_filled_when_asked_for(any_db: Database) -> None:
    """A table of 60 ranks every row but builds only those read; filling rows by id builds
    those rows alone, and they equal the rows of a table filled throughout."""
    from bench import league
    from crm.services.league import LeagueRows, league_details

    league.build(any_db, 60)
    full = league_table(any_db, LeagueQuery(measure="growth_4w"))
    table = league_table(any_db, LeagueQuery(measure="growth_4w"), detail_rows=3)
    rows = table.rows
    assert isinstance(rows, LeagueRows)
    assert len(rows) == 60 and table.ranked == full.ranked
    assert [r.entity_id for r in rows.built()] == [r.entity_id for r in full.rows[:3]]
    assert all(r.detailed for r in rows.built())
    last = rows[-1]
    assert (last.entity_id, last.rank, last.rank_change, last.detailed) == (
        full.rows[-1].entity_id,
        full.rows[-1].rank,
        full.rows[-1].rank_change,
        False,
    )
    assert last is rows[59]  # built once, then kept
    wanted = [full.rows[40].entity_id, full.rows[10].entity_id]
    filled = league_details(any_db, table, wanted)
    assert filled == [full.rows[10], full.rows[40]]
    assert len(rows.built()) == 6  # three filled, the last, and the two asked for
    assert not rows[10].detailed  # the table's own rows are left as they were
    copy = rows.copy()
    copy[10] = filled[0]
    assert copy[10].detailed and not rows[10].detailed


def _plain_order(table: LeagueTable) -> list[int]:
    """The rows' entity ids in the order the plain rules give from each row's own figures
    (every row filled): highest measure first, ties by name then id, rows without one last."""
    measure = table.query.measure
    with_value = [r for r in table.rows if r.figures.measure(measure) is not None]
    without = [r for r in table.rows if r.figures.measure(measure) is None]
    with_value.sort(
        key=lambda r: (-(r.figures.measure(measure) or 0.0), r.name.lower(), r.entity_id)
    )
    without.sort(key=lambda r: (r.name.lower(), r.entity_id))
    return [r.entity_id for r in with_value + without]


@pytest.mark.parametrize("network", ["combined", "x", "bluesky"])
def test_the_ranking_query_ranks_like_the_plain_rules(any_db: Database, network: str) -> None:
    """Ranking reads only the figures its measure needs, and computes the measure in SQL,
    in one query beside each row; the order and the rank change must be those of every
    row's full figures (summed in Python) now and a week ago, on SQLite and PostgreSQL."""
    from bench import league

    db = any_db
    league.build(db, 60)
    for entity in ("organisation", "person"):
        for measure in MEASURES:
            query = LeagueQuery(entity=entity, network=network, measure=measure)
            table = league_table(db, query)  # every row filled, from the plain rules
            assert [r.entity_id for r in table.rows] == _plain_order(table), measure
            week_ago = league_table(db, replace(query, as_of=table.as_of - timedelta(days=7)))
            before = {r.entity_id: r.rank for r in week_ago.rows if r.rank is not None}
            for row in table.rows:
                if row.rank is None:
                    continue
                earlier = before.get(row.entity_id)
                expected = None if earlier is None else earlier - row.rank
                assert row.rank_change == expected, (entity, measure, row.name)
