"""The Today page's prebuilt statements against its rules worked out plainly in Python.

The report is read by a dozen index-shaped statements (crm/storage/today_queries.py); here
every person, placement and follow-up of a synthetic agency (the benchmark's generator, 2,000
people, fixed seed and date) is read whole and the rules applied one by one, and the counts
and the lists must agree, with and without tags that set a cadence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bench import generate, world
from crm.domain.enums import BUSY_PLACEMENT_STATUSES
from crm.services.today.cadence import set_tag_cadence
from crm.services.today.report import today_report
from crm.services.today.rules import TodayRules
from crm.storage.db import Database
from crm.storage.models import Interaction, Person, Placement, Tag, person_tags

SIZE = 2000
RULES = TodayRules()


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("today-reference") / "agency.sqlite3"
    generate.generate_sqlite(path, SIZE)
    return path


def _reference(db: Database, today: date) -> dict[str, Any]:
    """Each section's rules applied to every row."""
    week = today + timedelta(days=RULES.follow_up_days)
    ending_by = today + timedelta(weeks=RULES.ending_weeks)
    free_by = today + timedelta(weeks=RULES.available_weeks)
    midnight = datetime.combine(today, time(0, 0), tzinfo=UTC)
    with db.read() as s:
        open_follow_ups = [
            (due, iid)
            for iid, due, done in s.execute(
                select(Interaction.id, Interaction.follow_up_due, Interaction.follow_up_done)
            )
            if due is not None and not done
        ]
        placements = s.execute(
            select(Placement.id, Placement.candidate_id, Placement.status, Placement.end_date)
        ).all()
        people = s.execute(
            select(
                Person.id,
                Person.is_candidate,
                Person.is_client_contact,
                Person.do_not_contact,
                Person.contact_every_weeks,
                Person.available_from,
                Person.last_interaction_at,
                Person.created_at,
            )
        ).all()
        tag_weeks: dict[int, int] = {}
        for pid, weeks in s.execute(
            select(person_tags.c.person_id, Tag.contact_every_weeks).join(
                Tag, Tag.id == person_tags.c.tag_id
            )
        ):
            if weeks and weeks > 0:
                tag_weeks[pid] = min(weeks, tag_weeks.get(pid, weeks))
    busy = [p for p in placements if p.status in BUSY_PLACEMENT_STATUSES]
    ending = sorted(
        (p.end_date, p.id) for p in busy if p.end_date and today <= p.end_date <= ending_by
    )
    keep = []
    available = 0
    for p in people:
        if p.do_not_contact:
            continue
        weeks = p.contact_every_weeks
        if weeks is None:
            weeks = tag_weeks.get(p.id)
        if weeks is None:
            weeks = (
                RULES.candidate_weeks
                if p.is_candidate
                else RULES.client_weeks
                if p.is_client_contact
                else 0
            )
        due = (p.last_interaction_at or p.created_at) + timedelta(weeks=weeks)
        if weeks > 0 and due < midnight:
            keep.append((due, p.id))
        if p.is_candidate:
            theirs = [
                q
                for q in busy
                if q.candidate_id == p.id and (q.end_date is None or q.end_date >= today)
            ]
            if any(q.end_date is None or q.end_date > free_by for q in theirs):
                continue
            until = max((q.end_date for q in theirs), default=None)
            free = (
                max(d for d in (until, p.available_from) if d)
                if (until or p.available_from)
                else None
            )
            if free is not None and free <= free_by:
                available += 1
    return {
        "follow_ups": (
            sum(1 for due, _ in open_follow_ups if due < today),
            sum(1 for due, _ in open_follow_ups if due == today),
            sum(1 for due, _ in open_follow_ups if today < due <= week),
        ),
        "follow_up_ids": [iid for _due, iid in sorted(f for f in open_follow_ups if f[0] <= today)][
            : RULES.limit
        ],
        "ending_total": len(ending),
        "ending_ids": [pid for _end, pid in ending][: RULES.limit],
        "keep_total": len(keep),
        "keep_ids": [pid for _due, pid in sorted(keep)][: RULES.limit],
        "available_total": available,
    }


def _report(db: Database, today: date) -> dict[str, Any]:
    r = today_report(db, today, RULES)
    c = r.follow_up_counts
    return {
        "follow_ups": (c.overdue, c.today, c.upcoming),
        "follow_up_ids": [f.interaction_id for f in r.follow_ups if f.bucket != "upcoming"],
        "ending_total": r.ending_total,
        "ending_ids": [e.placement_id for e in r.ending],
        "keep_total": r.keep_in_touch_total,
        "keep_ids": [k.person_id for k in r.keep_in_touch],
        "available_total": r.available_total,
    }


def test_the_statements_agree_with_the_rules(agency: Path) -> None:
    db = Database(f"sqlite:///{agency}")
    try:
        today = world.TODAY
        expected = _reference(db, today)
        assert expected["keep_total"] and expected["available_total"] and expected["ending_ids"]
        assert _report(db, today) == expected

        # Own cadences (one "never") and a tag's: the statements that leave tagged people out.
        with db.read() as s:
            people = list(s.scalars(select(Person.id).order_by(Person.id).limit(40)))
            tag = s.scalars(select(Tag.name).order_by(Tag.id)).first()
        assert tag is not None
        with db.session() as s:
            s.execute(
                update(Person).where(Person.id.in_(people[:10])).values(contact_every_weeks=1)
            )
            s.execute(
                update(Person).where(Person.id.in_(people[10:15])).values(contact_every_weeks=0)
            )
        set_tag_cadence(db, tag, 2)
        expected = _reference(db, today)
        assert _report(db, today) == expected
    finally:
        db.dispose()
