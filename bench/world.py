"""The benchmark's synthetic world: who exists, where they work, what was said and posted.

Deterministic for a given size and seed: one seeded random stream per table
(:func:`_stream`), so a change to one table does not reshuffle the others. Every date is
relative to :data:`NOW`, not to the clock. :mod:`bench.generate` writes what the
:class:`World` yields into a database and caches it.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench import words
from crm.domain.values import fold
from crm.services.people import sort_name

# Every date is relative to this instant, not to the clock, so that runs are reproducible.
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
# Twitter's snowflake epoch: tweet ids grow with time as on X.
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


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
