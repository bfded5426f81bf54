"""UK GDPR: subject access exports, erasure that leaves nothing behind, retention review."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from crm.domain.errors import ConflictError, NotFoundError
from crm.services import audit
from crm.services.duplicates import merge_people
from crm.services.gdpr import (
    ERASED,
    erase_people,
    erase_person,
    erasure_impact,
    export_subject_access,
    renew_retention,
    retention_review,
    subject_access_data,
)
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation, update_organisation
from crm.services.people import (
    PersonInput,
    add_person,
    get_person,
    search_people,
    update_person,
)
from crm.services.placements import (
    PlacementInput,
    add_note,
    add_placement,
    extend_placement,
    get_placement,
    update_placement,
)
from crm.services.xlink import link_x_account
from crm.storage.db import Database
from crm.storage.models import (
    BlueskyAccount,
    BlueskySnapshot,
    FollowerSnapshot,
    Interaction,
    Person,
    Post,
    Tweet,
    TweetMention,
    XAccount,
)

NAME = "Zebedee Quillfeather"
EMAIL = "zeb.quillfeather@example.org"
HANDLE = "zquillfeather"
PHONE = "07812 345678"
# What must be found nowhere once they are erased (lower case). The surname is unusual on
# purpose: if it survives anywhere, something was missed.
BSKY_HANDLE = "zebq.bsky.social"
OLD_BSKY_HANDLE = "zq-finance.bsky.social"
DID = "did:plc:zebq7kq2mvh4xw3f"
TRACES = [
    "quillfeather",
    "zeb.quillfeather",
    HANDLE,
    "7812345678",
    "7812 345678",
    "zebq",
    "zq-finance",
    "zebfinanceuk",
    DID,
]
X_USER_ID = 4_400_000_001
CONFED_DID = "did:plc:nhsconfed00000000"


@pytest.fixture
def zeb(any_db: Database) -> dict[str, int]:
    """A person with something of every kind held about them."""
    db = any_db
    trust = add_organisation(db, OrganisationInput(name="Leeds Teaching Hospitals NHS Trust"))
    council = add_organisation(db, OrganisationInput(name="Bradford Council"))
    org_account = add_organisation(db, OrganisationInput(name="NHS Confed"))
    person = add_person(
        db,
        PersonInput(
            "Zebedee",
            "Quillfeather",
            preferred_name="Zeb",
            job_title="Director of Finance",
            organisation_id=trust,
            emails=[EMAIL],
            phones=[PHONE],
            linkedin_url="https://www.linkedin.com/in/zquillfeather",
            tags=["Board"],
            notes="Prefers calls after 4pm.",
            is_candidate=True,
        ),
    )
    duplicate = add_person(
        db, PersonInput("Zebedee", "Quillfeather", emails=["zq@example.net"], location="Leeds")
    )
    merge_people(db, person, duplicate)
    update_person(db, person, {"location": "Harrogate"}, None)
    link_x_account(db, person_id=person, handle=HANDLE)
    link_x_account(db, organisation_id=org_account, handle="nhsconfed")
    sam = add_person(db, PersonInput("Sam", "Patel", organisation_id=trust, is_client_contact=True))
    update_person(
        db,
        sam,
        {
            "notes": f"Worked with {NAME} at York; ask Zeb Quillfeather first. "
            f"Posts as https://bsky.app/profile/{BSKY_HANDLE}."
        },
        None,
    )
    update_organisation(db, trust, {"notes": f"Finance contact: {EMAIL}"}, None)
    alone = log_interaction(
        db, InteractionInput([person], f"Call with {NAME} about interim CFO roles", kind="call")
    )
    shared = log_interaction(
        db,
        InteractionInput(
            [person, sam],
            "Board meeting",
            kind="meeting",
            body=f"Sam said {NAME} ({EMAIL}, {PHONE}) is available; see @{HANDLE}.",
        ),
    )
    as_candidate = add_placement(
        db,
        PlacementInput(
            candidate_id=person,
            organisation_id=council,
            role="Interim Director of Finance",
            status="active",
            charge_rate="750",
            start_date=date(2026, 1, 5),
            end_date=date(2026, 6, 30),
        ),
    )
    add_note(db, as_candidate, "Zeb Quillfeather settling in well.")
    extend_placement(db, as_candidate, date(2026, 9, 30), reason=f"{NAME} asked to stay")
    log_interaction(
        db,
        InteractionInput([sam], "Placement review", kind="note", placement_id=as_candidate),
    )
    other = add_person(db, PersonInput("Alex", "Jones", is_candidate=True))
    as_contact = add_placement(
        db,
        PlacementInput(
            candidate_id=other,
            organisation_id=trust,
            role="Interim CFO",
            client_contact_id=person,
        ),
    )
    add_note(db, as_contact, f"Approved by {NAME}.")
    update_placement(db, as_contact, {"status": "confirmed"}, None)
    # Pretend the X account was synced: its id, tweets, follower history, and an
    # organisation's tweet that mentions them.
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with db.session() as s:
        account = s.scalars(select(XAccount).where(XAccount.handle == HANDLE)).one()
        account.x_user_id = X_USER_ID
        account.bio = "Finance director. Views my own."
        account.display_name = NAME
        # A sync saw them rename: the entry names the handle they had before.
        audit.record(s, "x_account", account.id, "rename", {"handle": ["ZebFinanceUK", HANDLE]})
        s.add_all(
            [
                Tweet(
                    id=1001,
                    account_id=account.id,
                    author_x_user_id=X_USER_ID,
                    text="Great day at #NHSConfed",
                    created_at=now,
                    raw={"id": "1001", "author": HANDLE},
                ),
                FollowerSnapshot(account=account, followers=120, following=80, tweets=900),
            ]
        )
        confed = s.scalars(select(XAccount).where(XAccount.handle == "nhsconfed")).one()
        s.add(
            Tweet(
                id=2002,
                account_id=confed.id,
                author_x_user_id=5,
                text=f"Welcome to our panel, @{HANDLE}!",
                created_at=now,
                mentioned_user_ids=[X_USER_ID],
                raw={"entities": {"mentions": [{"username": HANDLE}]}},
            )
        )
        s.add(TweetMention(tweet_id=2002, x_user_id=X_USER_ID))
        s.add(
            Tweet(
                id=3003,
                account_id=confed.id,
                author_x_user_id=5,
                text="Conference opens today",
                created_at=now,
            )
        )
    # Their Bluesky account, synced: posts, follower history, a rename, and the
    # organisation's posts that mention them, reply to them and say nothing of them.
    with db.session() as s:
        bsky = BlueskyAccount(
            did=DID,
            handle=BSKY_HANDLE,
            display_name=NAME,
            bio="NHS finance. Also @zquillfeather on X.",
            person_id=person,
            followers_count=310,
        )
        confed_bsky = BlueskyAccount(
            did=CONFED_DID, handle="nhsconfed.bsky.social", organisation_id=org_account
        )
        s.add_all([bsky, confed_bsky])
        s.flush()
        audit.record(
            s, "bluesky_account", bsky.id, "rename", {"handle": [OLD_BSKY_HANDLE, BSKY_HANDLE]}
        )
        own_uri = f"at://{DID}/app.bsky.feed.post/3kzeb1"
        s.add_all(
            [
                Post(
                    uri=own_uri,
                    cid="bafyzeb1",
                    account_id=bsky.id,
                    text="Budgets are moral documents",
                    created_at=now,
                    raw={"author": {"did": DID, "handle": BSKY_HANDLE}},
                ),
                BlueskySnapshot(
                    account_id=bsky.id, taken_at=now, followers=300, follows=90, posts=40
                ),
                Post(
                    uri=f"at://{CONFED_DID}/app.bsky.feed.post/3kconf1",
                    cid="bafyconf1",
                    account_id=confed_bsky.id,
                    text=f"Our finance panel with @{BSKY_HANDLE} starts now",
                    created_at=now,
                    raw={"record": {"facets": [{"features": [{"did": DID}]}]}},
                ),
                Post(
                    uri=f"at://{CONFED_DID}/app.bsky.feed.post/3kconf2",
                    cid="bafyconf2",
                    account_id=confed_bsky.id,
                    text="Agreed, thank you",
                    created_at=now,
                    reply_parent_uri=own_uri,
                    reply_root_uri=own_uri,
                    raw={"record": {"reply": {"parent": {"uri": own_uri}}}},
                ),
                Post(
                    uri=f"at://{CONFED_DID}/app.bsky.feed.post/3kconf3",
                    cid="bafyconf3",
                    account_id=confed_bsky.id,
                    text="Conference opens today on Bluesky too",
                    created_at=now,
                ),
            ]
        )
    return {
        "person": person,
        "sam": sam,
        "alone": alone,
        "shared": shared,
        "as_candidate": as_candidate,
        "as_contact": as_contact,
        "trust": trust,
        "other": other,
    }


# -- looking through every table ------------------------------------------------------------------


def every_text(db: Database) -> list[tuple[str, str, str]]:
    """(table, column, text) for every text-like value in the database, shadow tables of the
    full-text indexes included."""
    found: list[tuple[str, str, str]] = []
    with db.engine.connect() as conn:
        if db.is_sqlite:
            tables = [
                r[0]
                for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            for table in tables:
                result = conn.exec_driver_sql(f'SELECT * FROM "{table}"')
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        if value is not None:
                            found.append((table, column, str(value)))
            # The words each full-text index still knows, deleted or not.
            for index in ("person_fts", "interaction_fts"):
                conn.exec_driver_sql(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{index}_words "
                    f"USING fts5vocab(main, {index}, 'row')"
                )
                for (term,) in conn.exec_driver_sql(f"SELECT term FROM temp.{index}_words"):
                    found.append((index, "term", term))
        else:
            columns = conn.exec_driver_sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type IN "
                "('text', 'character varying', 'json', 'jsonb', 'tsvector', 'ARRAY')"
            ).all()
            for table, column in columns:
                for (value,) in conn.exec_driver_sql(
                    f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'
                ):
                    found.append((table, column, value))
    return found


def traces_of(db: Database) -> list[tuple[str, str, str]]:
    return [
        (table, column, value)
        for table, column, value in every_text(db)
        if any(t in value.lower() for t in TRACES)
    ]


# -- subject access ------------------------------------------------------------------------------


def test_subject_access_holds_everything(
    any_db: Database, zeb: dict[str, int], tmp_path: Path
) -> None:
    data = subject_access_data(any_db, zeb["person"])
    assert data["person"]["first_name"] == "Zebedee"
    assert sorted(data["emails"]) == sorted([EMAIL, "zq@example.net"])
    assert data["phones"] == ["+447812345678"]
    assert [e["organisation"] for e in data["employments"]] == [
        "Leeds Teaching Hospitals NHS Trust"
    ]
    summaries = [i["summary"] for i in data["interactions"]]
    assert sorted(summaries) == sorted(
        [f"Call with {NAME} about interim CFO roles", "Board meeting"]
    )
    shared = next(i for i in data["interactions"] if i["summary"] == "Board meeting")
    assert shared["other_people_present"] == 1
    assert "Sam" not in json.dumps(shared["other_people_present"])
    placements = {p["as"]: p for p in data["placements"]}
    assert placements["candidate"]["charge_rate"] == "750.00"
    assert placements["candidate"]["notes"][0]["text"] == "Zeb Quillfeather settling in well."
    assert placements["candidate"]["extensions"][0]["reason"] == f"{NAME} asked to stay"
    assert "charge_rate" not in placements["client contact"]  # the other candidate's terms
    assert data["x_account"]["handle"] == HANDLE
    assert [t["text"] for t in data["tweets"]] == ["Great day at #NHSConfed"]
    assert [t["text"] for t in data["tweets_mentioning_them"]] == [
        f"Welcome to our panel, @{HANDLE}!"
    ]
    assert data["follower_history"][0]["followers"] == 120
    assert (data["bluesky_account"]["handle"], data["bluesky_account"]["did"]) == (BSKY_HANDLE, DID)
    assert [p["text"] for p in data["bluesky_posts"]] == ["Budgets are moral documents"]
    assert sorted(p["text"] for p in data["bluesky_posts_mentioning_them"]) == [
        "Agreed, thank you",
        f"Our finance panel with @{BSKY_HANDLE} starts now",
    ]
    assert [(h["followers"], h["follows"]) for h in data["bluesky_follower_history"]] == [(300, 90)]
    actions = {(a["entity"], a["action"]) for a in data["audit"]}
    assert {("person", "create"), ("person", "merge"), ("person", "link_x")} <= actions
    assert ("placement", "extend") in actions and ("employment", "update") not in actions
    assert ("person", "update") in actions  # Sam's notes name them: that entry is about them too
    assert ("bluesky_account", "rename") in actions  # it names the handle they had before
    assert ("x_account", "rename") in actions

    result = export_subject_access(any_db, zeb["person"], tmp_path / "sar")
    saved = json.loads(Path(result.json_path).read_text(encoding="utf-8"))
    assert saved["person"]["last_name"] == "Quillfeather"
    page = Path(result.html_path).read_text(encoding="utf-8")
    assert "<h1>Personal data held about Zebedee Quillfeather</h1>" in page
    assert "Great day at #NHSConfed" in page and "Harrogate" in page
    assert "<h2>Bluesky account</h2>" in page and "Budgets are moral documents" in page
    assert "Our finance panel with" in page and "<h2>Bluesky follower history</h2>" in page
    assert "<script" not in page
    assert result.counts["interactions"] == 2


def test_subject_access_escapes_html(db: Database, tmp_path: Path) -> None:
    pid = add_person(db, PersonInput("<b>Bold</b>", "O'Hara", notes="<script>alert(1)</script>"))
    result = export_subject_access(db, pid, tmp_path)
    page = Path(result.html_path).read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- erasure ---------------------------------------------------------------------------------------


def test_erasure_leaves_no_personal_data(
    any_db: Database, zeb: dict[str, int], tmp_path: Path
) -> None:
    db = any_db
    export_subject_access(db, zeb["person"], tmp_path)
    assert traces_of(db), "the fixture should have put their data everywhere"
    impact = erasure_impact(db, zeb["person"])
    assert (impact.interactions_deleted, impact.interactions_kept) == (1, 1)
    assert (impact.placements_deleted, impact.placements_as_contact) == (1, 1)
    assert impact.x_handle == HANDLE and impact.tweets == 2
    assert impact.bluesky_handle == BSKY_HANDLE and impact.bluesky_posts == 3
    version = get_person(db, zeb["person"]).version
    report = erase_person(db, zeb["person"], expected_version=version)
    assert report.removed["interactions"] == 1
    assert report.removed["placements"] == 1
    assert report.removed["tweets"] == 2
    assert report.removed["x_account"] == 1
    assert report.removed["bluesky_posts"] == 3
    assert report.removed["bluesky_follower_snapshots"] == 1
    assert report.removed["bluesky_account"] == 1

    left = traces_of(db)
    assert left == [], "\n".join(f"{t}.{c}: {v[:120]!r}" for t, c, v in left)

    with pytest.raises(NotFoundError):
        get_person(db, zeb["person"])
    # The others keep what is theirs.
    sam = get_person(db, zeb["sam"])
    assert sam.notes == (
        f"Worked with {ERASED} at York; ask {ERASED} first. Posts as https://{ERASED}."
    )
    with db.read() as s:
        shared = s.get(Interaction, zeb["shared"])
        assert shared is not None
        assert [p.id for p in shared.people] == [zeb["sam"]]
        assert shared.body == f"Sam said {ERASED} ({ERASED}, {ERASED}) is available; see {ERASED}."
        assert s.get(Interaction, zeb["alone"]) is None
        assert s.get(Tweet, 3003) is not None  # the organisation's other tweets stay
        assert s.scalars(select(XAccount.handle)).all() == ["nhsconfed"]
        # The organisation's Bluesky account and its post about something else stay.
        assert s.scalars(select(BlueskyAccount.handle)).all() == ["nhsconfed.bsky.social"]
        assert s.scalars(select(Post.text)).all() == ["Conference opens today on Bluesky too"]
        last = s.execute(
            text(
                "SELECT who, entity_type, entity_id, action, changes FROM audit_entry ORDER BY id DESC LIMIT 1"
            )
        ).one()
    contact = get_placement(db, zeb["as_contact"])
    assert contact.client_contact_id is None
    assert [n.text for n in contact.notes] == [f"Approved by {ERASED}."]
    assert (last.who, last.entity_type, last.entity_id, last.action) == (
        "Test Recruiter",
        "person",
        zeb["person"],
        "erase",
    )
    changes = last.changes if isinstance(last.changes, dict) else json.loads(last.changes)
    assert changes["erased"] is True
    assert [p.name for p in search_people(db, "quillfeather")] == []
    assert [p.name for p in search_people(db, "patel")] == ["Sam Patel"]
    # The full-text indexes still work for everyone else.
    log_interaction(db, InteractionInput([zeb["sam"]], "Budget call", kind="note"))
    from crm.services.interactions import search_interactions

    assert [i.summary for i in search_interactions(db, "budget")] == ["Budget call"]


def test_erasure_checks_the_version(any_db: Database, zeb: dict[str, int]) -> None:
    stale = get_person(any_db, zeb["person"]).version
    update_person(any_db, zeb["person"], {"job_title": "CFO"}, stale)
    with pytest.raises(ConflictError):
        erase_person(any_db, zeb["person"], expected_version=stale)
    assert get_person(any_db, zeb["person"]).job_title == "CFO"


def test_a_person_with_only_a_name(db: Database) -> None:
    pid = add_person(db, PersonInput("Ann", "Lee"))
    erase_person(db, pid)
    with db.read() as s:
        assert s.get(Person, pid) is None


# -- retention review ---------------------------------------------------------------------------------


def test_retention_review(any_db: Database) -> None:
    db = any_db
    long_ago = datetime.now(UTC) - timedelta(days=800)
    quiet = add_person(db, PersonInput("Quiet", "One"))
    recent = add_person(db, PersonInput("Recent", "Contact"))
    old_contact = add_person(db, PersonInput("Old", "Contact"))
    new = add_person(db, PersonInput("Just", "Added"))
    with db.session() as s:
        s.execute(
            update(Person)
            .where(Person.id.in_([quiet, recent, old_contact]))
            .values(created_at=long_ago)
        )
    log_interaction(db, InteractionInput([recent], "Catch-up", kind="note"))
    log_interaction(
        db,
        InteractionInput(
            [old_contact], "Old call", kind="note", occurred_at=long_ago + timedelta(days=10)
        ),
    )
    due = retention_review(db, months=24)
    assert [c.person_id for c in due] == [quiet, old_contact]
    assert due[0].last_interaction_at is None
    old = due[1].last_interaction_at
    assert old is not None and abs(old - (long_ago + timedelta(days=10))) < timedelta(seconds=1)
    assert new not in [c.person_id for c in due]
    assert [c.person_id for c in retention_review(db, months=36)] == []
    renew_retention(db, [quiet], "Still a live candidate")
    assert [c.person_id for c in retention_review(db, months=24)] == [old_contact]
    erase_people(db, [old_contact])
    assert retention_review(db, months=24) == []


def test_retention_months_setting(db: Database) -> None:
    from crm import settings

    pid = add_person(db, PersonInput("Quiet", "One"))
    with db.session() as s:
        s.execute(
            update(Person)
            .where(Person.id == pid)
            .values(created_at=datetime.now(UTC) - timedelta(days=100))
        )
    assert retention_review(db) == []  # 24 months by default
    settings.set("retention_months", 3)
    assert [c.person_id for c in retention_review(db)] == [pid]
