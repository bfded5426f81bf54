"""Linking people and organisations to X accounts, the recruiter's own account, the watch
list, follower history, and logging a stored tweet as an interaction (the X settings are in
:mod:`crm.services.x_settings`, the request count in :mod:`crm.services.x_usage`).

With a gateway, linking looks the handle up and stores the numeric user id (which survives a
rename); without one the link is stored unverified and the next sync verifies it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm import settings
from crm.domain.enums import Direction, InteractionKind, XAccountStatus
from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.values import XHandle
from crm.domain.xcost import ResourceKind
from crm.services import audit, x_settings
from crm.services.common import load, x_view
from crm.services.views import XAccountView
from crm.services.x_store import apply_profile, own_account, rename_accounts
from crm.services.x_usage import record_reads
from crm.storage.db import Database
from crm.storage.models import (
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    Tweet,
    User,
    XAccount,
)
from crm.x.types import AccountProblem, XAccountUnavailable, XUser

if TYPE_CHECKING:
    from crm.x.gateway import XGateway

log = logging.getLogger(__name__)

TWEET_REF = "x:tweet:{}"  # Interaction.source_ref of a logged tweet (the archive uses it too)


@dataclass(frozen=True)
class LinkedAccount:
    """An X account with the record it belongs to, for the watch list."""

    account: XAccountView
    kind: str  # "person", "organisation" or "own"
    record_id: int | None  # the person or organisation id
    name: str  # the person's or organisation's name, or "Your account"


# --------------------------------------------------------------------------- linking


def _one_target(person_id: int | None, organisation_id: int | None) -> None:
    if (person_id is None) == (organisation_id is None):
        raise ValidationError("Link an X account to a person or to an organisation, not both.")


def _target(
    session: Session, person_id: int | None, organisation_id: int | None
) -> tuple[Person | Organisation, str]:
    """The person or organisation to link or unlink, and which of the two it is."""
    if person_id is not None:
        return load(session, Person, person_id, "person"), "person"
    assert organisation_id is not None
    return load(session, Organisation, organisation_id, "organisation"), "organisation"


def _lookup(
    db: Database, handle: XHandle, gateway: XGateway | None, kind: ResourceKind = ResourceKind.USER
) -> tuple[XUser | None, XAccountUnavailable | None]:
    """Ask X about ``handle`` (outside any transaction); ``(None, None)`` without a gateway.
    The profile read is billed, so it is counted like a sync's."""
    if gateway is None:
        return None, None
    try:
        user = gateway.get_user_by_username(handle.value)
        record_reads(db, kind, [user.id], x_settings.pricing())
        return user, None
    except XAccountUnavailable as exc:
        if exc.problem is AccountProblem.NOT_FOUND:
            raise NotFoundError(f"{exc.message} Nothing was linked.") from None
        if exc.problem is AccountProblem.OTHER:
            raise
        return None, exc


def _linked_elsewhere(session: Session, account_id: int) -> str | None:
    """The name of the person or organisation ``account_id`` is linked to, if any."""
    person = session.scalars(select(Person).where(Person.x_account_id == account_id)).first()
    if person is not None:
        return person.display_name
    org = session.scalars(
        select(Organisation).where(Organisation.x_account_id == account_id)
    ).first()
    return org.name if org is not None else None


def _account_for(
    session: Session,
    handle: XHandle,
    user: XUser | None,
    problem: XAccountUnavailable | None,
) -> XAccount:
    """The XAccount row for ``handle`` (by user id first), created if new, brought up to date
    with what X said about it."""
    account: XAccount | None = None
    if user is not None:
        account = session.scalars(select(XAccount).where(XAccount.x_user_id == user.id)).first()
    name = user.username if user is not None else handle.value
    by_handle = session.scalars(
        select(XAccount).where(func.lower(XAccount.handle) == name.lower())
    ).first()
    if (
        account is None
        and by_handle is not None
        and (user is None or by_handle.x_user_id in (None, user.id))
    ):
        account = by_handle
    if account is None:
        # A stale row holding the handle (its owner renamed away) hands it over below.
        stale = by_handle is not None
        account = XAccount(handle="~new" if stale else name, status=XAccountStatus.UNVERIFIED.value)
        session.add(account)
        session.flush()
    if user is not None:
        apply_profile(session, account, user)
        if account.handle != user.username:
            refused = rename_accounts(session, [(account, user.username)])
            if account.id in refused:
                raise ValidationError(refused[account.id])
    elif problem is not None:
        account.status = problem.problem.value
        account.status_detail = problem.message[:500]
    return account


def link_x_account(
    db: Database,
    *,
    person_id: int | None = None,
    organisation_id: int | None = None,
    handle: str,
    gateway: XGateway | None = None,
) -> XAccountView:
    """Link a person or an organisation to the X account ``handle`` (``@name``, ``name``,
    ``x.com/name`` or ``twitter.com/name``).

    With ``gateway`` the account is looked up first (one request) and stored with its user
    id and profile; a handle X does not know is refused. Without one it is stored unverified.
    An account already linked to another record is refused.
    """
    _one_target(person_id, organisation_id)
    parsed = XHandle.parse(handle)
    user, problem = _lookup(db, parsed, gateway)
    with db.session() as session:
        target, entity = _target(session, person_id, organisation_id)
        account = _account_for(session, parsed, user, problem)
        if target.x_account_id != account.id:
            other = _linked_elsewhere(session, account.id)
            if other is not None:
                raise ValidationError(
                    f"@{account.handle} is already linked to {other}; unlink it there first.",
                    field="x_handle",
                )
        previous = target.x_account.handle if target.x_account is not None else None
        target.x_account = account
        session.flush()
        audit.record(
            session,
            entity,
            target.id,
            "link_x",
            {"x_handle": [previous, account.handle], "verified": user is not None},
        )
        log.info(
            "Linked %s #%d to X account #%d (%s)", entity, target.id, account.id, account.status
        )
        return _view(account)


def unlink_x_account(
    db: Database, *, person_id: int | None = None, organisation_id: int | None = None
) -> None:
    """Remove the link. The account's tweets and follower history stay, unwatched, in case it
    is linked again (deleting the person or organisation is how to erase them)."""
    _one_target(person_id, organisation_id)
    with db.session() as session:
        target, entity = _target(session, person_id, organisation_id)
        account = target.x_account
        if account is None:
            return
        target.x_account = None
        account.watched = False
        audit.record(session, entity, target.id, "unlink_x", {"x_handle": [account.handle, None]})


def x_account_of(
    db: Database, *, person_id: int | None = None, organisation_id: int | None = None
) -> XAccountView | None:
    """The X account linked to a person or an organisation, if any."""
    _one_target(person_id, organisation_id)
    with db.read() as session:
        if person_id is not None:
            person = load(session, Person, person_id, "person")
            return x_view(person.x_account)
        assert organisation_id is not None
        org = load(session, Organisation, organisation_id, "organisation")
        return x_view(org.x_account)


def _view(account: XAccount) -> XAccountView:
    view = x_view(account)
    assert view is not None
    return view


# --------------------------------------------------------------------------- watch list


def set_watched(db: Database, account_id: int, watched: bool) -> XAccountView:
    """Put an account on the watch list (synced by ``--watched`` and the schedule) or off it."""
    with db.session() as session:
        account = load(session, XAccount, account_id, "X account")
        if account.watched != watched:
            account.watched = watched
            audit.record(session, "x_account", account_id, "watch", {"watched": watched})
        session.flush()
        return _view(account)


def linked_accounts(db: Database, *, watched_only: bool = False) -> list[LinkedAccount]:
    """Every X account linked to a person or an organisation (and the own account), by handle."""
    with db.read() as session:
        out: list[LinkedAccount] = []
        people = select(Person).where(Person.x_account_id.is_not(None))
        for person in session.scalars(people.options(selectinload(Person.x_account))):
            assert person.x_account is not None
            out.append(
                LinkedAccount(_view(person.x_account), "person", person.id, person.display_name)
            )
        orgs = select(Organisation).where(Organisation.x_account_id.is_not(None))
        for org in session.scalars(orgs.options(selectinload(Organisation.x_account))):
            assert org.x_account is not None
            out.append(LinkedAccount(_view(org.x_account), "organisation", org.id, org.name))
        own = own_account(session)
        if own is not None and all(item.account.id != own.id for item in out):
            out.append(LinkedAccount(_view(own), "own", None, "Your account"))
    if watched_only:
        out = [item for item in out if item.account.watched]
    return sorted(out, key=lambda item: item.account.handle.lower())


def list_watched(db: Database) -> list[LinkedAccount]:
    return linked_accounts(db, watched_only=True)


# --------------------------------------------------------------------------- own account


def get_own_account(db: Database) -> XAccountView | None:
    """The recruiter's own X account, if set."""
    with db.read() as session:
        return x_view(own_account(session))


def set_own_account(db: Database, handle: str, gateway: XGateway | None = None) -> XAccountView:
    """Make ``handle`` the recruiter's own account (for mentions between them and their
    contacts): stored on their user record and in the ``x_own_handle`` setting."""
    parsed = XHandle.parse(handle)
    user, problem = _lookup(db, parsed, gateway, ResourceKind.OWNED)
    name = settings.current_user()
    with db.session() as session:
        account = _account_for(session, parsed, user, problem)
        me = session.scalars(select(User).where(User.name == name)).first()
        if me is None:
            me = User(name=name)
            session.add(me)
        me.x_account = account
        session.flush()
        audit.record(session, "user", me.id, "own_x_account", {"x_handle": account.handle})
        view = _view(account)
    settings.set("x_own_handle", view.handle)
    return view


def clear_own_account(db: Database) -> None:
    """Forget which account is the recruiter's own (its tweets stay)."""
    name = settings.current_user()
    with db.session() as session:
        me = session.scalars(select(User).where(User.name == name)).first()
        if me is not None and me.x_account_id is not None:
            me.x_account = None
            audit.record(session, "user", me.id, "own_x_account", {"x_handle": None})
    settings.set("x_own_handle", "")


# --------------------------------------------------------------------------- history


def follower_history(db: Database, account_id: int) -> list[tuple[datetime, int]]:
    """``(taken_at, followers)`` of an account's snapshots, oldest first, for the chart."""
    with db.read() as session:
        load(session, XAccount, account_id, "X account")
        rows = session.execute(
            select(FollowerSnapshot.taken_at, FollowerSnapshot.followers)
            .where(FollowerSnapshot.account_id == account_id)
            .order_by(FollowerSnapshot.taken_at, FollowerSnapshot.id)
        )
        return [(taken_at, int(followers)) for taken_at, followers in rows]


# --------------------------------------------------------------------------- tweets as interactions


def _current_organisation_id(person: Person) -> int | None:
    current = [e for e in person.employments if e.end_date is None]
    return current[0].organisation_id if current else None


def new_x_interaction(
    session: Session,
    *,
    kind: InteractionKind,
    direction: Direction,
    occurred_at: datetime,
    summary: str,
    body: str | None,
    people: list[Person],
    source_ref: str,
) -> Interaction:
    """An interaction logged from X (a tweet or a DM), with its audit entry.

    Logging what already happened is a record, not a contact, so people who asked not to be
    contacted are not refused here.
    """
    summary = " ".join(summary.split())
    interaction = Interaction(
        kind=kind.value,
        direction=direction.value,
        occurred_at=occurred_at,
        summary=(summary[:499] + "…") if len(summary) > 500 else summary,
        body=body,
        logged_by=settings.current_user(),
        organisation_id=_current_organisation_id(people[0]) if people else None,
        source_ref=source_ref,
    )
    interaction.people = people
    session.add(interaction)
    session.flush()
    audit.record(
        session,
        "interaction",
        interaction.id,
        "create",
        {"kind": kind.value, "summary": interaction.summary, "people": [p.id for p in people]},
    )
    return interaction


def log_tweet_as_interaction(db: Database, tweet_id: int, person_id: int) -> int:
    """Log a stored tweet on a person's timeline as an interaction; returns its id.

    Logging the same tweet again returns the same interaction (adding the person to it if
    they are not on it yet).
    """
    ref = TWEET_REF.format(tweet_id)
    with db.session() as session:
        tweet = load(session, Tweet, tweet_id, "stored tweet")
        person = load(session, Person, person_id, "person")
        existing = session.scalars(
            select(Interaction)
            .where(Interaction.source_ref == ref)
            .options(selectinload(Interaction.people))
        ).first()
        if existing is not None:
            if person not in existing.people:
                existing.people.append(person)
                audit.record(
                    session, "interaction", existing.id, "update", {"add_person": person.id}
                )
            return existing.id
        own = own_account(session)
        author = session.get(XAccount, tweet.account_id) if tweet.account_id else None
        handle = author.handle if author is not None else str(tweet.author_x_user_id)
        mine = own is not None and tweet.author_x_user_id == own.x_user_id
        first_line = tweet.text.strip().splitlines()[0] if tweet.text.strip() else ""
        interaction = new_x_interaction(
            session,
            kind=InteractionKind.TWEET,
            direction=Direction.OUTBOUND if mine else Direction.INBOUND,
            occurred_at=tweet.created_at,
            summary=f"Tweet by @{handle}: {first_line}",
            body=f"{tweet.text}\n\nhttps://x.com/{handle}/status/{tweet.id}",
            people=[person],
            source_ref=ref,
        )
        return interaction.id
