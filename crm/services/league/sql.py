"""The league table's SQL: the organisations or people with an account, the ranked measure
computed from index seeks, follower counts at chosen moments, post counts in windows, what
describes a row and the chief executives beside their organisations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from crm.services.league.rows import (
    _POSTS,
    _SNAPSHOTS,
    _STALE,
    _WEEK,
    _WINDOW,
    LeagueQuery,
)
from crm.storage import cursor
from crm.storage.types import UTCDateTime


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


def _id_list(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _sum_present(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None
