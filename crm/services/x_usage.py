"""The X API bill as the CRM counts it: every request against the month it was made in,
and this month's and earlier months' totals against the monthly budget setting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, select
from sqlalchemy.exc import SQLAlchemyError

from crm import settings
from crm.domain.errors import CrmError, DatabaseError
from crm.domain.social import XUsageView
from crm.storage.db import Database
from crm.storage.models import XUsage
from crm.storage.upsert import insert_for


def current_month(now: datetime | None = None) -> str:
    """The usage counter's key for ``now`` (UTC): ``"2026-11"``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m")


def record_request(db: Database) -> None:
    """Count one X API request against this month, in its own short transaction.

    Passed to the gateway as ``on_request``, so it runs just before each request is sent
    (retries included, as X bills them).
    """
    table: Table = XUsage.__table__  # type: ignore[assignment]
    try:
        with db.session() as session:
            stmt = insert_for(session, table).values(month=current_month(), requests=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.month], set_={"requests": table.c.requests + 1}
            )
            session.execute(stmt)
    except (SQLAlchemyError, CrmError) as exc:
        # Raised before the request is sent: no read goes uncounted. (Database.session turns
        # most driver errors into CrmErrors already.)
        raise DatabaseError(
            f"Could not count the X API request in the database ({exc}); nothing was sent."
        ) from None


def requests_in_month(db: Database, month: str | None = None) -> int:
    """How many X API requests were made in ``month`` (default: this month)."""
    with db.read() as session:
        value = session.scalar(
            select(XUsage.requests).where(XUsage.month == (month or current_month()))
        )
        return int(value or 0)


def x_usage(db: Database) -> XUsageView:
    """X API requests made this month, with the monthly budget."""
    month = current_month()
    with db.read() as session:
        requests = session.scalar(select(XUsage.requests).where(XUsage.month == month))
    return XUsageView(month, int(requests or 0), int(settings.get("x_monthly_request_budget")))


def usage_history(db: Database, months: int = 12) -> list[XUsageView]:
    """The last ``months`` months with any requests, newest first."""
    budget = int(settings.get("x_monthly_request_budget"))
    with db.read() as session:
        rows = session.execute(select(XUsage.month, XUsage.requests).order_by(XUsage.month.desc()))
        return [XUsageView(m, int(r or 0), budget) for m, r in list(rows)[:months]]
