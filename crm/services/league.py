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
reads only what the chosen measure needs, follower counts only at the moments it compares
(now and a week ago, with 4 or 12 weeks before each), each an index seek on (account,
taken_at) rather than a scan of every snapshot. Every other column (the other measures,
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
from typing import Any

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
    detailed: bool = False  # every column filled (else only rank and the ranked measure)

    @property
    def networks(self) -> str:
        names = [n for n, h in (("X", self.x_handle), ("Bluesky", self.bluesky_handle)) if h]
        return " + ".join(names)


@dataclass(frozen=True)
class LeagueTable:
    query: LeagueQuery
    as_of: datetime
    rows: tuple[LeagueRow, ...]

    @property
    def measure_label(self) -> str:
        return MEASURES[self.query.measure]


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
                columns += [_seek(network, n).replace("a.id", account) for n in names]
            elif q.measure == "posts_per_week":
                params.update(_post_windows(as_of))
                columns += [_count(network, *w).replace("a.id", account) for w in _COUNTS]
        entities = _entities(session, q, columns, params)
        if not weeks and q.measure != "posts_per_week":
            # Engagement reads every post: summed per account, then joined on in Python.
            for network in wanted:
                found = _posts(session, network, as_of, _accounts_sql(q, network, params), params)
                at = 5 if network == "x" else 7
                entities = [(*e, *found.get(e[at], (0, 0, 0, 0))) for e in entities]
        rows = _ranked_rows(entities, wanted, weeks, q.measure)
        limit = len(rows) if detail_rows is None else max(0, detail_rows)
        _detail(session, rows[:limit], wanted, as_of, q.entity)
    return LeagueTable(q, as_of, tuple(rows))


def league_details(
    db: Database, table: LeagueTable, entity_ids: Iterable[int] | None = None
) -> list[LeagueRow]:
    """Copies of the rows of ``table`` with these entity ids (all when None) that are not
    filled yet, with every column filled (a page scrolling on, an export). The table's own
    rows are left as they are: a page may be showing them meanwhile."""
    wanted_ids = None if entity_ids is None else set(entity_ids)
    rows = [
        copy.copy(r)
        for r in table.rows
        if not r.detailed and (wanted_ids is None or r.entity_id in wanted_ids)
    ]
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
) -> list[Any]:
    """The organisations (or people) with an account on a wanted network: id, name, sector,
    type, organisation, X account id and handle, Bluesky account id and handle, then the
    ``extra`` columns (SQL on ``xa`` and ``ba``, the row's accounts; NULL where absent)."""
    params: dict[str, Any] = dict(extra_params or {})
    if q.entity == "organisation":
        source, org, organisation = "organisation h", "h", "NULL"
        owner = "ba.organisation_id = h.id"
        name = "h.name"
    else:
        source, org, organisation, owner = (
            f"person h {_CURRENT_ORG}",
            "org",
            "org.name",
            "ba.person_id = h.id",
        )
        first = "COALESCE(h.preferred_name, h.first_name)"
        name = (
            f"{first} || ' ' || h.last_name"
            if session.get_bind().dialect.name == "sqlite"
            else f"concat_ws(' ', {first}, h.last_name)"
        )
    where = _filters(q, org, params)
    where.append(
        {"x": "xa.id IS NOT NULL", "bluesky": "ba.id IS NOT NULL"}.get(
            q.network, "(xa.id IS NOT NULL OR ba.id IS NOT NULL)"
        )
    )
    sql = f"""
        SELECT h.id, {name}, {org}.sector, {org}.org_type, {organisation},
               xa.id, xa.handle, ba.id, ba.handle{"".join(f", {c}" for c in extra)}
        FROM {source}
        LEFT JOIN x_account xa ON xa.id = h.x_account_id
        LEFT JOIN bluesky_account ba ON {owner}
        WHERE {" AND ".join(where)}
    """
    return [tuple(row) for row in cursor.rows(session, _typed(sql, params), params, constant=False)]


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


def _ranked_rows(
    entities: list[Any],
    networks: Sequence[str],
    weeks: tuple[int, ...],
    measure: str,
) -> list[LeagueRow]:
    """Rows with their rank, rank change and the measure ranked by, best first.

    Each of ``entities`` is the nine columns of :func:`_entities` followed, per wanted
    network in order, by that network's figures: follower counts at each of ``weeks`` back,
    or for the posts measures (posts, engagement) now and a week before.

    The one loop over every row of the table: plain arithmetic on locals, no helpers and no
    lists per row, because at 10,000 organisations each microsecond here is 10 ms on the page.
    """
    now_values: list[float | None] = []
    then_values: list[float | None] = []
    rows: list[LeagueRow] = []
    want_x, want_b = "x" in networks, "bluesky" in networks
    width = len(weeks) or 4
    x_at = 9
    b_at = x_at + width if want_x else x_at
    pct = measure.endswith("_pct")
    kind = "posts" if not weeks else "followers" if measure == "followers" else "growth"
    add_now, add_then, add_row = now_values.append, then_values.append, rows.append
    for entity in entities:
        entity_id, name, sector, org_type, organisation, xa, x_handle, ba, b_handle = entity[:9]
        fx = fb = None
        if want_x and xa is not None:
            fx = entity[x_at : x_at + width]
            accounts = {"x": xa}
            if want_b and ba is not None:
                accounts["bluesky"] = ba
                fb = entity[b_at : b_at + width]
        elif want_b and ba is not None:
            accounts = {"bluesky": ba}
            fb = entity[b_at : b_at + width]
        else:
            accounts = {}
        now: float | None = None
        then: float | None = None
        if kind == "followers":
            # Each network's followers now and a week ago, summed over those known.
            if fx is not None and fx[0] is not None:
                now = float(fx[0] + (fb[0] or 0)) if fb is not None else float(fx[0])
            elif fb is not None and fb[0] is not None:
                now = float(fb[0])
            if fx is not None and fx[1] is not None:
                then = float(fx[1] + (fb[1] or 0)) if fb is not None else float(fx[1])
            elif fb is not None and fb[1] is not None:
                then = float(fb[1])
        elif kind == "growth":
            # weeks are (0, 1, k, k + 1): now against k back, a week ago against k + 1 back.
            for first, base_at in ((0, 2), (1, 3)):
                grown = base = 0
                known = False
                for f in (fx, fb):
                    if f is not None and f[first] is not None and f[base_at] is not None:
                        grown += f[first] - f[base_at]
                        base += f[base_at]
                        known = True
                value: float | None = None
                if known:
                    value = (
                        (round(100.0 * grown / base, 1) if base else None) if pct else float(grown)
                    )
                if first == 0:
                    now = value
                else:
                    then = value
        else:
            n0 = (fx[0] if fx is not None else 0) + (fb[0] if fb is not None else 0)
            n1 = (fx[2] if fx is not None else 0) + (fb[2] if fb is not None else 0)
            if measure == "posts_per_week":
                now, then = n0 / 4, n1 / 4
            else:
                e0 = (fx[1] if fx is not None else 0) + (fb[1] if fb is not None else 0)
                e1 = (fx[3] if fx is not None else 0) + (fb[3] if fb is not None else 0)
                now = round(e0 / n0, 2) if n0 else None
                then = round(e1 / n1, 2) if n1 else None
        add_now(now)
        add_then(then)
        # Every column is filled later (_detail) for the rows that are shown; until then a
        # row shares one empty set of figures: 10,000 fewer objects to build.
        # Every field given, in order: the cheapest way to build 10,000 of them.
        add_row(
            LeagueRow(
                None,
                None,
                entity_id,
                name,
                sector,
                org_type,
                organisation,
                x_handle,
                b_handle,
                _EMPTY,
                _NO_NETWORKS,
                None,
                None,
                None,
                None,
                None,
                False,
                accounts,
                False,
            )
        )
    names = [(r.name.lower(), r.entity_id) for r in rows]
    current = _order(now_values, names)
    before = _places(_order(then_values, names), len(rows))
    ranked = []
    for place, i in enumerate(current, start=1):
        row = rows[i]
        row.rank = place
        earlier = before[i]
        row.rank_change = earlier - place if earlier is not None else None
        ranked.append(row)
    unranked = sorted((i for i, v in enumerate(now_values) if v is None), key=names.__getitem__)
    ranked.extend(rows[i] for i in unranked)
    return ranked


def _order(values: list[float | None], names: list[tuple[str, int]]) -> list[int]:
    """Indexes of the rows with a value, best first: highest value, ties by name then id."""
    keyed = sorted((-v, names[i], i) for i, v in enumerate(values) if v is not None)
    return [i for _v, _name, i in keyed]


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
    silent = timedelta(days=SILENT_DAYS)
    for row in rows:
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
