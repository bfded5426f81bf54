"""A deterministic synthetic CRM database for the benchmark, at any size, seeded.

At ``size=100_000``: 100,000 people, 10,000 organisations, 1,000,000 interactions,
500,000 tweets and 20,000 placements; other sizes scale every count in proportion. One
"heavy" person always has 500 interactions, 3,200 tweets and 50 placement notes, whatever
the size, because the person-page figure is defined on such a person.

Rows are made by seeded generators (one random stream per table, so a change to one table
does not reshuffle the others) and written with SQLAlchemy Core bulk inserts on SQLite and
with COPY on PostgreSQL; search documents come from the application's own
:func:`crm.storage.search.documents_for`, so the index holds exactly what the app would write.

Generated databases are cached under ``bench/work/`` (SQLite files) or in a schema
``bench_<size>`` (PostgreSQL), keyed by size, seed, schema revision and
:data:`GENERATOR_VERSION`, so a second run starts measuring at once. A cached database whose
key differs only in the schema revision is migrated in place and its key rewritten, not
generated again.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import words
from crm.domain.errors import DatabaseError
from crm.domain.values import fold
from crm.services.people import sort_name
from crm.storage.db import Database, head_revision
from crm.storage.models import (
    Base,
    Employment,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    PersonSearch,
    Placement,
    PlacementNote,
    Tag,
    Tweet,
    TweetMention,
    User,
    XAccount,
    interaction_people,
    person_tags,
)
from crm.storage.search import documents_for

log = logging.getLogger(__name__)

# Bump whenever the generated data changes, so that cached databases are rebuilt.
GENERATOR_VERSION = 2

DEFAULT_SEED = 20261126
WORK_DIR = Path(__file__).resolve().parent / "work"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Every date is relative to this instant, not to the clock, so that runs are reproducible.
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
# Twitter's snowflake epoch: tweet ids grow with time as on X.
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657

_BATCH = 20_000


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind a database of ``size`` people holds."""

    people: int
    organisations: int
    interactions: int
    tweets: int
    placements: int
    heavy_interactions: int = 500
    heavy_tweets: int = 3_200
    heavy_placement_notes: int = 50

    @classmethod
    def for_size(cls, size: int) -> Scale:
        if size < 50:
            raise ValueError("The benchmark needs at least 50 people.")

        def scaled(at_100k: int) -> int:
            return max(1, round(at_100k * size / 100_000))

        return cls(
            people=size,
            organisations=max(5, scaled(10_000)),
            interactions=scaled(1_000_000),
            tweets=scaled(500_000),
            placements=max(10, scaled(20_000)),
        )

    @property
    def heavy_person_id(self) -> int:
        """The heavy person sits in the middle of the id range, not first or last."""
        return self.people // 2 + 1


@dataclass
class GenerationInfo:
    """What was generated, and how long it took (kept beside a cached database)."""

    backend: str
    size: int
    seed: int
    key: str
    heavy_person_id: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cache_key(size: int, seed: int, revision: str | None = None) -> str:
    return f"{size}-s{seed}-r{revision or head_revision()}-g{GENERATOR_VERSION}"


def _revision_of(key: str, size: int, seed: int) -> str | None:
    """The schema revision in ``key`` if it differs from :func:`cache_key` in nothing else.

    Such a database holds the same rows under an older schema: migrating it brings it to
    what a fresh generation would make, in seconds instead of minutes.
    """
    prefix, suffix = f"{size}-s{seed}-r", f"-g{GENERATOR_VERSION}"
    if not (key.startswith(prefix) and key.endswith(suffix)):
        return None
    revision = key[len(prefix) : len(key) - len(suffix)]
    return revision if revision and "-" not in revision else None


def _upgrade(db: Database) -> bool:
    """Migrate a cached database to the head revision; False if it cannot be (then regenerate)."""
    try:
        db.upgrade(backup=False)
    except DatabaseError as exc:  # newer than this program, or not ours
        log.info("cached benchmark database not upgraded: %s", exc)
        return False
    return True


# -- the synthetic world -------------------------------------------------------------------
def _slug(value: str) -> str:
    return "".join(ch for ch in fold(value) if ch.isalnum())


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


_DOMAIN_SUFFIX = {
    "nhs_foundation_trust": "nhs.uk",
    "nhs_trust": "nhs.uk",
    "icb_ccg": "nhs.uk",
    "council": "gov.uk",
    "housing_association": "org.uk",
    "academy_trust": "org.uk",
    "school": "sch.uk",
    "university": "ac.uk",
    "charity": "org.uk",
    "company": "co.uk",
}


class World:
    """The generated rows, table by table, and what later tables need to know of earlier ones."""

    def __init__(self, size: int, seed: int) -> None:
        self.scale = Scale.for_size(size)
        self.seed = seed
        s = self.scale
        rng = _stream(seed, "plan")
        # Which organisations and people have X accounts: account ids are allotted up front.
        self.org_account: dict[int, int] = {}
        self.person_account: dict[int, int] = {}
        next_account = 1
        for org_id in range(1, s.organisations + 1):
            if rng.random() < 0.3:
                self.org_account[org_id] = next_account
                next_account += 1
        for person_id in range(1, s.people + 1):
            if person_id == s.heavy_person_id or rng.random() < 0.1:
                self.person_account[person_id] = next_account
                next_account += 1
        self.accounts = next_account - 1
        self.heavy_account = self.person_account[s.heavy_person_id]
        self.org_names: list[str] = [""]
        self.org_domains: list[str] = [""]
        self.current_org: list[int] = [0] * (s.people + 1)
        self.people_at: dict[int, list[int]] = {}
        self.candidates: list[int] = []
        self.handles: dict[int, str] = {}
        self.names = self._names()
        self.display = [""] + [f"{pref or first} {last}" for first, last, pref in self.names[1:]]

    @staticmethod
    def x_user_id(account_id: int) -> int:
        return 900_000_000 + account_id * 7

    # Organisations -------------------------------------------------------------------
    def organisations(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "organisations")
        for org_id in range(1, self.scale.organisations + 1):
            place = words.PLACES[int(rng.random() * len(words.PLACES))]
            qualifier = words.QUALIFIERS[int(rng.random() * len(words.QUALIFIERS))]
            pattern, org_type, sector = words.ORGANISATION_PATTERNS[
                int(rng.random() * len(words.ORGANISATION_PATTERNS))
            ]
            where = f"{qualifier} {place}".strip()
            name = pattern.format(p=where)
            domain = f"{_slug(where)}.{_DOMAIN_SUFFIX.get(org_type, 'org.uk')}"
            self.org_names.append(name)
            self.org_domains.append(domain)
            created = NOW - timedelta(days=rng.randrange(30, 2000))
            yield {
                "id": org_id,
                "name": name,
                "sector": sector,
                "org_type": org_type,
                "region": words.REGIONS[int(rng.random() * len(words.REGIONS))],
                "website": f"https://www.{domain}",
                "client_status": ("prospect", "client", "client", "former_client")[
                    int(rng.random() * 4)
                ],
                "owner": words.RECRUITERS[int(rng.random() * len(words.RECRUITERS))],
                "notes": None if rng.random() < 0.7 else "Framework agreement in place.",
                "x_account_id": self.org_account.get(org_id),
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }

    # X accounts ------------------------------------------------------------------------
    def x_accounts(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "x_accounts")
        owners: dict[int, tuple[str, str]] = {}
        for org_id, account in self.org_account.items():
            owners[account] = ("org", self.org_names[org_id])
        for person_id, account in self.person_account.items():
            owners[account] = ("person", self.display[person_id])
        for account_id in range(1, self.accounts + 1):
            _kind, name = owners[account_id]
            suffix = "_" + _base36(account_id)
            handle = _slug(name)[: 15 - len(suffix)] + suffix
            self.handles[account_id] = handle
            heavy = account_id == self.heavy_account
            followers = int(rng.paretovariate(1.2) * 150)
            yield {
                "id": account_id,
                "x_user_id": self.x_user_id(account_id),
                "handle": handle,
                "display_name": name[:100],
                "bio": "Views my own. " + words.TWEET_PHRASES[int(rng.random() * 19)],
                "location": words.PLACES[int(rng.random() * len(words.PLACES))],
                "url": None,
                "verified": rng.random() < 0.05,
                "protected": False,
                "x_created_at": NOW - timedelta(days=rng.randrange(400, 5000)),
                "followers_count": followers * (20 if heavy else 1),
                "following_count": int(rng.random() * 2000),
                "tweet_count": self.scale.heavy_tweets if heavy else int(rng.random() * 5000),
                "last_synced_at": NOW - timedelta(hours=rng.randrange(1, 500)),
                "status": "ok",
                "watched": heavy or rng.random() < 0.2,
                "version": 1,
                "created_at": NOW - timedelta(days=400),
                "updated_at": NOW - timedelta(days=1),
            }

    # People ---------------------------------------------------------------------------
    def _surname_picker(self) -> Callable[[float], str]:
        names = [n for n, _ in words.COMMON_SURNAMES]
        weights = [w for _, w in words.COMMON_SURNAMES]
        common = sum(weights)  # per 10,000 people; the rest go to the long tail
        tail = [a + b for a in words.SURNAME_STARTS for b in words.SURNAME_ENDS]
        per_tail = (10_000 - common) / len(tail)
        cumulative: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            cumulative.append(total)
        for _ in tail:
            total += per_tail
            cumulative.append(total)
        everyone = names + tail

        def pick(r: float) -> str:
            return everyone[min(bisect.bisect_right(cumulative, r * total), len(everyone) - 1)]

        return pick

    def _names(self) -> list[tuple[str, str, str | None]]:
        """(first, last, preferred) of every person, index = id: X accounts need them early."""
        rng = _stream(self.seed, "names")
        surname = self._surname_picker()
        names: list[tuple[str, str, str | None]] = [("", "", None)]
        for _ in range(self.scale.people):
            first = words.FIRST_NAMES[int(rng.random() * len(words.FIRST_NAMES))]
            last = surname(rng.random())
            preferred = first[:3] if rng.random() < 0.05 and len(first) > 4 else None
            names.append((first, last, preferred))
        return names

    def people(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "people")
        s = self.scale
        for person_id in range(1, s.people + 1):
            r = rng.random
            first, last, preferred = self.names[person_id]
            heavy = person_id == s.heavy_person_id
            candidate = heavy or r() < 0.4
            client = not candidate or r() < 0.2
            if candidate:
                self.candidates.append(person_id)
            created = NOW - timedelta(days=int(r() * 3000), minutes=int(r() * 1440))
            row: dict[str, Any] = {
                "id": person_id,
                "first_name": first,
                "last_name": last,
                "preferred_name": preferred,
                "sort_name": sort_name(first, last),
                "job_title": words.JOB_TITLES[int(r() * len(words.JOB_TITLES))],
                "location": words.PLACES[int(r() * len(words.PLACES))],
                "linkedin_url": (
                    f"https://www.linkedin.com/in/{_slug(first)}-{_slug(last)}-{person_id}"
                    if r() < 0.6
                    else None
                ),
                "is_client_contact": client,
                "is_candidate": candidate,
                "notes": (
                    words.BODY_SENTENCES[int(r() * len(words.BODY_SENTENCES))]
                    if r() < 0.3
                    else None
                ),
                "owner": words.RECRUITERS[int(r() * len(words.RECRUITERS))],
                "lawful_basis": "legitimate_interests",
                "consent_status": "none",
                "do_not_contact": r() < 0.01,
                "day_rate_currency": "GBP",
                "x_account_id": self.person_account.get(person_id),
                "version": 1,
                "created_at": created,
                "updated_at": created,
                "available_from": None,
                "day_rate_expectation": None,
                "specialisms": None,
                "candidate_sectors": None,
                "willing_to_travel": None,
                "ir35_preference": None,
            }
            if candidate:
                row["available_from"] = TODAY + timedelta(days=int(r() * 240) - 60)
                row["day_rate_expectation"] = Decimal(450 + 25 * int(r() * 30))
                row["specialisms"] = ", ".join(
                    words.SPECIALISMS[int(r() * len(words.SPECIALISMS))] for _ in range(2)
                )
                row["candidate_sectors"] = ("health_social_care", "housing", "local_government")[
                    int(r() * 3)
                ]
                row["willing_to_travel"] = r() < 0.6
                row["ir35_preference"] = ("inside", "outside", "either")[int(r() * 3)]
            yield row

    def employments(self) -> Iterator[dict[str, Any]]:
        """Nine in ten people work somewhere now; four in ten have one or two past jobs."""
        rng = _stream(self.seed, "employments")
        s = self.scale
        employment_id = 0
        n_orgs = s.organisations
        for person_id in range(1, s.people + 1):
            r = rng.random
            if person_id == s.heavy_person_id or r() < 0.9:
                # Skewed: a few large organisations employ many of the people.
                org_id = 1 + int(n_orgs * r() ** 2)
                self.current_org[person_id] = org_id
                self.people_at.setdefault(org_id, []).append(person_id)
                employment_id += 1
                start = TODAY - timedelta(days=30 + int(r() * 2500))
                yield {
                    "id": employment_id,
                    "person_id": person_id,
                    "organisation_id": org_id,
                    "title": words.JOB_TITLES[int(r() * len(words.JOB_TITLES))],
                    "start_date": start,
                    "end_date": None,
                    "version": 1,
                    "created_at": NOW - timedelta(days=30),
                    "updated_at": NOW - timedelta(days=30),
                }
            if r() < 0.4:
                end = TODAY - timedelta(days=2600 + int(r() * 400))
                for _ in range(1 + int(r() * 2)):
                    employment_id += 1
                    start = end - timedelta(days=200 + int(r() * 1500))
                    yield {
                        "id": employment_id,
                        "person_id": person_id,
                        "organisation_id": 1 + int(n_orgs * r()),
                        "title": words.JOB_TITLES[int(r() * len(words.JOB_TITLES))],
                        "start_date": start,
                        "end_date": end,
                        "version": 1,
                        "created_at": NOW - timedelta(days=30),
                        "updated_at": NOW - timedelta(days=30),
                    }
                    end = start - timedelta(days=1)

    def person_emails(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "emails")
        email_id = 0
        for person_id in range(1, self.scale.people + 1):
            first, last = self.display[person_id].split(" ", 1)
            local = f"{_slug(first)}.{_slug(last)}"
            org = self.current_org[person_id]
            if org:
                email_id += 1
                yield {
                    "id": email_id,
                    "person_id": person_id,
                    "email": f"{local}@{self.org_domains[org]}",
                    "label": "work",
                }
            if not org or rng.random() < 0.3:
                email_id += 1
                yield {
                    "id": email_id,
                    "person_id": person_id,
                    "email": f"{local}{person_id % 97}@gmail.com",
                    "label": "personal",
                }

    def person_phones(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "phones")
        phone_id = 0
        for person_id in range(1, self.scale.people + 1):
            if rng.random() < 0.8:
                phone_id += 1
                yield {
                    "id": phone_id,
                    "person_id": person_id,
                    "number": f"+447700{900000 + person_id % 100_000:06d}"[:13],
                    "label": "mobile",
                }

    def tags(self) -> Iterator[dict[str, Any]]:
        for tag_id, name in enumerate(words.TAGS, start=1):
            yield {"id": tag_id, "name": name}

    def person_tags(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "person_tags")
        n = len(words.TAGS)
        for person_id in range(1, self.scale.people + 1):
            if rng.random() < 0.2:
                chosen = {1 + int(rng.random() * n) for _ in range(1 + int(rng.random() * 3))}
                for tag_id in sorted(chosen):
                    yield {"person_id": person_id, "tag_id": tag_id}

    def users(self) -> Iterator[dict[str, Any]]:
        for user_id, name in enumerate(words.RECRUITERS, start=1):
            yield {
                "id": user_id,
                "name": name,
                "email": f"{_slug(name)}@interim.example",
                "created_at": NOW - timedelta(days=3000),
            }

    # Placements -------------------------------------------------------------------------
    def placements(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "placements")
        s = self.scale
        self.placement_candidate: list[int] = [0]
        heavy_placements = 5
        statuses = ("proposed", "confirmed", "active", "active", "extended", "ended", "ended")
        for placement_id in range(1, s.placements + 1):
            r = rng.random
            if placement_id <= heavy_placements:
                candidate = s.heavy_person_id
            else:
                candidate = self.candidates[int(r() * len(self.candidates))]
            self.placement_candidate.append(candidate)
            org = 1 + int(s.organisations * r())
            contacts = self.people_at.get(org)
            contact = contacts[int(r() * len(contacts))] if contacts else None
            start = TODAY - timedelta(days=int(r() * 2000) - 60)
            end = start + timedelta(days=60 + int(r() * 300))
            created = datetime.combine(start, datetime.min.time(), tzinfo=UTC) - timedelta(days=14)
            yield {
                "id": placement_id,
                "candidate_id": candidate,
                "organisation_id": org,
                "client_contact_id": contact,
                "role": "Interim " + words.JOB_TITLES[int(r() * len(words.JOB_TITLES))],
                "status": statuses[int(r() * len(statuses))],
                "charge_rate": Decimal(500 + 25 * int(r() * 28)),
                "currency": "GBP",
                "start_date": start,
                "end_date": end,
                "ir35": ("inside", "outside", "undetermined")[int(r() * 3)],
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }

    def placement_notes(self) -> Iterator[dict[str, Any]]:
        """About one note per placement; the heavy person's five placements have ten each."""
        rng = _stream(self.seed, "placement_notes")
        s = self.scale
        note_id = 0
        per_heavy = s.heavy_placement_notes // 5
        for placement_id in range(1, s.placements + 1):
            count = per_heavy if placement_id <= 5 else int(rng.random() * 3)
            for _ in range(count):
                note_id += 1
                yield {
                    "id": note_id,
                    "placement_id": placement_id,
                    "text": words.PLACEMENT_NOTES[int(rng.random() * len(words.PLACEMENT_NOTES))],
                    "author": words.RECRUITERS[int(rng.random() * len(words.RECRUITERS))],
                    "created_at": NOW - timedelta(days=int(rng.random() * 1500)),
                }

    def placement_extensions(self) -> Iterator[dict[str, Any]]:
        rng = _stream(self.seed, "extensions")
        extension_id = 0
        for placement_id in range(1, self.scale.placements + 1):
            if rng.random() < 0.15:
                extension_id += 1
                new_end = TODAY + timedelta(days=int(rng.random() * 200))
                yield {
                    "id": extension_id,
                    "placement_id": placement_id,
                    "previous_end_date": new_end - timedelta(days=90),
                    "new_end_date": new_end,
                    "day_rate": Decimal(600),
                    "reason": "Client asked for three more months.",
                    "created_by": words.RECRUITERS[extension_id % len(words.RECRUITERS)],
                    "created_at": NOW - timedelta(days=int(rng.random() * 700)),
                }

    # Interactions -------------------------------------------------------------------------
    def interactions(self, links: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Interactions; the people in each are appended to ``links`` as they are made."""
        rng = _stream(self.seed, "interactions")
        s = self.scale
        heavy = s.heavy_person_id
        kinds = ("call", "call", "call", "email", "email", "meeting", "video_call", "note", "dm")
        span = 6 * 365 * 86_400
        # Spread the heavy person's 500 interactions evenly through the id range.
        heavy_every = max(1, s.interactions // s.heavy_interactions)
        heavy_left = s.heavy_interactions
        n_people = s.people
        n_topics = len(words.TOPICS)
        n_patterns = len(words.SUMMARY_PATTERNS)
        n_bodies = len(words.BODY_SENTENCES)
        total = max(s.interactions, s.heavy_interactions)
        for interaction_id in range(1, total + 1):
            r = rng.random
            if heavy_left and (
                interaction_id % heavy_every == 0 or total - interaction_id < heavy_left
            ):
                person = heavy
                heavy_left -= 1
            else:
                # Skewed towards low ids: some people are called far more often than others.
                person = 1 + int(n_people * r() ** 1.6)
                if person == heavy:
                    person += 1 if person < n_people else -1
            links.append({"interaction_id": interaction_id, "person_id": person})
            if r() < 0.15:
                other = 1 + int(n_people * r())
                if other not in (person, heavy):
                    links.append({"interaction_id": interaction_id, "person_id": other})
            when = NOW - timedelta(seconds=int(r() * span))
            follow_up = None
            done = False
            if r() < 0.05:
                follow_up = TODAY + timedelta(days=int(r() * 120) - 90)
                done = follow_up < TODAY and r() < 0.8
            summary = words.SUMMARY_PATTERNS[int(r() * n_patterns)].format(
                t=words.TOPICS[int(r() * n_topics)]
            )
            kind = kinds[int(r() * len(kinds))]
            yield {
                "id": interaction_id,
                "kind": kind,
                "direction": None if kind == "note" else ("in", "out")[int(r() * 2)],
                "occurred_at": when,
                "summary": summary,
                "body": words.BODY_SENTENCES[int(r() * n_bodies)] if r() < 0.3 else None,
                "logged_by": words.RECRUITERS[int(r() * len(words.RECRUITERS))],
                "organisation_id": self.current_org[person] or None,
                "placement_id": None,
                "follow_up_due": follow_up,
                "follow_up_done": done,
                "source_ref": None,
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }

    # Tweets ----------------------------------------------------------------------------------
    def tweets(self, mentions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Tweets in time order (ids grow with time, as on X); mentions go to ``mentions``."""
        rng = _stream(self.seed, "tweets")
        s = self.scale
        total = max(s.tweets, s.heavy_tweets + self.accounts)
        start_ms = int((NOW - timedelta(days=3 * 365)).timestamp() * 1000)
        step_ms = (3 * 365 * 86_400_000) // total
        heavy_every = max(1, total // s.heavy_tweets)
        heavy_left = s.heavy_tweets
        others = [a for a in range(1, self.accounts + 1) if a != self.heavy_account]
        n_phrases = len(words.TWEET_PHRASES)
        n_tags = len(words.HASHTAGS)
        fetched = NOW - timedelta(hours=2)
        for i in range(total):
            r = rng.random
            if heavy_left and (i % heavy_every == 0 or total - i <= heavy_left):
                account = self.heavy_account
                heavy_left -= 1
            else:
                account = others[int(r() * len(others))] if others else self.heavy_account
            ms = start_ms + i * step_ms + int(r() * (step_ms - 1))
            tweet_id = ((ms - _SNOWFLAKE_EPOCH_MS) << 22) | (i & 0xFFF)
            author = self.x_user_id(account)
            text_ = (
                words.TWEET_PHRASES[int(r() * n_phrases)] + " " + words.HASHTAGS[int(r() * n_tags)]
            )
            mentioned: list[int] = []
            if r() < 0.1 and others:
                target = others[int(r() * len(others))]
                mentioned = [self.x_user_id(target)]
                text_ = f"@{self.handles[target]} " + text_
                mentions.append({"tweet_id": tweet_id, "x_user_id": mentioned[0]})
            created = datetime.fromtimestamp(ms / 1000, tz=UTC)
            retweet = r() < 0.1
            yield {
                "id": tweet_id,
                "account_id": account,
                "author_x_user_id": author,
                "text": text_,
                "created_at": created,
                "conversation_id": tweet_id,
                "in_reply_to_user_id": None,
                "replied_to_id": None,
                "quoted_id": None,
                "retweeted_id": tweet_id - 1 if retweet else None,
                "mentioned_user_ids": mentioned,
                "like_count": int(rng.paretovariate(1.5)) - 1,
                "retweet_count": int(r() * 5),
                "reply_count": int(r() * 3),
                "quote_count": 0,
                "raw": {
                    "id": str(tweet_id),
                    "author_id": str(author),
                    "text": text_,
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "edit_history_tweet_ids": [str(tweet_id)],
                },
                "fetched_at": fetched,
            }

    def follower_snapshots(self) -> Iterator[dict[str, Any]]:
        """Two snapshots an account; two years of monthly ones for the heavy person's."""
        rng = _stream(self.seed, "snapshots")
        snapshot_id = 0
        for account_id in range(1, self.accounts + 1):
            months = 24 if account_id == self.heavy_account else 2
            followers = int(rng.paretovariate(1.2) * 150)
            for month in range(months, 0, -1):
                snapshot_id += 1
                yield {
                    "id": snapshot_id,
                    "account_id": account_id,
                    "taken_at": NOW - timedelta(days=30 * month),
                    "followers": max(0, followers - month * 3),
                    "following": 300,
                    "tweets": 1000 - month,
                }


# -- writing ---------------------------------------------------------------------------------
def _batches(rows: Iterable[dict[str, Any]], size: int = _BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Loader:
    """Writes generated rows into one open connection: executemany, or COPY on PostgreSQL.

    On SQLite the rows go through each column type's own bind processor (what a Core
    ``insert()`` would do) and then straight to the driver's ``executemany``: the per-row
    bookkeeping of a Core executemany costs more than SQLite's insert itself.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    def load(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        started = time.perf_counter()
        count = self._copy(table, rows) if self.postgres else self._insert(table, rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + count
        log.debug("%s: %d rows in %.2f s", table.name, count, time.perf_counter() - started)
        return count

    def _insert(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        for batch in _batches(rows):
            columns = list(batch[0])
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
            pick = itemgetter(*columns)
            values = [list(pick(row)) for row in batch] if len(columns) > 1 else None
            if values is None:
                values = [[row[columns[0]]] for row in batch]
            for index, column in enumerate(columns):
                process = table.c[column].type.bind_processor(self.conn.dialect)
                if process is None:
                    continue
                for value in values:
                    if value[index] is not None:
                        value[index] = process(value[index])
            self.conn.exec_driver_sql(sql, [tuple(v) for v in values])
            count += len(batch)
        return count

    def _copy(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        columns = list(first)
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        names = ", ".join(f'"{c}"' for c in columns)
        raw = self.conn.connection.driver_connection
        assert raw is not None
        count = 0
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for row in itertools.chain([first], iterator):
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )
                count += 1
        return count


@contextmanager
def _deferred_indexes(conn: Connection, tables: Iterable[str]) -> Iterator[None]:
    """Build the loaded tables' indexes (and SQLite's full-text indexes) once, after loading.

    Creating an index over loaded rows is several times faster than keeping it up to date
    row by row. Only secondary indexes (and on SQLite the triggers that feed FTS5 tables)
    are set aside; the schema's own SQL puts them back, so the result is the migrated schema.
    """
    if conn.dialect.name == "postgresql":
        with _deferred_postgres_indexes(conn, list(tables)):
            yield
        return
    fts = [
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
    ]
    saved: list[tuple[str, str, str]] = []
    fed: set[str] = set()
    for table in tables:
        for kind, name, sql in conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            (table,),
        ).all():
            if kind == "trigger":
                feeds = {f for f in fts if f in sql}
                if not feeds:
                    continue  # a trigger with other duties must keep firing
                fed |= feeds
            saved.append((kind, name, sql))
            conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    started = time.perf_counter()
    for _kind, _name, sql in saved:
        conn.exec_driver_sql(sql)
    for name in sorted(fed):
        conn.exec_driver_sql(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
    log.info("indexes and full-text indexes built in %.1f s", time.perf_counter() - started)


@contextmanager
def _deferred_postgres_indexes(conn: Connection, tables: list[str]) -> Iterator[None]:
    # Indexes that back a constraint (primary keys, unique) stay: foreign keys need them.
    saved = conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "::regclass)"
        ),
        {"tables": tables},
    ).all()
    for name, _sql in saved:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    started = time.perf_counter()
    for _name, sql in saved:
        conn.execute(text(sql))
    log.info("indexes built in %.1f s", time.perf_counter() - started)


@contextmanager
def _last_contact_deferred(conn: Connection) -> Iterator[None]:
    """Load interactions without the triggers that keep ``person.last_interaction_at``, then
    set it for everyone in one statement.

    The triggers (migration 0004) update a person row for every interaction link: 11.5
    million updates at a million people. The statement below gives the same values.
    """
    if conn.dialect.name == "postgresql":
        tables = ("interaction_person", "interaction")
        for table in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        yield
        for table in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    else:
        saved = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%last_interaction_at%'"
        ).all()
        for name, _sql in saved:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in saved:
            conn.exec_driver_sql(sql)
    started = time.perf_counter()
    conn.exec_driver_sql(
        "UPDATE person SET last_interaction_at = newest.at FROM ("
        "SELECT ip.person_id, max(i.occurred_at) AS at FROM interaction_person ip "
        "JOIN interaction i ON i.id = ip.interaction_id GROUP BY ip.person_id) AS newest "
        "WHERE person.id = newest.person_id"
    )
    log.info("last contact set in %.1f s", time.perf_counter() - started)


def _fill(conn: Connection, size: int, seed: int) -> dict[str, int]:
    world = World(size, seed)
    loader = _Loader(conn)
    t = Base.metadata.tables
    loaded = [name for name in t if name not in (PersonSearch.__tablename__,)]
    with _deferred_indexes(conn, loaded):
        # Accounts carry their organisation's name, and organisations point at accounts.
        organisations = list(world.organisations())
        loader.load(t[XAccount.__tablename__], world.x_accounts())
        loader.load(t[Organisation.__tablename__], organisations)
        del organisations
        loader.load(t[User.__tablename__], world.users())
        loader.load(t[Person.__tablename__], world.people())
        loader.load(t[Tag.__tablename__], world.tags())
        loader.load(person_tags, world.person_tags())
        loader.load(t[Employment.__tablename__], world.employments())
        loader.load(t[PersonEmail.__tablename__], world.person_emails())
        loader.load(t[PersonPhone.__tablename__], world.person_phones())
        loader.load(t[Placement.__tablename__], world.placements())
        loader.load(t[Extension.__tablename__], world.placement_extensions())
        loader.load(t[PlacementNote.__tablename__], world.placement_notes())
        links: list[dict[str, Any]] = []
        interactions = t[Interaction.__tablename__]
        with _last_contact_deferred(conn):
            for batch in _batches(world.interactions(links)):
                loader.load(interactions, batch)
                loader.load(interaction_people, links)
                links.clear()
        mentions: list[dict[str, Any]] = []
        tweets = t[Tweet.__tablename__]
        for batch in _batches(world.tweets(mentions)):
            loader.load(tweets, batch)
            loader.load(t[TweetMention.__tablename__], mentions)
            mentions.clear()
        loader.load(t[FollowerSnapshot.__tablename__], world.follower_snapshots())
    log.info("rows loaded: %s", loader.counts)
    # Search documents exactly as the application computes them (which needs the indexes).
    started = time.perf_counter()
    with _deferred_indexes(conn, [PersonSearch.__tablename__]):
        session = Session(bind=conn)
        search = t[PersonSearch.__tablename__]
        for first in range(1, size + 1, 5_000):
            ids = list(range(first, min(first + 5_000, size + 1)))
            loader.load(search, documents_for(session, ids))
    log.info("search documents in %.1f s", time.perf_counter() - started)
    if loader.postgres:
        _advance_sequences(conn)
    return loader.counts


def _advance_sequences(conn: Connection) -> None:
    """Rows were written with explicit ids; PostgreSQL's sequences must start after them."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar()
        if sequence is not None:
            conn.execute(
                text(
                    f'SELECT setval(:s, coalesce((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )


# -- cached databases -------------------------------------------------------------------------
def _bulk_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # A throwaway file being filled: no journal, no fsync, a big page cache.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=OFF")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def generate_sqlite(path: Path, size: int, seed: int = DEFAULT_SEED) -> GenerationInfo:
    """Create a new SQLite database at ``path`` filled with the synthetic world."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    db = Database(f"sqlite:///{path}")
    db.upgrade(backup=False)
    db.dispose()
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _bulk_pragmas)
    with engine.begin() as conn:
        rows = _fill(conn, size, seed)
    with engine.connect() as conn:
        # The app opens its files in WAL mode; leave this one as the app would find it.
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()
    return GenerationInfo(
        backend="sqlite",
        size=size,
        seed=seed,
        key=cache_key(size, seed),
        heavy_person_id=Scale.for_size(size).heavy_person_id,
        seconds=round(time.perf_counter() - started, 2),
        rows=rows,
    )


def sqlite_database(
    size: int, seed: int = DEFAULT_SEED, work_dir: Path = WORK_DIR, rebuild: bool = False
) -> tuple[Database, GenerationInfo]:
    """The cached SQLite benchmark database for ``size`` and ``seed``, generated if missing."""
    key = cache_key(size, seed)
    path = work_dir / f"bench-{key}.sqlite3"
    info_path = path.with_suffix(".json")
    if not rebuild and path.exists() and info_path.exists():
        info = GenerationInfo(**json.loads(info_path.read_text()))
        info.cached = True
        return Database(f"sqlite:///{path}"), info
    if not rebuild:
        upgraded = _upgrade_cached_sqlite(size, seed, work_dir, path)
        if upgraded is not None:
            return upgraded
    partial = work_dir / f"partial-{os.getpid()}-{key}.sqlite3"
    info = generate_sqlite(partial, size, seed)
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(partial) + suffix)
        if leftover.exists():
            leftover.unlink()
    partial.replace(path)
    info_path.write_text(json.dumps(info.to_json(), indent=2))
    return Database(f"sqlite:///{path}"), info


def _upgrade_cached_sqlite(
    size: int, seed: int, work_dir: Path, path: Path
) -> tuple[Database, GenerationInfo] | None:
    """A cached file of an older schema revision, migrated and renamed to ``path``."""
    for old in sorted(work_dir.glob(f"bench-{cache_key(size, seed, '*')}.sqlite3")):
        old_info = old.with_suffix(".json")
        if not old_info.exists():
            continue
        info = GenerationInfo(**json.loads(old_info.read_text()))
        if _revision_of(info.key, size, seed) is None:
            continue
        db = Database(f"sqlite:///{old}")
        upgraded = _upgrade(db)
        db.dispose()
        if not upgraded:
            continue
        _checkpoint(old)
        old.replace(path)
        info.key = cache_key(size, seed)
        path.with_suffix(".json").write_text(json.dumps(info.to_json(), indent=2))
        old_info.unlink()
        info.cached = True
        return Database(f"sqlite:///{path}"), info
    return None


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone can be renamed."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(path) + suffix)
        if leftover.exists():
            leftover.unlink()


def postgres_url(server_url: str, schema: str) -> str:
    url = make_url(server_url)
    url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def postgres_available(server_url: str = DEFAULT_PG_URL) -> bool:
    try:
        engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:  # any failure means "no server here"
        log.info("PostgreSQL not available at %s: %s", server_url, exc)
        return False


def postgres_database(
    size: int, seed: int = DEFAULT_SEED, server_url: str = DEFAULT_PG_URL, rebuild: bool = False
) -> tuple[Database, GenerationInfo]:
    """The benchmark database in schema ``bench_<size>``, regenerated if its key differs."""
    key = cache_key(size, seed)
    schema = f"bench_{size}"
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        comment = conn.execute(
            text(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"
            ),
            {"s": schema},
        ).scalar()
    if comment and not rebuild:
        try:
            info = GenerationInfo(**json.loads(comment))
        except (ValueError, TypeError):
            info = None
        if info is not None and info.key == key:
            admin.dispose()
            info.cached = True
            return Database(postgres_url(server_url, schema)), info
        if info is not None and _revision_of(info.key, size, seed) is not None:
            db = Database(postgres_url(server_url, schema))
            if _upgrade(db):
                _analyze(db)
                info.key = key
                _comment(admin, schema, info)
                admin.dispose()
                info.cached = True
                return db, info
            db.dispose()
    started = time.perf_counter()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(postgres_url(server_url, schema))
    db.upgrade(backup=False)
    with db.engine.begin() as conn:
        rows = _fill(conn, size, seed)
    _analyze(db)
    info = GenerationInfo(
        backend="postgresql",
        size=size,
        seed=seed,
        key=key,
        heavy_person_id=Scale.for_size(size).heavy_person_id,
        seconds=round(time.perf_counter() - started, 2),
        rows=rows,
    )
    _comment(admin, schema, info)
    admin.dispose()
    return db, info


def _analyze(db: Database) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Only this schema's tables: a bare VACUUM would walk every schema of the shared
        # database (other benchmarks' millions of rows) and take minutes.
        for table in inspect(conn).get_table_names():
            conn.execute(text(f'VACUUM ANALYZE "{table}"'))


def _comment(admin: Engine, schema: str, info: GenerationInfo) -> None:
    """Record what the schema holds (its cache key) as the schema's comment."""
    with admin.begin() as conn:
        payload = json.dumps(info.to_json()).replace("'", "''")
        conn.execute(text(f"COMMENT ON SCHEMA \"{schema}\" IS '{payload}'"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.backend == "sqlite":
        db, info = sqlite_database(args.size, args.seed, rebuild=args.rebuild)
    else:
        db, info = postgres_database(args.size, args.seed, args.pg_url, rebuild=args.rebuild)
    db.dispose()
    log.info("%s", json.dumps(info.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
