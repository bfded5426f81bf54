"""The X API bill as the CRM counts it: every resource read (a post, a profile, ...) once per
UTC day with its price, which is what X bills, summed by kind and day for the usage page and
the budget; and every request against the month, for the rate limits' sake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Table, case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.errors import BudgetReached, CrmError, DatabaseError
from crm.domain.social import XUsageView
from crm.domain.xcost import ResourceKind, UsageDay, XPricing, XUsageMonth
from crm.storage.db import Database
from crm.storage.models import XRead, XUsage
from crm.storage.upsert import insert_for

_CHUNK = 500  # ids per IN (...)


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


# --------------------------------------------------------------------------- resources read


def utc_today() -> date:
    return datetime.now(UTC).date()


def _month_start(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def _next_month(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def read_today(session: Session, kind: ResourceKind, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` were read as ``kind`` this UTC day already."""
    wanted = list(dict.fromkeys(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        found.update(
            session.scalars(
                select(XRead.resource_id).where(
                    XRead.day == utc_today(),
                    XRead.kind == kind.value,
                    XRead.resource_id.in_(wanted[start : start + _CHUNK]),
                )
            )
        )
    return found


def record_reads(db: Database, kind: ResourceKind, ids: Iterable[int], pricing: XPricing) -> int:
    """Note ``ids`` as read today (X bills each once a day); returns how many were new today,
    each priced at today's price. Its own short transaction, like the request counter."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return 0
    price = pricing.price_micros(kind)
    table: Table = XRead.__table__  # type: ignore[assignment]
    try:
        with db.session() as session:
            fresh = [i for i in wanted if i not in read_today(session, kind, wanted)]
            if fresh:
                session.execute(
                    insert_for(session, table).on_conflict_do_nothing(
                        index_elements=[table.c.day, table.c.kind, table.c.resource_id]
                    ),
                    [
                        {
                            "day": utc_today(),
                            "kind": kind.value,
                            "resource_id": i,
                            "cost_micros": price,
                        }
                        for i in fresh
                    ],
                )
            return len(fresh)
    except (SQLAlchemyError, CrmError) as exc:
        raise DatabaseError(f"Could not count the X reads in the database ({exc}).") from None


def month_spend(db: Database, month: str | None = None) -> tuple[int, int]:
    """``(micro-dollars spent, posts read)`` in ``month`` (default: this one)."""
    start = _month_start(month or current_month())
    with db.read() as session:
        micros, posts = session.execute(
            select(
                func.coalesce(func.sum(XRead.cost_micros), 0),
                func.coalesce(
                    func.sum(case((XRead.kind == ResourceKind.POST.value, 1), else_=0)), 0
                ),
            ).where(XRead.day >= start, XRead.day < _next_month(start))
        ).one()
    return int(micros), int(posts)


def usage_month(db: Database, pricing: XPricing, month: str | None = None) -> XUsageMonth:
    """This month's (or ``month``'s) resources and cost by kind and by UTC day."""
    month = month or current_month()
    start = _month_start(month)
    with db.read() as session:
        rows = session.execute(
            select(XRead.day, XRead.kind, func.count(), func.sum(XRead.cost_micros))
            .where(XRead.day >= start, XRead.day < _next_month(start))
            .group_by(XRead.day, XRead.kind)
            .order_by(XRead.day)
        ).all()
        requests = session.scalar(select(XUsage.requests).where(XUsage.month == month))
    counts: dict[ResourceKind, int] = {k: 0 for k in ResourceKind}
    micros: dict[ResourceKind, int] = {k: 0 for k in ResourceKind}
    days: dict[date, tuple[dict[ResourceKind, int], list[int]]] = {}
    for day, kind_text, n, cost in rows:
        kind = ResourceKind(kind_text)
        counts[kind] += int(n)
        micros[kind] += int(cost or 0)
        day_counts, day_micros = days.setdefault(day, ({}, [0]))
        day_counts[kind] = day_counts.get(kind, 0) + int(n)
        day_micros[0] += int(cost or 0)
    return XUsageMonth(
        month=month,
        pricing=pricing,
        counts=counts,
        micros_by_kind=micros,
        days=tuple(UsageDay(d, c, m[0]) for d, (c, m) in sorted(days.items())),
        requests=int(requests or 0),
    )


def check_budget(db: Database, pricing: XPricing) -> None:
    """Raise :class:`BudgetReached` when the next request could pass this month's budget
    (or a legacy plan's cap); runs before every X request."""
    micros, posts = month_spend(db)
    reason = pricing.stop_reason(micros, posts)
    if reason:
        raise BudgetReached(reason)
