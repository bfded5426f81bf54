"""Full-text search over people and interactions, and keeping its index in step.

SQLite: ``person_search`` holds each person's search document and the FTS5 table
``person_fts`` indexes it through triggers (both made by the migration); interactions are
indexed by ``interaction_fts`` the same way. PostgreSQL: generated tsvector columns with GIN
indexes, and a trigram index for substrings.

Documents are refreshed in the same transaction as the change that made them stale: a
session hook notes which people a flush touched and rewrites their documents before commit.

User text never reaches FTS5 or tsquery syntax: :func:`crm.domain.values.search_words` keeps
only letters and digits, and each word becomes a quoted prefix term.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Executable,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import get_history

from crm.domain.filters import PeopleFilter
from crm.domain.values import fold, search_words
from crm.storage.models import (
    BlueskyAccount,
    Employment,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    PersonSearch,
    Tag,
    XAccount,
    person_tags,
)

log = logging.getLogger(__name__)

_PENDING = "crm_search_pending_people"
_PENDING_ORGS = "crm_search_pending_orgs"
_PENDING_ACCOUNTS = "crm_search_pending_accounts"

# Prefixes this short match too many people to rank; an ordered surname range answers them.
SHORT_PREFIX = 2


# -- keeping the index in step -------------------------------------------------------------
def install_hooks(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "after_flush", _note_changes)
    event.listen(factory, "before_commit", _refresh_before_commit)


def _note_changes(session: Session, _flush_context: Any) -> None:
    people: set[int] = session.info.setdefault(_PENDING, set())
    orgs: set[int] = session.info.setdefault(_PENDING_ORGS, set())
    accounts: set[int] = session.info.setdefault(_PENDING_ACCOUNTS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Person):
            people.add(obj.id)
        elif isinstance(obj, (PersonEmail, PersonPhone, Employment)):
            if obj.person_id is not None:
                people.add(obj.person_id)
        elif isinstance(obj, Organisation) and obj in session.dirty:
            orgs.add(obj.id)
        elif isinstance(obj, XAccount) and obj in session.dirty:
            accounts.add(obj.id)
        elif isinstance(obj, BlueskyAccount):
            # Its handle is in its owner's document: when the handle or the owner changes (not
            # on every sync's new counts), the owner it had and the one it has now.
            owner = get_history(obj, "person_id")
            if obj in session.dirty and not (
                owner.has_changes() or get_history(obj, "handle").has_changes()
            ):
                continue
            people.update(p for p in owner.sum() if p is not None)


def _refresh_before_commit(session: Session) -> None:
    # Flush first: changes made since the last flush (a sync's new handle, say) are noted
    # only when they are flushed, and the commit's own flush comes after this hook.
    session.flush()
    if not (
        session.info.get(_PENDING)
        or session.info.get(_PENDING_ORGS)
        or session.info.get(_PENDING_ACCOUNTS)
    ):
        return
    people: set[int] = session.info.pop(_PENDING, set())
    orgs: set[int] = session.info.pop(_PENDING_ORGS, set())
    accounts: set[int] = session.info.pop(_PENDING_ACCOUNTS, set())
    if orgs:
        people.update(
            session.scalars(
                select(Employment.person_id).where(Employment.organisation_id.in_(orgs))
            )
        )
    if accounts:
        people.update(session.scalars(select(Person.id).where(Person.x_account_id.in_(accounts))))
    refresh_people(session, people)


def _join(parts: Iterable[str | None]) -> str:
    # fold() works character by character (a space starts no combining sequence), so folding
    # the joined text equals joining the folded parts, at one call instead of several.
    return fold(" ".join([p for p in parts if p]))


def sort_name(first: str, last: str) -> str:
    """Folded "surname first-name": the order people are listed in, and ties broken by."""
    return fold(f"{last} {first}").strip()


def person_document(
    person_id: int,
    *,
    first_name: str | None,
    last_name: str | None,
    preferred_name: str | None = None,
    job_title: str | None = None,
    notes: str | None = None,
    specialisms: str | None = None,
    location: str | None = None,
    handle: str | None = None,
    bluesky_handle: str | None = None,
    employments: Iterable[tuple[str, str | None, bool]] = (),
    emails: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> dict[str, Any]:
    """One person's search document (a ``person_search`` row) from their values.

    ``handle`` is their X handle, ``bluesky_handle`` their Bluesky one (a domain name: its
    first label, "jo" of jo.bsky.social, is a word of its own). ``employments`` are
    ``(organisation name, job title, current)``. This is the one place
    that says what a document holds: :func:`documents_for` reads the values from the
    database, a bulk import passes the ones it is about to write.
    """
    doc: dict[str, Any] = {
        "person_id": person_id,
        "name": _join([first_name, last_name, preferred_name]),
        "organisation": "",
        "past_organisations": "",
        "title": _join([job_title]),
        "contact": _join(
            [
                handle,
                "@" + handle if handle else None,
                bluesky_handle,
                "@" + bluesky_handle if bluesky_handle else None,
            ]
        ),
        "tags": "",
        "notes": _join([notes, specialisms, location]),
        "sort_name": sort_name(first_name or "", last_name or ""),
    }
    for name, title, current in employments:
        key = "organisation" if current else "past_organisations"
        doc[key] = (doc[key] + " " + fold(name)).strip()
        if title:
            doc["title"] = (doc["title"] + " " + fold(title)).strip()
    for email in emails:
        # The whole address and its parts: "jo.bloggs@nhs.net" finds by "bloggs" and "nhs".
        doc["contact"] += " " + fold(email + " " + email.replace("@", " ").replace(".", " "))
    for tag in tags:
        doc["tags"] += " " + fold(tag)
    return doc


def documents_for(session: Session, person_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The search documents of ``person_ids`` (those that still exist), computed in bulk."""
    if not person_ids:
        return []
    ids = list(person_ids)
    people = session.execute(
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.preferred_name,
            Person.job_title,
            Person.notes,
            Person.specialisms,
            Person.location,
            XAccount.handle,
            BlueskyAccount.handle.label("bluesky_handle"),
        )
        .outerjoin(XAccount, XAccount.id == Person.x_account_id)
        .outerjoin(BlueskyAccount, BlueskyAccount.person_id == Person.id)
        .where(Person.id.in_(ids))
    ).all()
    if not people:
        return []
    found = [row.id for row in people]
    jobs: dict[int, list[tuple[str, str | None, bool]]] = {}
    for person_id, name, title, end in session.execute(
        select(Employment.person_id, Organisation.name, Employment.title, Employment.end_date)
        .join(Organisation, Organisation.id == Employment.organisation_id)
        .where(Employment.person_id.in_(found))
    ):
        jobs.setdefault(person_id, []).append((name, title, end is None))
    emails: dict[int, list[str]] = {}
    for person_id, email in session.execute(
        select(PersonEmail.person_id, PersonEmail.email).where(PersonEmail.person_id.in_(found))
    ):
        emails.setdefault(person_id, []).append(email)
    tags: dict[int, list[str]] = {}
    for person_id, tag in session.execute(
        select(person_tags.c.person_id, Tag.name)
        .join(Tag, Tag.id == person_tags.c.tag_id)
        .where(person_tags.c.person_id.in_(found))
    ):
        tags.setdefault(person_id, []).append(tag)
    return [
        person_document(
            row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            preferred_name=row.preferred_name,
            job_title=row.job_title,
            notes=row.notes,
            specialisms=row.specialisms,
            location=row.location,
            handle=row.handle,
            bluesky_handle=row.bluesky_handle,
            employments=jobs.get(row.id, ()),
            emails=emails.get(row.id, ()),
            tags=tags.get(row.id, ()),
        )
        for row in people
    ]


def refresh_people(session: Session, person_ids: Iterable[int]) -> None:
    """Rewrite the search documents of ``person_ids`` in the session's transaction."""
    ids = sorted({i for i in person_ids if i is not None})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        docs = documents_for(session, chunk)
        session.execute(delete(PersonSearch).where(PersonSearch.person_id.in_(chunk)))
        if docs:
            session.execute(insert(PersonSearch), docs)


def rebuild_all(session: Session) -> int:
    """Recompute every person's document (after a bulk load or a restore)."""
    ids = list(session.scalars(select(Person.id)))
    refresh_people(session, ids)
    return len(ids)


# -- querying ---------------------------------------------------------------------------------
def _apply_filters(stmt: Select[Any], f: PeopleFilter) -> Select[Any]:
    if f.kind == "client":
        stmt = stmt.where(Person.is_client_contact.is_(True))
    elif f.kind == "candidate":
        stmt = stmt.where(Person.is_candidate.is_(True))
    if f.available_before is not None:
        stmt = stmt.where(
            Person.is_candidate.is_(True), Person.available_from <= f.available_before
        )
    if f.organisation_id is not None:
        stmt = stmt.where(
            exists().where(
                Employment.person_id == Person.id,
                Employment.organisation_id == f.organisation_id,
                Employment.end_date.is_(None),
            )
        )
    if f.sector:
        stmt = stmt.where(
            or_(
                exists().where(
                    Employment.person_id == Person.id,
                    Employment.end_date.is_(None),
                    Employment.organisation_id == Organisation.id,
                    Organisation.sector == f.sector,
                ),
                Person.candidate_sectors.contains(f.sector),
            )
        )
    if f.tag:
        stmt = stmt.where(
            exists().where(
                person_tags.c.person_id == Person.id,
                person_tags.c.tag_id == Tag.id,
                func.lower(Tag.name) == f.tag.lower(),
            )
        )
    return stmt


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every word a quoted prefix term, all required."""
    return " ".join(f'"{w}"*' for w in words)


def tsquery_text(words: Sequence[str]) -> str:
    """A to_tsquery('simple', ...) argument: every word a prefix term, all required."""
    return " & ".join(f"{w}:*" for w in words)


def _tsquery_once(query_text: Any) -> ColumnElement[Any]:
    """``to_tsquery('simple', query_text)`` as a scalar subquery, so that PostgreSQL parses the
    query once (an InitPlan). Written inline, the generic plan that a statement gets once the
    driver has prepared it re-parses the query for every hit it ranks: "smith" on 1,000,000
    people took 23 ms instead of 14."""
    return select(func.to_tsquery("simple", query_text)).scalar_subquery()


# Column weights for bm25: the current organisation weighs most so that a word of an
# organisation's name lists its people first, then the person's own name.
_BM25 = "bm25(person_fts, 10.0, 100.0, 4.0, 3.0, 3.0, 2.0, 1.0)"


def _ids(session: Session, stmt: Executable, params: dict[str, Any] | None = None) -> list[int]:
    """The first column of every row, straight from the driver's cursor.

    The people list asks for every matching id (all 100,000 for an empty search), and
    SQLAlchemy's per-row result handling costs more than SQLite takes to produce the rows:
    100,000 ids take ~28 ms of CPU this way against ~64 ms through ``Session.scalars``.
    """
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # what Session.execute would do first
    result = session.connection().execute(stmt, params or {})
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()


def search_people_ids(
    session: Session,
    text_query: str,
    filters: PeopleFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[int]:
    """Ids of the people best matching ``text_query``, best first; empty text lists by name."""
    f = filters or PeopleFilter()
    words = search_words(text_query)
    if not words:
        stmt = _apply_filters(select(Person.id), f).order_by(Person.sort_name, Person.id)
        return _ids(session, stmt.limit(limit).offset(offset))
    dialect = session.get_bind().dialect.name
    if len(words) == 1 and len(words[0]) <= SHORT_PREFIX:
        return _short_prefix(session, words[0], f, limit, offset)
    if dialect == "sqlite":
        return _fts5(session, words, f, limit, offset)
    return _tsquery(session, words, f, limit, offset)


def _short_prefix(
    session: Session, prefix: str, f: PeopleFilter, limit: int, offset: int
) -> list[int]:
    """Surnames starting with ``prefix``, then first names: two ordered index range scans.

    A one- or two-letter prefix can match a third of everyone; ranking them all by relevance
    would cost a full scan, and alphabetical order is what a recruiter expects here anyway.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    wanted = limit + offset
    # sort_name is "surname first-name", folded.
    by_surname = (
        select(Person.id)
        .where(Person.sort_name >= prefix, Person.sort_name < upper)
        .order_by(Person.sort_name, Person.id)
    )
    ids = _ids(session, _apply_filters(by_surname, f).limit(wanted))
    if len(ids) < wanted:
        first = func.lower(Person.first_name)
        by_first_name = (
            select(Person.id)
            .where(first >= prefix, first < upper)
            .order_by(first, Person.sort_name, Person.id)
        )
        seen = set(ids)
        for pid in _ids(session, _apply_filters(by_first_name, f).limit(wanted)):
            if pid not in seen:
                ids.append(pid)
    return ids[offset : offset + limit]


# Without filters, the best page is ranked inside the full-text index and only the people on
# it are visited (see _best_page), and it is a CTE, so the people table's rows are read in
# the same statement as the ranking (see best_page and crm.storage.people_list.search_person_rows).
def _fts5_hits() -> CTE:
    """Every FTS5 hit with its weighted BM25 rank (lower is better)."""
    query = f"SELECT rowid AS pid, {_BM25} AS rank FROM person_fts WHERE person_fts MATCH :match"
    return (
        text(query)
        .columns(column("pid", Integer), column("rank", Float))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )


@cache
def _best_page(dialect: str) -> CTE:
    """The page of hits for ``:match`` (``:limit``, ``:offset``; ``:last`` is the index of
    the last row shown), best first, ties by sort name then id."""
    if dialect != "sqlite":
        # ts_rank reads each hit's person_search row anyway, sort name included: the best
        # page is a top-N sort of the hits, like the raw query's (ties in rank are common:
        # "smi" has 390 people tied for the first 50 places on 100,000).
        query = _tsquery_once(bindparam("match"))
        vector: ColumnElement[Any] = literal_column("person_search.vector")
        rank = (-func.ts_rank(vector, query)).label("rank")
        return (
            select(PersonSearch.person_id.label("pid"), rank, PersonSearch.sort_name)
            .where(vector.op("@@")(query))
            .order_by(rank, PersonSearch.sort_name, PersonSearch.person_id)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .cte("page")
            .prefix_with("MATERIALIZED")
        )
    # FTS5 gives only rowid and rank: join person just for the hits at or above the rank of
    # the last one shown (ties included), not for every hit.
    hits = _fts5_hits()
    last_shown = (
        select(hits.c.rank)
        .order_by(hits.c.rank)
        .limit(1)
        .offset(bindparam("last"))
        .scalar_subquery()
    )
    return (
        select(hits.c.pid, hits.c.rank, Person.sort_name)
        .join_from(hits, Person, Person.id == hits.c.pid)
        .where(hits.c.rank <= func.coalesce(last_shown, literal(1e308)))
        .order_by(hits.c.rank, Person.sort_name, Person.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .cte("page")
        .prefix_with("MATERIALIZED")
    )


@dataclass(frozen=True)
class RankedPage:
    """One page of full-text hits as a CTE with columns ``pid``, ``rank`` and ``sort_name``:
    join it, order by :attr:`order`, and execute with :attr:`params`."""

    page: CTE
    params: dict[str, Any]

    @property
    def order(self) -> tuple[ColumnElement[Any], ...]:
        return page_order(self.page)


def page_order(page: CTE) -> tuple[ColumnElement[Any], ...]:
    """Best first, ties by name, then id (so that pages never overlap)."""
    return (page.c.rank, page.c.sort_name, page.c.pid)


def best_page(
    dialect: str,
    text_query: str,
    filters: PeopleFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RankedPage | None:
    """The page of ranked hits as a CTE, when the text is ranked by the full-text index alone
    (no filters; words longer than :data:`SHORT_PREFIX`). ``None`` means: use
    :func:`search_people_ids`. Same people in the same order either way. ``dialect`` is the
    database's (``"sqlite"`` or ``"postgresql"``)."""
    words = search_words(text_query)
    if (filters or PeopleFilter()) != PeopleFilter() or not words:
        return None
    if len(words) == 1 and len(words[0]) <= SHORT_PREFIX:
        return None
    return _ranked_page(dialect, words, limit, offset)


def _ranked_page(dialect: str, words: Sequence[str], limit: int, offset: int) -> RankedPage:
    match = fts5_query(words) if dialect == "sqlite" else tsquery_text(words)
    params = {"match": match, "last": limit + offset - 1, "limit": limit, "offset": offset}
    return RankedPage(_best_page(dialect), params)


def _ranked_ids(session: Session, page: RankedPage) -> list[int]:
    return _ids(session, select(page.page.c.pid).order_by(*page.order), page.params)


def _fts5(
    session: Session, words: Sequence[str], f: PeopleFilter, limit: int, offset: int
) -> list[int]:
    if f == PeopleFilter():
        return _ranked_ids(session, _ranked_page("sqlite", words, limit, offset))
    match = fts5_query(words)
    hits = (
        select(literal_column("person_fts.rowid").label("pid"), literal_column(_BM25).label("rank"))
        .select_from(text("person_fts"))
        .where(text("person_fts MATCH :match").bindparams(bindparam("match", match)))
    ).subquery()
    stmt = select(Person.id).join(hits, hits.c.pid == Person.id)
    stmt = _apply_filters(stmt, f).order_by(hits.c.rank, Person.sort_name, Person.id)
    return _ids(session, stmt.limit(limit).offset(offset))


def _tsquery(
    session: Session, words: Sequence[str], f: PeopleFilter, limit: int, offset: int
) -> list[int]:
    if f == PeopleFilter():
        ids = _ranked_ids(session, _ranked_page("postgresql", words, limit, offset))
    else:
        query = _tsquery_once(tsquery_text(words))
        vector: ColumnElement[Any] = literal_column("person_search.vector")
        rank = func.ts_rank(vector, query)
        stmt = (
            select(Person.id)
            .join(PersonSearch, PersonSearch.person_id == Person.id)
            .where(vector.op("@@")(query))
        )
        stmt = _apply_filters(stmt, f).order_by(rank.desc(), Person.sort_name, Person.id)
        ids = _ids(session, stmt.limit(limit).offset(offset))
    if ids or offset:
        return ids
    # Nothing starts with these words: fall back to substrings (pg_trgm keeps this indexed).
    document: ColumnElement[str] = literal_column("person_search.document")
    conditions = [document.like("%" + w + "%") for w in words]
    stmt = (
        select(Person.id)
        .join(PersonSearch, PersonSearch.person_id == Person.id)
        .where(and_(*conditions))
    )
    return _ids(session, _apply_filters(stmt, f).order_by(Person.sort_name).limit(limit))


def search_interaction_ids(session: Session, text_query: str, limit: int = 50) -> list[int]:
    """Ids of interactions whose summary or body match, best first."""
    words = search_words(text_query)
    if not words:
        return []
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text(
                "SELECT rowid FROM interaction_fts WHERE interaction_fts MATCH :m "
                "ORDER BY bm25(interaction_fts, 3.0, 1.0) LIMIT :n"
            ),
            {"m": fts5_query(words), "n": limit},
        )
        return [r[0] for r in rows]
    rows = session.execute(
        text(
            "SELECT id FROM interaction WHERE search_vector @@ (SELECT to_tsquery('simple', :q)) "
            "ORDER BY ts_rank(search_vector, (SELECT to_tsquery('simple', :q))) DESC LIMIT :n"
        ),
        {"q": tsquery_text(words), "n": limit},
    )
    return [r[0] for r in rows]
