"""The league table: organisations (or people) ranked by their following on X and Bluesky,
from stored snapshots and posts only (:mod:`.table` says how and how fast); its values in
:mod:`.rows`, its SQL in :mod:`.sql`, CSV and JSON in :mod:`.export`."""

from crm.services.league.rows import (
    ENTITIES,
    MEASURES,
    NETWORK_CHOICES,
    NETWORKS,
    SILENT_DAYS,
    TYPE_GROUPS,
    WEEKS,
    LeagueQuery,
    LeagueRow,
    LeagueRows,
    LeagueTable,
    NetworkFigures,
    check_query,
)
from crm.services.league.table import (
    default_as_of,
    league_details,
    league_table,
    moved_to_bluesky_count,
)

__all__ = [
    "ENTITIES",
    "MEASURES",
    "NETWORKS",
    "NETWORK_CHOICES",
    "SILENT_DAYS",
    "TYPE_GROUPS",
    "WEEKS",
    "LeagueQuery",
    "LeagueRow",
    "LeagueRows",
    "LeagueTable",
    "NetworkFigures",
    "check_query",
    "default_as_of",
    "league_details",
    "league_table",
    "moved_to_bluesky_count",
]
