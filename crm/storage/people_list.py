"""The people table's rows: one statement per database, built once and run on the driver.

The people list asks for a page of rows on every keystroke and scroll, so these statements
are cached per dialect and run on the connection (a Core statement skips the ORM's
per-execution work). Rows are plain tuples in :data:`COLUMNS` order; the services turn them
into :class:`crm.services.views.PersonSummary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import CTE, BindParameter, Select, bindparam, select, true
from sqlalchemy.orm import Session

from crm.domain.filters import PeopleFilter
from crm.storage.db import Database
from crm.storage.models import Employment, Organisation, Person, XAccount
from crm.storage.search import best_page, page_order, search_people_ids

_IDS: BindParameter[int] = bindparam("ids", expanding=True)

COLUMNS = (
    "id",
    "first_name",
    "preferred_name",
    "last_name",
    "job_title",
    "is_client_contact",
    "is_candidate",
    "available_from",
    "do_not_contact",
    "org_id",
    "org_name",
    "handle",
    "followers_count",
    "last_at",
)
"""What a row holds, in order."""


def _summary_select(dialect: str) -> Select[Any]:
    """The people table's columns: the person, their current organisation (the newest open
    job), X handle and followers, and last contact (kept on the person row by triggers)."""
    newest_open_job = (
        select(Employment.organisation_id)
        .where(Employment.person_id == Person.id, Employment.end_date.is_(None))
        .order_by(Employment.start_date.desc(), Employment.id.desc())
        .limit(1)
    )
    columns: list[Any] = [
        Person.id,
        Person.first_name,
        Person.preferred_name,
        Person.last_name,
        Person.job_title,
        Person.is_client_contact,
        Person.is_candidate,
        Person.available_from,
        Person.do_not_contact,
        Organisation.id.label("org_id"),
        Organisation.name.label("org_name"),
        XAccount.handle,
        XAccount.followers_count,
        Person.last_interaction_at.label("last_at"),
    ]
    stmt = select(*columns).select_from(Person)
    if dialect == "postgresql":
        # A lateral join, not a join on a correlated subquery: with the latter PostgreSQL
        # hashes every organisation or job when the tables are small (10,000 people: 3 ms
        # a page instead of 0.7).
        current = newest_open_job.lateral("current_job")
        stmt = stmt.outerjoin(current, true()).outerjoin(
            Organisation, Organisation.id == current.c.organisation_id
        )
    else:
        # SQLite has no LATERAL, and no hash joins: the lookup runs once per row.
        current_org = newest_open_job.correlate(Person).scalar_subquery()
        stmt = stmt.outerjoin(Organisation, Organisation.id == current_org)
    return stmt.outerjoin(XAccount, XAccount.id == Person.x_account_id)


@cache
def _summary_statement(dialect: str) -> Select[Any]:
    """Rows of the people table for ``:ids``: built once, since building it costs more than
    running it (the people list asks for a page of these on every search and scroll)."""
    return _summary_select(dialect).where(Person.id.in_(_IDS))


@cache
def _ranked_summary_statement(page: CTE, dialect: str) -> Select[Any]:
    """Rows of the people table for a page of full-text hits, best first, in one statement
    with the ranking (one round trip, one plan)."""
    stmt = _summary_select(dialect).join(page, page.c.pid == Person.id)
    return stmt.order_by(*page_order(page))


def person_rows(session: Session, ids: Sequence[int]) -> list[Sequence[Any]]:
    """The people table's rows for ``ids`` (those that exist), in the order of ``ids``."""
    if not ids:
        return []
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    # A Core statement on the session's connection skips the ORM's per-execution work
    # (~0.7 ms a page); the rows are plain tuples either way.
    statement = _summary_statement(session.get_bind().dialect.name)
    rows = session.connection().execute(statement, {"ids": list(ids)}).all()
    by_id = {row[0]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def search_person_rows(
    db: Database, text: str, filters: PeopleFilter | None, limit: int, offset: int
) -> list[Sequence[Any]]:
    """The people table's rows for a page of :func:`crm.storage.search.search_people_ids`,
    best first, ranked and read in one statement where the full-text index alone ranks."""
    dialect = db.engine.dialect.name
    ranked = best_page(dialect, text, filters, limit=limit, offset=offset)
    if ranked is not None:
        # The statement of every keystroke, run on the driver's cursor: a session and a
        # Result would add 0.5 ms to its 1.4 ms ("smi" on 100,000 people), db.rows 0.2.
        rows = db.rows(_ranked_summary_statement(ranked.page, dialect), ranked.params)
        if rows or offset or db.is_sqlite:
            return rows
        # PostgreSQL looks for substrings when no word starts a word of a document.
    with db.read() as session:
        ids = search_people_ids(session, text, filters, limit=limit, offset=offset)
        return person_rows(session, ids)
