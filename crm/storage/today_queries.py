"""The Today page's statements, built once and run on the read session's own connection.

The page asks about twenty questions of the database each time it is shown. Through the ORM
each one costs its SQL plus 0.5 to 1 ms of SQLAlchemy's work (coercing the expression,
its cache key, the execution context, a ``Result`` and its rows), and the statements that
took a list of ids (``IN (?, ?, ...)``) were compiled afresh each time. Here every statement
is a module constant with named parameters and no id lists (those became subqueries), so it
is compiled once per dialect and run on the driver's cursor inside the session's transaction
(:mod:`crm.storage.cursor`): the whole page reads one snapshot.

The counts of every section come from one statement (:data:`COUNTS`): one round trip on
PostgreSQL instead of ten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from crm.domain.enums import BUSY_PLACEMENT_STATUSES, PlacementStatus
from crm.storage.cursor import Rows, rows
from crm.storage.models import (
    AuditEntry,
    Extension,
    Interaction,
    Organisation,
    Person,
    Placement,
    Tag,
    Tweet,
    XAccount,
    interaction_people,
    person_tags,
)
from crm.storage.types import UTCDateTime

#: A next assignment counts as lined up when it is proposed or confirmed.
NEXT_STATUSES = (PlacementStatus.PROPOSED.value, PlacementStatus.CONFIRMED.value)


def run(session: Session, statement: Rows, params: Mapping[str, Any]) -> list[Sequence[Any]]:
    """The rows of one of this module's statements, in the session's transaction."""
    return rows(session, statement, params)


def _among(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    # One bound value each (not an expanding list): the statement compiles once.
    return column.in_([literal(v) for v in values])  # type: ignore[no-any-return]


_today = bindparam("today", type_=Date())
_limit = bindparam("limit", type_=Integer())


# -- follow-ups ----------------------------------------------------------------------------------

_due = Interaction.follow_up_due
# "follow_up_done = 0/false", the condition of the partial index ix_interaction_open_follow_up.
_open = and_(Interaction.follow_up_done == false(), _due.is_not(None))


def _follow_up_page(where: Sequence[ColumnElement[bool]]) -> Rows:
    """A page of open follow-ups with their people (a row per person, by person id)."""
    page = (
        select(
            Interaction.id,
            Interaction.version,
            _due.label("due"),
            Interaction.summary,
            Interaction.kind,
            Interaction.organisation_id,
        )
        .where(_open, *where)
        .order_by(_due, Interaction.id)
        .limit(_limit)
        .subquery("page")
    )
    return (
        select(
            page.c.id,
            page.c.version,
            page.c.due,
            page.c.summary,
            page.c.kind,
            page.c.organisation_id,
            Organisation.name,
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
            Person.do_not_contact,
        )
        .select_from(page)
        .outerjoin(Organisation, Organisation.id == page.c.organisation_id)
        .outerjoin(interaction_people, interaction_people.c.interaction_id == page.c.id)
        .outerjoin(Person, Person.id == interaction_people.c.person_id)
        .order_by(page.c.due, page.c.id, Person.id)
    )


#: Overdue and due today (oldest first): params today, limit.
FOLLOW_UPS_DUE = _follow_up_page([_due <= bindparam("last", type_=Date())])
#: The next days: params first, last, limit.
FOLLOW_UPS_UPCOMING = _follow_up_page(
    [_due >= bindparam("first", type_=Date()), _due <= bindparam("last", type_=Date())]
)
#: Overdue and due today counted (the tray icon): param today.
FOLLOW_UPS_DUE_COUNT = select(
    select(func.count()).where(_open, _due < _today).scalar_subquery(),
    select(func.count()).where(_open, _due == _today).scalar_subquery(),
)


# -- placements ending ---------------------------------------------------------------------------

_horizon = bindparam("ending_horizon", type_=Date())
_ending_where = (
    _among(Placement.status, BUSY_PLACEMENT_STATUSES),
    Placement.end_date >= _today,
    Placement.end_date <= _horizon,
)
_extensions = (
    select(func.count())
    .where(Extension.placement_id == Placement.id)
    .correlate(Placement)
    .scalar_subquery()
)
_ending_page = (
    select(
        Placement.id,
        Placement.candidate_id,
        Placement.organisation_id,
        Placement.client_contact_id,
        Placement.role,
        Placement.end_date,
        _extensions.label("extensions"),
    )
    .where(*_ending_where)
    .order_by(Placement.end_date, Placement.id)
    .limit(_limit)
    .subquery("ending")
)
_candidate = aliased(Person, name="candidate")
_contact = aliased(Person, name="contact")
#: Placements ending within the weeks, soonest first: params today, ending_horizon, limit.
ENDING = (
    select(
        _ending_page.c.id,
        _ending_page.c.candidate_id,
        _ending_page.c.organisation_id,
        Organisation.name,
        _ending_page.c.client_contact_id,
        _ending_page.c.role,
        _ending_page.c.end_date,
        _ending_page.c.extensions,
        _candidate.first_name,
        _candidate.preferred_name,
        _candidate.last_name,
        _candidate.do_not_contact,
        _contact.first_name,
        _contact.preferred_name,
        _contact.last_name,
    )
    .select_from(_ending_page)
    .join(Organisation, Organisation.id == _ending_page.c.organisation_id)
    .outerjoin(_candidate, _candidate.id == _ending_page.c.candidate_id)
    .outerjoin(_contact, _contact.id == _ending_page.c.client_contact_id)
    .order_by(_ending_page.c.end_date, _ending_page.c.id)
)
#: What the candidates of ending placements have lined up next: params today, ending_horizon.
LINED_UP = (
    select(
        Placement.id,
        Placement.candidate_id,
        Placement.status,
        Placement.start_date,
        Organisation.name,
    )
    .join(Organisation, Organisation.id == Placement.organisation_id)
    .where(
        Placement.candidate_id.in_(select(Placement.candidate_id).where(*_ending_where)),
        # coalesce (the same rows: a null status is in neither list) so that SQLite does not
        # read every proposed and confirmed placement by ix_placement_busy, but the ending
        # placements' candidates' by ix_placement_candidate_id (2-2.7 ms -> 0.8 at 100,000).
        _among(func.coalesce(Placement.status, literal("")), NEXT_STATUSES),
        or_(Placement.start_date.is_(None), Placement.start_date > _today),
    )
    .order_by(Placement.status.desc(), Placement.start_date, Placement.id)
)


# -- available candidates ------------------------------------------------------------------------

_free_by = bindparam("available_horizon", type_=Date())
# Flags wrapped in coalesce: with two equalities to offer, SQLite (without statistics) would
# pick ix_person_keep_in_touch and read every candidate; the date is what narrows.
_is_candidate = (
    func.coalesce(Person.is_candidate, false()) == true(),
    func.coalesce(Person.do_not_contact, false()) == false(),
)
AVAILABLE_COLUMNS = (
    Person.id,
    Person.first_name,
    Person.preferred_name,
    Person.last_name,
    Person.available_from,
    Person.candidate_sectors,
    Person.specialisms,
    Person.day_rate_expectation,
    Person.last_interaction_at,
)
# Two ranges of ix_placement_busy (no end; ending after), not an OR that SQLite reads as every
# busy placement (11,000 at 100,000 people): 4.3 -> 2.8 ms for the count.
_busy_beyond = union_all(
    select(Placement.candidate_id).where(
        _among(Placement.status, BUSY_PLACEMENT_STATUSES), Placement.end_date.is_(None)
    ),
    select(Placement.candidate_id).where(
        _among(Placement.status, BUSY_PLACEMENT_STATUSES), Placement.end_date > _free_by
    ),
)
_current = aliased(Placement, name="busy_now")
# NOT EXISTS by ix_placement_candidate_id for the ~150 people a page looks at, not NOT IN:
# SQLite built the NOT IN list from every busy placement (11,000 at 100,000 people, twice a
# page): 2.5-4.5 ms a page, now 0.3-0.5. The same rows: candidate_id is never null.
_not_busy_from_today = ~(
    select(_current.id)
    .where(
        _current.candidate_id == Person.id,
        _among(_current.status, BUSY_PLACEMENT_STATUSES),
        or_(_current.end_date.is_(None), _current.end_date >= _today),
    )
    .exists()
)
_later = aliased(Placement, name="later")
#: Candidates whose current placement ends within the weeks (nothing else keeps them busy
#: beyond), a row per such placement with its end last: params today, available_horizon.
AVAILABLE_FREED = (
    select(*AVAILABLE_COLUMNS, Placement.end_date)
    .select_from(Placement)
    .join(Person, Person.id == Placement.candidate_id)
    .where(
        _among(Placement.status, BUSY_PLACEMENT_STATUSES),
        Placement.end_date >= _today,
        Placement.end_date <= _free_by,
        *_is_candidate,
        # NOT EXISTS, not NOT IN: PostgreSQL makes it an anti-join on the few rows joined;
        # with NOT IN it filtered every person first (a sequential scan, 200 ms at 100,000).
        ~select(_later.id)
        .where(
            _later.candidate_id == Person.id,
            _among(_later.status, BUSY_PLACEMENT_STATUSES),
            or_(_later.end_date.is_(None), _later.end_date > _free_by),
        )
        .exists(),
    )
)
#: Free now by their date, newest first: params today, limit.
AVAILABLE_NOW = (
    select(*AVAILABLE_COLUMNS)
    .where(Person.available_from <= _today, *_is_candidate, _not_busy_from_today)
    .order_by(Person.available_from.desc(), Person.id.desc())
    .limit(_limit)
)
#: Free by their date within the weeks, soonest first: params today, available_horizon, limit.
AVAILABLE_SOON = (
    select(*AVAILABLE_COLUMNS)
    .where(
        Person.available_from > _today,
        Person.available_from <= _free_by,
        *_is_candidate,
        _not_busy_from_today,
    )
    .order_by(Person.available_from, Person.id)
    .limit(_limit)
)


# -- keep in touch -------------------------------------------------------------------------------

KEEP_COLUMNS = (
    Person.id,
    Person.first_name,
    Person.preferred_name,
    Person.last_name,
    Person.is_client_contact,
    Person.is_candidate,
    Person.contact_every_weeks,
    Person.last_interaction_at,
    Person.created_at,
)
# From the few tags that set a cadence to their people by person_tag's tag index (a join
# would let SQLite scan every person_tag row instead).
_cadence_tags = select(Tag.id).where(Tag.contact_every_weeks > 0)
_cadence_tagged = select(person_tags.c.person_id).where(person_tags.c.tag_id.in_(_cadence_tags))
#: People with a cadence of their own (0: never).
KEEP_OWN = select(*KEEP_COLUMNS).where(
    Person.contact_every_weeks.is_not(None), Person.do_not_contact == false()
)
#: (person, weeks, tag) for every tag that sets a cadence, shortest first per person.
KEEP_TAGS = (
    select(person_tags.c.person_id, Tag.contact_every_weeks, Tag.name)
    .join(Tag, Tag.id == person_tags.c.tag_id)
    .where(person_tags.c.tag_id.in_(_cadence_tags))
    .order_by(person_tags.c.person_id, Tag.contact_every_weeks, Tag.id)
)
#: The people on a tag's cadence (none of their own).
KEEP_TAGGED = select(*KEEP_COLUMNS).where(
    Person.id.in_(_cadence_tagged),
    Person.contact_every_weeks.is_(None),
    Person.do_not_contact == false(),
)


def _on_kind(candidate: bool, cutoff: str, tags: bool) -> tuple[list[ColumnElement[bool]], ...]:
    """Everyone on their kind's cadence, overdue: (contacted before the cutoff, never
    contacted and added before it). Two index ranges of ix_person_keep_in_touch, apart: together
    (an OR) they would not be ranges. With ``tags`` (some tag sets a cadence) less the people
    on a tag's cadence: most agencies set none, and then the tens of thousands of people
    counted are not each looked up in that set."""
    before = bindparam(cutoff, type_=UTCDateTime())
    kind = [
        Person.is_candidate == (true() if candidate else false()),
        Person.do_not_contact == false(),
        Person.contact_every_weeks.is_(None),
    ]
    if tags:
        kind.append(Person.id.not_in(_cadence_tagged))
    if not candidate:
        kind.append(Person.is_client_contact == true())
    return (
        [*kind, Person.last_interaction_at < before],
        [*kind, Person.last_interaction_at.is_(None), Person.created_at < before],
    )


def _keep_page(where: list[ColumnElement[bool]]) -> Rows:
    # In index order, so the first rows come without sorting them all.
    return (
        select(*KEEP_COLUMNS)
        .where(*where)
        .order_by(Person.last_interaction_at, Person.created_at)
        .limit(_limit)
    )


#: Per kind ("candidate", "client") and whether a tag sets a cadence: (contacted, never),
#: each a page in order of due date: params candidate_cutoff / client_cutoff, limit.
KEEP_BY_KIND = {
    (kind, tags): tuple(
        _keep_page(w) for w in _on_kind(kind == "candidate", f"{kind}_cutoff", tags)
    )
    for kind in ("candidate", "client")
    for tags in (False, True)
}


# -- X -----------------------------------------------------------------------------------------

_since = bindparam("since", type_=UTCDateTime())
# Grouped by "account_id + 0", not account_id: without statistics SQLite would walk the
# (account, time) index to group, reading every tweet ever stored (500,000 in the
# benchmark, 15 s) instead of the day's few by ix_tweet_created.
_account = Tweet.account_id + literal_column("0")
_tweeted = (
    select(
        _account.label("account_id"),
        func.count().label("tweets"),
        func.max(Tweet.created_at).label("newest"),
        func.max(Tweet.id).label("newest_id"),
    )
    .where(Tweet.created_at > _since)
    .group_by(_account)
    .subquery("tweeted")
)
#: Linked accounts that tweeted since: (account, tweets, newest, newest id, handle, person id,
#: first, preferred, last name, organisation id, name, person's do-not-contact). Who each
#: account is comes in the same statement: hundreds of accounts tweet in a day. Param since.
X_TWEETED = (
    select(
        _tweeted.c.account_id,
        _tweeted.c.tweets,
        _tweeted.c.newest,
        _tweeted.c.newest_id,
        XAccount.handle,
        Person.id,
        Person.first_name,
        Person.preferred_name,
        Person.last_name,
        Organisation.id,
        Organisation.name,
        Person.do_not_contact,
    )
    .join(XAccount, XAccount.id == _tweeted.c.account_id)
    .outerjoin(Person, Person.x_account_id == _tweeted.c.account_id)
    .outerjoin(Organisation, Organisation.x_account_id == _tweeted.c.account_id)
    .where(or_(Person.id.is_not(None), Organisation.id.is_not(None)))
)
#: Handle, name and bio changes of X accounts since, oldest first: param since.
X_PROFILE_CHANGES = (
    select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.changes, AuditEntry.at)
    .where(
        AuditEntry.entity_type == literal("x_account"),
        AuditEntry.at > _since,
        _among(AuditEntry.action, ("rename", "profile")),
    )
    .order_by(AuditEntry.at)
)


# -- every count at once -------------------------------------------------------------------------


def _count(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).where(*where).scalar_subquery()


def _counts(tags: bool) -> Rows:
    return select(
        _count(_open, _due < _today),
        _count(_open, _due == _today),
        _count(_open, _due > _today, _due <= bindparam("until", type_=Date())),
        _count(*_ending_where),
        _count(Person.available_from <= _free_by, *_is_candidate),
        _count(Person.available_from <= _free_by, *_is_candidate, Person.id.in_(_busy_beyond)),
        *(_count(*where) for where in _on_kind(True, "candidate_cutoff", tags)),
        *(_count(*where) for where in _on_kind(False, "client_cutoff", tags)),
    )


#: Every section's count, by whether a tag sets a cadence: follow-ups overdue, due today, in
#: the next days; placements ending; candidates listed by date within the weeks, those of them
#: a placement keeps busy beyond; candidates on their kind's cadence overdue (contacted,
#: never), clients the same. Params: today, until, ending_horizon, available_horizon,
#: candidate_cutoff, client_cutoff.
COUNTS = {tags: _counts(tags) for tags in (False, True)}

__all__ = [
    "AVAILABLE_COLUMNS",
    "AVAILABLE_FREED",
    "AVAILABLE_NOW",
    "AVAILABLE_SOON",
    "COUNTS",
    "ENDING",
    "FOLLOW_UPS_DUE",
    "FOLLOW_UPS_DUE_COUNT",
    "FOLLOW_UPS_UPCOMING",
    "KEEP_BY_KIND",
    "KEEP_COLUMNS",
    "KEEP_OWN",
    "KEEP_TAGGED",
    "KEEP_TAGS",
    "LINED_UP",
    "NEXT_STATUSES",
    "X_PROFILE_CHANGES",
    "X_TWEETED",
    "run",
]
