"""Enumerations of the recruiter's world; their values are what the database stores."""

from __future__ import annotations

from enum import StrEnum


class Sector(StrEnum):
    HEALTH = "health_social_care"
    HOUSING = "housing"
    LOCAL_GOVERNMENT = "local_government"
    EDUCATION = "education"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _SECTOR_LABELS[self]


_SECTOR_LABELS = {
    Sector.HEALTH: "Health & Social Care",
    Sector.HOUSING: "Housing",
    Sector.LOCAL_GOVERNMENT: "Local Government",
    Sector.EDUCATION: "Education",
    Sector.OTHER: "Other",
}


class OrganisationType(StrEnum):
    NHS_FOUNDATION_TRUST = "nhs_foundation_trust"
    NHS_TRUST = "nhs_trust"
    ICB_CCG = "icb_ccg"
    COUNCIL = "council"
    HOUSING_ASSOCIATION = "housing_association"
    ACADEMY_TRUST = "academy_trust"
    SCHOOL = "school"
    UNIVERSITY = "university"
    CHARITY = "charity"
    COMPANY = "company"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "nhs_foundation_trust": "NHS foundation trust",
            "nhs_trust": "NHS trust",
            "icb_ccg": "ICB / CCG",
            "academy_trust": "Academy trust",
            "housing_association": "Housing association",
        }.get(self.value, self.value.replace("_", " ").capitalize())


class ClientStatus(StrEnum):
    PROSPECT = "prospect"
    CLIENT = "client"
    FORMER_CLIENT = "former_client"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class InteractionKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    VIDEO_CALL = "video_call"
    EMAIL = "email"
    TWEET = "tweet"
    DM = "dm"
    TWITTER_CHAT = "twitter_chat"
    EVENT = "event"
    NOTE = "note"

    @property
    def label(self) -> str:
        return {"dm": "DM", "video_call": "Video call", "twitter_chat": "Twitter chat"}.get(
            self.value, self.value.capitalize()
        )


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class PlacementStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    ACTIVE = "active"
    EXTENDED = "extended"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: Placements that occupy their candidate until their end date (or for good without one).
BUSY_PLACEMENT_STATUSES = (
    PlacementStatus.CONFIRMED.value,
    PlacementStatus.ACTIVE.value,
    PlacementStatus.EXTENDED.value,
)


class IR35Determination(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    UNDETERMINED = "undetermined"

    @property
    def label(self) -> str:
        return {"inside": "Inside IR35", "outside": "Outside IR35"}.get(
            self.value, "Not determined"
        )


class IR35Preference(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    EITHER = "either"


class XAccountStatus(StrEnum):
    UNVERIFIED = "unverified"  # linked by handle without credentials; no user id yet
    OK = "ok"
    SUSPENDED = "suspended"
    NOT_FOUND = "not_found"
    PROTECTED = "protected"


class LawfulBasis(StrEnum):
    LEGITIMATE_INTERESTS = "legitimate_interests"
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ConsentStatus(StrEnum):
    NONE = "none"
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class WorkingPattern(StrEnum):
    ON_SITE = "on_site"
    HYBRID = "hybrid"
    REMOTE = "remote"

    @property
    def label(self) -> str:
        return {"on_site": "On site"}.get(self.value, self.value.capitalize())


class AssignmentStatus(StrEnum):
    """Where a client's requirement stands; all but ``open`` and ``on_hold`` are closed."""

    OPEN = "open"
    ON_HOLD = "on_hold"
    FILLED = "filled"
    LOST = "lost"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_closed(self) -> bool:
        return self in (AssignmentStatus.FILLED, AssignmentStatus.LOST, AssignmentStatus.CANCELLED)


class ShortlistStage(StrEnum):
    """A candidate's stage on an assignment's shortlist: the pipeline, then three ways out."""

    IDENTIFIED = "identified"
    APPROACHED = "approached"
    INTERESTED = "interested"
    SUBMITTED = "submitted"
    INTERVIEW = "interview"
    OFFERED = "offered"
    PLACED = "placed"
    DECLINED = "declined"  # by the candidate
    REJECTED = "rejected"  # by the client
    WITHDRAWN = "withdrawn"  # by us

    @property
    def label(self) -> str:
        return {
            "submitted": "Submitted to client",
            "declined": "Declined by candidate",
            "rejected": "Rejected by client",
        }.get(self.value, self.value.capitalize())

    @property
    def short_label(self) -> str:
        return self.value.capitalize()

    @property
    def is_pipeline(self) -> bool:
        """On the way to a placement (not placed and not out)."""
        return self in PIPELINE_STAGES

    @property
    def is_out(self) -> bool:
        return self in (ShortlistStage.DECLINED, ShortlistStage.REJECTED, ShortlistStage.WITHDRAWN)


PIPELINE_STAGES = (
    ShortlistStage.IDENTIFIED,
    ShortlistStage.APPROACHED,
    ShortlistStage.INTERESTED,
    ShortlistStage.SUBMITTED,
    ShortlistStage.INTERVIEW,
    ShortlistStage.OFFERED,
)


def values(enum: type[StrEnum]) -> list[str]:
    """The stored values of ``enum``, for check constraints."""
    return [member.value for member in enum]
