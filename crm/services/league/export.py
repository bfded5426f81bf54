"""The league table as flat records, CSV and JSON: the same numbers the page shows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from crm.domain.errors import ValidationError
from crm.services.exports import neutralise
from crm.services.league.rows import LeagueRow, LeagueTable
from crm.services.league.table import league_details
from crm.storage.db import Database

CSV_COLUMNS = (
    "rank",
    "rank_change",
    "name",
    "networks",
    "x_handle",
    "bluesky_handle",
    "followers",
    "growth_4w",
    "growth_4w_pct",
    "growth_12w",
    "growth_12w_pct",
    "posts_per_week",
    "engagement",
    "chief_executive",
    "chief_executive_followers",
    "last_x_post",
    "last_bluesky_post",
    "moved_to_bluesky",
    "sector",
    "org_type",
    "organisation",
)


def row_record(row: LeagueRow) -> dict[str, Any]:
    """A row as flat values, for CSV and JSON (the same numbers the page shows)."""
    f = row.figures
    return {
        "rank": row.rank,
        "rank_change": row.rank_change,
        "id": row.entity_id,
        "name": row.name,
        "networks": row.networks,
        "x_handle": row.x_handle,
        "bluesky_handle": row.bluesky_handle,
        "followers": f.followers,
        "growth_4w": f.growth_4w,
        "growth_4w_pct": f.growth_4w_pct,
        "growth_12w": f.growth_12w,
        "growth_12w_pct": f.growth_12w_pct,
        "posts_per_week": f.posts_per_week,
        "engagement": f.engagement,
        "spark": list(f.spark),
        "chief_executive_id": row.chief_executive_id,
        "chief_executive": row.chief_executive,
        "chief_executive_followers": row.chief_executive_followers,
        "last_x_post": row.last_x_post.isoformat() if row.last_x_post else None,
        "last_bluesky_post": row.last_bluesky_post.isoformat() if row.last_bluesky_post else None,
        "moved_to_bluesky": row.moved_to_bluesky,
        "sector": row.sector,
        "org_type": row.org_type,
        "organisation": row.organisation,
    }


def table_record(table: LeagueTable, limit: int | None = None) -> dict[str, Any]:
    """The table as one JSON-ready record; with ``limit``, its first ``limit`` rows."""
    q = table.query
    return {
        "as_of": table.as_of.isoformat(),
        "entity": q.entity,
        "network": q.network,
        "measure": q.measure,
        "sector": q.sector,
        "org_types": list(q.org_types),
        "rows": [row_record(r) for r in table.rows[:limit]],
    }


def to_csv(table: LeagueTable) -> str:
    """The table as CSV text (formula-looking cells neutralised, as every export here)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in table.rows:
        record = row_record(row)
        writer.writerow([_safe(record[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, str):
        return neutralise(value)
    return value


def complete(db: Database, table: LeagueTable) -> LeagueTable:
    """``table`` with every row filled (for an export of what the page shows)."""
    filled = {r.entity_id: r for r in league_details(db, table)}
    if not filled:
        return table
    rows = tuple(filled.get(r.entity_id, r) for r in table.rows)
    return LeagueTable(table.query, table.as_of, rows)


def export_csv(table: LeagueTable, path: str | Path) -> Path:
    """Write the table as CSV (UTF-8 with a BOM, so Excel keeps accents); atomically."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(to_csv(table), encoding="utf-8-sig", newline="")
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValidationError(f"Could not write {target}: {exc.strerror or exc}.") from None
    return target
