"""Bluesky: identities as typed, the AppView gateway against the fake AppView, linking by DID,
incremental sync with follower snapshots, and posts beside tweets on one timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.domain.bluesky import BlueskyActor
from crm.domain.errors import BlueskyApiError, Cancelled, ValidationError
from crm.services import bluesky, bluesky_sync
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.timeline import TimelineQuery, organisation_timeline, person_timeline
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount, BlueskySnapshot, Post, Tweet, XAccount
from crm.x.bluesky import BlueskyAccountUnavailable, BlueskyGateway
from tests.x.fake_bluesky_server import (
    GONE_DID,
    JANE_DID,
    NOW,
    TRUST_DID,
    FakeActor,
    FakeBlueskyServer,
)

# --------------------------------------------------------------------------- typed identities


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("janeokafor.bsky.social", "janeokafor.bsky.social"),
        ("@JaneOkafor.bsky.social", "janeokafor.bsky.social"),
        ("janeokafor", "janeokafor.bsky.social"),
        ("kingsford.nhs.uk", "kingsford.nhs.uk"),
        ("https://bsky.app/profile/kingsford.nhs.uk", "kingsford.nhs.uk"),
        ("bsky.app/profile/janeokafor.bsky.social/post/3l2", "janeokafor.bsky.social"),
        ("did:plc:janeokaforceo0000000001", "did:plc:janeokaforceo0000000001"),
        ("https://bsky.app/profile/did:plc:abc234", "did:plc:abc234"),
    ],
)
def test_bluesky_actor_accepts_what_recruiters_paste(typed: str, value: str) -> None:
    assert BlueskyActor.parse(typed).value == value


@pytest.mark.parametrize(
    "typed", ["", "  ", "https://x.com/jane", "not a handle!", "did:foo:bar", "-bad-.bsky.social"]
)
def test_bluesky_actor_refuses_what_is_not_an_account(typed: str) -> None:
    with pytest.raises(ValidationError):
        BlueskyActor.parse(typed)


# --------------------------------------------------------------------------- the gateway


def _gateway(fake: FakeBlueskyServer) -> BlueskyGateway:
    return BlueskyGateway(fake.base_url, timeout=2, backoff_base=0.0)


def test_get_profile_resolves_a_handle_to_its_did(fake_bsky: FakeBlueskyServer) -> None:
    profile = _gateway(fake_bsky).get_profile("https://bsky.app/profile/kingsford.nhs.uk")
    assert profile.did == TRUST_DID
    assert profile.handle == "kingsford.nhs.uk"
    assert profile.followers_count == 7971
    assert profile.display_name == "Kingsford NHS Trust"
    assert fake_bsky.requests_to("app.bsky.actor.getProfile")[0].query["actor"] == [
        "kingsford.nhs.uk"
    ]


def test_unknown_and_deactivated_accounts_are_named_errors(fake_bsky: FakeBlueskyServer) -> None:
    gateway = _gateway(fake_bsky)
    with pytest.raises(BlueskyAccountUnavailable, match="does not exist") as missing:
        gateway.get_profile("nobody.bsky.social")
    assert missing.value.account_status == "not_found"
    with pytest.raises(BlueskyAccountUnavailable, match="deactivated"):
        gateway.get_profile(GONE_DID)


def test_get_profiles_asks_25_actors_a_request(fake_bsky: FakeBlueskyServer) -> None:
    dids = [f"did:plc:bulk{i:020d}" for i in range(60)]
    for i, did in enumerate(dids):
        fake_bsky.add_actor(FakeActor(did, f"bulk{i}.bsky.social", followers=i))
    found = _gateway(fake_bsky).get_profiles([*dids, GONE_DID])
    calls = fake_bsky.requests_to("app.bsky.actor.getProfiles")
    assert [len(c.query["actors"]) for c in calls] == [25, 25, 11]
    assert {p.did for p in found} == set(dids)  # the deactivated one is left out


def test_author_feed_pages_by_cursor_and_leaves_out_reposts(fake_bsky: FakeBlueskyServer) -> None:
    pages = list(_gateway(fake_bsky).iter_new_posts(JANE_DID, None))
    assert [len(p.posts) for p in pages] == [99, 31]  # the first page held one repost
    cursors = [c.query.get("cursor") for c in fake_bsky.requests_to("app.bsky.feed.getAuthorFeed")]
    assert cursors[0] is None and cursors[1] is not None
    posts = [p for page in pages for p in page.posts]
    assert len({p.uri for p in posts}) == 130
    assert all(p.author_did == JANE_DID for p in posts)
    assert posts[0].created_at > posts[-1].created_at


def test_author_feed_stops_at_the_newest_stored_post(fake_bsky: FakeBlueskyServer) -> None:
    newest = fake_bsky.actors[JANE_DID].posts[0]
    fake_bsky.add_post(JANE_DID, "Brand new", NOW + timedelta(hours=1))
    from crm.x.bluesky import parse_time

    pages = list(
        _gateway(fake_bsky).iter_new_posts(
            JANE_DID, parse_time(newest["post"]["record"]["createdAt"])
        )
    )
    assert [p.text for page in pages for p in page.posts] == ["Brand new"]
    assert len(fake_bsky.requests_to("app.bsky.feed.getAuthorFeed")) == 1


def test_server_errors_are_retried_and_client_errors_are_not(fake_bsky: FakeBlueskyServer) -> None:
    gateway = _gateway(fake_bsky)
    fake_bsky.fail_next(503, times=2)
    assert gateway.get_profile(JANE_DID).did == JANE_DID
    assert len(fake_bsky.requests_to("app.bsky.actor.getProfile")) == 3
    fake_bsky.clear_requests()
    fake_bsky.fail_next(429, error="RateLimitExceeded")
    with pytest.raises(BlueskyApiError, match="rate limit") as limited:
        gateway.get_profile(JANE_DID)
    assert limited.value.status == 429
    assert len(fake_bsky.requests()) == 1


def test_a_malformed_answer_is_a_clear_error(fake_bsky: FakeBlueskyServer) -> None:
    fake_bsky.actors[JANE_DID].posts.insert(0, {"post": {"uri": "at://x"}, "_sort": NOW})
    with pytest.raises(BlueskyApiError, match="not the JSON the CRM expects"):
        _gateway(fake_bsky).get_author_feed(JANE_DID)


def test_nothing_listening_is_one_clear_error() -> None:
    gateway = BlueskyGateway("http://127.0.0.1:9", timeout=1, attempts=1)
    with pytest.raises(BlueskyApiError, match="Could not connect"):
        gateway.get_profile(JANE_DID)


def test_the_appview_url_must_be_a_web_address() -> None:
    with pytest.raises(ValidationError):
        BlueskyGateway("ftp://example.org")
    with pytest.raises(ValidationError, match="https"):
        bluesky.set_appview_url("http://appview.example.org")
    assert bluesky.set_appview_url("") == "https://public.api.bsky.app"


# --------------------------------------------------------------------------- linking and sync


def _jane(db: Database) -> int:
    return add_person(db, PersonInput("Jane", "Okafor", job_title="Chief Executive"))


def _trust(db: Database) -> int:
    return add_organisation(db, OrganisationInput("Kingsford NHS Trust"))


def test_link_stores_the_account_by_did(any_db: Database, fake_bsky: FakeBlueskyServer) -> None:
    person_id = _jane(any_db)
    view = bluesky.link_bluesky(
        any_db,
        person_id=person_id,
        handle="@janeokafor.bsky.social",
        gateway=bluesky.make_gateway(),
    )
    assert view.did == JANE_DID and view.followers_count == 869
    # The handle changes on Bluesky; the link holds by DID and the sync follows the rename.
    fake_bsky.actors[JANE_DID].handle = "jane.kingsford.nhs.uk"
    plan = bluesky_sync.plan_bluesky_sync(any_db, person_ids=[person_id])
    report = bluesky_sync.run_bluesky_sync(any_db, bluesky.make_gateway(), plan)
    assert report.synced == 1
    linked = bluesky.bluesky_account_of(any_db, person_id=person_id)
    assert linked is not None and linked.handle == "jane.kingsford.nhs.uk"
    assert linked.did == JANE_DID


def test_people_are_found_by_their_bluesky_handle(
    any_db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    from crm.services.people import search_people

    def found(text: str) -> list[int]:
        return [p.id for p in search_people(any_db, text)]

    jane = _jane(any_db)
    gateway = bluesky.make_gateway()
    assert found("janeokafor") == []
    bluesky.link_bluesky(any_db, person_id=jane, handle="janeokafor.bsky.social", gateway=gateway)
    assert found("janeokafor") == [jane]
    assert found("@janeokafor.bsky.social") == [jane]
    # A rename seen by a sync is searchable at once; the old handle no longer finds them.
    fake_bsky.actors[JANE_DID].handle = "jane.kingsford.nhs.uk"
    plan = bluesky_sync.plan_bluesky_sync(any_db, person_ids=[jane])
    bluesky_sync.run_bluesky_sync(any_db, gateway, plan)
    assert found("kingsford") == [jane] and found("janeokafor") == []
    # Linking another account, then unlinking, keeps the document in step.
    bluesky.link_bluesky(any_db, person_id=jane, handle="amara.bsky.social", gateway=gateway)
    assert found("amara") == [jane] and found("kingsford") == []
    bluesky.unlink_bluesky(any_db, person_id=jane)
    assert found("amara") == []


def test_link_refuses_an_unknown_account_and_changes_nothing(
    db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    person_id = _jane(db)
    with pytest.raises(ValidationError, match="does not exist on Bluesky"):
        bluesky.link_bluesky(
            db, person_id=person_id, handle="nobody.bsky.social", gateway=bluesky.make_gateway()
        )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(BlueskyAccount)) == 0


def test_one_account_links_to_one_record(db: Database, fake_bsky: FakeBlueskyServer) -> None:
    jane, trust = _jane(db), _trust(db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    with pytest.raises(ValidationError, match="already linked to Jane Okafor"):
        bluesky.link_bluesky(db, organisation_id=trust, handle=JANE_DID, gateway=gateway)
    # Linking the person to another account moves their link; the old account stays, unlinked.
    bluesky.link_bluesky(db, person_id=jane, handle="amara.bsky.social", gateway=gateway)
    view = bluesky.bluesky_account_of(db, person_id=jane)
    assert view is not None and view.handle == "amara.bsky.social"
    bluesky.link_bluesky(db, organisation_id=trust, handle=JANE_DID, gateway=gateway)
    assert bluesky.unlink_bluesky(db, organisation_id=trust) is True
    assert bluesky.bluesky_account_of(db, organisation_id=trust) is None


def test_sync_stores_posts_once_and_then_only_newer_ones(
    any_db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    jane, trust = _jane(any_db), _trust(any_db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(any_db, person_id=jane, handle="janeokafor.bsky.social", gateway=gateway)
    bluesky.link_bluesky(any_db, organisation_id=trust, handle="kingsford.nhs.uk", gateway=gateway)
    fake_bsky.clear_requests()
    plan = bluesky_sync.plan_bluesky_sync(any_db, all_linked=True)
    assert plan.profile_requests == 1 and len(plan.targets) == 2
    seen: list[str] = []
    report = bluesky_sync.run_bluesky_sync(
        any_db, gateway, plan, progress=lambda _d, _t, text: seen.append(text)
    )
    assert report.new_posts == 133 and report.synced == 2 and not report.problems
    assert len(fake_bsky.requests_to("app.bsky.actor.getProfiles")) == 1
    assert any("posts: page 2" in text for text in seen)

    fake_bsky.add_post(JANE_DID, "A new one", NOW + timedelta(hours=2), likes=4)
    fake_bsky.actors[JANE_DID].followers = 900
    fake_bsky.clear_requests()
    again = bluesky_sync.run_bluesky_sync(
        any_db, gateway, bluesky_sync.plan_bluesky_sync(any_db, all_linked=True)
    )
    assert again.new_posts == 1
    assert len(fake_bsky.requests_to("app.bsky.feed.getAuthorFeed")) == 2  # one page each
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 134
        followers = list(
            session.scalars(
                select(BlueskySnapshot.followers)
                .join(BlueskyAccount, BlueskyAccount.id == BlueskySnapshot.account_id)
                .where(BlueskyAccount.did == JANE_DID)
                .order_by(BlueskySnapshot.id)
            )
        )
    assert followers == [869, 869, 900]  # link, first sync, second sync


def test_a_deactivated_account_is_marked_and_the_others_sync(
    db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    jane, trust = _jane(db), _trust(db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    bluesky.link_bluesky(db, organisation_id=trust, handle=TRUST_DID, gateway=gateway)
    fake_bsky.actors[TRUST_DID].status = "deactivated"
    report = bluesky_sync.run_bluesky_sync(
        db, gateway, bluesky_sync.plan_bluesky_sync(db, all_linked=True)
    )
    assert report.synced == 1
    (problem,) = report.problems
    assert problem.status == "not_found" and "returned nothing" in (problem.message or "")


def test_cancel_keeps_what_was_stored(db: Database, fake_bsky: FakeBlueskyServer) -> None:
    jane = _jane(db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    pages: list[int] = []

    def progress(_done: int, _total: int, text: str) -> None:
        if "posts: page" in text:
            pages.append(1)

    report = bluesky_sync.run_bluesky_sync(
        db,
        gateway,
        bluesky_sync.plan_bluesky_sync(db, person_ids=[jane]),
        progress=progress,
        cancelled=lambda: bool(pages),
    )
    assert report.cancelled and report.new_posts == 99
    account = bluesky.bluesky_account_of(db, person_id=jane)
    # The first page is kept, but the account is not marked synced up to it: the next sync
    # reads from the top again and fills the gap.
    assert account is not None and account.newest_post_at is None
    with pytest.raises(Cancelled):
        gateway.get_profiles([JANE_DID], cancelled=lambda: True)


def test_posts_join_the_timeline_beside_tweets(db: Database, fake_bsky: FakeBlueskyServer) -> None:
    jane, trust = _jane(db), _trust(db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    bluesky.link_bluesky(db, organisation_id=trust, handle=TRUST_DID, gateway=gateway)
    bluesky_sync.run_bluesky_sync(db, gateway, bluesky_sync.plan_bluesky_sync(db, all_linked=True))
    with db.session() as session:
        account = XAccount(handle="JaneOkafor", x_user_id=42, status="ok")
        session.add(account)
        session.flush()
        from crm.storage.models import Person

        person = session.get(Person, jane)
        assert person is not None
        person.x_account_id = account.id
        session.add(
            Tweet(
                id=1,
                account_id=account.id,
                author_x_user_id=42,
                text="A tweet between the posts",
                created_at=NOW - timedelta(hours=13),
            )
        )
    entries = person_timeline(db, jane, TimelineQuery(limit=5))
    networks = [(e.kind, e.extra.get("network")) for e in entries]
    assert ("tweet", "x") in networks and ("post", "bluesky") in networks
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    post = next(e for e in entries if e.kind == "post")
    assert post.extra["url"].startswith("https://bsky.app/profile/janeokafor.bsky.social/post/")
    only_posts = person_timeline(db, jane, TimelineQuery(kinds=frozenset({"post"}), limit=500))
    assert len(only_posts) == 130
    org_entries = organisation_timeline(db, trust)
    assert [e.text for e in org_entries] == ["Trust news 2", "Trust news 1", "Trust news 0"]


def test_reposts_by_others_are_not_stored_as_the_accounts_posts(
    db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    jane = _jane(db)
    gateway = bluesky.make_gateway()
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    bluesky_sync.run_bluesky_sync(
        db, gateway, bluesky_sync.plan_bluesky_sync(db, person_ids=[jane])
    )
    with db.read() as session:
        texts: list[Any] = list(session.scalars(select(Post.text)))
    assert "Someone else's post" not in texts


# --------------------------------------------------------------------------- who left X


def test_name_matching_ignores_case_accents_titles_and_punctuation() -> None:
    assert bluesky.name_matches("Jane Okafor", "Dr Jane Okafor OBE")
    assert bluesky.name_matches("Zoë O'Neill", "zoe o neill")
    assert not bluesky.name_matches("Jane Okafor", "Jane Smith")
    assert not bluesky.name_matches("Jane Okafor", None)


def test_find_offers_matches_for_people_on_x_and_links_nothing(
    db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    amara = add_person(db, PersonInput("Amara", "Okafor"))
    jane = _jane(db)
    nobody = add_person(db, PersonInput("Nobody", "Here"))
    with db.session() as session:
        from crm.storage.models import Person

        for i, pid in enumerate((amara, jane, nobody)):
            account = XAccount(handle=f"xhandle{i}", x_user_id=900 + i, status="ok")
            session.add(account)
            session.flush()
            person = session.get(Person, pid)
            assert person is not None
            person.x_account_id = account.id
    gateway = bluesky.make_gateway()
    # Jane is already on Bluesky here: she is not looked up again.
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    fake_bsky.clear_requests()
    matches = bluesky.find_on_bluesky(db, gateway)
    assert [(m.person_id, m.handle) for m in matches] == [(amara, "amara.bsky.social")]
    searched = [r.query["term"][0] for r in fake_bsky.requests_to("app.bsky.actor.searchActors")]
    assert searched == ["Nobody Here", "Amara Okafor"]  # by surname
    assert bluesky.bluesky_account_of(db, person_id=amara) is None  # offered, not linked


def test_social_activity_flags_silent_on_x_and_active_on_bluesky(
    db: Database, fake_bsky: FakeBlueskyServer
) -> None:
    jane = _jane(db)
    gateway = bluesky.make_gateway()
    with db.session() as session:
        from crm.storage.models import Person

        account = XAccount(handle="JaneOkafor", x_user_id=42, status="ok")
        session.add(account)
        session.flush()
        person = session.get(Person, jane)
        assert person is not None
        person.x_account_id = account.id
        session.add(
            Tweet(
                id=7,
                account_id=account.id,
                author_x_user_id=42,
                text="Last tweet",
                created_at=NOW - timedelta(days=120),
            )
        )
    bluesky.link_bluesky(db, person_id=jane, handle=JANE_DID, gateway=gateway)
    before = bluesky.social_activity(db, person_id=jane, now=NOW)
    assert before.has_x and before.has_bluesky and not before.moved_to_bluesky  # no posts yet
    bluesky_sync.run_bluesky_sync(
        db, gateway, bluesky_sync.plan_bluesky_sync(db, person_ids=[jane])
    )
    after = bluesky.social_activity(db, person_id=jane, now=NOW)
    assert after.moved_to_bluesky
    assert after.last_x_post == NOW - timedelta(days=120)
    assert after.last_bluesky_post is not None and NOW - after.last_bluesky_post < timedelta(days=1)
    assert not bluesky.social_activity(
        db, person_id=jane, now=NOW + timedelta(days=100)
    ).moved_to_bluesky
