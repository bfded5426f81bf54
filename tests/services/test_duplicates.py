"""Finding likely duplicates and merging them without losing anything."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from crm.domain.errors import ConflictError, NotFoundError, ValidationError
from crm.services.duplicates import (
    find_duplicate_organisations,
    find_duplicate_people,
    merge_organisations,
    merge_people,
    organisation_merge_preview,
    person_merge_preview,
)
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation, get_organisation
from crm.services.people import (
    PersonInput,
    add_employment,
    add_person,
    get_person,
    search_people,
    update_person,
)
from crm.services.placements import PlacementInput, add_note, add_placement, get_placement
from crm.services.xlink import link_x_account
from crm.storage.db import Database
from crm.storage.models import (
    AuditEntry,
    BlueskyAccount,
    Interaction,
    Person,
    Post,
    XAccount,
    interaction_people,
)


@pytest.fixture
def trust(any_db: Database) -> int:
    return add_organisation(any_db, OrganisationInput(name="Leeds Teaching Hospitals NHS Trust"))


def test_people_sharing_an_email_or_phone(any_db: Database, trust: int) -> None:
    a = add_person(any_db, PersonInput("Jo", "Bloggs", emails=["jo@example.org"]))
    b = add_person(any_db, PersonInput("Joanne", "Smith", emails=["JO@example.org"]))
    c = add_person(any_db, PersonInput("Sam", "Patel", phones=["07812 345678"]))
    d = add_person(any_db, PersonInput("Samir", "Patel", phones=["+447812345678"]))
    add_person(any_db, PersonInput("Nobody", "Else", emails=["else@example.org"]))
    pairs = find_duplicate_people(any_db)
    found = {(p.first_id, p.second_id): p for p in pairs}
    assert set(found) == {(a, b), (c, d)}
    assert found[(a, b)].reasons == ("same email jo@example.org",)
    assert found[(a, b)].score == 100
    assert found[(c, d)].reasons == ("same phone 07812 345678",)


def test_similar_names_at_the_same_organisation(any_db: Database, trust: int) -> None:
    other_trust = add_organisation(any_db, OrganisationInput(name="York Council"))
    jon = add_person(any_db, PersonInput("Jon", "Smith", organisation_id=trust))
    jonathan = add_person(any_db, PersonInput("Jonathan", "Smith", organisation_id=trust))
    smyth = add_person(any_db, PersonInput("Jonathan", "Smyth", organisation_id=trust))
    add_person(any_db, PersonInput("Tom", "Jones", organisation_id=trust))
    add_person(any_db, PersonInput("Tim", "Jones", organisation_id=trust))  # different people
    add_person(any_db, PersonInput("Jon", "Smith", organisation_id=other_trust))  # elsewhere
    pairs = {(p.first_id, p.second_id) for p in find_duplicate_people(any_db)}
    assert pairs == {(jon, jonathan), (jonathan, smyth)}
    pair = next(p for p in find_duplicate_people(any_db) if p.first_id == jon)
    assert pair.first_detail == "Leeds Teaching Hospitals NHS Trust"
    assert pair.reasons == ("similar names at the same organisation",)


def test_duplicate_organisations(any_db: Database, trust: int) -> None:
    short = add_organisation(any_db, OrganisationInput(name="Leeds Teaching Hospitals"))
    web_a = add_organisation(
        any_db, OrganisationInput(name="Kirklees Council", website="https://www.kirklees.gov.uk")
    )
    web_b = add_organisation(
        any_db, OrganisationInput(name="Kirklees MBC", website="kirklees.gov.uk/about")
    )
    typo = add_organisation(any_db, OrganisationInput(name="Leeds Teaching Hopsitals NHS Trust"))
    add_organisation(any_db, OrganisationInput(name="Leeds City Council"))
    pairs = {(p.first_id, p.second_id): p for p in find_duplicate_organisations(any_db)}
    assert set(pairs) == {(trust, short), (web_a, web_b), (trust, typo), (short, typo)}
    assert pairs[(web_a, web_b)].reasons == ("same website kirklees.gov.uk",)
    assert pairs[(trust, typo)].score < 100


@pytest.fixture
def pair(any_db: Database, trust: int) -> dict[str, int]:
    """Two records of one person, each with things attached."""
    council = add_organisation(any_db, OrganisationInput(name="Bradford Council"))
    survivor = add_person(
        any_db,
        PersonInput(
            "Jo",
            "Bloggs",
            job_title="Director of Nursing",
            organisation_id=trust,
            emails=["jo@example.org"],
            phones=["07812 345678"],
            tags=["Board"],
            notes="Met in 2024.",
            is_client_contact=True,
        ),
    )
    other = add_person(
        any_db,
        PersonInput(
            "Joanne",
            "Bloggs",
            preferred_name="Jo",
            job_title="Chief Nurse",
            organisation_id=trust,
            emails=["JO@example.org", "joanne.bloggs@nhs.net"],
            phones=["07812 345678", "07400 123456"],
            tags=["Board", "Nursing"],
            notes="Prefers email.",
            is_candidate=True,
            do_not_contact=True,
            day_rate_expectation="800",
        ),
    )
    add_employment(any_db, other, council, "Deputy Director", date(2015, 1, 1), date(2019, 12, 31))
    link_x_account(any_db, person_id=other, handle="@joannebloggs")
    link_bluesky_directly(any_db, "did:plc:joanne", "joanne.bsky.social", person_id=other)
    third = add_person(any_db, PersonInput("Sam", "Patel"))
    only_other = log_interaction(
        any_db, InteractionInput([other], "Call about a role", kind="note")
    )
    both = log_interaction(
        any_db, InteractionInput([survivor, other, third], "Board meeting", kind="note")
    )
    as_candidate = add_placement(
        any_db, PlacementInput(candidate_id=other, organisation_id=council, role="Interim CNO")
    )
    add_note(any_db, as_candidate, "Started well.")
    as_contact = add_placement(
        any_db,
        PlacementInput(
            candidate_id=third, organisation_id=trust, role="Interim CFO", client_contact_id=other
        ),
    )
    return {
        "survivor": survivor,
        "other": other,
        "third": third,
        "only_other": only_other,
        "both": both,
        "as_candidate": as_candidate,
        "as_contact": as_contact,
        "council": council,
    }


def link_bluesky_directly(db: Database, did: str, handle: str, **owner: int) -> int:
    """A linked Bluesky account with one stored post, as a sync would have left it."""
    with db.session() as s:
        account = BlueskyAccount(did=did, handle=handle, **owner)
        s.add(account)
        s.flush()
        s.add(
            Post(
                uri=f"at://{did}/app.bsky.feed.post/1",
                cid="c",
                account_id=account.id,
                text=f"A post by {handle}",
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
        return account.id


def bluesky_owner(db: Database, handle: str) -> tuple[int | None, int | None]:
    with db.read() as s:
        account = s.scalars(select(BlueskyAccount).where(BlueskyAccount.handle == handle)).one()
        posts = s.scalar(select(func.count()).where(Post.account_id == account.id))
        assert posts == 1  # the posts stay with the account
        return account.person_id, account.organisation_id


def test_preview_lists_fields_side_by_side(any_db: Database, pair: dict[str, int]) -> None:
    preview = person_merge_preview(any_db, pair["survivor"], pair["other"])
    fields = {f.field: f for f in preview.fields}
    assert (fields["first_name"].survivor, fields["first_name"].other) == ("Jo", "Joanne")
    assert fields["first_name"].default == "survivor"
    assert fields["preferred_name"].default == "other"  # the survivor has none
    assert fields["notes"].default == "both" and fields["notes"].can_combine
    assert fields["do_not_contact"].default == "both"
    assert (fields["x_account_id"].survivor, fields["x_account_id"].other) == (
        "",
        "@joannebloggs",
    )
    assert (fields["bluesky_account"].survivor, fields["bluesky_account"].other) == (
        "",
        "@joanne.bsky.social",
    )
    assert fields["bluesky_account"].default == "other"
    assert preview.moves == {
        "emails": 1,
        "phones": 1,
        "employments": 2,
        "tags": 1,
        "interactions": 2,
        "placements": 2,
        "shortlist_entries": 0,
        "assignments": 0,
    }


def test_merge_keeps_everything(any_db: Database, pair: dict[str, int]) -> None:
    survivor_id, other_id = pair["survivor"], pair["other"]
    before = get_person(any_db, survivor_id)
    other_before = get_person(any_db, other_id)
    version = merge_people(
        any_db,
        survivor_id,
        other_id,
        {"first_name": "other", "job_title": "other"},
        survivor_version=before.version,
        other_version=other_before.version,
    )
    merged = get_person(any_db, survivor_id)
    assert merged.version == version > before.version
    assert (merged.first_name, merged.preferred_name, merged.job_title) == (
        "Joanne",
        "Jo",
        "Chief Nurse",
    )
    assert merged.emails == ["jo@example.org", "joanne.bloggs@nhs.net"]
    assert merged.phones == ["+447812345678", "+447400123456"]
    assert merged.tags == ["Board", "Nursing"]
    assert merged.notes == "Met in 2024.\n\nPrefers email."
    assert merged.is_client_contact and merged.is_candidate and merged.do_not_contact
    assert str(merged.day_rate_expectation) == "800.00"
    assert merged.x_account is not None and merged.x_account.handle == "joannebloggs"
    assert bluesky_owner(any_db, "joanne.bsky.social") == (survivor_id, None)
    jobs = sorted((e.organisation, e.title, e.is_current) for e in merged.employments)
    assert jobs == [
        ("Bradford Council", "Deputy Director", False),
        ("Leeds Teaching Hospitals NHS Trust", "Director of Nursing", True),
    ]
    with any_db.read() as s:
        assert s.get(Person, other_id) is None
        links = s.execute(
            select(interaction_people.c.interaction_id, interaction_people.c.person_id).where(
                interaction_people.c.person_id.in_([survivor_id, other_id])
            )
        ).all()
        assert sorted(links) == sorted(
            [(pair["only_other"], survivor_id), (pair["both"], survivor_id)]
        )
        assert s.scalar(select(func.count()).select_from(Interaction)) == 2
        entries = s.execute(
            select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.changes).where(
                AuditEntry.action.in_(["merge", "merged_into"])
            )
        ).all()
    placement = get_placement(any_db, pair["as_candidate"])
    assert placement.candidate_id == survivor_id
    assert [n.text for n in placement.notes] == ["Started well."]
    assert get_placement(any_db, pair["as_contact"]).client_contact_id == survivor_id
    merge = next(e for e in entries if e.action == "merge")
    assert merge.entity_id == survivor_id
    assert merge.changes["merged_person_id"] == other_id
    assert merge.changes["moved"] == {
        "emails": 1,
        "phones": 1,
        "tags": 1,
        "employments": 1,
        "interactions": 1,
        "placements": 2,
        "shortlist_entries": 0,
        "assignments": 0,
    }
    assert set(merge.changes["fields_from_merged"]) >= {
        "first_name",
        "job_title",
        "notes",
        "bluesky_account",
    }
    assert any(e.action == "merged_into" and e.entity_id == other_id for e in entries)
    assert [p.id for p in search_people(any_db, "joannebloggs")] == [survivor_id]
    assert [p.id for p in search_people(any_db, "joanne.bloggs@nhs")] == [survivor_id]


def test_merge_refuses_a_stale_version(any_db: Database, pair: dict[str, int]) -> None:
    stale = get_person(any_db, pair["other"]).version
    update_person(any_db, pair["other"], {"job_title": "Chief Nursing Officer"}, stale)
    with pytest.raises(ConflictError, match="changed by Test Recruiter"):
        merge_people(any_db, pair["survivor"], pair["other"], other_version=stale)
    assert get_person(any_db, pair["other"]).job_title == "Chief Nursing Officer"


def test_merge_keeps_the_survivors_x_account_when_asked(
    any_db: Database, pair: dict[str, int]
) -> None:
    link_x_account(any_db, person_id=pair["survivor"], handle="jobloggs")
    merge_people(any_db, pair["survivor"], pair["other"], {"x_account_id": "survivor"})
    merged = get_person(any_db, pair["survivor"])
    assert merged.x_account is not None and merged.x_account.handle == "jobloggs"
    with any_db.read() as s:
        # The other account is kept (its tweets too), linked to nobody.
        account = s.scalars(select(XAccount).where(XAccount.handle == "joannebloggs")).one()
        assert s.scalar(select(func.count()).where(Person.x_account_id == account.id)) == 0


def test_merge_keeps_the_survivors_bluesky_account_or_takes_the_others(
    any_db: Database, pair: dict[str, int]
) -> None:
    link_bluesky_directly(any_db, "did:plc:jo", "jo.bsky.social", person_id=pair["survivor"])
    preview = person_merge_preview(any_db, pair["survivor"], pair["other"])
    line = next(f for f in preview.fields if f.field == "bluesky_account")
    assert (line.survivor, line.other, line.default) == (
        "@jo.bsky.social",
        "@joanne.bsky.social",
        "survivor",
    )
    third = add_person(any_db, PersonInput("Joanne", "Bloggs"))
    link_bluesky_directly(any_db, "did:plc:jb", "jb.bsky.social", person_id=third)
    merge_people(any_db, pair["survivor"], pair["other"])
    # The survivor keeps its own; the other's account (and its posts) stays, linked to nobody.
    assert bluesky_owner(any_db, "jo.bsky.social") == (pair["survivor"], None)
    assert bluesky_owner(any_db, "joanne.bsky.social") == (None, None)
    merge_people(any_db, pair["survivor"], third, {"bluesky_account": "other"})
    assert bluesky_owner(any_db, "jb.bsky.social") == (pair["survivor"], None)
    assert bluesky_owner(any_db, "jo.bsky.social") == (None, None)


def test_merge_refusals(any_db: Database, pair: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="two different"):
        merge_people(any_db, pair["survivor"], pair["survivor"])
    with pytest.raises(ValidationError, match="Only one first name"):
        merge_people(any_db, pair["survivor"], pair["other"], {"first_name": "both"})
    with pytest.raises(ValidationError, match="not a field"):
        merge_people(any_db, pair["survivor"], pair["other"], {"salary": "other"})
    with pytest.raises(NotFoundError):
        merge_people(any_db, pair["survivor"], 99999)


def test_merge_organisations(any_db: Database, pair: dict[str, int], trust: int) -> None:
    duplicate = add_organisation(
        any_db,
        OrganisationInput(
            name="Leeds Teaching Hospitals", ods_code="RR8", tags=["NHS"], notes="Big trust."
        ),
    )
    child = add_organisation(any_db, OrganisationInput(name="Leeds Hospital Charity"))
    from crm.services.organisations import update_organisation

    update_organisation(any_db, child, {"parent_id": duplicate}, None)
    moving = add_person(any_db, PersonInput("Ali", "Khan", organisation_id=duplicate))
    placement = add_placement(
        any_db,
        PlacementInput(candidate_id=pair["third"], organisation_id=duplicate, role="Interim COO"),
    )
    log_interaction(
        any_db, InteractionInput([moving], "Intro call", kind="note", organisation_id=duplicate)
    )
    link_bluesky_directly(any_db, "did:plc:leeds", "leedsth.nhs.uk", organisation_id=duplicate)
    preview = organisation_merge_preview(any_db, trust, duplicate)
    fields = {f.field: f for f in preview.fields}
    assert fields["ods_code"].default == "other"
    assert (fields["bluesky_account"].other, fields["bluesky_account"].default) == (
        "@leedsth.nhs.uk",
        "other",
    )
    assert preview.moves == {
        "employments": 1,
        "placements": 1,
        "assignments": 0,
        "interactions": 1,
        "child_organisations": 1,
        "tags": 1,
    }
    merge_organisations(any_db, trust, duplicate)
    merged = get_organisation(any_db, trust)
    assert merged.name == "Leeds Teaching Hospitals NHS Trust"
    assert merged.ods_code == "RR8"
    assert merged.tags == ["NHS"]
    assert merged.notes == "Big trust."
    assert get_organisation(any_db, child).parent_id == trust
    assert bluesky_owner(any_db, "leedsth.nhs.uk") == (None, trust)
    assert get_placement(any_db, placement).organisation_id == trust
    assert get_person(any_db, moving).employments[0].organisation_id == trust
    with pytest.raises(NotFoundError):
        get_organisation(any_db, duplicate)
    assert moving in [p.id for p in search_people(any_db, "leeds teaching")]
    with any_db.read() as s:
        entries = s.execute(
            select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.changes).where(
                AuditEntry.entity_type == "organisation",
                AuditEntry.action.in_(["merge", "merged_into"]),
            )
        ).all()
    merge = next(e for e in entries if e.action == "merge")
    assert merge.entity_id == trust
    assert merge.changes["merged_organisation_id"] == duplicate
    assert merge.changes["merged_name"] == "Leeds Teaching Hospitals"
    assert merge.changes["moved"] == preview.moves
    assert "ods_code" in merge.changes["fields_from_merged"]
    assert any(e.action == "merged_into" and e.entity_id == duplicate for e in entries)


def test_merging_an_organisation_into_its_own_child(any_db: Database) -> None:
    from crm.services.organisations import update_organisation

    group = add_organisation(any_db, OrganisationInput(name="Northern Care Group"))
    care = add_organisation(any_db, OrganisationInput(name="Northern Care"))
    homes = add_organisation(any_db, OrganisationInput(name="Northern Care Homes"))
    for child in (care, homes):
        update_organisation(any_db, child, {"parent_id": group}, None)
    merge_organisations(any_db, care, group)
    assert get_organisation(any_db, care).parent_id is None  # never its own parent
    assert get_organisation(any_db, homes).parent_id == care
    with any_db.read() as s:
        moved = s.scalar(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "organisation", AuditEntry.action == "merge"
            )
        )
    assert moved is not None and moved["moved"]["child_organisations"] == 1
