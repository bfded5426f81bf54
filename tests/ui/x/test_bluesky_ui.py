"""Bluesky in the app: link from the person page, sync with progress, the header shows both
handles and the timeline shows posts beside tweets, marked by network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.services import bluesky
from crm.storage.models import Person, Tweet, XAccount
from crm.ui.kit.timeline_view import plain_text_of
from crm.ui.x.bluesky_link import BlueskyLinkDialog
from tests.ui.conftest import Sample
from tests.x.fake_bluesky_server import JANE_DID, NOW, FakeBlueskyServer


def test_link_sync_and_see_both_networks_on_the_person_page(  # type: ignore[no-untyped-def]
    qtbot, window, sample: Sample, fake_bsky: FakeBlueskyServer
) -> None:
    db = window.ctx.db
    with db.session() as session:
        account = XAccount(handle="PriyaPatel", x_user_id=77, status="ok", followers_count=1200)
        session.add(account)
        session.flush()
        person = session.get(Person, sample.priya)
        assert person is not None
        person.x_account_id = account.id
        session.add(
            Tweet(
                id=5,
                account_id=account.id,
                author_x_user_id=77,
                text="A tweet among the posts",
                created_at=NOW - timedelta(hours=13),
            )
        )
    window.open_record("person", sample.priya)
    page = window.person_page
    dialog = BlueskyLinkDialog(window.ctx, "person", sample.priya, "Priya Patel", window)
    dialog.handle.setText("nobody.bsky.social")
    dialog.link()
    assert dialog.error.isVisibleTo(dialog) and "does not exist" in dialog.error.text()
    dialog.handle.setText("https://bsky.app/profile/janeokafor.bsky.social")
    dialog.link()
    assert dialog.result() == dialog.DialogCode.Accepted
    view = bluesky.bluesky_account_of(db, person_id=sample.priya)
    assert view is not None and view.did == JANE_DID
    facts = page.facts_line.text()
    assert "@PriyaPatel" in facts and "@janeokafor.bsky.social" in facts
    assert "869" in facts

    progress: list[str] = []
    window.bluesky_sync.progress.connect(lambda _d, _t, text: progress.append(text))
    with qtbot.waitSignal(window.bluesky_sync.finished, timeout=10_000) as finished:
        window.sync_current_bluesky()
    report = finished.args[0]
    assert report.new_posts == 130 and report.synced == 1
    assert any("posts: page" in text for text in progress)
    assert not window.bluesky_sync.is_running
    page.timeline.finish_painting()
    text = plain_text_of(page.timeline)
    assert "A tweet among the posts" in text and "Jane's post number 129" in text
    assert "Bluesky · @janeokafor.bsky.social" in text
    assert "X · @PriyaPatel" in text
    page.timeline.set_kinds(frozenset({"post"}))
    page.timeline.finish_painting()
    assert "A tweet among the posts" not in plain_text_of(page.timeline)


def test_find_on_bluesky_offers_matches_and_links_only_when_asked(  # type: ignore[no-untyped-def]
    qtbot, window, sample: Sample, fake_bsky: FakeBlueskyServer
) -> None:
    from crm.services.people import PersonInput, add_person
    from crm.ui.x.bluesky_find import BlueskyFindDialog

    db = window.ctx.db
    amara = add_person(db, PersonInput("Amara", "Okafor"))
    with db.session() as session:
        account = XAccount(handle="AmaraOkafor", x_user_id=88, status="ok")
        session.add(account)
        session.flush()
        person = session.get(Person, amara)
        assert person is not None
        person.x_account_id = account.id
        session.add(
            Tweet(
                id=9,
                account_id=account.id,
                author_x_user_id=88,
                text="My last tweet",
                created_at=datetime.now(UTC) - timedelta(days=200),
            )
        )
    dialog = BlueskyFindDialog(window.ctx, [amara], window)
    dialog.search()
    assert [m.handle for m in dialog.matches] == ["amara.bsky.social"]
    assert bluesky.bluesky_account_of(db, person_id=amara) is None  # offered only
    dialog.link(dialog.matches[0])
    view = bluesky.bluesky_account_of(db, person_id=amara)
    assert view is not None and view.handle == "amara.bsky.social"
    # The page judges "silent for 90 days" against today.
    fake_bsky.add_post(view.did, "Hello from Bluesky", datetime.now(UTC) - timedelta(days=1))
    window.open_record("person", amara)
    with qtbot.waitSignal(window.bluesky_sync.finished, timeout=10_000):
        window.sync_current_bluesky()
    with qtbot.waitSignal(window.person_page.loaded, timeout=10_000):
        window.person_page.reload()  # after the sync: the page shows the new posts
    facts = window.person_page.facts_line.text()
    assert "Moved to Bluesky?" in facts and "silent on X since" in facts


def test_organisation_header_shows_the_bluesky_handle_beside_the_x_handle(  # type: ignore[no-untyped-def]
    qtbot, window, sample: Sample, fake_bsky: FakeBlueskyServer
) -> None:
    from crm.storage.models import Organisation

    db = window.ctx.db
    with db.session() as session:
        account = XAccount(handle="LeedsTH", x_user_id=66, status="ok", followers_count=5400)
        session.add(account)
        session.flush()
        org = session.get(Organisation, sample.leeds)
        assert org is not None
        org.x_account_id = account.id
    window.open_record("organisation", sample.leeds)
    page = window.organisation_page
    assert "@LeedsTH" in page.x_line.text() and "Bluesky" not in page.x_line.text()
    name = "Leeds Teaching Hospitals NHS Trust"
    dialog = BlueskyLinkDialog(window.ctx, "organisation", sample.leeds, name, window)
    dialog.handle.setText("janeokafor.bsky.social")
    dialog.link()
    assert dialog.result() == dialog.DialogCode.Accepted
    line = page.x_line.text()  # the page reloaded on the link
    assert "@LeedsTH" in line
    assert 'Bluesky <a href="https://bsky.app/profile/janeokafor.bsky.social">' in line
    assert "<b>869</b> followers" in line and "posts not synced" in line
    assert page.x_line.isVisibleTo(page)
    # Its "sync Bluesky" link syncs this organisation's account; posting on Bluesky with no
    # tweets stored gets the same flag as on a person's page.
    fake_bsky.add_post(JANE_DID, "Hello from Bluesky", datetime.now(UTC) - timedelta(days=1))
    with qtbot.waitSignal(window.bluesky_sync.finished, timeout=10_000) as finished:
        page.x_line.linkActivated.emit("crm:bsky-sync")
    assert finished.args[0].synced == 1
    line = page.x_line.text()  # the page reloaded after the sync
    assert "Moved to Bluesky?" in line and "no tweets stored" in line
