"""The Today page's writes: snoozing a follow-up (one audited transaction). Cadences are in
:mod:`crm.services.today.cadence`."""

from __future__ import annotations

from datetime import date

from crm.domain.errors import NotFoundError, ValidationError
from crm.services import audit
from crm.services.common import load
from crm.storage.db import Database
from crm.storage.models import (
    Interaction,
)
from crm.storage.types import utcnow


def snooze_follow_up(db: Database, interaction_id: int, until: date, today: date) -> None:
    """Move an open follow-up to ``until`` (after ``today``); one audited transaction."""
    if until <= today:
        raise ValidationError("Snooze to a day after today.", field="follow_up_due")
    with db.session() as session:
        interaction = load(session, Interaction, interaction_id, "interaction")
        if interaction.follow_up_due is None or interaction.follow_up_done:
            raise NotFoundError("That interaction has no open follow-up to snooze.")
        was = interaction.follow_up_due
        interaction.follow_up_due = until
        interaction.updated_at = utcnow()
        audit.record(
            session, "interaction", interaction_id, "snooze", {"follow_up_due": [was, until]}
        )
