"""The Today page's knobs, its rows, and the words its reasons are written in.

Every rule of the page takes ``today`` (and the moment the X signals count from) as
arguments and never reads the clock, so each one is tested on fixed dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from crm import settings
from crm.domain.dates import UK

#: The longest keep-in-touch cadence a person or tag can have, in weeks.
MAX_CADENCE_WEEKS = 104


@dataclass(frozen=True)
class TodayRules:
    """The knobs of the Today page; :func:`rules_from_settings` reads them from settings."""

    ending_weeks: int = 8
    available_weeks: int = 8
    client_weeks: int = 6
    candidate_weeks: int = 4
    follow_up_days: int = 7
    #: Rows listed per section (counts are always complete).
    limit: int = 100
    #: Who-to-call rows.
    call_limit: int = 50
    #: A follower change is unusual beyond this many times the account's typical daily change.
    follower_factor: float = 3.0
    #: ... and beyond this many followers a day (small accounts move by a few anyway).
    follower_min_change: int = 25
    #: Without history (fewer than three earlier changes): beyond this share of followers.
    follower_share: float = 0.05


#: The rules when settings are not asked.
DEFAULT_RULES = TodayRules()


def rules_from_settings() -> TodayRules:
    return TodayRules(
        ending_weeks=max(1, int(settings.get("today_ending_weeks"))),
        available_weeks=max(0, int(settings.get("today_available_weeks"))),
        client_weeks=max(1, int(settings.get("cadence_client_weeks"))),
        candidate_weeks=max(1, int(settings.get("cadence_candidate_weeks"))),
    )


# -- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    interaction_id: int
    version: int
    due: date
    #: "overdue", "today" or "upcoming".
    bucket: str
    days_overdue: int
    summary: str
    kind: str
    people: list[tuple[int, str]]
    organisation_id: int | None
    organisation: str | None
    reason: str

    @property
    def person_id(self) -> int | None:
        return self.people[0][0] if self.people else None

    @property
    def name(self) -> str:
        return ", ".join(name for _, name in self.people) or "(nobody)"


@dataclass(frozen=True)
class Ending:
    placement_id: int
    candidate_id: int
    candidate: str
    organisation_id: int
    organisation: str
    client_contact_id: int | None
    client_contact: str | None
    role: str
    end_date: date
    days_left: int
    extensions: int
    #: The next proposed or confirmed placement, in words; None when nothing is lined up.
    next_lined_up: str | None
    reason: str


@dataclass(frozen=True)
class Available:
    person_id: int
    name: str
    free_from: date
    #: The end of the current placement when that is what keeps them busy.
    busy_until: date | None
    sectors: list[str]
    specialisms: str | None
    day_rate: Decimal | None
    last_contact: datetime | None
    reason: str


@dataclass(frozen=True)
class KeepInTouch:
    person_id: int
    name: str
    is_client_contact: bool
    is_candidate: bool
    cadence_weeks: int
    #: Where the cadence comes from: "own", "tag NAME", "client" or "candidate".
    cadence_source: str
    last_contact: datetime | None
    weeks_since: int
    days_overdue: int
    reason: str


@dataclass(frozen=True)
class XSignal:
    account_id: int
    handle: str
    person_id: int | None
    organisation_id: int | None
    name: str
    #: "tweets", "profile" or "followers".
    kind: str
    at: datetime
    tweets: int
    tweet_id: int | None
    reason: str


@dataclass(frozen=True)
class ToCall:
    person_id: int
    name: str
    score: int
    reasons: list[str]
    #: The open follow-up this call answers, if one is due.
    follow_up_id: int | None


@dataclass(frozen=True)
class FollowUpCounts:
    overdue: int = 0
    today: int = 0
    upcoming: int = 0

    @property
    def due(self) -> int:
        """Overdue and due today: what the reminder counts."""
        return self.overdue + self.today


@dataclass(frozen=True)
class TodayReport:
    today: date
    rules: TodayRules
    follow_ups: list[FollowUp]
    follow_up_counts: FollowUpCounts
    ending: list[Ending]
    ending_total: int
    available: list[Available]
    available_total: int
    keep_in_touch: list[KeepInTouch]
    keep_in_touch_total: int
    x_signals: list[XSignal]
    x_since: datetime
    who_to_call: list[ToCall]
    notes: list[str] = field(default_factory=list)


# -- words -------------------------------------------------------------------------------------


def day_words(day: date, today: date) -> str:
    """``today``, ``yesterday``, ``tomorrow``, ``Tue`` within a week, else ``19 Dec``."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == -1:
        return "yesterday"
    if delta == 1:
        return "tomorrow"
    if -6 <= delta <= 6:
        return f"{day:%a}"
    if day.year != today.year:
        return f"{day.day} {day:%b %Y}"
    return f"{day.day} {day:%b}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _name(first: str, preferred: str | None, last: str) -> str:
    return f"{preferred or first} {last}".strip()


def _local_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()
