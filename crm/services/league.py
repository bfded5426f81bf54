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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from crm.domain.enums import OrganisationType, Sector
from crm.domain.errors import ValidationError
from crm.domain.social import LEAGUE_MEASURES, LEAGUE_NETWORKS
from crm.storage import cursor
from crm.storage.db import Database
from crm.storage.models import BlueskySnapshot, FollowerSnapshot
from crm.storage.types import UTCDateTime

NETWORKS = ("x", "bluesky")
NETWORK_CHOICES = LEAGUE_NETWORKS
ENTITIES = ("organisation", "person")
MEASURES = LEAGUE_MEASURES
# "NHS trusts only" means both kinds of trust.
TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "nhs": (OrganisationType.NHS_TRUST.value, OrganisationType.NHS_FOUNDATION_TRUST.value),
}
WEEKS = 12  # the sparkline and the longest growth
SILENT_DAYS = 90
_WEEK = timedelta(days=7)
_WINDOW = timedelta(days=28)  # posts per week and engagement: the last 4 weeks
_STALE = timedelta(days=14)  # a snapshot older than this before a moment does not stand for it
_SNAPSHOTS = {"x": "follower_snapshot", "bluesky": "bluesky_snapshot"}
_POSTS = {"x": ("tweet", "retweet_count"), "bluesky": ("bluesky_post", "repost_count")}


@dataclass(frozen=True)
class LeagueQuery:
    entity: str = "organisation"  # or "person"
    network: str = "combined"  # "x", "bluesky" or "combined"
    measure: str = "followers"
    sector: str | None = None
    org_types: tuple[str, ...] = ()
    as_of: datetime | None = None  # default: the newest stored snapshot


@dataclass(slots=True)
class NetworkFigures:
    """One row's measures on one network (or combined). Not frozen: a table builds tens of
    thousands of these, and frozen dataclasses are several times slower to build."""

    followers: int | None = None
    growth_4w: int | None = None
    growth_4w_pct: float | None = None
    growth_12w: int | None = None
    growth_12w_pct: float | None = None
    posts_per_week: float = 0.0
    engagement: float | None = None
    spark: tuple[int | None, ...] = ()  # followers at each week, oldest first

    def measure(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else float(value)


_EMPTY = NetworkFigures()
_NO_NETWORKS: dict[str, NetworkFigures] = {}  # shared, never written: _detail replaces it


@dataclass(slots=True)
class LeagueRow:
    """One ranked organisation or person. Treat as read-only."""

    rank: int | None  # None: no figure for the measure (no history yet)
    rank_change: int | None  # places up (+) or down (-) since a week before; None: new
    entity_id: int
    name: str
    sector: str | None
    org_type: str | None
    organisation: str | None  # for people: their current organisation
    x_handle: str | None
    bluesky_handle: str | None
    figures: NetworkFigures  # on the chosen network (or combined)
    by_network: dict[str, NetworkFigures] = field(default_factory=dict)
    chief_executive_id: int | None = None
    chief_executive: str | None = None
    chief_executive_followers: int | None = None
    last_x_post: datetime | None = None
    last_bluesky_post: datetime | None = None
    moved_to_bluesky: bool = False  # silent on X for 90 days, active on Bluesky
    accounts: dict[str, int] = field(default_factory=dict)  # network -> account id
    detailed: bool = False  # every column filled (else only rank, rank change and name)

    @property
    def networks(self) -> str:
        names = [n for n, h in (("X", self.x_handle), ("Bluesky", self.bluesky_handle)) if h]
        return " + ".join(names)


class LeagueRows(Sequence[LeagueRow]):
    """A table's rows, best first, each :class:`LeagueRow` built when first read.

    Ranking 10,000 organisations needs only their order; a page shows a screenful at a time
    (Anki's browser model holds ids and builds rows as they are shown). Building every row
    object up front was a third of the table's time. Rows read once are kept, so a row is
    the same object each time it is read. ``copy()`` gives a sequence sharing the ranking,
    whose rows may be replaced (the page puts filled rows in its copy)."""

    __slots__ = ("_built", "_changes", "_entities", "_networks", "_order", "_positions", "ranked")

    def __init__(
        self,
        entities: list[Any],
        order: list[int],
        changes: list[int | None],
        ranked: int,
        networks: Sequence[str],
    ) -> None:
        self._entities = entities  # the rows of _entities(), in the query's order
        self._order = order  # per place: the index in ``entities``
        self._changes = changes  # per place: the rank change (for the first ``ranked``)
        self.ranked = ranked  # places 1..ranked have a figure; the rest come after, by name
        self._networks = tuple(networks)
        self._built: list[LeagueRow | None] = [None] * len(order)
        self._positions: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> LeagueRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[LeagueRow]: ...
    def __getitem__(self, index: int | slice) -> LeagueRow | list[LeagueRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._order)))]
        row = self._built[index]
        if row is None:
            place = index + len(self._order) if index < 0 else index
            row = self._built[place] = self._row(place)
        return row

    def __setitem__(self, index: int, row: LeagueRow) -> None:
        self._built[index] = row

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LeagueRows | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> LeagueRows:
        other = LeagueRows(self._entities, self._order, self._changes, self.ranked, self._networks)
        other._built = list(self._built)
        other._positions = self._positions
        return other

    def position(self, entity_id: int) -> int | None:
        """The place (0-based) of the row of ``entity_id``; None when it is not in the table."""
        if self._positions is None:
            self._positions = {self._entities[i][0]: p for p, i in enumerate(self._order)}
        return self._positions.get(entity_id)

    def moving_pairs(self) -> list[tuple[int, int]]:
        """(X account, Bluesky account) of every row with both, when both networks are shown:
        the rows that can be silent on X and active on Bluesky."""
        if not {"x", "bluesky"} <= set(self._networks):
            return []
        return [(e[2], e[3]) for e in self._entities if e[2] is not None and e[3] is not None]

    def built(self) -> list[LeagueRow]:
        """The rows read so far (the others have only their rank and measure yet)."""
        return [r for r in self._built if r is not None]

    def _row(self, place: int) -> LeagueRow:
        entity = self._entities[self._order[place]]
        entity_id, name, xa, ba = entity[:4]
        accounts: dict[str, int] = {}
        if xa is not None and "x" in self._networks:
            accounts["x"] = xa
        if ba is not None and "bluesky" in self._networks:
            accounts["bluesky"] = ba
        ranked = place < self.ranked
        # Every other column is filled later (_detail) for the rows that are shown; until
        # then a row shares one empty set of figures.
        return LeagueRow(
            place + 1 if ranked else None,
            self._changes[place] if ranked else None,
            entity_id,
            name,
            None,
            None,
            None,
            None,
            None,
            _EMPTY,
            _NO_NETWORKS,
            accounts=accounts,
        )


@dataclass(frozen=True)
class LeagueTable:
    query: LeagueQuery
    as_of: datetime
    rows: Sequence[LeagueRow]  # a LeagueRows from league_table (rows built as read)

    @property
    def measure_label(self) -> str:
        return MEASURES[self.query.measure]

    @property
    def ranked(self) -> int:
        """How many rows have a figure for the measure (the rest come last, unranked)."""
        if isinstance(self.rows, LeagueRows):
            return self.rows.ranked
        return sum(1 for r in self.rows if r.rank is not None)


# --------------------------------------------------------------------------- checking input


def check_query(query: LeagueQuery) -> LeagueQuery:
    """The query with its values checked (one clear message for a wrong one)."""
    from dataclasses import replace

    if query.entity not in ENTITIES:
        raise ValidationError(f"Rank organisations or people, not {query.entity!r}.")
    if query.network not in NETWORK_CHOICES:
        raise ValidationError(
            f"The network is one of {', '.join(NETWORK_CHOICES)}, not {query.network!r}."
        )
    if query.measure not in MEASURES:
        raise ValidationError(
            f"Rank by one of {', '.join(MEASURES)}, not {query.measure!r}.", field="measure"
        )
    sector = query.sector
    if sector:
        sector = _match_enum(sector, Sector, "sector")
    types: list[str] = []
    for t in query.org_types:
        if t.lower() in TYPE_GROUPS:
            types.extend(TYPE_GROUPS[t.lower()])
        else:
            types.append(_match_enum(t, OrganisationType, "organisation type"))
    return replace(query, sector=sector or None, org_types=tuple(dict.fromkeys(types)))


def _match_enum(value: str, enum: Any, what: str) -> str:
    wanted = " ".join(value.strip().lower().replace("&", "").replace("-", " ").split())
    for member in enum:
        names = {member.value, member.value.replace("_", " "), member.label.lower()}
        names |= {" ".join(n.replace("&", "").split()) for n in list(names)}
        if wanted in names:
            return str(member.value)
    choices = ", ".join(m.value for m in enum)
    raise ValidationError(f"{value!r} is not a {what}; use one of {choices}.", field=what)


# --------------------------------------------------------------------------- the table


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


def _filters(q: LeagueQuery, org: str, params: dict[str, Any]) -> list[str]:
    conditions = []
    if q.sector:
        conditions.append(f"{org}.sector = :sector")
        params["sector"] = q.sector
    if q.org_types:
        names = []
        for i, t in enumerate(q.org_types):
            params[f"type{i}"] = t
            names.append(f":type{i}")
        conditions.append(f"{org}.org_type IN ({', '.join(names)})")
    return conditions


# A person's sector and type are those of their current organisation.
_CURRENT_ORG = (
    "LEFT JOIN organisation org ON org.id = (SELECT MIN(e.organisation_id) FROM employment e "
    "WHERE e.person_id = h.id AND e.end_date IS NULL)"
)


def _entities(
    session: Session,
    q: LeagueQuery,
    extra: Sequence[str] = (),
    extra_params: dict[str, Any] | None = None,
    measure: Sequence[str] = (),
) -> list[Any]:
    """The organisations (or people) with an account on a wanted network: id, name, X
    account id, Bluesky account id, then the ``extra`` columns (SQL on ``xa`` and ``ba``, the
    row's accounts; NULL where absent). What ranking needs and no more: the other columns
    (sector, type, handles, organisation) are read for the rows filled (:func:`_describe`).

    With ``measure`` (SQL on the ``extra`` columns, by their names) those columns are
    computed from the ``extra`` ones instead, each seek made once (the ``extra`` columns
    are fenced in a subquery the planners may not fold into the outer one)."""
    params: dict[str, Any] = dict(extra_params or {})
    name, source, org, owner = _source(session, q.entity)
    where = _filters(q, org, params)
    if q.entity == "person" and not where:
        source = "person h"  # the current organisation is only needed to filter by it
    where.append(
        {"x": "xa.id IS NOT NULL", "bluesky": "ba.id IS NOT NULL"}.get(
            q.network, "(xa.id IS NOT NULL OR ba.id IS NOT NULL)"
        )
    )
    sql = f"""
        SELECT h.id AS id, {name} AS name, xa.id AS xa, ba.id AS ba{"".join(f", {c}" for c in extra)}
        FROM {source}
        LEFT JOIN x_account xa ON xa.id = h.x_account_id
        LEFT JOIN bluesky_account ba ON {owner}
        WHERE {" AND ".join(where)}
    """
    if measure:
        # OFFSET keeps both planners from folding the subquery into the outer query, which
        # would copy each seek into every expression that names it (SQLite wants a LIMIT
        # with it: -1 is none).
        fence = "LIMIT -1 OFFSET 0" if session.get_bind().dialect.name == "sqlite" else "OFFSET 0"
        sql = f"SELECT id, name, xa, ba, {', '.join(measure)} FROM ({sql} {fence}) f"
    return [tuple(row) for row in cursor.rows(session, _typed(sql, params), params, constant=False)]


def _measure_sql(measure: str, networks: Sequence[str]) -> list[str]:
    """SQL for the ranked measure now and a week before, per row, from the columns
    league_table names: ``x0``, ``b13``... the followers that many weeks back on X and
    Bluesky; ``xn0``, ``bn1``: the posts in the 4 weeks to now and to a week before.

    Followers and posts: the value now and then, summed over the row's networks (the
    followers of those with a count). Growth: the growth now and then, summed over the
    networks with both counts, each followed by the followers it grew from (for the
    percentage, which is rounded in Python: SQL rounds halves differently). Engagement:
    nothing (ranked in Python from the posts' sums)."""

    def total(parts: list[str]) -> str:
        # NULL when every part is NULL, else the sum of those present.
        known = " OR ".join(f"({p}) IS NOT NULL" for p in parts)
        summed = " + ".join(f"COALESCE({p}, 0)" for p in parts)
        return f"CASE WHEN {known} THEN {summed} END"

    n = [network[0] for network in networks]  # the column prefixes: x, b
    if measure == "followers":
        return [total([f"{p}{w}" for p in n]) for w in (0, 1)]
    if measure == "posts_per_week":
        return [" + ".join(f"COALESCE({p}n{i}, 0)" for p in n) for i in (0, 1)]
    if measure == "engagement":
        return []
    k = 4 if measure.startswith("growth_4w") else 12
    out = []
    for first, base in ((0, k), (1, k + 1)):
        out.append(total([f"{p}{first} - {p}{base}" for p in n]))
        out.append(
            " + ".join(
                f"COALESCE(CASE WHEN {p}{first} IS NOT NULL THEN {p}{base} END, 0)" for p in n
            )
        )
    return out


def _source(session: Session, entity: str) -> tuple[str, str, str, str]:
    """SQL for the rows of ``entity``: the name, the FROM (as ``h``), the table holding the
    sector and type, and how a Bluesky account ``ba`` belongs to a row."""
    if entity == "organisation":
        return "h.name", "organisation h", "h", "ba.organisation_id = h.id"
    first = "COALESCE(h.preferred_name, h.first_name)"
    name = (
        f"{first} || ' ' || h.last_name"
        if session.get_bind().dialect.name == "sqlite"
        else f"concat_ws(' ', {first}, h.last_name)"
    )
    return name, f"person h {_CURRENT_ORG}", "org", "ba.person_id = h.id"


def _describe(
    session: Session, entity: str, entity_ids: Sequence[int]
) -> dict[int, tuple[Any, ...]]:
    """Per row of ``entity_ids``: sector, type, organisation (for people), X handle and
    Bluesky handle."""
    _name, source, org, owner = _source(session, entity)
    organisation = "NULL" if entity == "organisation" else "org.name"
    sql = f"""
        SELECT h.id, {org}.sector, {org}.org_type, {organisation}, xa.handle, ba.handle
        FROM {source}
        LEFT JOIN x_account xa ON xa.id = h.x_account_id
        LEFT JOIN bluesky_account ba ON {owner}
        WHERE h.id IN ({_id_list(entity_ids)})
    """
    return {
        int(row[0]): tuple(row[1:]) for row in cursor.rows(session, text(sql), {}, constant=False)
    }


def _accounts_sql(q: LeagueQuery, network: str, params: dict[str, Any]) -> str:
    """SQL selecting ``id`` of the accounts on ``network`` of the rows the query covers."""
    holder = "organisation" if q.entity == "organisation" else "person"
    org = "h" if q.entity == "organisation" else "org"
    conditions = _filters(q, org, params)
    join = _CURRENT_ORG if q.entity == "person" and conditions else ""
    where = "".join(f" AND {c}" for c in conditions)
    if network == "x":
        return (
            f"SELECT h.x_account_id AS id FROM {holder} h {join} "
            f"WHERE h.x_account_id IS NOT NULL{where}"
        )
    owner = "organisation_id" if q.entity == "organisation" else "person_id"
    return f"SELECT ba.id AS id FROM bluesky_account ba JOIN {holder} h ON h.id = ba.{owner} {join} WHERE 1 = 1{where}"


def _seek(network: str, point: str) -> str:
    """The followers of the newest snapshot in (:{point}_from, :{point}]: one index seek."""
    return (
        f"(SELECT s.followers FROM {_SNAPSHOTS[network]} s WHERE s.account_id = a.id "
        f"AND s.taken_at <= :{point} AND s.taken_at > :{point}_from "
        f"ORDER BY s.taken_at DESC LIMIT 1)"
    )


def _moments(as_of: datetime, weeks: Iterable[int]) -> tuple[list[str], dict[str, datetime]]:
    names, params = [], {}
    for week in weeks:
        moment = as_of - week * _WEEK
        names.append(f"w{week}")
        params[f"w{week}"] = moment
        params[f"w{week}_from"] = moment - _STALE
    return names, params


def _typed(sql: str, params: dict[str, Any]) -> Any:
    """``text(sql)`` with every datetime parameter bound as a UTC datetime column."""
    used = set(re.findall(r":(\w+)", sql))
    return text(sql).bindparams(
        *(
            bindparam(k, type_=UTCDateTime())
            for k, v in params.items()
            if isinstance(v, datetime) and k in used
        )
    )


def moved_to_bluesky_count(db: Database, table: LeagueTable) -> int:
    """How many rows of ``table`` are silent on X for :data:`SILENT_DAYS` but active on
    Bluesky, the rule of each row's flag, counted in SQL for the whole table (its rows are
    filled only as they are shown): an index seek or two per account with both networks."""
    rows = table.rows
    pairs = rows.moving_pairs() if isinstance(rows, LeagueRows) else []
    if not pairs:
        return sum(1 for r in rows if r.moved_to_bluesky)
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


def _points(
    session: Session,
    network: str,
    as_of: datetime,
    weeks: Sequence[int],
    accounts: str,
    params: dict[str, Any],
    *,
    last_post: bool = False,
) -> dict[int, tuple[Any, ...]]:
    """Per account (of the ``accounts`` SQL): followers at each of ``weeks`` back, and with
    ``last_post`` its last post at or before ``as_of`` as a last element."""
    names, moments = _moments(as_of, weeks)
    params = {**params, **moments, "as_of": as_of}
    last = ""
    if last_post:
        last = (
            f", (SELECT MAX(p.created_at) FROM {_POSTS[network][0]} p "
            "WHERE p.account_id = a.id AND p.created_at <= :as_of)"
        )
    sql = f"SELECT a.id, {', '.join(_seek(network, n) for n in names)}{last} FROM ({accounts}) a"
    out: dict[int, tuple[Any, ...]] = {}
    if not last_post:
        for row in cursor.rows(session, _typed(sql, params), params, constant=False):
            out[int(row[0])] = tuple(row[1:])
        return out
    utc = UTCDateTime()
    dialect = session.get_bind().dialect
    for row in cursor.rows(session, _typed(sql, params), params, constant=False):
        out[int(row[0])] = (*row[1:-1], utc.process_result_value(row[-1], dialect))
    return out


def _post_windows(as_of: datetime) -> dict[str, datetime]:
    """The 4 weeks to ``as_of`` and the 4 weeks to a week before, as parameters."""
    return {
        "as_of": as_of,
        "now_from": as_of - _WINDOW,
        "then_to": as_of - _WEEK,
        "then_from": as_of - _WEEK - _WINDOW,
    }


# Post counts in the shape of _posts' figures: (posts, engagement) now and a week before,
# counted on the (account, time) index without reading a post (engagement left 0).
_COUNTS: tuple[tuple[str, ...], ...] = (("now_from", "as_of"), (), ("then_from", "then_to"), ())


def _count(network: str, *window: str) -> str:
    """The posts of account ``a.id`` in (:since, :until]; 0 for no window."""
    if not window:
        return "0"
    since, until = window
    return (
        f"(SELECT COUNT(*) FROM {_POSTS[network][0]} p WHERE p.account_id = a.id "
        f"AND p.created_at > :{since} AND p.created_at <= :{until})"
    )


def _posts(
    session: Session,
    network: str,
    as_of: datetime,
    accounts: str,
    params: dict[str, Any],
    *,
    counts_only: bool = False,
) -> dict[int, tuple[int, int, int, int]]:
    """Per account: (posts, engagement) in the 4 weeks to ``as_of`` and in the 4 weeks to a
    week before. ``counts_only``: the posts alone (engagement 0), counted on the (account,
    time) index without reading a post: a tenth of the time at 10,000 organisations."""
    params = {**params, **_post_windows(as_of)}
    table, reposts = _POSTS[network]
    if counts_only:
        sql = f"SELECT a.id, {', '.join(_count(network, *w) for w in _COUNTS)} FROM ({accounts}) a"
        return {
            int(a): (int(n0 or 0), 0, int(n1 or 0), 0)
            for a, n0, _e0, n1, _e1 in cursor.rows(
                session, _typed(sql, params), params, constant=False
            )
        }
    engagement = f"(p.like_count + p.{reposts} + p.reply_count)"
    sql = f"""
        SELECT p.account_id,
               SUM(CASE WHEN p.created_at > :now_from THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.created_at > :now_from THEN {engagement} ELSE 0 END),
               SUM(CASE WHEN p.created_at <= :then_to THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.created_at <= :then_to THEN {engagement} ELSE 0 END)
        FROM ({accounts}) a JOIN {table} p ON p.account_id = a.id
        WHERE p.created_at <= :as_of AND p.created_at > :then_from
        GROUP BY p.account_id
    """
    return {
        int(a): (int(n0 or 0), int(e0 or 0), int(n1 or 0), int(e1 or 0))
        for a, n0, e0, n1, e1 in cursor.rows(session, _typed(sql, params), params, constant=False)
    }


def _chief_executives(
    session: Session, networks: Sequence[str], as_of: datetime, organisation_ids: Sequence[int]
) -> dict[int, tuple[int, str, int | None]]:
    """Per organisation of ``organisation_ids``: its current chief executive with a linked
    account on a wanted network (id, name, followers on those networks from their
    snapshots). The first by person id when there are two."""
    if not organisation_ids:
        return {}
    names, params = _moments(as_of, (0,))
    x_seek = _seek("x", names[0]).replace("a.id", "xa.id") if "x" in networks else "NULL"
    b_seek = (
        _seek("bluesky", names[0]).replace("a.id", "ba.id") if "bluesky" in networks else "NULL"
    )
    ids = ", ".join(str(int(i)) for i in organisation_ids)
    sql = f"""
        SELECT e.organisation_id, p.id, p.preferred_name, p.first_name, p.last_name,
               {x_seek}, {b_seek}
        FROM employment e
        JOIN person p ON p.id = e.person_id
        LEFT JOIN x_account xa ON xa.id = p.x_account_id
        LEFT JOIN bluesky_account ba ON ba.person_id = p.id
        WHERE e.organisation_id IN ({ids}) AND e.end_date IS NULL
          AND (xa.id IS NOT NULL OR ba.id IS NOT NULL)
          AND (lower(COALESCE(e.title, p.job_title, '')) LIKE '%chief executive%'
               OR lower(COALESCE(e.title, p.job_title, '')) LIKE 'ceo%')
        ORDER BY e.organisation_id, p.id
    """
    out: dict[int, tuple[int, str, int | None]] = {}
    for org_id, pid, preferred, first, last, x_f, b_f in cursor.rows(
        session, _typed(sql, params), params, constant=False
    ):
        if org_id in out or (x_f is None and b_f is None):
            continue
        out[org_id] = (pid, f"{preferred or first} {last}".strip(), _sum_present((x_f, b_f)))
    return out


def _sum_present(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


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


def _id_list(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


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
