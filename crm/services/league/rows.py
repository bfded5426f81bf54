"""The league table's values: what is asked (:class:`LeagueQuery`, checked by
:func:`check_query`), a row's figures per network, the rows (built as they are read) and the
table; the measures, networks and type groups it knows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload

from crm.domain.enums import OrganisationType, Sector
from crm.domain.errors import ValidationError
from crm.domain.social import LEAGUE_MEASURES, LEAGUE_NETWORKS

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
