"""``crm x league``: the league table of organisations (or people) on X and Bluesky."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crm.cli import open_db
from crm.cli.output import print_json, print_table
from crm.domain.social import LEAGUE_MEASURES, LEAGUE_NETWORKS


def register_league(xs: Any) -> None:
    """Add ``league`` to the ``crm x`` actions."""
    p = xs.add_parser(
        "league",
        help="rank organisations (or people) by followers, growth, posts and engagement",
        description="The league table, from stored follower snapshots, tweets and Bluesky posts "
        "only (no request is made), as of the newest snapshot: the same database gives the "
        "same table.",
    )
    p.add_argument("--people", action="store_true", help="rank people instead of organisations")
    p.add_argument(
        "--network",
        default="combined",
        choices=LEAGUE_NETWORKS,
        help="(default: combined)",
    )
    p.add_argument(
        "--by",
        default="followers",
        dest="measure",
        choices=tuple(LEAGUE_MEASURES),
        help="the measure to rank by (default: followers)",
    )
    p.add_argument("--sector", help="only this sector (e.g. health_social_care, housing)")
    p.add_argument(
        "--type",
        action="append",
        default=[],
        dest="org_types",
        metavar="TYPE",
        help="only this organisation type (repeatable; 'nhs' means NHS trusts and FTs)",
    )
    p.add_argument("--limit", type=int, default=0, help="show only the first N rows")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write the table to a CSV file")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(handler=x_league)


def _signed(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return ""
    return f"{value:+,}{suffix}" if isinstance(value, int) else f"{value:+.1f}{suffix}"


def x_league(args: argparse.Namespace) -> int:
    from crm.services.league import LeagueQuery, league_table
    from crm.services.league.export import export_csv, table_record

    db = open_db(args)
    table = league_table(
        db,
        LeagueQuery(
            entity="person" if args.people else "organisation",
            network=args.network,
            measure=args.measure,
            sector=args.sector,
            org_types=tuple(args.org_types),
        ),
        # Only the rows printed need every column (a CSV has them all).
        detail_rows=args.limit if args.limit > 0 and not args.csv else None,
    )
    if args.csv:
        export_csv(table, args.csv)
    rows = table.rows[: args.limit] if args.limit > 0 else table.rows
    if args.json:
        record = table_record(table, limit=len(rows))
        print_json(record)
        return 0
    print_table(
        [
            "#",
            "±",
            "NAME",
            "NETWORKS",
            "FOLLOWERS",
            "4W",
            "4W %",
            "12W",
            "POSTS/WK",
            "ENG/POST",
            "CHIEF EXECUTIVE",
            "NOTE",
        ],
        [
            (
                r.rank or "",
                _signed(r.rank_change) if r.rank_change else "",
                r.name,
                r.networks,
                f"{r.figures.followers:,}" if r.figures.followers is not None else "",
                _signed(r.figures.growth_4w),
                _signed(r.figures.growth_4w_pct, "%"),
                _signed(r.figures.growth_12w),
                f"{r.figures.posts_per_week:.2f}",
                f"{r.figures.engagement:g}" if r.figures.engagement is not None else "",
                (
                    f"{r.chief_executive} ({r.chief_executive_followers:,})"
                    if r.chief_executive and r.chief_executive_followers is not None
                    else r.chief_executive or ""
                ),
                "silent on X, active on Bluesky" if r.moved_to_bluesky else "",
            )
            for r in rows
        ],
    )
    print(
        f"{len(table.rows)} ranked by {table.measure_label.lower()} on "
        f"{'X and Bluesky' if table.query.network == 'combined' else table.query.network}, "
        f"as of {table.as_of:%d/%m/%Y %H:%M} UTC."
    )
    return 0
