"""Reports on the agency's work: placements started, margin (fees) by month and by client, time
from an assignment opened to filled, and how candidates convert from stage to stage."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select

from crm.domain.display import fmt_money, label_of
from crm.domain.enums import PIPELINE_STAGES, AssignmentStatus, PlacementStatus, ShortlistStage
from crm.domain.errors import ValidationError
from crm.domain.rates import margin_per_day, working_days
from crm.services.exports import neutralise
from crm.storage.db import Database
from crm.storage.models import (
    Assignment,
    Organisation,
    Placement,
    ShortlistEntry,
    ShortlistStageChange,
)


@dataclass(frozen=True)
class Report:
    """A report as a table: what it is, its columns and rows (plain values)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def shown(self) -> list[list[str]]:
        """The rows as a person reads them (the page and ``crm report`` both show these):
        money as £74,296, a stage by its label, a month as Dec 2025, 28.0 days as 28."""
        return [
            [_shown(column, value) for column, value in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]


def _shown(column: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column == "margin":
        return fmt_money(Decimal(str(value)).quantize(Decimal(1)), per_day=False)
    if column == "stage":
        return label_of(str(value))
    if column == "month":
        return f"{date.fromisoformat(str(value) + '-01'):%b %Y}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (float, Decimal)):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return str(value)


def _month(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months(start: date, end: date) -> list[date]:
    out, m = [], _month(start)
    while m <= end:
        out.append(m)
        m = _next_month(m)
    return out


def _period(start: date | None, end: date | None, today: date | None) -> tuple[date, date]:
    """The period asked for; by default the twelve months up to the end of this month."""
    day = today or date.today()
    last = end or (_next_month(day) - timedelta(days=1))
    first = start or _month(_month(last) - timedelta(days=335))
    if first > last:
        raise ValidationError("The report's start is after its end.", field="from")
    return first, last


def placements_started(
    db: Database, start: date | None = None, end: date | None = None, today: date | None = None
) -> Report:
    """Placements by the month they started (cancelled ones left out)."""
    first, last = _period(start, end, today)
    counts: dict[date, int] = dict.fromkeys(_months(first, last), 0)
    with db.read() as session:
        for (started,) in session.execute(
            select(Placement.start_date).where(
                Placement.start_date >= first,
                Placement.start_date <= last,
                Placement.status != PlacementStatus.CANCELLED.value,
            )
        ):
            if started is not None:
                counts[_month(started)] += 1
    return Report(
        "placements-started",
        "Placements started per month",
        ["month", "placements"],
        [[m.strftime("%Y-%m"), n] for m, n in counts.items()],
    )


def _margins(
    db: Database, first: date, last: date
) -> list[tuple[int, str, str, date, date, Decimal, int | None]]:
    """Placements running in the period with both rates: (id, client, currency, start, end,
    margin a day, days a week)."""
    with db.read() as session:
        rows = session.execute(
            select(
                Placement.id,
                Organisation.name,
                Placement.currency,
                Placement.start_date,
                Placement.end_date,
                Placement.charge_rate,
                Placement.pay_rate,
                Assignment.days_per_week,
            )
            .join(Organisation, Organisation.id == Placement.organisation_id)
            .outerjoin(Assignment, Assignment.id == Placement.assignment_id)
            .where(
                Placement.status != PlacementStatus.CANCELLED.value,
                Placement.start_date <= last,
                or_(Placement.end_date.is_(None), Placement.end_date >= first),
                Placement.charge_rate.is_not(None),
                Placement.pay_rate.is_not(None),
            )
        ).all()
    out = []
    for pid, client, currency, begin, finish, charge, pay, days in rows:
        per_day = margin_per_day(charge, pay)
        if per_day is None or begin is None:
            continue
        out.append((pid, client, currency, begin, finish or last, per_day, days))
    return out


def _earned(begin: date, finish: date, per_day: Decimal, days: int | None) -> Decimal:
    return (per_day * working_days(begin, finish, days)).quantize(Decimal("0.01"))


def margin_by_month(
    db: Database, start: date | None = None, end: date | None = None, today: date | None = None
) -> Report:
    """The agency's margin (fees) earned each month: margin a day times the working days of
    each placement that fall in the month (at today's rates; extensions included)."""
    first, last = _period(start, end, today)
    totals: dict[date, Decimal] = dict.fromkeys(_months(first, last), Decimal("0.00"))
    placed: dict[date, set[int]] = defaultdict(set)
    for pid, _client, _currency, begin, finish, per_day, days in _margins(db, first, last):
        for month in totals:
            lo = max(begin, month, first)
            hi = min(finish, _next_month(month) - timedelta(days=1), last)
            if lo <= hi:
                earned = _earned(lo, hi, per_day, days)
                if earned:
                    totals[month] += earned
                    placed[month].add(pid)
    return Report(
        "margin-by-month",
        "Margin (fees) per month",
        ["month", "margin", "placements"],
        [[m.strftime("%Y-%m"), str(v), len(placed[m])] for m, v in totals.items()],
        note="Margin a day (charge rate less pay rate) times working days in the month; "
        "placements without both rates are left out.",
    )


def margin_by_client(
    db: Database, start: date | None = None, end: date | None = None, today: date | None = None
) -> Report:
    """Margin (fees) earned in the period per client, largest first."""
    first, last = _period(start, end, today)
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    placed: dict[str, set[int]] = defaultdict(set)
    for pid, client, _currency, begin, finish, per_day, days in _margins(db, first, last):
        earned = _earned(max(begin, first), min(finish, last), per_day, days)
        if earned:
            totals[client] += earned
            placed[client].add(pid)
    rows = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return Report(
        "margin-by-client",
        "Margin (fees) per client",
        ["client", "margin", "placements"],
        [[client, str(total), len(placed[client])] for client, total in rows],
    )


def time_to_fill(
    db: Database, start: date | None = None, end: date | None = None, today: date | None = None
) -> Report:
    """Days from an assignment opened to filled, by the month it was filled."""
    first, last = _period(start, end, today)
    days: dict[date, list[int]] = {m: [] for m in _months(first, last)}
    with db.read() as session:
        for opened, closed in session.execute(
            select(Assignment.opened_on, Assignment.closed_on).where(
                Assignment.status == AssignmentStatus.FILLED.value,
                Assignment.closed_on >= first,
                Assignment.closed_on <= last,
            )
        ):
            if closed is not None:
                days[_month(closed)].append((closed - opened).days)
    return Report(
        "time-to-fill",
        "Days from opened to filled",
        ["month", "filled", "median days", "mean days"],
        [
            [
                m.strftime("%Y-%m"),
                len(d),
                statistics.median(d) if d else None,
                round(statistics.mean(d), 1) if d else None,
            ]
            for m, d in days.items()
        ],
    )


def conversion(
    db: Database, start: date | None = None, end: date | None = None, today: date | None = None
) -> Report:
    """For candidates shortlisted in the period: how many reached each stage, and the share
    of those at the stage before."""
    first, last = _period(start, end, today)
    reached: dict[str, set[int]] = defaultdict(set)
    with db.read() as session:
        entries = select(ShortlistEntry.id).where(
            ShortlistEntry.id.in_(
                select(ShortlistStageChange.entry_id).where(
                    and_(
                        ShortlistStageChange.from_stage.is_(None),
                        ShortlistStageChange.at >= datetime.combine(first, time(0), tzinfo=UTC),
                        ShortlistStageChange.at
                        < datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC),
                    )
                )
            )
        )
        for entry_id, stage in session.execute(
            select(ShortlistStageChange.entry_id, ShortlistStageChange.to_stage).where(
                ShortlistStageChange.entry_id.in_(entries)
            )
        ):
            reached[stage].add(entry_id)
    order = [*PIPELINE_STAGES, ShortlistStage.PLACED]
    # Joining a shortlist at a later stage counts as having passed the earlier ones.
    for i in range(len(order) - 2, -1, -1):
        reached[order[i].value] |= reached[order[i + 1].value]
    rows: list[list[Any]] = []
    previous: int | None = None
    for stage in order:
        n = len(reached[stage.value])
        share = f"{100 * n / previous:.0f}%" if previous else None
        rows.append([stage.value, n, share])
        previous = n
    for stage in (ShortlistStage.DECLINED, ShortlistStage.REJECTED, ShortlistStage.WITHDRAWN):
        rows.append([stage.value, len(reached[stage.value]), None])
    return Report(
        "conversion",
        "Conversion per stage",
        ["stage", "candidates", "of the stage before"],
        rows,
    )


def _cell(value: Any) -> str:
    """A CSV cell: numbers as they are, text with formula starts neutralised."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(value)
    try:
        Decimal(text)
    except ArithmeticError:
        return neutralise(text)
    return text


def report_csv(report: Report) -> str:
    """The report as CSV text (a header row, then the rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([_cell(v) for v in row] for row in report.rows)
    return out.getvalue()


def write_report_csv(report: Report, path: str | Path) -> Path:
    """Save the report as a CSV file that opens in Excel with accents intact."""
    target = Path(path)
    try:
        target.write_text(report_csv(report), encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    return target


REPORTS: dict[str, Callable[..., Report]] = {
    "placements-started": placements_started,
    "margin-by-month": margin_by_month,
    "margin-by-client": margin_by_client,
    "time-to-fill": time_to_fill,
    "conversion": conversion,
}


def run_report(
    db: Database, name: str, start: date | None = None, end: date | None = None
) -> Report:
    try:
        fn = REPORTS[name]
    except KeyError:
        raise ValidationError(
            f"There is no report {name!r} ({', '.join(REPORTS)}).", field="name"
        ) from None
    return fn(db, start, end)
