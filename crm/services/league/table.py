"""The league table: organisations (or people) ranked by their following on X and Bluesky.

Everything comes from stored follower snapshots, tweets and posts; no request is made. The
table is reproducible: it is computed as of the newest stored snapshot (or a given moment),
never "now", so the same database gives the same table.

Measures per network, and combined (summed over the networks a row has):

- followers: the newest snapshot at or before the moment (and no more than two weeks old);
- growth over 4 and 12 weeks, absolute and in per cent of the following then;
- posts per week over the last 4 weeks (tweets, Bluesky posts);
- engagement per post over the same 4 weeks: (likes + reposts + replies) / posts.

Each row has its rank change since a week before (the same measure computed a week
earlier), a sparkline (followers week by week over 12 weeks), the chief executive beside the
organisation where both are linked on the network, and the last post on each network, with
a flag for accounts silent on X for 90 days but active on Bluesky.

Speed (the page is measured at 10,000 organisations, see docs/performance.md): ranking
is one query that reads, per row, its id, name and accounts and the ranked measure now and
a week before, computed in SQL from follower counts read only at the moments it compares
(now and a week ago, with 4 or 12 weeks before each), each an index seek on (account,
taken_at) that ends in the index (it holds the count, migration 0014), or from post counts
on the (account, time) index. Python sorts and nothing more: the rows are built when read
(:class:`LeagueRows`), and every other column (sector, type, handles, the other measures,
the 13-week sparkline, last posts, the chief executive) is read for the rows asked for: the
page asks for the first screenful and for more as the recruiter scrolls
(:func:`league_details`); exports ask for all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.services.league.rows import (
    _POSTS,
    NETWORKS,
    SILENT_DAYS,
    WEEKS,
    LeagueQuery,
    LeagueRow,
    LeagueRows,
    LeagueTable,
    NetworkFigures,
    check_query,
)
from crm.services.league.sql import (
    _COUNTS,
    _accounts_sql,
    _chief_executives,
    _count,
    _describe,
    _entities,
    _id_list,
    _measure_sql,
    _moments,
    _points,
    _post_windows,
    _posts,
    _seek,
    _sum_present,
    _typed,
)
from crm.storage import cursor
from crm.storage.db import Database
from crm.storage.models import BlueskySnapshot, FollowerSnapshot


def default_as_of(session: Session) -> datetime:
    """The newest stored snapshot on either network (the moment the table is as of)."""
    newest = [
        session.scalar(select(func.max(FollowerSnapshot.taken_at))),
        session.scalar(select(func.max(BlueskySnapshot.taken_at))),
    ]
    found = [n for n in newest if n is not None]
    return max(found) if found else datetime.now(UTC).replace(microsecond=0)


def league_table(
    db: Database, query: LeagueQuery | None = None, *, detail_rows: int | None = None
) -> LeagueTable:
    """The league table for ``query``: ranked rows, best first (rows with no figure for the
    measure last, by name).

    Ranking reads only what the chosen measure needs. Every column (all measures, the
    sparkline, the chief executive, last posts) is filled for the first ``detail_rows`` rows
    (all when None); the others carry their rank and measure, and :func:`league_details`
    fills them when they come into view.
    """
    q = check_query(query or LeagueQuery())
    wanted = NETWORKS if q.network == "combined" else (q.network,)
    with db.read() as session:
        as_of = q.as_of or default_as_of(session)
        weeks = _MEASURE_WEEKS[q.measure]
        # One query: the rows, and per wanted network the figures the measure needs, read
        # beside each row's account (follower counts at the weeks compared, or post counts).
        columns: list[str] = []
        params: dict[str, Any] = {}
        for network in wanted:
            account = "xa.id" if network == "x" else "ba.id"
            if weeks:
                names, moments = _moments(as_of, weeks)
                params.update(moments)
                # Only for rows with an account there: no seek for a NULL account.
                columns += [
                    f"CASE WHEN {account} IS NOT NULL THEN "
                    f"{_seek(network, n).replace('a.id', account)} END AS {network[0]}{w}"
                    for n, w in zip(names, weeks, strict=True)
                ]
            elif q.measure == "posts_per_week":
                params.update(_post_windows(as_of))
                columns += [
                    f"CASE WHEN {account} IS NOT NULL THEN "
                    f"{_count(network, *w).replace('a.id', account)} END AS {network[0]}n{i}"
                    for i, w in enumerate(_COUNTS[::2])
                ]
        entities = _entities(session, q, columns, params, _measure_sql(q.measure, wanted))
        if not weeks and q.measure != "posts_per_week":
            # Engagement reads every post: summed per account, then joined on in Python.
            for network in wanted:
                found = _posts(session, network, as_of, _accounts_sql(q, network, params), params)
                at = 2 if network == "x" else 3
                entities = [(*e, *found.get(e[at], (0, 0, 0, 0))) for e in entities]
        rows = _ranked_rows(entities, wanted, q.measure)
        limit = len(rows) if detail_rows is None else max(0, detail_rows)
        _detail(session, rows[:limit], wanted, as_of, q.entity)
    return LeagueTable(q, as_of, rows)


def league_details(
    db: Database, table: LeagueTable, entity_ids: Iterable[int] | None = None
) -> list[LeagueRow]:
    """Copies of the rows of ``table`` with these entity ids (all when None) that are not
    filled yet, with every column filled (a page scrolling on, an export). The table's own
    rows are left as they are: a page may be showing them meanwhile."""
    shown = table.rows
    if entity_ids is None:
        candidates: Iterable[LeagueRow] = shown
    elif isinstance(shown, LeagueRows):
        # Only the rows asked for are built, not every row before them.
        places = sorted(p for i in set(entity_ids) if (p := shown.position(i)) is not None)
        candidates = (shown[p] for p in places)
    else:
        wanted_ids = set(entity_ids)
        candidates = (r for r in shown if r.entity_id in wanted_ids)
    rows = [copy.copy(r) for r in candidates if not r.detailed]
    networks = NETWORKS if table.query.network == "combined" else (table.query.network,)
    if rows:
        with db.read() as session:
            _detail(session, rows, networks, table.as_of, table.query.entity)
    return rows


# Which weeks back each measure reads follower counts at: now and a week before (for the
# rank change), each with the week it is compared with. Posts measures read posts instead.
_MEASURE_WEEKS: dict[str, tuple[int, ...]] = {
    "followers": (0, 1),
    "growth_4w": (0, 1, 4, 5),
    "growth_4w_pct": (0, 1, 4, 5),
    "growth_12w": (0, 1, 12, 13),
    "growth_12w_pct": (0, 1, 12, 13),
    "posts_per_week": (),
    "engagement": (),
}


def moved_to_bluesky_count(db: Database, table: LeagueTable) -> int:
    """How many rows of ``table`` are silent on X for :data:`SILENT_DAYS` but active on
    Bluesky, the rule of each row's flag, counted in SQL for the whole table (its rows are
    filled only as they are shown): an index seek or two per account with both networks."""
    rows = table.rows
    if not isinstance(rows, LeagueRows):  # rows already filled (an export's)
        return sum(1 for r in rows if r.moved_to_bluesky)
    pairs = rows.moving_pairs()
    if not pairs:  # one network shown, or nobody on both: reading the rows would build them all
        return 0
    params = {"as_of": table.as_of, "since": table.as_of - timedelta(days=SILENT_DAYS)}
    recent = "p.account_id = a.id AND p.created_at >= :since AND p.created_at <= :as_of"
    silent: set[int] = set()
    active: set[int] = set()
    with db.read() as session:
        for start in range(0, len(pairs), 500):
            chunk = pairs[start : start + 500]
            x_ids = _id_list(sorted({x for x, _b in chunk}))
            b_ids = _id_list(sorted({b for _x, b in chunk}))
            for found, sql in (
                (
                    silent,
                    f"SELECT a.id FROM x_account a WHERE a.id IN ({x_ids}) AND NOT EXISTS "
                    f"(SELECT 1 FROM {_POSTS['x'][0]} p WHERE {recent})",
                ),
                (
                    active,
                    f"SELECT a.id FROM bluesky_account a WHERE a.id IN ({b_ids}) AND EXISTS "
                    f"(SELECT 1 FROM {_POSTS['bluesky'][0]} p WHERE {recent})",
                ),
            ):
                found.update(
                    int(r[0])
                    for r in cursor.rows(session, _typed(sql, params), params, constant=False)
                )
    return sum(1 for x, b in pairs if x in silent and b in active)


def _pct(growth: int | None, then: int | None) -> float | None:
    if growth is None or not then:
        return None
    return round(100.0 * growth / then, 1)


def _difference(a: int | None, b: int | None) -> int | None:
    return a - b if a is not None and b is not None else None


def _figures(p: dict[int, Any], counts: tuple[int, int, int, int] | None) -> NetworkFigures:
    """The measures now from follower counts by week back (``p``) and post counts."""
    g4 = _difference(p.get(0), p.get(4))
    g12 = _difference(p.get(0), p.get(12))
    n0, e0 = (counts[0], counts[1]) if counts else (0, 0)
    return NetworkFigures(
        followers=p.get(0),
        growth_4w=g4,
        growth_4w_pct=_pct(g4, p.get(4)),
        growth_12w=g12,
        growth_12w_pct=_pct(g12, p.get(12)),
        posts_per_week=round(n0 / 4, 2),
        engagement=round(e0 / n0, 2) if n0 else None,
    )


def _combine(parts: list[NetworkFigures], posts: list[tuple[int, int]]) -> NetworkFigures:
    """A row's networks added up: followers, growth and posts summed; percentages and
    engagement recomputed from the sums."""

    def base(weeks: str) -> int | None:
        return _sum_present(
            f.followers - getattr(f, weeks)
            for f in parts
            if f.followers is not None and getattr(f, weeks) is not None
        )

    g4 = _sum_present(f.growth_4w for f in parts)
    g12 = _sum_present(f.growth_12w for f in parts)
    n = sum(c for c, _e in posts)
    e = sum(e for _c, e in posts)
    return NetworkFigures(
        followers=_sum_present(f.followers for f in parts),
        growth_4w=g4,
        growth_4w_pct=_pct(g4, base("growth_4w")),
        growth_12w=g12,
        growth_12w_pct=_pct(g12, base("growth_12w")),
        posts_per_week=round(n / 4, 2),
        engagement=round(e / n, 2) if n else None,
    )


def _ranked_rows(entities: list[Any], networks: Sequence[str], measure: str) -> LeagueRows:
    """The rows ranked, best first, with their rank change (built when read, LeagueRows).

    Each of ``entities`` is the four columns of :func:`_entities` followed by the measure
    now and a week before as :func:`_measure_sql` computes them, or for engagement, per
    wanted network in order, (posts, engagement) now and a week before."""
    now_values: list[float | None]
    then_values: list[float | None]
    if measure == "engagement":
        now_values, then_values = _engagement(entities, networks)
    elif measure in ("followers", "growth_4w", "growth_12w"):
        now_values = [e[4] for e in entities]
        then_values = [e[5 if measure == "followers" else 6] for e in entities]
    elif measure == "posts_per_week":
        now_values = [e[4] / 4 for e in entities]
        then_values = [e[5] / 4 for e in entities]
    else:  # a growth in per cent: growth and the followers it grew from, now and then
        now_values = [
            round(100.0 * e[4] / e[5], 1) if e[4] is not None and e[5] else None for e in entities
        ]
        then_values = [
            round(100.0 * e[6] / e[7], 1) if e[6] is not None and e[7] else None for e in entities
        ]
    by_name = _by_name(entities)
    current = _order(now_values, by_name)
    before = _places(_order(then_values, by_name), len(entities))
    changes: list[int | None] = []
    for place, i in enumerate(current, start=1):
        earlier = before[i]
        changes.append(earlier - place if earlier is not None else None)
    unranked = [i for i in by_name if now_values[i] is None]
    return LeagueRows(entities, current + unranked, changes, len(current), networks)


def _engagement(
    entities: list[Any], networks: Sequence[str]
) -> tuple[list[float | None], list[float | None]]:
    """Engagement per post now and a week before, per row: the row's networks' likes,
    reposts and replies over their posts."""
    now_values: list[float | None] = []
    then_values: list[float | None] = []
    want_x, want_b = "x" in networks, "bluesky" in networks
    b_at = 8 if want_x else 4
    for e in entities:
        fx = e[4:8] if want_x and e[2] is not None else None
        fb = e[b_at : b_at + 4] if want_b and e[3] is not None else None
        n0 = (fx[0] if fx is not None else 0) + (fb[0] if fb is not None else 0)
        n1 = (fx[2] if fx is not None else 0) + (fb[2] if fb is not None else 0)
        e0 = (fx[1] if fx is not None else 0) + (fb[1] if fb is not None else 0)
        e1 = (fx[3] if fx is not None else 0) + (fb[3] if fb is not None else 0)
        now_values.append(round(e0 / n0, 2) if n0 else None)
        then_values.append(round(e1 / n1, 2) if n1 else None)
    return now_values, then_values


def _by_name(entities: list[Any]) -> list[int]:
    """Indexes of ``entities`` by name (case-insensitive), then id: the order of ties.

    Two sorts on plain keys, each stable, rather than one on (name, id) tuples: a quarter
    of the time at 10,000 rows."""
    ids = [e[0] for e in entities]
    lowered = [e[1].lower() for e in entities]
    return sorted(sorted(range(len(entities)), key=ids.__getitem__), key=lowered.__getitem__)


def _order(values: list[float | None], by_name: list[int]) -> list[int]:
    """Indexes of the rows with a value, best first: highest value, ties in ``by_name``
    order (a stable sort on the value alone keeps it; ``reverse`` keeps ties in order)."""
    valued = [i for i in by_name if values[i] is not None]
    valued.sort(key=values.__getitem__, reverse=True)  # type: ignore[arg-type]
    return valued


def _places(order: list[int], size: int) -> list[int | None]:
    """Each row's place (1 = best) in ``order``; None for rows not in it."""
    places: list[int | None] = [None] * size
    for place, i in enumerate(order, start=1):
        places[i] = place
    return places


def _detail(
    session: Session,
    rows: Sequence[LeagueRow],
    networks: Sequence[str],
    as_of: datetime,
    entity: str,
) -> None:
    """Fill every column of ``rows`` in place: all measures per network and combined, the
    sparkline (13 weekly points), last posts and the flag, the chief executive."""
    if not rows:
        return
    weeks = tuple(range(WEEKS + 2))  # the sparkline's 13 weeks and the 13th week back
    by_network: dict[str, dict[int, dict[int, Any]]] = {}
    counts: dict[str, dict[int, tuple[int, int, int, int]]] = {}
    last: dict[str, dict[int, datetime | None]] = {}
    for network in networks:
        ids = sorted({r.accounts[network] for r in rows if network in r.accounts})
        table = "x_account" if network == "x" else "bluesky_account"
        by_network[network], counts[network], last[network] = {}, {}, {}
        for start in range(0, len(ids), 500):
            accounts = f"SELECT id FROM {table} WHERE id IN ({_id_list(ids[start : start + 500])})"
            found = _points(session, network, as_of, weeks, accounts, {}, last_post=True)
            for account, values in found.items():
                by_network[network][account] = dict(zip(weeks, values[:-1], strict=True))
                last[network][account] = values[-1]
            counts[network].update(_posts(session, network, as_of, accounts, {}))
    chiefs = (
        _chief_executives(session, networks, as_of, [r.entity_id for r in rows])
        if entity == "organisation"
        else {}
    )
    described: dict[int, tuple[Any, ...]] = {}
    entity_ids = [r.entity_id for r in rows]
    for start in range(0, len(entity_ids), 500):
        described.update(_describe(session, entity, entity_ids[start : start + 500]))
    silent = timedelta(days=SILENT_DAYS)
    for row in rows:
        (
            row.sector,
            row.org_type,
            row.organisation,
            row.x_handle,
            row.bluesky_handle,
        ) = described.get(row.entity_id, (None, None, None, None, None))
        parts: dict[str, NetworkFigures] = {}
        post_counts: list[tuple[int, int]] = []
        for network, account in row.accounts.items():
            p = by_network[network].get(account, {})
            c = counts[network].get(account)
            figures = _figures(p, c)
            figures.spark = tuple(p.get(w) for w in range(WEEKS, -1, -1))
            parts[network] = figures
            post_counts.append((c[0], c[1]) if c else (0, 0))
        if len(networks) > 1:
            combined = _combine(list(parts.values()), post_counts)
            sparks = [f.spark for f in parts.values()]
            combined.spark = (
                tuple(_sum_present(s[i] for s in sparks) for i in range(WEEKS + 1))
                if sparks
                else ()
            )
        else:
            combined = parts.get(networks[0], NetworkFigures())
        row.figures = combined
        row.by_network = parts
        last_x = last.get("x", {}).get(row.accounts.get("x", -1))
        last_b = last.get("bluesky", {}).get(row.accounts.get("bluesky", -1))
        row.last_x_post, row.last_bluesky_post = last_x, last_b
        row.moved_to_bluesky = (
            "x" in row.accounts
            and (last_x is None or as_of - last_x > silent)
            and last_b is not None
            and as_of - last_b <= silent
        )
        chief = chiefs.get(row.entity_id)
        if chief is not None:
            row.chief_executive_id, row.chief_executive, row.chief_executive_followers = chief
        row.detailed = True
