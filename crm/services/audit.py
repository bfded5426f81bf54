"""Audit entries: who changed what, when; and the optimistic-concurrency check that uses them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm import settings
from crm.domain.errors import ConflictError
from crm.domain.values import json_ready
from crm.services.common import load
from crm.storage.models import AuditEntry, Versioned

if TYPE_CHECKING:
    from crm.storage.db import Database


def _as_text_unless_json(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


def record(
    session: Session,
    entity_type: str,
    entity_id: int | None,
    action: str,
    changes: dict[str, Any] | None = None,
    who: str | None = None,
) -> None:
    """Add an audit entry to the session's transaction."""
    session.add(
        AuditEntry(
            who=who or settings.current_user(),
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            changes=json_ready(changes or {}, _as_text_unless_json),
        )
    )


def add_new(
    session: Session,
    entity_type: str,
    entity: Any,
    changes: dict[str, Any] | None = None,
    action: str = "create",
) -> int:
    """Add a new record to the session, flush it for its id and audit its creation."""
    session.add(entity)
    session.flush()
    record(session, entity_type, entity.id, action, changes)
    return int(entity.id)


def last_change(session: Session, entity_type: str, entity_id: int) -> AuditEntry | None:
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()


def check_version(
    session: Session,
    entity_type: str,
    entity_id: int,
    current: int,
    expected: int | None,
    label: str,
) -> None:
    """Refuse to save over a newer version, naming who saved it and when."""
    if expected is None or expected == current:
        return
    raise conflict(session, entity_type, entity_id, label)


R = TypeVar("R", bound=Versioned)


def load_for_edit(
    session: Session,
    model: type[R],
    entity_type: str,
    entity_id: int,
    expected_version: int | None,
    label: str | Callable[[R], str],
    noun: str = "",
) -> R:
    """The record an edit changes, refused as :func:`check_version` refuses it when it changed
    after the user opened it at ``expected_version``. ``label`` names it in that refusal (or
    says how to read its name off the record); ``noun`` in a NotFoundError (default: its
    ``entity_type``)."""
    row = load(session, model, entity_id, noun or entity_type)
    name = label if isinstance(label, str) else label(row)
    check_version(session, entity_type, entity_id, row.version, expected_version, name)
    return row


def conflict(session: Session, entity_type: str, entity_id: int, label: str) -> ConflictError:
    entry = last_change(session, entity_type, entity_id)
    who = entry.who if entry else "someone else"
    when = entry.at if entry else None
    when_text = f" at {when.astimezone():%H:%M on %d/%m/%Y}" if when else ""
    return ConflictError(
        f"{label} was changed by {who}{when_text} after you opened it. "
        "Nothing was overwritten; reload to see their change.",
        changed_by=entry.who if entry else None,
        changed_at=when,
        changes=dict(entry.changes) if entry else {},
    )


@contextmanager
def versioned_edit(db: Database, entity_type: str, entity_id: int, label: str) -> Iterator[Session]:
    """The one transaction of an edit to a versioned record (a ``db.session()``).

    :func:`check_version` refuses an edit begun on an older version; should another save land
    between that check and this commit, the row's version no longer matches, SQLAlchemy
    raises StaleDataError, and it becomes the same ConflictError naming who saved.
    """
    try:
        with db.session() as session:
            yield session
    except StaleDataError:
        with db.read() as session:
            raise conflict(session, entity_type, entity_id, label) from None
