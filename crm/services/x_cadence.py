"""Refresh cadence tiers for X accounts (daily, weekly, monthly): set on an account, or by
default from the linked record's tags and client status, so a scheduled sync reads only the
accounts that are due and the bill follows what the recruiter cares about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.domain.enums import ClientStatus
from crm.domain.errors import ValidationError
from crm.domain.xcost import Cadence, default_cadence
from crm.services import audit
from crm.services.common import load
from crm.services.x_store import own_account
from crm.storage.db import Database
from crm.storage.models import Organisation, Person, XAccount
from crm.storage.types import utcnow


def cadences(session: Session, account_ids: Sequence[int]) -> dict[int, Cadence]:
    """Each account's cadence: its own setting, else the default from its record's tags."""
    if not account_ids:
        return {}
    own = own_account(session)
    found: dict[int, Cadence] = {}
    accounts = session.scalars(select(XAccount).where(XAccount.id.in_(account_ids)))
    set_on: dict[int, str | None] = {a.id: a.refresh_cadence for a in accounts}
    tags: dict[int, list[str]] = {i: [] for i in set_on}
    client: dict[int, bool] = dict.fromkeys(set_on, False)
    people = select(Person).where(Person.x_account_id.in_(account_ids))
    for person in session.scalars(people.options(selectinload(Person.tags))):
        assert person.x_account_id is not None
        tags[person.x_account_id] += [t.name for t in person.tags]
        client[person.x_account_id] |= person.is_client_contact
    orgs = select(Organisation).where(Organisation.x_account_id.in_(account_ids))
    for org in session.scalars(orgs.options(selectinload(Organisation.tags))):
        assert org.x_account_id is not None
        tags[org.x_account_id] += [t.name for t in org.tags]
        client[org.x_account_id] |= org.client_status == ClientStatus.CLIENT.value
    for account_id, value in set_on.items():
        if value:
            found[account_id] = Cadence(value)
            continue
        found[account_id] = default_cadence(
            tags[account_id],
            client=client[account_id],
            own=own is not None and own.id == account_id,
        )
    return found


def due(session: Session, account_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """The accounts of ``account_ids`` whose cadence says they are due (never synced, or
    synced longer ago than their tier), in the same order."""
    now = now or utcnow()
    tiers = cadences(session, account_ids)
    synced = {
        aid: last
        for aid, last in session.execute(
            select(XAccount.id, XAccount.last_synced_at).where(XAccount.id.in_(account_ids))
        )
    }
    out = []
    for account_id in account_ids:
        last = synced.get(account_id)
        tier = tiers.get(account_id, Cadence.MONTHLY)
        # An hour's grace, so a daily account synced at 09:05 yesterday is due at 09:00 today.
        if last is None or now - last >= timedelta(days=tier.days) - timedelta(hours=1):
            out.append(account_id)
    return out


def set_cadence(db: Database, account_id: int, cadence: Cadence | str | None) -> Cadence:
    """Set an account's tier (None: back to the default from its tags); returns the tier in
    force."""
    value: str | None = None
    if cadence:
        try:
            value = Cadence(str(cadence)).value
        except ValueError:
            raise ValidationError(
                "A refresh cadence is daily, weekly or monthly.", field="refresh_cadence"
            ) from None
    with db.session() as session:
        account = load(session, XAccount, account_id, "X account")
        if account.refresh_cadence != value:
            audit.record(
                session,
                "x_account",
                account_id,
                "cadence",
                {"refresh_cadence": [account.refresh_cadence, value]},
            )
            account.refresh_cadence = value
        session.flush()
        return cadences(session, [account_id])[account_id]


def cadence_of(db: Database, account_ids: Sequence[int]) -> dict[int, Cadence]:
    with db.read() as session:
        return cadences(session, account_ids)
