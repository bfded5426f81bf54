"""``crm today``: the Today page's lists for a terminal, and its actions (done, snooze, cadence)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from crm.cli import UsageError, open_db
from crm.cli.output import fmt, print_json, print_table
from crm.domain.dates import UK, parse_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "today",
        help="who to call today and why: follow-ups, endings, availability, cadences, X",
        description="The Today page's lists: who to call (ranked, with reasons), follow-ups, "
        "placements ending, available candidates, keep in touch, and X signals.",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--date", metavar="DATE", help="as of this day (default: today)")
    p.set_defaults(handler=today_show)
    ts = p.add_subparsers(dest="today_command", metavar="ACTION")
    a = ts.add_parser("done", help="mark follow-ups done")
    a.add_argument("interactions", metavar="ID", type=int, nargs="+")
    a.set_defaults(handler=today_done)
    a = ts.add_parser("snooze", help="move a follow-up to a later day (+1d, +1w, 19/12/2026)")
    a.add_argument("interaction", metavar="ID", type=int)
    a.add_argument("until", metavar="WHEN")
    a.set_defaults(handler=today_snooze)
    a = ts.add_parser(
        "cadence", help="keep in touch with a person or a tag every N weeks (0: never)"
    )
    target = a.add_mutually_exclusive_group(required=True)
    target.add_argument("--person", metavar="PERSON", help="id, email, @handle or name")
    target.add_argument("--tag", metavar="TAG")
    a.add_argument("--every", metavar="WEEKS", help="weeks, or 'default' to remove")
    a.set_defaults(handler=today_cadence)
    a = ts.add_parser("seen", help="mark the X signals seen: the next list shows newer ones")
    a.set_defaults(handler=today_seen)


def _today(args: argparse.Namespace) -> date:
    if getattr(args, "date", None):
        return parse_date(args.date, "date")
    return datetime.now(UK).date()


def today_show(args: argparse.Namespace) -> int:
    from crm.services.today.report import today_report
    from crm.services.today.rules import rules_from_settings

    db = open_db(args)
    report = today_report(db, _today(args), rules_from_settings())
    if args.json:
        print_json(report)
        return 0
    counts = report.follow_up_counts
    print(f"Today, {report.today:%A} {report.today.day} {report.today:%B %Y}")
    _heading("Who to call", len(report.who_to_call))
    print_table(
        ["#", "person", "score", "why"],
        [
            (i, c.name, c.score, "; ".join(c.reasons))
            for i, c in enumerate(report.who_to_call, start=1)
        ],
    )
    _heading(
        "Follow-ups",
        counts.overdue + counts.today + counts.upcoming,
        f"{counts.overdue} overdue, {counts.today} today, {counts.upcoming} in the next "
        f"{report.rules.follow_up_days} days",
    )
    print_table(
        ["id", "due", "with", "organisation", "summary"],
        [(f.interaction_id, f.due, f.name, f.organisation, f.summary) for f in report.follow_ups],
    )
    _heading(f"Ending within {report.rules.ending_weeks} weeks", report.ending_total)
    print_table(
        ["id", "ends", "days", "candidate", "client", "extended", "next"],
        [
            (
                e.placement_id,
                e.end_date,
                e.days_left,
                e.candidate,
                e.organisation,
                e.extensions or "",
                e.next_lined_up or "nothing lined up",
            )
            for e in report.ending
        ],
    )
    _heading("Available candidates", report.available_total)
    print_table(
        ["id", "candidate", "free from", "sectors", "day rate", "last contact"],
        [
            (
                a.person_id,
                a.name,
                "now" if a.free_from <= report.today else a.free_from,
                ", ".join(a.sectors),
                a.day_rate,
                a.last_contact,
            )
            for a in report.available
        ],
    )
    _heading("Keep in touch", report.keep_in_touch_total)
    print_table(
        ["id", "person", "why"], [(k.person_id, k.name, k.reason) for k in report.keep_in_touch]
    )
    _heading("On X", len(report.x_signals), f"since {report.x_since.astimezone(UK):%d/%m/%Y %H:%M}")
    print_table(
        ["who", "handle", "what"], [(x.name, "@" + x.handle, x.reason) for x in report.x_signals]
    )
    return 0


def _heading(title: str, count: int, detail: str = "") -> None:
    print()
    print(f"{title} ({count})" + (f": {detail}" if detail else ""))


def today_done(args: argparse.Namespace) -> int:
    from crm.services.interactions import mark_follow_up_done

    mark_follow_up_done(open_db(args), args.interactions)
    print(f"Done: {', '.join(str(i) for i in args.interactions)}")
    return 0


def today_snooze(args: argparse.Namespace) -> int:
    from crm.services.today.writes import snooze_follow_up

    today = _today(args)
    until = parse_date(args.until, "until", today=today)
    snooze_follow_up(open_db(args), args.interaction, until, today)
    print(f"Follow-up {args.interaction} snoozed to {fmt(until)}")
    return 0


def today_cadence(args: argparse.Namespace) -> int:
    from crm.services.people import resolve_person
    from crm.services.today.cadence import set_person_cadence, set_tag_cadence

    if args.every is None:
        raise UsageError("Say how often with --every WEEKS (or --every default).")
    raw = str(args.every).strip().lower()
    weeks: int | None
    if raw in ("default", "none", ""):
        weeks = None
    else:
        try:
            weeks = int(raw)
        except ValueError:
            raise UsageError(f"--every takes a number of weeks, not {args.every!r}.") from None
    db = open_db(args)
    if args.person:
        set_person_cadence(db, resolve_person(db, args.person), weeks)
        target = args.person
    else:
        set_tag_cadence(db, args.tag, weeks)
        target = f"tag {args.tag}"
    print(f"Keep in touch with {target}: " + ("default" if weeks is None else f"every {weeks}"))
    return 0


def today_seen(args: argparse.Namespace) -> int:
    from crm.services.today.x_signals import mark_x_seen

    mark_x_seen(open_db(args), datetime.now(UTC))
    print("X signals marked seen.")
    return 0
