"""The sample data reads true: no test strings in tweets, each sector tweets about its own
business, an organisation with a running placement is a client, and follower charts end
at the count the header shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.services.demo import fill_demo
from crm.storage.db import Database
from crm.storage.models import FollowerSnapshot, Organisation, Person, Placement, Tweet, XAccount


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    fill_demo(db)
    yield db
    db.dispose()


def test_no_test_strings_in_tweets(demo: Database) -> None:
    with demo.read() as s:
        texts = list(s.scalars(select(Tweet.text)))
    assert texts
    assert not [t for t in texts if "<" in t or "HTML" in t]


def test_each_sector_tweets_about_its_own_business(demo: Database) -> None:
    with demo.read() as s:
        rows = s.execute(
            select(Organisation.sector, Tweet.text)
            .join(XAccount, Organisation.x_account_id == XAccount.id)
            .join(Tweet, Tweet.account_id == XAccount.id)
        ).all()
        staff = s.execute(
            select(Person.id, Tweet.text)
            .join(XAccount, Person.x_account_id == XAccount.id)
            .join(Tweet, Tweet.account_id == XAccount.id)
        ).all()
    assert rows and staff
    ofsted = {sector for sector, text in rows if "Ofsted" in text}
    damp = {sector for sector, text in rows if "mould" in text}
    nhs = {sector for sector, text in rows if "#NHS" in text}
    assert ofsted <= {"education"}
    assert damp <= {"housing"}
    assert nhs <= {"health_social_care"}


def test_an_organisation_with_a_running_placement_is_a_client(demo: Database) -> None:
    with demo.read() as s:
        statuses = s.execute(
            select(Organisation.name, Organisation.client_status)
            .join(Placement, Placement.organisation_id == Organisation.id)
            .where(Placement.status.in_(("confirmed", "active", "extended")))
        ).all()
    assert statuses
    assert {status for _name, status in statuses} == {"client"}, statuses


def test_the_newest_follower_count_is_the_one_the_header_shows(demo: Database) -> None:
    with demo.read() as s:
        newest = (
            select(FollowerSnapshot.account_id, func.max(FollowerSnapshot.taken_at).label("at"))
            .group_by(FollowerSnapshot.account_id)
            .subquery()
        )
        rows = s.execute(
            select(XAccount.handle, XAccount.followers_count, FollowerSnapshot.followers)
            .join(newest, newest.c.account_id == XAccount.id)
            .join(
                FollowerSnapshot,
                (FollowerSnapshot.account_id == XAccount.id)
                & (FollowerSnapshot.taken_at == newest.c.at),
            )
        ).all()
    assert rows
    assert [r for r in rows if r[1] != r[2]] == []
