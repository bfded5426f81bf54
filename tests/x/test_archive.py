"""Importing X's archive (folder and .zip) built by the test: own tweets, tweets and DMs with
linked people as interactions, idempotence, and damaged or foreign archives."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.domain.errors import NotFoundError, ValidationError
from crm.services.interactions import interactions_for
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.timeline import person_timeline
from crm.services.x_archive import _archive_time, import_archive
from crm.services.xlink import get_own_account, link_x_account, set_own_account
from crm.storage.db import Database
from crm.storage.models import Interaction, Tweet, XAccount
from tests.x.fake_x_server import JANE_ID, RITA_ID

STRANGER_ID = 777


def ytd(name: str, items: list[Any]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(items, indent=2)


def tweet(tweet_id: int, text: str, when: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id_str": str(tweet_id),
        "id": str(tweet_id),
        "full_text": text,
        "created_at": when,
        "favorite_count": "3",
        "retweet_count": "1",
        "entities": {"user_mentions": [], "hashtags": [], "urls": []},
        "lang": "en",
    }
    body.update(extra)
    return {"tweet": body}


def mention(name: str, uid: int | None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "screen_name": name, "indices": ["0", "5"]}
    if uid is not None:
        item.update(id_str=str(uid), id=str(uid))
    return item


def dm(message_id: int, sender: int, recipient: int, text: str, at: str) -> dict[str, Any]:
    return {
        "messageCreate": {
            "recipientId": str(recipient),
            "reactions": [],
            "urls": [],
            "text": text,
            "mediaUrls": [],
            "senderId": str(sender),
            "id": str(message_id),
            "createdAt": at,
        }
    }


def archive_files() -> dict[str, str]:
    to_jane = tweet(
        9001,
        "Great to meet @JaneOkaforCEO today",
        "Wed Mar 13 10:00:00 +0000 2024",
        entities={"user_mentions": [mention("JaneOkaforCEO", JANE_ID)]},
    )
    to_tom = tweet(
        9002,
        "@CllrTomBriggs congratulations on the new role",
        "Thu Mar 14 09:00:00 +0000 2024",
        in_reply_to_status_id_str="8000",
        in_reply_to_screen_name="CllrTomBriggs",
        entities={"user_mentions": [mention("CllrTomBriggs", None)]},
    )
    plain = tweet(9003, "Interim roles this week: link in bio", "Fri Mar 15 08:00:00 +0000 2024")
    retweet = tweet(
        9004,
        "RT @JaneOkaforCEO: Proud of our team",
        "Fri Mar 15 09:00:00 +0000 2024",
        entities={"user_mentions": [mention("JaneOkaforCEO", JANE_ID)]},
    )
    org_only = tweet(
        9005,
        "Good luck @HarboursideNHS",
        "Fri Mar 15 10:00:00 +0000 2024",
        entities={"user_mentions": [mention("HarboursideNHS", 1402000002)]},
    )
    conversations = [
        {
            "dmConversation": {
                "conversationId": f"{JANE_ID}-{RITA_ID}",
                "messages": [  # newest first, as X writes them
                    dm(5003, JANE_ID, RITA_ID, "Yes, Thursday works", "2024-03-14T08:00:00.000Z"),
                    dm(5002, JANE_ID, RITA_ID, "Thanks Rita", "2024-03-13T11:05:00.000Z"),
                    dm(
                        5001,
                        RITA_ID,
                        JANE_ID,
                        "Hello Jane, a quick one",
                        "2024-03-13T11:00:00.000Z",
                    ),
                    {"reactionCreate": {"senderId": str(JANE_ID), "reactionKey": "like"}},
                ],
            }
        },
        {
            "dmConversation": {
                "conversationId": f"{RITA_ID}-{STRANGER_ID}",
                "messages": [dm(5100, STRANGER_ID, RITA_ID, "Hi", "2024-03-10T10:00:00.000Z")],
            }
        },
    ]
    account = [
        {
            "account": {
                "email": "rita@example.org",
                "username": "RecruiterRita",
                "accountId": str(RITA_ID),
                "createdAt": "2015-09-09T09:09:00.000Z",
                "accountDisplayName": "Rita Shah",
            }
        }
    ]
    return {
        "account.js": ytd("account", account),
        "tweets.js": ytd("tweets", [to_jane, to_tom, plain, retweet, org_only]),
        # An older archive's file name, overlapping with tweets.js.
        "tweet-part1.js": "\ufeff" + ytd("tweet", [plain["tweet"]]).replace("part0", "part1"),
        "direct-messages.js": ytd("direct_messages", conversations),
        "direct-messages-group.js": ytd(
            "direct_messages_group", [{"dmConversation": {"conversationId": "g1", "messages": []}}]
        ),
        "profile.js": ytd("profile", [{"profile": {"description": {"bio": "Recruiter"}}}]),
    }


def build_folder(root: Path) -> Path:
    data = root / "twitter-archive" / "data"
    data.mkdir(parents=True)
    for name, text in archive_files().items():
        (data / name).write_text(text, encoding="utf-8")
    (data / "tweets_media").mkdir()
    return root / "twitter-archive"


def build_zip(root: Path) -> Path:
    path = root / "twitter-2024-03-16-abc.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in archive_files().items():
            z.writestr(f"twitter-2024-03-16/data/{name}", text)
        z.writestr("twitter-2024-03-16/Your archive.html", "<html></html>")
    return path


@pytest.fixture
def people(any_db: Database) -> dict[str, int]:
    jane = add_person(any_db, PersonInput("Jane", "Okafor"))
    tom = add_person(any_db, PersonInput("Tom", "Briggs"))
    with any_db.session() as s:
        s.add(XAccount(handle="JaneOkaforCEO", x_user_id=JANE_ID, status="ok"))
    link_x_account(any_db, person_id=jane, handle="JaneOkaforCEO")
    link_x_account(any_db, person_id=tom, handle="CllrTomBriggs")  # unverified: no id
    org = add_organisation(any_db, OrganisationInput("Harbourside NHS FT"))
    link_x_account(any_db, organisation_id=org, handle="HarboursideNHS")
    return {"jane": jane, "tom": tom}


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_import_logs_tweets_and_dms_with_linked_people_once(
    any_db: Database, people: dict[str, int], tmp_path: Path, form: str
) -> None:
    path = build_folder(tmp_path) if form == "folder" else build_zip(tmp_path)
    report = import_archive(any_db, path)
    assert report.handle == "RecruiterRita"
    assert (report.tweets_found, report.tweets_new) == (5, 5)
    assert report.tweet_interactions == 2  # to Jane (by id) and to Tom (by handle)
    assert report.dm_interactions == 2  # one conversation, two days
    assert dict(report.matched) == {"Jane Okafor": 3, "Tom Briggs": 1}
    skipped = dict(report.skipped)
    assert skipped["retweets"] == 1
    assert skipped["tweets that mention or reply to no linked person"] == 2
    assert skipped["DM conversations with people who are not linked"] == 1
    assert skipped["group DM conversations (not imported)"] == 1
    text = "\n".join(report.lines())
    assert "skipped 1 retweets" in text and "matched Jane Okafor: 3" in text

    own = get_own_account(any_db)
    assert own is not None and own.x_user_id == RITA_ID and own.handle == "RecruiterRita"
    with any_db.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(Tweet).where(Tweet.account_id == own.id)) == 5
        )
        stored = s.scalars(select(XAccount).where(XAccount.id == own.id)).one()
        assert stored.newest_tweet_id == 9005
        reply = s.get(Tweet, 9002)
        assert reply is not None and reply.replied_to_id == 8000 and reply.like_count == 3
        assert reply.created_at == datetime(2024, 3, 14, 9, 0, tzinfo=UTC)

    jane = interactions_for(any_db, person_id=people["jane"])
    kinds = sorted((i.kind, i.direction) for i in jane)
    assert kinds == [("dm", "in"), ("dm", "out"), ("tweet", "out")]
    first_day = next(i for i in jane if i.kind == "dm" and i.direction == "out")
    assert first_day.body is not None
    assert first_day.body.splitlines() == [
        "11:00 You: Hello Jane, a quick one",
        "11:05 @JaneOkaforCEO: Thanks Rita",
    ]
    tom = interactions_for(any_db, person_id=people["tom"])
    assert [i.summary for i in tom] == [
        "Reply to @CllrTomBriggs: @CllrTomBriggs congratulations on the new role"
    ]
    assert any(e.subtype == "dm" for e in person_timeline(any_db, people["jane"]))

    again = import_archive(any_db, path)
    assert (again.tweets_new, again.tweet_interactions, again.dm_interactions) == (0, 0, 0)
    assert again.already_logged == 4
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 4


def test_an_archive_of_another_account_than_the_own_one_is_refused(
    any_db: Database, people: dict[str, int], tmp_path: Path
) -> None:
    set_own_account(any_db, "SomeoneElse")
    with pytest.raises(ValidationError, match="belongs to @RecruiterRita"):
        import_archive(any_db, build_folder(tmp_path))
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Tweet)) == 0  # nothing half-written


def test_damaged_or_foreign_archives_are_refused_clearly(db: Database, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        import_archive(db, tmp_path / "missing.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match=r"no data/account\.js"):
        import_archive(db, tmp_path / "empty")
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello")
    with pytest.raises(ValidationError, match="neither a folder nor a zip"):
        import_archive(db, not_zip)
    broken = build_folder(tmp_path)
    (broken / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = [{", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"tweets\.js in the archive is damaged"):
        import_archive(db, broken)
    (broken / "data" / "tweets.js").write_text("var x = 1", encoding="utf-8")
    with pytest.raises(ValidationError, match="not in X's archive format"):
        import_archive(db, broken)


def test_archive_dates_are_read_whatever_the_locale() -> None:
    assert _archive_time("Wed Mar 13 10:00:00 +0000 2024") == datetime(2024, 3, 13, 10, tzinfo=UTC)
    assert _archive_time("Wed Mar 13 10:00:00 +0100 2024") == datetime(2024, 3, 13, 9, tzinfo=UTC)
    assert _archive_time("2024-03-13T11:00:00.000Z") == datetime(2024, 3, 13, 11, tzinfo=UTC)
