"""Search as a recruiter types: ranked, prefix, accent- and apostrophe-blind, never an error."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.domain.filters import PeopleFilter
from crm.services.interactions import InteractionInput, log_interaction, search_interactions
from crm.services.organisations import OrganisationInput, add_organisation, update_organisation
from crm.services.people import (
    PersonInput,
    add_employment,
    add_person,
    delete_person,
    search_people,
    update_person,
)
from crm.storage.db import Database

HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "-",
    "-smith",
    "NEAR",
    "NEAR(a b)",
    "AND",
    "OR",
    "NOT",
    "a OR b",
    "(",
    ")",
    "((",
    "[x]",
    "{}",
    "^",
    ":",
    "col:val",
    "name:smith",
    "😀",
    "é",
    "\\",
    "%",
    "_",
    "' OR 1=1 --",
    "smith*",
    "*smith",
    "a & b | !c",
    "<->",
    ":*",
    "",
    " ",
    "\x00",
    "ö" * 300,
]


@pytest.fixture
def trust(any_db: Database) -> tuple[Database, int]:
    org = add_organisation(
        any_db,
        OrganisationInput(
            "St George's University Hospitals NHS Foundation Trust",
            sector="health_social_care",
            org_type="nhs_foundation_trust",
        ),
    )
    other = add_organisation(
        any_db, OrganisationInput("Kingsford City Council", sector="local_government")
    )
    add_person(
        any_db,
        PersonInput(
            "Amara",
            "Okafor",
            organisation_id=org,
            job_title="Chief Executive",
            is_client_contact=True,
            emails=["amara.okafor@stgeorges.nhs.uk"],
            tags=["board-level"],
        ),
    )
    add_person(
        any_db, PersonInput("Émile", "Georgeson", organisation_id=other, job_title="Head of HR")
    )
    add_person(
        any_db,
        PersonInput(
            "Siobhan",
            "O'Connell",
            organisation_id=org,
            job_title="Director of Nursing",
            is_candidate=True,
            available_from=date(2026, 12, 1),
        ),
    )
    add_person(
        any_db,
        PersonInput(
            "Tom",
            "Smith",
            organisation_id=other,
            job_title="Director",
            notes="Met at the NHS ConfedExpo",
        ),
    )
    return any_db, org


def names(results: list) -> list[str]:  # type: ignore[type-arg]
    return [p.name for p in results]


def test_word_of_organisation_finds_its_people_first(trust: tuple[Database, int]) -> None:
    db, _ = trust
    found = names(search_people(db, "georges"))
    assert set(found[:2]) == {"Amara Okafor", "Siobhan O'Connell"}
    # Case, apostrophes and accents do not matter.
    assert set(names(search_people(db, "GEORGE'S"))[:2]) == set(found[:2])
    assert names(search_people(db, "emile")) == ["Émile Georgeson"]
    assert names(search_people(db, "Émile")) == ["Émile Georgeson"]
    assert names(search_people(db, "oconnell")) == ["Siobhan O'Connell"]


def test_prefixes_match_as_you_type(trust: tuple[Database, int]) -> None:
    db, _ = trust
    assert names(search_people(db, "oka")) == ["Amara Okafor"]
    assert "Amara Okafor" in names(search_people(db, "o"))
    assert names(search_people(db, "chief exec")) == ["Amara Okafor"]
    assert names(search_people(db, "amara.okafor@stgeorges.nhs.uk")) == ["Amara Okafor"]
    assert names(search_people(db, "board")) == ["Amara Okafor"]
    assert names(search_people(db, "confedexpo")) == ["Tom Smith"]


def test_short_prefix_is_ordered_by_surname(trust: tuple[Database, int]) -> None:
    db, _ = trust
    # Surnames first, then first names.
    assert names(search_people(db, "s")) == ["Tom Smith", "Siobhan O'Connell"]
    assert names(search_people(db, "")) == [
        "Émile Georgeson",
        "Siobhan O'Connell",
        "Amara Okafor",
        "Tom Smith",
    ]


def test_filters(trust: tuple[Database, int]) -> None:
    db, org = trust
    assert names(search_people(db, "", PeopleFilter(kind="candidate"))) == ["Siobhan O'Connell"]
    assert set(names(search_people(db, "", PeopleFilter(organisation_id=org)))) == {
        "Amara Okafor",
        "Siobhan O'Connell",
    }
    assert names(search_people(db, "", PeopleFilter(tag="Board-Level"))) == ["Amara Okafor"]
    assert names(search_people(db, "", PeopleFilter(sector="local_government"))) == [
        "Émile Georgeson",
        "Tom Smith",
    ]
    assert names(search_people(db, "", PeopleFilter(available_before=date(2026, 12, 31)))) == [
        "Siobhan O'Connell"
    ]
    assert search_people(db, "", PeopleFilter(available_before=date(2026, 11, 1))) == []


def test_index_follows_changes_in_the_same_transaction(trust: tuple[Database, int]) -> None:
    db, org = trust
    tom = search_people(db, "smith")[0]
    update_person(db, tom.id, {"last_name": "Smythe"}, None)
    assert search_people(db, "smith") == []
    assert names(search_people(db, "smythe")) == ["Tom Smythe"]
    # Renaming an organisation re-indexes its people.
    update_organisation(db, org, {"name": "Wandle Valley Hospitals"}, None)
    assert set(names(search_people(db, "wandle"))) == {"Amara Okafor", "Siobhan O'Connell"}
    assert "Amara Okafor" not in names(search_people(db, "georges"))
    # A new job moves the person to the new organisation's results; the old one stays as past.
    add_employment(db, tom.id, org, "Interim CFO")
    assert "Tom Smythe" in names(search_people(db, "wandle"))
    delete_person(db, tom.id)
    assert search_people(db, "smythe") == []


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_errors(trust: tuple[Database, int], text: str) -> None:
    db, _ = trust
    results = search_people(db, text)
    assert isinstance(results, list)
    assert isinstance(search_interactions(db, text), list)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_any_text_is_safe(db: Database, text: str) -> None:
    assert isinstance(search_people(db, text), list)
    assert isinstance(search_interactions(db, text), list)


def test_interactions_are_searchable(trust: tuple[Database, int]) -> None:
    db, _ = trust
    person = search_people(db, "okafor")[0]
    log_interaction(
        db,
        InteractionInput(
            [person.id], "Discussed winter pressures", body="Needs an interim COO from January"
        ),
    )
    assert [i.summary for i in search_interactions(db, "interim coo")] == [
        "Discussed winter pressures"
    ]
    assert search_interactions(db, "nothing-like-this") == []


# -- documents --------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(st.none(), st.text()), max_size=4))
def test_a_document_field_folds_like_its_parts_one_by_one(parts: list[str | None]) -> None:
    # person_document folds a field's joined parts at once; that must equal folding each part.
    from crm.domain.values import fold
    from crm.storage.search import _join

    assert _join(parts) == " ".join(fold(p) for p in parts if p)


@settings(max_examples=200, deadline=None)
@given(email=st.text(min_size=1))
def test_an_email_in_a_document_folds_like_its_parts(email: str) -> None:
    from crm.domain.values import fold
    from crm.storage.search import person_document

    doc = person_document(1, first_name="A", last_name="B", emails=[email])
    assert doc["contact"] == (
        " " + fold(email) + " " + fold(email.replace("@", " ").replace(".", " "))
    )


def _plain_ranking(db: Database, words: str, limit: int, offset: int) -> list[int]:
    """The obvious query the search must agree with: every hit joined to its person, ranked,
    ties broken by name then id."""
    from sqlalchemy import text

    from crm.domain.values import search_words
    from crm.storage.search import _BM25, fts5_query, tsquery_text

    terms = search_words(words)
    with db.read() as session:
        if session.get_bind().dialect.name == "sqlite":
            sql = (
                "SELECT person.id FROM person_fts JOIN person ON person.id = person_fts.rowid "
                f"WHERE person_fts MATCH :q ORDER BY {_BM25}, person.sort_name, person.id "
                "LIMIT :limit OFFSET :offset"
            )
            query = fts5_query(terms)
        else:
            sql = (
                "SELECT person.id FROM person_search JOIN person ON person.id = person_id "
                "WHERE vector @@ to_tsquery('simple', :q) ORDER BY "
                "ts_rank(vector, to_tsquery('simple', :q)) DESC, person.sort_name, person.id "
                "LIMIT :limit OFFSET :offset"
            )
            query = tsquery_text(terms)
        rows = session.execute(text(sql), {"q": query, "limit": limit, "offset": offset})
        return [r[0] for r in rows]


def test_ranked_pages_match_the_plain_query_ties_included(any_db: Database) -> None:
    """Search reads the ranked page and its rows in one statement, ranking inside the index;
    every page must be the one the plain query gives, and each row the person's summary."""
    import random

    from crm.services.people import person_summaries

    rng = random.Random(5)
    orgs = [
        add_organisation(any_db, OrganisationInput(name, sector="local_government"))
        for name in ("Barnsley Council", "Smithfield Housing", "North Barnsley Academy")
    ]
    for n in range(90):
        add_person(
            any_db,
            PersonInput(
                rng.choice(["John", "Joan", "Sam", "Smita", "Ann"]),
                rng.choice(["Smith", "Smithson", "Barnes", "Jones", "Ng"]),
                job_title=rng.choice([None, "Director", "Head of Smith Studies"]),
                organisation_id=rng.choice([None, *orgs]),
                notes=None if n % 3 else "met John Smith at Barnsley",
            ),
        )
    for words in ("smith", "smi", "barnsley", "john smith", "jo", "director barn", "nobody"):
        for limit, offset in ((50, 0), (7, 0), (7, 7), (10, 35), (100, 0), (5, 200)):
            expected = _plain_ranking(any_db, words, limit, offset)
            found = search_people(any_db, words, limit=limit, offset=offset)
            if len(words) > 2:  # one- and two-letter prefixes are listed by name instead
                assert [p.id for p in found] == expected, (words, limit, offset)
            assert found == person_summaries(any_db, [p.id for p in found])


def test_search_documents_keep_the_sort_name_in_step(any_db: Database) -> None:
    """Ties in rank are listed by the sort name stored beside the document (PostgreSQL)."""
    from sqlalchemy import select

    from crm.services.duplicates import merge_people
    from crm.storage.models import Person, PersonSearch

    ann = add_person(any_db, PersonInput("Ann", "Archer"))
    twin = add_person(any_db, PersonInput("Anne", "Archer"))
    add_person(any_db, PersonInput("Émile", "Zola"))
    update_person(any_db, ann, {"last_name": "Bowman"}, None)
    merge_people(any_db, ann, twin, {"first_name": "other"})
    with any_db.read() as session:
        pairs = session.execute(
            select(Person.sort_name, PersonSearch.sort_name).join(
                PersonSearch, PersonSearch.person_id == Person.id
            )
        ).all()
    assert sorted(a for a, _ in pairs) == ["bowman anne", "zola emile"]
    assert all(a == b for a, b in pairs)
