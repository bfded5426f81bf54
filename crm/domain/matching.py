"""How well a candidate fits an assignment: the weights, the rules and the reasons in words.

The matching service ranks in the database with the same weights (so 100,000 people are
ranked without loading them) and then asks :func:`fit` for the reasons of the few it shows;
a test keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from crm.domain.display import fmt_money

# Points for each part of the fit.
AVAILABLE = 30  # free by the start date
AVAILABILITY_UNKNOWN = 10  # no availability date and no placement running past the start
SECTOR = 25  # has worked in the assignment's sector
SPECIALISM = 10  # per word of the role among their specialisms (at most two words count)
RATE_WITHIN = 20  # expects no more than the assignment pays
RATE_NEAR = 5  # expects at most 10% more
RATE_ABOVE = -20
IR35_SUITS = 10
IR35_CLASH = -15
REMOTE = 10  # anyone can do a remote role
SAME_PLACE = 15
TRAVELS = 8
CONTACT_RECENT = 10  # spoken to in the last 90 days
CONTACT_THIS_YEAR = 5  # in the last 365

RECENT_DAYS = 90
YEAR_DAYS = 365
MAX_SPECIALISM_WORDS = 2

# Words of a role title that say nothing about the specialism.
_ROLE_NOISE = frozenset(
    [
        "interim",
        "acting",
        "director",
        "deputy",
        "assistant",
        "associate",
        "head",
        "chief",
        "officer",
        "manager",
        "lead",
        "senior",
        "executive",
        "programme",
        "project",
        "of",
        "and",
        "the",
        "for",
        "to",
        "in",
        "a",
        "an",
    ]
)


def role_words(role: str) -> list[str]:
    """The words of a role title worth looking for among specialisms (``finance``, ``estates``)."""
    words = [w for w in re.findall(r"[a-z]{3,}", role.lower()) if w not in _ROLE_NOISE]
    return list(dict.fromkeys(words))[:4]


@dataclass(frozen=True)
class AssignmentFacts:
    role: str
    sector: str | None
    start: date  # the start date, or today for an ASAP start
    location: str | None
    remote: bool
    rate_ceiling: Decimal | None  # what the interim can be paid: the pay rate, else the top
    ir35: str  # inside, outside, undetermined
    currency: str = "GBP"


def _money(amount: Decimal, a: AssignmentFacts) -> str:
    return fmt_money(amount.quantize(Decimal(1)), a.currency, per_day=False)


@dataclass(frozen=True)
class CandidateFacts:
    available_from: date | None
    sectors: str | None  # comma-separated Sector values
    specialisms: str | None
    rate: Decimal | None
    ir35_preference: str | None
    location: str | None
    willing_to_travel: bool | None
    last_contact: datetime | None
    busy_until: date | None = None  # the end of a placement running at the start date


def fit(a: AssignmentFacts, c: CandidateFacts, today: date) -> tuple[int, list[str]]:
    """The candidate's score for the assignment and the reasons, best first."""
    score = 0
    reasons: list[str] = []
    if c.available_from is not None:
        score += AVAILABLE
        if c.available_from <= today:
            reasons.append("available now")
        else:
            reasons.append(f"available from {c.available_from:%d/%m/%Y}")
    else:
        score += AVAILABILITY_UNKNOWN
        reasons.append("availability not recorded")
    if a.sector and c.sectors and a.sector in c.sectors.split(","):
        score += SECTOR
        reasons.append("works in the sector")
    matched = [w for w in role_words(a.role) if c.specialisms and w in c.specialisms.lower()]
    matched = matched[:MAX_SPECIALISM_WORDS]
    if matched:
        score += SPECIALISM * len(matched)
        reasons.append("specialisms: " + ", ".join(matched))
    if c.rate is not None and a.rate_ceiling is not None:
        if c.rate <= a.rate_ceiling:
            score += RATE_WITHIN
            reasons.append(f"asks {_money(c.rate, a)}/day, within {_money(a.rate_ceiling, a)}")
        elif c.rate <= a.rate_ceiling * Decimal("1.1"):
            score += RATE_NEAR
            reasons.append(f"asks {_money(c.rate, a)}/day, just above {_money(a.rate_ceiling, a)}")
        else:
            score += RATE_ABOVE
            reasons.append(f"asks {_money(c.rate, a)}/day, above {_money(a.rate_ceiling, a)}")
    if a.ir35 in ("inside", "outside") and c.ir35_preference:
        if c.ir35_preference in (a.ir35, "either"):
            score += IR35_SUITS
            reasons.append(f"happy {a.ir35} IR35")
        else:
            score += IR35_CLASH
            reasons.append(f"prefers {c.ir35_preference} IR35")
    if a.remote:
        score += REMOTE
        reasons.append("remote role")
    elif a.location and c.location and a.location.lower() in c.location.lower():
        score += SAME_PLACE
        reasons.append(f"based in {c.location}")
    elif c.willing_to_travel:
        score += TRAVELS
        reasons.append("willing to travel")
    if c.last_contact is not None:
        days = (today - c.last_contact.date()).days
        if days <= RECENT_DAYS:
            score += CONTACT_RECENT
            reasons.append(f"spoken to {days} days ago" if days != 1 else "spoken to yesterday")
        elif days <= YEAR_DAYS:
            score += CONTACT_THIS_YEAR
            reasons.append(f"last spoken to {c.last_contact:%d/%m/%Y}")
    return score, reasons


def contact_cutoffs(today: date) -> tuple[date, date]:
    """The dates from which a last contact counts as recent, and as this year."""
    return today - timedelta(days=RECENT_DAYS), today - timedelta(days=YEAR_DAYS)
