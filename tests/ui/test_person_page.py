"""The person page: header, inline validation, conflicts, plain-text safety."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from crm.services.interactions import InteractionInput, log_interaction
from crm.services.people import get_person, update_person
from crm.storage.db import Database
from crm.ui.kit.forms import ConflictDialog
from tests.ui.conftest import Sample

INJECTION = "<img src=x><a href='http://evil'>x</a>"


def open_person(window, person_id: int):  # type: ignore[no-untyped-def]
    window.open_record("person", person_id)
    return window.person_page


def test_header_shows_badges_availability_and_organisation(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.priya)
    assert page.header.title.text() == "Priya Patel"
    badges = [
        page.header.badges.itemAt(i).widget().text() for i in range(page.header.badges.count())
    ]
    assert badges == ["Candidate"]
    assert "Leeds Teaching Hospitals NHS Trust" in page.title_line.text()
    assert f"crm:organisation:{sample.leeds}" in page.title_line.text()
    assert "£850/day" in page.facts_line.text()
    assert not page.warning.isVisibleTo(window)


def test_do_not_contact_shows_a_warning(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.grace)
    assert page.warning.isVisibleTo(window)
    assert "asked not to be contacted" in page.warning_label.text()


def test_bad_x_handle_shows_an_error_next_to_the_field(
    window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.tom)
    version = get_person(db, sample.tom).version
    page.fields["x_handle"].setText("not a handle!")
    page.save()
    label = page.errors.label_for("x_handle")
    assert label is not None and label.isVisibleTo(window)
    assert "not a valid X handle" in label.text()
    assert page.fields["x_handle"].property("invalid") == "true"
    assert get_person(db, sample.tom).version == version  # nothing was written


def test_bad_email_shows_an_error_next_to_the_field(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.tom)
    page.fields["emails"].setText("tom at york")
    page.fields["job_title"].setText("Chief Executive Officer")
    page.save()
    label = page.errors.label_for("emails")
    assert label is not None and label.isVisibleTo(window)
    assert "not a valid email" in label.text()
    assert get_person(db, sample.tom).job_title == "Chief Executive"  # one transaction: nothing


def test_saving_details(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.tom)
    page.fields["job_title"].setText("Chief Executive Officer")
    page.fields["tags"].setText("board, york")
    page.fields["available_from"].setText("26/11/2027")
    page.save()
    saved = get_person(db, sample.tom)
    assert saved.job_title == "Chief Executive Officer"
    assert saved.tags == ["board", "york"]
    assert saved.available_from is not None and saved.available_from.year == 2027
    assert page.detail.version == saved.version  # the page reloaded after saving


def test_stale_save_opens_the_conflict_dialog(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.tom)
    # Another recruiter, with their own connection, saves first.
    other = Database(db.url)
    update_person(other, sample.tom, {"job_title": "Managing Director"}, None)
    other.dispose()
    page.fields["location"].setText("York")
    page.save()
    dialog = window.findChild(ConflictDialog)
    assert dialog is not None and dialog.isVisible()
    table_text = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert "Managing Director" in table_text
    assert get_person(db, sample.tom).location is None  # never a silent overwrite
    dialog.reload_button.click()
    assert page.fields["job_title"].text() == "Managing Director"
    assert page.detail.version == get_person(db, sample.tom).version


def test_rich_text_in_data_is_shown_as_plain_text(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    update_person(db, sample.tom, {"notes": INJECTION, "job_title": INJECTION}, None)
    log_interaction(
        db, InteractionInput(person_ids=[sample.tom], summary=INJECTION, body=INJECTION)
    )
    page = open_person(window, sample.tom)
    text = page.timeline.browser.toPlainText()
    assert INJECTION in text
    document = page.timeline.browser.document()
    block = document.begin()
    hrefs: list[str] = []
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            assert not fmt.isImageFormat(), "an <img> from the data was rendered"
            if fmt.isAnchor() and fmt.anchorHref():  # not the entries' named anchors
                hrefs.append(fmt.anchorHref())
            it += 1
        block = block.next()
    # The only links are ours, and the URL-looking text, escaped, then linked as itself.
    assert all(h.startswith(("crm:", "http://evil")) for h in hrefs)
    assert "<img" not in document.toHtml().replace("&lt;img", "")
    # The header's title line escapes the job title too.
    assert "&lt;img src=x&gt;" in page.title_line.text()
    assert page.fields["notes"].toPlainText() == INJECTION


def test_timeline_filter_and_load_more(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        log_interaction(db, InteractionInput(person_ids=[sample.priya], summary=f"Call {i}"))
    page = open_person(window, sample.priya)
    kinds = {e.kind for e in page.timeline.entries}
    assert {"interaction", "placement", "placement_note"} <= kinds
    page.timeline.filter_group.button(3).click()  # Placements
    assert {e.kind for e in page.timeline.entries} <= {"placement", "placement_note"}
    page.timeline.filter_group.button(1).click()  # Conversations
    assert {e.kind for e in page.timeline.entries} == {"interaction"}
    page.timeline.PAGE = 2
    page.timeline.load(sample.priya)
    assert len(page.timeline.entries) == 2
    assert "Load older entries" in page.timeline.browser.toPlainText()
    page.timeline.load_more()
    assert len(page.timeline.entries) == 4
    newest_first = [e.at for e in page.timeline.entries]
    assert newest_first == sorted(newest_first, reverse=True)


def test_delete_person_says_what_goes_with_them(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.ewan)
    page.delete()
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "Delete Ewan Hughes?" in box.text()
    assert "2 job records" in box.informativeText()
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    delete.click()
    assert window.stack.currentWidget() is window.people_page
    from crm.services.people import count_people

    assert count_people(db) == len(sample.people) - 1


def test_candidate_on_a_placement_cannot_be_deleted(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.priya)
    page.delete()
    box = next(
        w
        for w in window.findChildren(QMessageBox)
        if w.objectName() == "ErrorMessage" and w.isVisible()
    )
    assert "placement" in box.text()
    box.close()


def test_linking_an_x_handle_from_the_details_form(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = open_person(window, sample.tom)
    page.fields["x_handle"].setText("https://x.com/TomPatelYork")
    page.save()
    detail = get_person(db, sample.tom)
    assert detail.x_account is not None and detail.x_account.handle == "TomPatelYork"
    assert detail.x_account.status == "unverified"  # the next sync checks it with X
    assert "@TomPatelYork" in page.facts_line.text()
    assert page.followers_chart.isVisibleTo(window)
    page.fields["x_handle"].setText("")
    page.save()
    assert get_person(db, sample.tom).x_account is None


def test_a_tweet_can_be_logged_as_an_interaction(window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from crm.services.interactions import interactions_for
    from crm.services.xlink import link_x_account
    from crm.storage.models import Tweet, XAccount

    account = link_x_account(db, person_id=sample.tom, handle="TomPatelYork")
    with db.session() as s:
        s.get(XAccount, account.id).x_user_id = 4242  # type: ignore[union-attr]
        s.add(
            Tweet(
                id=1_700_000_000_000_000_001,
                account_id=account.id,
                author_x_user_id=4242,
                text="Great #NHS board today <script>alert(1)</script>",
                created_at=datetime.now(UTC),
            )
        )
    page = open_person(window, sample.tom)
    tweet = next(e for e in page.timeline.entries if e.kind == "tweet")
    assert "<script>alert(1)</script>" in page.timeline.browser.toPlainText()
    assert f"crm:logtweet:{tweet.ref_id}" in page.timeline.browser.toHtml()
    page._timeline_link("logtweet", tweet.ref_id)
    logged = interactions_for(db, person_id=sample.tom)
    assert len(logged) == 1 and "Great #NHS board" in logged[0].summary
    assert any(e.kind == "interaction" for e in page.timeline.entries)


def log_hourly_calls(db: Database, person_id: int, count: int, summary: str) -> None:
    """``count`` calls an hour apart, the newest now, summarised "<summary> <n>" (0 newest)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    for i in range(count):
        log_interaction(
            db,
            InteractionInput(
                person_ids=[person_id],
                summary=f"{summary} {i}",
                occurred_at=now - timedelta(hours=i),
            ),
        )


def test_long_timeline_paints_the_first_screen_then_the_rest(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    log_hourly_calls(db, sample.ewan, 40, "Call number")
    page = open_person(window, sample.ewan)
    assert len(page.timeline.entries) == 40
    first = page.timeline.browser.toPlainText()
    assert "Call number 0" in first and "Call number 39" not in first
    qtbot.waitUntil(lambda: "Call number 39" in page.timeline.browser.toPlainText(), timeout=2000)
    text = page.timeline.browser.toPlainText()
    assert (
        text.index("Call number 24") < text.index("Call number 25") < text.index("Call number 39")
    )


def test_follower_history_comes_with_the_person(qtbot, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from crm.services.xlink import link_x_account
    from crm.storage.models import FollowerSnapshot
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

    account = link_x_account(db, person_id=sample.tom, handle="TomPatelYork")
    now = datetime.now(UTC)
    with db.session() as s:
        for days, n in ((3, 100), (2, 110), (1, 120)):
            s.add(
                FollowerSnapshot(
                    account_id=account.id,
                    taken_at=now - timedelta(days=days),
                    followers=n,
                    following=1,
                    tweets=1,
                )
            )
    runner = TaskRunner(inline=True)
    window = MainWindow(db, runner=runner, settings=None)
    qtbot.addWidget(window)
    labels: list[str] = []
    runner.busy_changed.connect(lambda _n, label: labels.append(label))
    page = open_person(window, sample.tom)
    assert page.followers_chart.point_count() == 3
    assert "Loading follower history" not in labels  # no separate read for the chart
    open_person(window, sample.priya)  # no X account: no chart
    assert not page.followers_chart.isVisibleTo(window)


def test_reopening_a_person_keeps_their_job_rows_until_the_jobs_change(
    window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    from crm.services.people import add_employment

    def job_labels() -> list[QLabel]:
        page = window.person_page
        labels = []
        for i in range(page.jobs_box.count()):
            row = page.jobs_box.itemAt(i).layout()
            labels.append(row.itemAt(0).widget())
        return labels

    page = open_person(window, sample.ewan)
    before = job_labels()
    assert len(before) == 2
    window.go_back()
    open_person(window, sample.ewan)
    assert job_labels() == before  # the same widgets: nothing rebuilt
    add_employment(db, sample.ewan, sample.clarion, "Adviser")
    page.reload()
    after = job_labels()
    assert len(after) == 3 and "Clarion Housing" in " ".join(w.text() for w in after)


def test_first_part_of_a_long_timeline_fills_the_screen(
    window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    log_hourly_calls(db, sample.ewan, 60, "Call")
    page = open_person(window, sample.ewan)
    browser = page.timeline.browser
    first = browser.toPlainText()
    shown = first.count("Call to Ewan Hughes")
    assert 0 < shown < 60 and f"\nCall {shown - 1}\n" in first  # the newest first
    document = browser.document().clone()
    document.setTextWidth(browser.viewport().width())
    assert document.size().height() >= browser.viewport().height()  # no gap at the bottom
    page.timeline.finish_painting()
    assert browser.toPlainText().count("Call to Ewan Hughes") == 60
