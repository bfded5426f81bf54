"""The Today page's rules on fixed dates (today injected, never the clock), on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crm.domain.errors import NotFoundError, ValidationError
from crm.services.duplicates import merge_people
from crm.services.interactions import InteractionInput, log_interaction, mark_follow_up_done
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import PlacementInput, add_placement, extend_placement
from crm.services.today.cadence import set_person_cadence, set_tag_cadence
from crm.services.today.report import due_count, rank_who_to_call, today_report
from crm.services.today.rules import (
    Ending,
    FollowUp,
    KeepInTouch,
    TodayRules,
    XSignal,
    day_words,
)
from crm.services.today.writes import snooze_follow_up
from crm.services.today.x_signals import mark_x_seen, x_seen_at
from crm.services.x_store import apply_profile
from crm.storage.db import Database
from crm.storage.models import AuditEntry, FollowerSnapshot, Interaction, Person, Tweet, XAccount
from crm.x.types import XUser

TODAY = date(2026, 3, 20)  # a Friday
LONG_AGO = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def person(db: Database, first: str, last: str, **kwargs: object) -> int:
    """A person added long before TODAY (created_at is the clock's otherwise)."""
    pid = add_person(db, PersonInput(first, last, **kwargs))  # type: ignore[arg-type]
    with db.session() as s:
        s.execute(update(Person).where(Person.id == pid).values(created_at=LONG_AGO))
    return pid


def call(db: Database, people: list[int], when: datetime, follow_up: date | None = None) -> int:
    return log_interaction(
        db,
        InteractionInput(
            person_ids=people,
            summary="Catch-up",
            occurred_at=when,
            follow_up_due=follow_up,
            allow_do_not_contact=True,
        ),
    )


def test_day_words() -> None:
    assert day_words(TODAY, TODAY) == "today"
    assert day_words(TODAY - timedelta(days=1), TODAY) == "yesterday"
    assert day_words(TODAY + timedelta(days=1), TODAY) == "tomorrow"
    assert day_words(date(2026, 3, 17), TODAY) == "Tue"
    assert day_words(date(2026, 12, 19), TODAY) == "19 Dec"
    assert day_words(date(2027, 1, 4), TODAY) == "4 Jan 2027"


# -- follow-ups ------------------------------------------------------------------------------


def test_follow_ups_overdue_today_and_the_next_seven_days(any_db: Database) -> None:
    ann = person(any_db, "Ann", "Lee", is_client_contact=True)
    bob = person(any_db, "Bob", "Hart", is_client_contact=True)
    recent = at(TODAY - timedelta(days=5))
    overdue = call(any_db, [ann, bob], recent, date(2026, 3, 17))
    due_today = call(any_db, [bob], recent, TODAY)
    upcoming = call(any_db, [ann], recent, TODAY + timedelta(days=7))
    call(any_db, [ann], recent, TODAY + timedelta(days=8))  # beyond the week
    done = call(any_db, [ann], recent, TODAY - timedelta(days=1))
    mark_follow_up_done(any_db, [done])

    report = today_report(any_db, TODAY)
    rows = {f.interaction_id: f for f in report.follow_ups}
    assert [f.interaction_id for f in report.follow_ups] == [overdue, due_today, upcoming]
    assert rows[overdue].bucket == "overdue" and rows[overdue].days_overdue == 3
    assert rows[overdue].reason == "follow-up due since Tue: Catch-up"
    assert rows[overdue].people == [(ann, "Ann Lee"), (bob, "Bob Hart")]
    assert rows[due_today].reason == "follow-up due today: Catch-up"
    assert rows[upcoming].bucket == "upcoming"
    assert rows[upcoming].reason == "follow-up due 27 Mar: Catch-up"
    counts = report.follow_up_counts
    assert (counts.overdue, counts.today, counts.upcoming, counts.due) == (1, 1, 1, 2)
    assert due_count(any_db, TODAY) == 2


def test_snooze_and_done(any_db: Database) -> None:
    ann = person(any_db, "Ann", "Lee")
    fid = call(any_db, [ann], at(TODAY - timedelta(days=9)), TODAY - timedelta(days=2))

    snooze_follow_up(any_db, fid, TODAY + timedelta(days=1), TODAY)
    (row,) = today_report(any_db, TODAY).follow_ups
    assert (row.bucket, row.due) == ("upcoming", TODAY + timedelta(days=1))
    assert row.reason.startswith("follow-up due tomorrow")
    assert due_count(any_db, TODAY) == 0

    snooze_follow_up(any_db, fid, TODAY + timedelta(weeks=1), TODAY)
    with pytest.raises(ValidationError, match="after today"):
        snooze_follow_up(any_db, fid, TODAY, TODAY)
    with any_db.read() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == fid, AuditEntry.action == "snooze")
        ).all()
        assert [e.changes["follow_up_due"][1] for e in entries] == ["2026-03-21", "2026-03-27"]
        stored = s.get(Interaction, fid)
        assert stored is not None and stored.follow_up_due == date(2026, 3, 27)

    mark_follow_up_done(any_db, [fid])
    assert today_report(any_db, TODAY).follow_ups == []
    with pytest.raises(NotFoundError, match="no open follow-up"):
        snooze_follow_up(any_db, fid, TODAY + timedelta(days=3), TODAY)
    with pytest.raises(NotFoundError):
        snooze_follow_up(any_db, 999_999, TODAY + timedelta(days=3), TODAY)


# -- placements ending -----------------------------------------------------------------------


def test_ending_soon_with_days_left_extensions_and_what_is_lined_up(any_db: Database) -> None:
    harbour = add_organisation(any_db, OrganisationInput("Harbourlight Homes"))
    leeds = add_organisation(any_db, OrganisationInput("Leeds City Council"))
    kwame = person(any_db, "Kwame", "Mensah", is_candidate=True)
    rosa = person(any_db, "Rosa", "Diaz", is_candidate=True)
    client = person(any_db, "Cara", "Holt", is_client_contact=True)

    def place(who: int, org: int, status: str, start: date, end: date | None) -> int:
        return add_placement(
            any_db,
            PlacementInput(
                candidate_id=who,
                organisation_id=org,
                role="Interim Director",
                status=status,
                start_date=start,
                end_date=end,
                client_contact_id=client,
            ),
        )

    alone = place(kwame, harbour, "active", date(2025, 12, 1), date(2026, 3, 30))
    extend_placement(any_db, alone, date(2026, 4, 9), reason="Restructure")
    lined = place(rosa, harbour, "extended", date(2025, 11, 1), date(2026, 5, 1))
    place(rosa, leeds, "proposed", date(2026, 5, 4), date(2026, 9, 1))
    place(kwame, leeds, "active", date(2026, 1, 5), date(2026, 6, 1))  # beyond 8 weeks
    place(rosa, leeds, "ended", date(2025, 1, 5), date(2026, 3, 25))  # ended: not listed

    report = today_report(any_db, TODAY)
    assert report.ending_total == 2
    first, second = report.ending
    assert isinstance(first, Ending)
    assert (first.placement_id, first.days_left, first.extensions) == (alone, 20, 1)
    assert first.next_lined_up is None and first.client_contact == "Cara Holt"
    assert (
        first.reason
        == "assignment at Harbourlight Homes ends 9 Apr, extended once, nothing lined up"
    )
    assert second.placement_id == lined
    assert second.next_lined_up == "proposed at Leeds City Council from 4 May"
    assert second.reason.endswith("next: proposed at Leeds City Council from 4 May")
    # Only the one with nothing lined up asks for a call.
    assert [c.person_id for c in report.who_to_call if "ends" in c.reasons[0]] == [kwame]

    narrow = today_report(any_db, TODAY, TodayRules(ending_weeks=2))
    assert narrow.ending_total == 0


# -- available candidates --------------------------------------------------------------------


def test_available_now_or_within_weeks_whichever_date_is_later(any_db: Database) -> None:
    org = add_organisation(any_db, OrganisationInput("Clarion Housing"))
    now_free = person(
        any_db,
        "Nia",
        "Free",
        is_candidate=True,
        available_from=TODAY - timedelta(days=10),
        candidate_sectors=["housing"],
        specialisms="Repairs, Asset management",
        day_rate_expectation="650",
    )
    busy = person(
        any_db, "Ola", "Busy", is_candidate=True, available_from=TODAY + timedelta(days=3)
    )
    add_placement(
        any_db,
        PlacementInput(
            candidate_id=busy,
            organisation_id=org,
            role="Interim Head of Repairs",
            status="active",
            start_date=date(2026, 1, 1),
            end_date=TODAY + timedelta(days=30),
        ),
    )
    open_ended = person(any_db, "Pat", "Open", is_candidate=True, available_from=TODAY)
    add_placement(
        any_db,
        PlacementInput(
            candidate_id=open_ended,
            organisation_id=org,
            role="Interim Director",
            status="active",
            start_date=date(2026, 1, 1),
        ),
    )
    person(any_db, "Lou", "Later", is_candidate=True, available_from=TODAY + timedelta(weeks=9))
    person(any_db, "Sam", "Unsaid", is_candidate=True)  # no date: not listed
    person(any_db, "Dee", "Nocontact", is_candidate=True, available_from=TODAY, do_not_contact=True)
    person(any_db, "Cal", "Client", is_client_contact=True, available_from=TODAY)

    report = today_report(any_db, TODAY)
    assert report.available_total == 2
    first, second = report.available
    assert (first.person_id, first.free_from, first.reason) == (
        now_free,
        TODAY - timedelta(days=10),
        "available now",
    )
    assert first.sectors == ["Housing"] and first.specialisms == "Repairs, Asset management"
    assert str(first.day_rate) == "650.00"
    assert (second.person_id, second.free_from) == (busy, TODAY + timedelta(days=30))
    assert second.reason == "available from 19 Apr (current assignment ends)"
    assert today_report(any_db, TODAY, TodayRules(available_weeks=2)).available_total == 1


# -- keep in touch ---------------------------------------------------------------------------


def test_cadence_by_kind_tag_and_person(any_db: Database) -> None:
    client = person(any_db, "Cleo", "Client", is_client_contact=True)
    call(any_db, [client], at(TODAY - timedelta(weeks=9)))
    fresh_client = person(any_db, "Fay", "Fresh", is_client_contact=True)
    call(any_db, [fresh_client], at(TODAY - timedelta(weeks=5)))
    candidate = person(any_db, "Cy", "Candidate", is_candidate=True)
    call(any_db, [candidate], at(TODAY - timedelta(weeks=5)))
    tagged = person(any_db, "Tia", "Tagged", is_client_contact=True, tags=["NHS board"])
    call(any_db, [tagged], at(TODAY - timedelta(weeks=3)))
    never = person(any_db, "Ned", "Never", is_client_contact=True)
    call(any_db, [never], at(TODAY - timedelta(weeks=30)))
    set_person_cadence(any_db, never, 0)
    slow = person(any_db, "Sol", "Slow", is_client_contact=True, tags=["NHS board"])
    call(any_db, [slow], at(TODAY - timedelta(weeks=9)))
    set_person_cadence(any_db, slow, 10)
    untracked = person(any_db, "Una", "Neither")  # neither client nor candidate
    call(any_db, [untracked], at(TODAY - timedelta(weeks=40)))
    quiet = person(any_db, "Qi", "Quiet", is_client_contact=True)  # never contacted
    person(any_db, "Dot", "Nocall", is_client_contact=True, do_not_contact=True)

    before = today_report(any_db, TODAY).keep_in_touch
    assert tagged not in {k.person_id for k in before}
    set_tag_cadence(any_db, "nhs BOARD", 2)
    report = today_report(any_db, TODAY)
    rows = {k.person_id: k for k in report.keep_in_touch}
    assert set(rows) == {client, candidate, tagged, quiet}
    assert report.keep_in_touch_total == 4
    assert rows[client].reason == "no contact for 9 weeks, cadence 6"
    assert rows[client].cadence_source == "client"
    assert rows[candidate].reason == "no contact for 5 weeks, cadence 4"
    assert rows[tagged].cadence_source == "tag NHS board"
    assert rows[tagged].reason == "no contact for 3 weeks, cadence 2"
    assert rows[quiet].reason.startswith("never contacted, added ")
    # Most overdue first: Qi (added long ago), then Cleo 3 weeks over, Cy and Tia 1 week over.
    assert [k.person_id for k in report.keep_in_touch][:2] == [quiet, client]
    assert isinstance(report.keep_in_touch[0], KeepInTouch)

    with pytest.raises(ValidationError, match="0 to 104"):
        set_person_cadence(any_db, client, 200)
    with pytest.raises(ValidationError, match="1 to 104"):
        set_tag_cadence(any_db, "NHS board", 0)
    with pytest.raises(NotFoundError):
        set_tag_cadence(any_db, "No such tag", 3)


def test_a_logged_interaction_resets_the_cadence(any_db: Database) -> None:
    client = person(any_db, "Cleo", "Client", is_client_contact=True)
    other = person(any_db, "Oli", "Other", is_client_contact=True)
    call(any_db, [client, other], at(TODAY - timedelta(weeks=9)))
    assert {k.person_id for k in today_report(any_db, TODAY).keep_in_touch} == {client, other}
    call(any_db, [client], at(TODAY - timedelta(days=2)))
    assert {k.person_id for k in today_report(any_db, TODAY).keep_in_touch} == {other}


def test_a_merge_brings_the_newer_contact(any_db: Database) -> None:
    old = person(any_db, "Cleo", "Client", is_client_contact=True)
    call(any_db, [old], at(TODAY - timedelta(weeks=9)))
    twin = person(any_db, "Cleo", "Client", is_client_contact=True)
    call(any_db, [twin], at(TODAY - timedelta(days=3)))
    set_person_cadence(any_db, twin, 0)  # kept apart until the merge
    assert [k.person_id for k in today_report(any_db, TODAY).keep_in_touch] == [old]
    merge_people(any_db, old, twin)
    assert today_report(any_db, TODAY).keep_in_touch == []


def test_an_imported_archive_resets_the_cadence(any_db: Database, tmp_path: Path) -> None:
    from crm.services.x_archive import import_archive
    from crm.services.xlink import link_x_account
    from tests.x.fake_x_server import JANE_ID
    from tests.x.test_archive import build_folder

    jane = person(any_db, "Jane", "Okafor", is_client_contact=True)
    with any_db.session() as s:
        s.add(XAccount(handle="JaneOkaforCEO", x_user_id=JANE_ID, status="ok"))
    link_x_account(any_db, person_id=jane, handle="JaneOkaforCEO")
    day = date(2024, 3, 20)  # the archive's messages are of 13 and 14 March 2024
    with any_db.session() as s:
        s.execute(update(Person).where(Person.id == jane).values(created_at=at(date(2023, 1, 2))))
    assert [k.person_id for k in today_report(any_db, day).keep_in_touch] == [jane]
    import_archive(any_db, build_folder(tmp_path))
    assert today_report(any_db, day).keep_in_touch == []


# -- X ---------------------------------------------------------------------------------------


def _account(db: Database, handle: str, x_user_id: int, pid: int) -> int:
    with db.session() as s:
        account = XAccount(
            handle=handle,
            x_user_id=x_user_id,
            status="ok",
            display_name="Amara Okafor",
            bio="Director of Housing at Harbourlight",
            followers_count=1000,
            last_synced_at=at(TODAY - timedelta(days=3)),
        )
        s.add(account)
        s.flush()
        s.execute(update(Person).where(Person.id == pid).values(x_account_id=account.id))
        return account.id


def _user(x_user_id: int, handle: str, bio: str, followers: int) -> XUser:
    return XUser(
        id=x_user_id,
        username=handle,
        name="Amara Okafor",
        description=bio,
        location=None,
        url=None,
        verified=False,
        protected=False,
        created_at=at(date(2015, 1, 1)),
        followers_count=followers,
        following_count=10,
        tweet_count=100,
        listed_count=0,
    )


def test_x_signals_since_last_looked(any_db: Database) -> None:
    amara = person(any_db, "Amara", "Okafor", is_client_contact=True)
    call(any_db, [amara], at(TODAY - timedelta(days=2)))
    steady = person(any_db, "Stan", "Steady", is_client_contact=True)
    call(any_db, [steady], at(TODAY - timedelta(days=2)))
    stranger = person(any_db, "Sue", "Unlinked", is_client_contact=True)
    call(any_db, [stranger], at(TODAY - timedelta(days=2)))
    amara_acc = _account(any_db, "AmaraOkafor", 101, amara)
    steady_acc = _account(any_db, "StanSteady", 102, steady)
    since = at(TODAY - timedelta(days=1), 0)
    with any_db.session() as s:
        for i, account in enumerate((amara_acc, steady_acc)):
            # A month of daily snapshots: +5 a day, then Amara +400 overnight, Stan +6.
            for d in range(30, 0, -1):
                s.add(
                    FollowerSnapshot(
                        account_id=account,
                        taken_at=at(TODAY - timedelta(days=d), 6),
                        followers=1000 + 5 * (30 - d),
                        following=10,
                        tweets=100,
                    )
                )
            s.add(
                FollowerSnapshot(
                    account_id=account,
                    taken_at=at(TODAY, 6),
                    followers=1145 + (400 if i == 0 else 6),
                    following=10,
                    tweets=100,
                )
            )
        for n, when in enumerate((at(TODAY - timedelta(days=2)), at(TODAY, 8), at(TODAY, 9))):
            s.add(
                Tweet(
                    id=5000 + n,
                    account_id=amara_acc,
                    author_x_user_id=101,
                    text="Proud of our repairs team",
                    created_at=when,
                )
            )
        account = s.get(XAccount, amara_acc)
        assert account is not None
        apply_profile(
            s,
            account,
            _user(101, "AmaraOkafor", "Chief Executive, Harbourlight", 1545),
            at(TODAY, 6),
        )

    report = today_report(any_db, TODAY, x_since=since)
    signals = {(x.person_id, x.kind): x for x in report.x_signals}
    assert set(signals) == {(amara, "tweets"), (amara, "profile"), (amara, "followers")}
    tweets = signals[(amara, "tweets")]
    assert isinstance(tweets, XSignal)
    assert (tweets.tweets, tweets.tweet_id, tweets.handle) == (2, 5002, "AmaraOkafor")
    assert tweets.reason == "tweeted twice since you last looked"
    assert signals[(amara, "profile")].reason == "bio now “Chief Executive, Harbourlight”"
    assert signals[(amara, "followers")].reason == "followers +405 in 2 days (usually 5 a day)"
    (top,) = [c for c in report.who_to_call if c.person_id == amara]
    assert top.score == 100 + 30 + 3 * 2 and len(top.reasons) == 3

    # The marker moves the window on: nothing new since.
    assert x_seen_at(any_db, "Rita") is None
    # The profile change's audit entry carries the clock's time, after TODAY.
    seen = datetime.now(UTC) + timedelta(seconds=1)
    mark_x_seen(any_db, seen, "Rita")
    assert x_seen_at(any_db, "Rita") == seen
    assert today_report(any_db, TODAY, who="Rita").x_signals == []
    assert today_report(any_db, TODAY, who="Someone else").x_signals != []


# -- who to call -----------------------------------------------------------------------------


def _follow_up(pid: int, name: str, days_overdue: int, bucket: str = "overdue") -> FollowUp:
    return FollowUp(
        interaction_id=pid * 10,
        version=1,
        due=TODAY - timedelta(days=days_overdue),
        bucket=bucket,
        days_overdue=days_overdue,
        summary="s",
        kind="call",
        people=[(pid, name)],
        organisation_id=None,
        organisation=None,
        reason=f"follow-up {pid}",
    )


def _ending(pid: int, name: str, days_left: int, lined_up: str | None = None) -> Ending:
    return Ending(
        placement_id=pid,
        candidate_id=pid,
        candidate=name,
        organisation_id=1,
        organisation="Org",
        client_contact_id=None,
        client_contact=None,
        role="r",
        end_date=TODAY + timedelta(days=days_left),
        days_left=days_left,
        extensions=0,
        next_lined_up=lined_up,
        reason=f"ending {pid}",
    )


def _keep(pid: int, name: str, days_overdue: int) -> KeepInTouch:
    return KeepInTouch(
        person_id=pid,
        name=name,
        is_client_contact=True,
        is_candidate=False,
        cadence_weeks=6,
        cadence_source="client",
        last_contact=None,
        weeks_since=6 + days_overdue // 7,
        days_overdue=days_overdue,
        reason=f"cadence {pid}",
    )


def _x(pid: int, name: str, kind: str, tweets: int = 0) -> XSignal:
    return XSignal(pid, "h", pid, None, name, kind, at(TODAY), tweets, None, f"x {pid}")


def test_ranking_bands_and_scores() -> None:
    ranked = rank_who_to_call(
        [
            _follow_up(1, "Ada", 0, "today"),
            _follow_up(2, "Ben", 30),
            _follow_up(9, "Zed", 0, "upcoming"),  # not due: not a reason to call
        ],
        [_ending(3, "Cat", 50), _ending(4, "Dan", 5), _ending(8, "Eve", 1, "confirmed at X")],
        [_keep(5, "Fay", 700), _keep(1, "Ada", 7), _keep(6, "Gus", 14)],
        [_x(7, "Hal", "profile"), _x(6, "Gus", "tweets", 4), _x(10, "Ivy", "tweets", 40)],
    )
    order = [(c.name, c.score) for c in ranked]
    assert order == [
        ("Ben", 430),  # 30 days overdue
        ("Ada", 403),  # due today, plus one more reason
        ("Dan", 384),  # ends in 5 days, nothing lined up
        ("Cat", 339),
        ("Fay", 289),  # 100 weeks overdue, capped at 89
        ("Gus", 205),  # 2 weeks overdue + an X signal
        ("Hal", 130),
        ("Ivy", 110),
    ]
    ada = next(c for c in ranked if c.name == "Ada")
    assert ada.reasons == ["follow-up 1", "cadence 1"] and ada.follow_up_id == 10
    assert rank_who_to_call([], [], [_keep(5, "Fay", 1)], [], skip=frozenset({5})) == []
    assert (
        len(rank_who_to_call([_follow_up(i, f"P{i}", i) for i in range(1, 80)], [], [], [])) == 50
    )


def test_who_to_call_on_stored_data_skips_do_not_contact(any_db: Database) -> None:
    ann = person(any_db, "Ann", "Lee", is_client_contact=True)
    dot = person(any_db, "Dot", "Nocall", is_client_contact=True, do_not_contact=True)
    kim = person(any_db, "Kim", "Long", is_client_contact=True)
    call(any_db, [ann], at(TODAY - timedelta(days=3)), TODAY - timedelta(days=1))
    call(any_db, [dot], at(TODAY - timedelta(days=3)), TODAY - timedelta(days=1))
    call(any_db, [kim], at(TODAY - timedelta(weeks=8)))
    ranked = today_report(any_db, TODAY).who_to_call
    assert [(c.person_id, c.reasons[0]) for c in ranked] == [
        (ann, "follow-up due since yesterday: Catch-up"),
        (kim, "no contact for 8 weeks, cadence 6"),
    ]
