"""Keep-in-touch cadences from the app (person and tag), and an "On X today" row opening the
person's timeline at the tweet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from PySide6.QtCore import Qt

from crm.services.people import set_tags
from crm.services.today.cadence import person_cadence, tag_cadences
from crm.storage.db import Database
from crm.storage.models import Person, Tweet, XAccount
from crm.ui.today.cadence import PersonCadenceDialog, TagCadenceDialog
from tests.ui.conftest import Sample


def reload_now(window) -> None:  # type: ignore[no-untyped-def]
    window.today_page.reload()  # the runner is inline: loaded on return


def test_person_cadence_from_the_person_page(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    assert person_cadence(db, sample.tom).source == "client"
    window.open_record("person", sample.tom)
    page = window.person_page
    action = next(a for a in page.more_button.menu().actions() if a.text().startswith("Keep in"))
    action.trigger()
    dialog = next(d for d in page.findChildren(PersonCadenceDialog) if d.isVisible())
    assert dialog.default.isChecked() and not dialog.weeks.isEnabled()
    dialog.every.setChecked(True)
    dialog.weeks.setValue(3)
    dialog.accept()
    assert person_cadence(db, sample.tom) == person_cadence(db, sample.tom).__class__(3, 3, "own")

    action.trigger()
    dialog = next(d for d in page.findChildren(PersonCadenceDialog) if d.isVisible())
    assert dialog.every.isChecked() and dialog.weeks.value() == 3
    dialog.never.setChecked(True)
    dialog.accept()
    assert person_cadence(db, sample.tom).source == "never"
    reload_now(window)
    assert sample.tom not in {k.person_id for k in window.today_page.report.keep_in_touch}


def test_tag_cadence_from_the_today_page(qtbot, window, sample: Sample, db: Database) -> None:  # type: ignore[no-untyped-def]
    set_tags(db, sample.ewan, ["Housing"])
    page = window.today_page
    page.cadence_button.click()
    dialog = next(d for d in page.findChildren(TagCadenceDialog) if d.isVisible())
    names = [name for name, _weeks in dialog.tags]
    dialog.tag.setCurrentIndex(names.index("Housing"))
    assert dialog.none.isChecked()
    dialog.every.setChecked(True)
    dialog.weeks.setValue(2)
    dialog.accept()
    assert ("Housing", 2) in tag_cadences(db)
    assert person_cadence(db, sample.ewan).source == "tag Housing"


def test_an_x_row_opens_the_timeline_at_the_tweet(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC).replace(microsecond=0)
    with db.session() as s:
        account = XAccount(handle="tompatel", x_user_id=4242, status="ok")
        s.add(account)
        s.flush()
        s.execute(update(Person).where(Person.id == sample.tom).values(x_account_id=account.id))
        # Sixty older tweets first, so the one to show is not on the first screen.
        for n in range(60):
            s.add(
                Tweet(
                    id=9000 + n,
                    account_id=account.id,
                    author_x_user_id=4242,
                    text=f"Older news {n}",
                    created_at=now - timedelta(days=30, hours=n),
                )
            )
        s.add(
            Tweet(
                id=9999,
                account_id=account.id,
                author_x_user_id=4242,
                text="Moving on from York: news soon",
                created_at=now - timedelta(minutes=5),
            )
        )
    reload_now(window)
    page = window.today_page
    panel = page.panels["x"]
    (row,) = [r for r in panel.model.rows if r.person_id == sample.tom]
    assert row.entry == ("tweet", 9999)
    page.select("x", panel.model.rows.index(row))
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.person_page
    timeline = window.person_page.timeline
    timeline.finish_painting()
    qtbot.waitUntil(lambda: timeline.revealed == ("tweet", 9999))
    assert window.ctx.pending_entry is None
