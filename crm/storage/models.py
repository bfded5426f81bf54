"""The SQLAlchemy models: every entity of the recruiter's world, with constraints in the database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crm.domain.enums import (
    AssignmentStatus,
    ClientStatus,
    ConsentStatus,
    Direction,
    InteractionKind,
    IR35Determination,
    IR35Preference,
    LawfulBasis,
    OrganisationType,
    PlacementStatus,
    Sector,
    ShortlistStage,
    WorkingPattern,
    XAccountStatus,
    values,
)
from crm.storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def _in(column: str, enum: Any, name: str | None = None, nullable: bool = False) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values(enum))
    clause = f"{column} IN ({allowed})"
    if nullable:
        clause = f"{column} IS NULL OR {clause}"
    return CheckConstraint(clause, name=name or f"{column}_valid")


class Versioned:
    """Rows a recruiter edits carry a version for optimistic concurrency."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, onupdate=utcnow)


person_tags = Table(
    "person_tag",
    Base.metadata,
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

organisation_tags = Table(
    "organisation_tag",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

interaction_people = Table(
    "interaction_person",
    Base.metadata,
    Column("interaction_id", ForeignKey("interaction.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    # A person's interactions straight from the index, without visiting the link rows.
    Index("ix_interaction_person_person", "person_id", "interaction_id"),
)


class User(Base):
    """A recruiter: for attribution and team mode."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    x_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("x_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    x_account: Mapped[XAccount | None] = relationship()


class Tag(Base):
    __tablename__ = "tag"
    __table_args__ = (Index("uq_tag_name_ci", func.lower(Column("name")), unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # Keep in touch with people carrying this tag every N weeks (the Today page); None: the
    # tag sets no cadence.
    contact_every_weeks: Mapped[int | None] = mapped_column(Integer)


class XAccount(Versioned, Base):
    """An X account, linked by its stable numeric id once known (handles can change)."""

    __tablename__ = "x_account"
    __table_args__ = (
        Index("uq_x_account_handle_ci", func.lower(Column("handle")), unique=True),
        _in("status", XAccountStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    x_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    handle: Mapped[str] = mapped_column(String(15))
    display_name: Mapped[str | None] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    x_created_at: Mapped[datetime | None]
    followers_count: Mapped[int | None]
    following_count: Mapped[int | None]
    tweet_count: Mapped[int | None]
    last_synced_at: Mapped[datetime | None]
    newest_tweet_id: Mapped[int | None] = mapped_column(BigInteger)
    newest_mention_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=XAccountStatus.UNVERIFIED.value)
    status_detail: Mapped[str | None] = mapped_column(String(500))
    watched: Mapped[bool] = mapped_column(Boolean, default=False)
    # "daily", "weekly" or "monthly"; None: from the linked record's tags (services.x_cadence)
    refresh_cadence: Mapped[str | None] = mapped_column(String(10))

    snapshots: Mapped[list[FollowerSnapshot]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class Tweet(Base):
    __tablename__ = "tweet"
    __table_args__ = (
        Index("ix_tweet_account_created", "account_id", "created_at"),
        # Who tweeted since the recruiter last looked (the Today page).
        Index("ix_tweet_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("x_account.id", ondelete="CASCADE"), index=True
    )
    author_x_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    in_reply_to_user_id: Mapped[int | None] = mapped_column(BigInteger)
    replied_to_id: Mapped[int | None] = mapped_column(BigInteger)
    quoted_id: Mapped[int | None] = mapped_column(BigInteger)
    retweeted_id: Mapped[int | None] = mapped_column(BigInteger)
    mentioned_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    retweet_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    quote_count: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class TweetMention(Base):
    """Which X user ids a tweet mentions: lets a timeline find mentions of a person quickly."""

    __tablename__ = "tweet_mention"
    tweet_id: Mapped[int] = mapped_column(
        ForeignKey("tweet.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    x_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)


class FollowerSnapshot(Base):
    __tablename__ = "follower_snapshot"
    __table_args__ = (
        # Followers in the index: the league table's seeks read no row (migration 0014).
        Index("ix_follower_snapshot_account_taken", "account_id", "taken_at", "followers"),
        # Snapshots since the recruiter last looked (Today), the newest one (league table).
        Index("ix_follower_snapshot_taken", "taken_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("x_account.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    followers: Mapped[int]
    following: Mapped[int]
    tweets: Mapped[int]
    account: Mapped[XAccount] = relationship(back_populates="snapshots")


class XUsage(Base):
    """X API requests made per calendar month, for the cost counter."""

    __tablename__ = "x_usage"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    requests: Mapped[int] = mapped_column(Integer, default=0)


class XRead(Base):
    """One X resource read on one UTC day, with what it cost then (X bills each resource once
    a day): the usage page and the budget sum these; a sync skips what is here for today."""

    __tablename__ = "x_read"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # ResourceKind
    resource_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cost_micros: Mapped[int] = mapped_column(Integer, default=0)  # USD millionths


class BlueskyAccount(Base):
    """A Bluesky account, kept by its DID (stable; the handle can change). The person or
    organisation it belongs to is named here, so linking needs no change to their rows."""

    __tablename__ = "bluesky_account"
    __table_args__ = (
        CheckConstraint("person_id IS NULL OR organisation_id IS NULL", name="one_owner"),
        Index("ix_bluesky_account_handle", "handle"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    did: Mapped[str] = mapped_column(String(2048), unique=True)
    handle: Mapped[str] = mapped_column(String(253))
    display_name: Mapped[str | None] = mapped_column(String(640))
    bio: Mapped[str | None] = mapped_column(Text)
    followers_count: Mapped[int | None]
    follows_count: Mapped[int | None]
    posts_count: Mapped[int | None]
    bsky_created_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    # The newest stored post's time: the next sync pages back only to here.
    newest_post_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="ok")
    status_detail: Mapped[str | None] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), unique=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Post(Base):
    """A Bluesky post of a linked account, kept by its ``at://`` URI."""

    __tablename__ = "bluesky_post"
    __table_args__ = (Index("ix_bluesky_post_account_created", "account_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    cid: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("bluesky_account.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    reply_parent_uri: Mapped[str | None] = mapped_column(String(500))
    reply_root_uri: Mapped[str | None] = mapped_column(String(500))
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    repost_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    quote_count: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlueskySnapshot(Base):
    """A Bluesky account's counts at one moment: the follower history, like X's snapshots."""

    __tablename__ = "bluesky_snapshot"
    __table_args__ = (
        Index("ix_bluesky_snapshot_account_taken", "account_id", "taken_at", "followers"),
        Index("ix_bluesky_snapshot_taken", "taken_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bluesky_account.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    followers: Mapped[int]
    follows: Mapped[int]
    posts: Mapped[int]


class Organisation(Versioned, Base):
    __tablename__ = "organisation"
    __table_args__ = (
        _in("sector", Sector, nullable=True),
        _in("org_type", OrganisationType),
        _in("client_status", ClientStatus),
        Index("ix_organisation_name_ci", func.lower(Column("name"))),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(30))
    org_type: Mapped[str] = mapped_column(String(30), default=OrganisationType.OTHER.value)
    region: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    gss_code: Mapped[str | None] = mapped_column(String(9), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    client_status: Mapped[str] = mapped_column(String(20), default=ClientStatus.PROSPECT.value)
    owner: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    x_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("x_account.id", ondelete="SET NULL"), unique=True
    )

    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")
    x_account: Mapped[XAccount | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=organisation_tags, order_by=Tag.name)
    employments: Mapped[list[Employment]] = relationship(
        back_populates="organisation", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class Person(Versioned, Base):
    __tablename__ = "person"
    __table_args__ = (
        _in("lawful_basis", LawfulBasis, nullable=True),
        _in("consent_status", ConsentStatus),
        _in("ir35_preference", IR35Preference, nullable=True),
        CheckConstraint(
            "day_rate_expectation IS NULL OR day_rate_expectation > 0", name="day_rate_positive"
        ),
        Index("ix_person_sort_name", "sort_name"),
        Index("ix_person_last_name", func.lower(Column("last_name"))),
        # First names in the order one- and two-letter searches show them.
        Index("ix_person_first_name_sort", func.lower(Column("first_name")), "sort_name", "id"),
        # Matching candidates to an assignment: every column the ranking reads, and the id,
        # for the candidates only (migration 0013), so it runs on the index alone and never
        # visits the (wide) person rows, on PostgreSQL too (an index-only scan).
        Index(
            "ix_person_candidate_match",
            "is_candidate",
            "do_not_contact",
            "available_from",
            "last_interaction_at",
            "day_rate_expectation",
            "ir35_preference",
            "willing_to_travel",
            "candidate_sectors",
            "location",
            "specialisms",
            "id",
            postgresql_where=text("is_candidate IS true"),
            sqlite_where=text("is_candidate IS 1"),
        ),
        # The Today page (migration 0010): candidates free soon, counted from the index.
        Index("ix_person_available_candidate", "available_from", "is_candidate", "do_not_contact"),
        # ... and people overdue on their kind's cadence, in order of last contact.
        Index(
            "ix_person_keep_in_touch",
            "is_candidate",
            "do_not_contact",
            "last_interaction_at",
            "created_at",
            "is_client_contact",
            "contact_every_weeks",
        ),
        Index(
            "ix_person_own_cadence",
            "contact_every_weeks",
            sqlite_where=text("contact_every_weeks IS NOT NULL"),
            postgresql_where=text("contact_every_weeks IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    # Folded "first last" for ordered prefix lookups of one or two letters.
    sort_name: Mapped[str] = mapped_column(String(201))
    job_title: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    is_client_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    is_candidate: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    lawful_basis: Mapped[str | None] = mapped_column(String(30))
    consent_status: Mapped[str] = mapped_column(String(20), default=ConsentStatus.NONE.value)
    consent_date: Mapped[date | None] = mapped_column(Date)
    consent_source: Mapped[str | None] = mapped_column(String(200))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Candidate facts
    available_from: Mapped[date | None] = mapped_column(Date, index=True)
    day_rate_expectation: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    day_rate_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    specialisms: Mapped[str | None] = mapped_column(String(500))
    candidate_sectors: Mapped[str | None] = mapped_column(
        String(200)
    )  # comma-separated Sector values
    willing_to_travel: Mapped[bool | None] = mapped_column(Boolean)
    ir35_preference: Mapped[str | None] = mapped_column(String(20))
    x_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("x_account.id", ondelete="SET NULL"), unique=True
    )
    # The newest occurred_at of the person's interactions. Kept by database triggers on
    # interaction_person and interaction (migration 0004), never written by the program.
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keep in touch every N weeks, overriding the person's tags and kinds (the Today page).
    contact_every_weeks: Mapped[int | None] = mapped_column(Integer)

    x_account: Mapped[XAccount | None] = relationship()
    emails: Mapped[list[PersonEmail]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PersonEmail.id",
    )
    phones: Mapped[list[PersonPhone]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PersonPhone.id",
    )
    employments: Mapped[list[Employment]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Employment.start_date.desc()",
    )
    tags: Mapped[list[Tag]] = relationship(secondary=person_tags, order_by=Tag.name)

    __mapper_args__ = {"version_id_col": Versioned.version}

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()


class PersonEmail(Base):
    __tablename__ = "person_email"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    label: Mapped[str | None] = mapped_column(String(30))
    person: Mapped[Person] = relationship(back_populates="emails")
    __table_args__ = (Index("ix_person_email_email_ci", func.lower(Column("email"))),)


class PersonPhone(Base):
    __tablename__ = "person_phone"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    label: Mapped[str | None] = mapped_column(String(30))
    person: Mapped[Person] = relationship(back_populates="phones")


class Employment(Versioned, Base):
    """A person at an organisation with a title, from a date, to a date (open = current)."""

    __tablename__ = "employment"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
        Index("ix_employment_org_current", "organisation_id", "end_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="employments")
    organisation: Mapped[Organisation] = relationship(back_populates="employments")

    __mapper_args__ = {"version_id_col": Versioned.version}

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class Placement(Versioned, Base):
    __tablename__ = "placement"
    __table_args__ = (
        _in("status", PlacementStatus),
        _in("ir35", IR35Determination),
        CheckConstraint("charge_rate IS NULL OR charge_rate > 0", name="charge_rate_positive"),
        CheckConstraint("pay_rate IS NULL OR pay_rate > 0", name="pay_rate_positive"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
        Index("ix_placement_status_end", "status", "end_date"),
        # Whose current placement keeps them busy (the Today page), from the index alone.
        Index("ix_placement_busy", "status", "end_date", "candidate_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    client_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=PlacementStatus.PROPOSED.value)
    # What the client is billed per day (the "day rate" before migration 0008) and what the
    # interim is paid per day; the difference is the agency's margin.
    charge_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    pay_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    ir35: Mapped[str] = mapped_column(String(20), default=IR35Determination.UNDETERMINED.value)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="SET NULL"), index=True
    )

    candidate: Mapped[Person] = relationship(foreign_keys=[candidate_id])
    client_contact: Mapped[Person | None] = relationship(foreign_keys=[client_contact_id])
    organisation: Mapped[Organisation] = relationship()
    assignment: Mapped[Assignment | None] = relationship()
    extensions: Mapped[list[Extension]] = relationship(
        back_populates="placement",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Extension.created_at",
    )
    notes: Mapped[list[PlacementNote]] = relationship(
        back_populates="placement",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PlacementNote.created_at",
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class Assignment(Versioned, Base):
    """A client's requirement: the role an interim is sought for, and how the search stands."""

    __tablename__ = "assignment"
    __table_args__ = (
        _in("status", AssignmentStatus),
        _in("sector", Sector, nullable=True),
        _in("working_pattern", WorkingPattern, nullable=True),
        _in("ir35", IR35Determination),
        CheckConstraint(
            "days_per_week IS NULL OR (days_per_week >= 1 AND days_per_week <= 7)",
            name="days_per_week_range",
        ),
        CheckConstraint("duration_weeks IS NULL OR duration_weeks > 0", name="duration_positive"),
        CheckConstraint(
            "charge_rate_min IS NULL OR charge_rate_max IS NULL "
            "OR charge_rate_min <= charge_rate_max",
            name="charge_range_ordered",
        ),
        Index("ix_assignment_status_opened", "status", "opened_on"),
        Index("ix_assignment_role_ci", func.lower(Column("role"))),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(30))
    location: Mapped[str | None] = mapped_column(String(200))
    working_pattern: Mapped[str | None] = mapped_column(String(10))
    days_per_week: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    start_asap: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_weeks: Mapped[int | None] = mapped_column(Integer)
    charge_rate_min: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    charge_rate_max: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    pay_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    ir35: Mapped[str] = mapped_column(String(20), default=IR35Determination.UNDETERMINED.value)
    ir35_determined_on: Mapped[date | None] = mapped_column(Date)
    ir35_determined_by: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.OPEN.value)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # The dates the reports count from: opened (the need came in) and closed (filled, lost...).
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    contact: Mapped[Person | None] = relationship()
    shortlist: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="assignment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ShortlistEntry.id",
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class ShortlistEntry(Versioned, Base):
    """A candidate on an assignment's shortlist, at a stage."""

    __tablename__ = "shortlist_entry"
    __table_args__ = (
        _in("stage", ShortlistStage),
        Index("uq_shortlist_entry_assignment_person", "assignment_id", "person_id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default=ShortlistStage.IDENTIFIED.value)
    reason: Mapped[str | None] = mapped_column(Text)
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="shortlist")
    person: Mapped[Person] = relationship()
    history: Mapped[list[ShortlistStageChange]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ShortlistStageChange.at",
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class ShortlistStageChange(Base):
    """One dated step of a shortlist entry: from a stage (none when added) to a stage."""

    __tablename__ = "shortlist_stage_change"
    __table_args__ = (
        _in("to_stage", ShortlistStage),
        _in("from_stage", ShortlistStage, nullable=True),
        Index("ix_shortlist_stage_change_entry_at", "entry_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("shortlist_entry.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str | None] = mapped_column(String(200))

    entry: Mapped[ShortlistEntry] = relationship(back_populates="history")


class Extension(Base):
    __tablename__ = "placement_extension"
    __table_args__ = (
        CheckConstraint("day_rate IS NULL OR day_rate > 0", name="day_rate_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    previous_end_date: Mapped[date | None] = mapped_column(Date)
    new_end_date: Mapped[date] = mapped_column(Date)
    day_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    placement: Mapped[Placement] = relationship(back_populates="extensions")


class PlacementNote(Base):
    __tablename__ = "placement_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    placement: Mapped[Placement] = relationship(back_populates="notes")


class Interaction(Versioned, Base):
    __tablename__ = "interaction"
    __table_args__ = (
        _in("kind", InteractionKind),
        _in("direction", Direction, nullable=True),
        Index("ix_interaction_occurred", "occurred_at"),
        Index("ix_interaction_follow_up", "follow_up_due"),
        # Open follow-ups only: the Today page reads them without visiting the done ones.
        Index(
            "ix_interaction_open_follow_up",
            "follow_up_due",
            sqlite_where=text("follow_up_done = 0"),
            postgresql_where=text("follow_up_done = false"),
        ),
        Index("ix_interaction_org_occurred", "organisation_id", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    logged_by: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    follow_up_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where an imported interaction came from (an archive tweet or DM id), for idempotence.
    source_ref: Mapped[str | None] = mapped_column(String(100), unique=True)

    people: Mapped[list[Person]] = relationship(secondary=interaction_people)
    organisation: Mapped[Organisation | None] = relationship()
    placement: Mapped[Placement | None] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entity", "entity_type", "entity_id", "at"),
        # Recent changes of one kind of record (X profile changes on the Today page).
        Index("ix_audit_type_at", "entity_type", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    who: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SeenMarker(Base):
    """When a recruiter last looked at something (the X signals of the Today page)."""

    __tablename__ = "seen_marker"
    who: Mapped[str] = mapped_column(String(200), primary_key=True)
    what: Mapped[str] = mapped_column(String(30), primary_key=True)
    seen_at: Mapped[datetime]


class PersonSearch(Base):
    """The search document of a person, kept in step with the tables in the same transaction.

    On SQLite an FTS5 table (``person_fts``, created by the migration) indexes these columns;
    on PostgreSQL ``vector`` holds a tsvector and ``document`` a trigram index.
    """

    __tablename__ = "person_search"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(Text, default="")
    past_organisations: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")  # emails, handle
    tags: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The person's sort name: ties in rank are listed by name without visiting person rows.
    sort_name: Mapped[str] = mapped_column(String(201), default="", server_default="")
