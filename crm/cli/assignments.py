"""``crm assignment``, ``crm shortlist`` and ``crm match``: a client's requirement and its
candidates from a terminal."""

from __future__ import annotations

import argparse
from typing import Any

from crm.cli import open_db
from crm.cli.output import fmt, print_json, print_records, print_saved, print_table
from crm.domain.dates import parse_date
from crm.domain.display import fmt_ago, fmt_money, fmt_money_range, label_of
from crm.domain.enums import ShortlistStage

_STAGES = [s.value for s in ShortlistStage]


def register(sub: Any) -> None:
    _register_assignment(sub)
    _register_shortlist(sub)
    p = sub.add_parser("match", help="candidates ranked for an assignment, with the reasons")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="id or words of its role or client")
    p.add_argument("--limit", type=int, default=25)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=match)
    p = sub.add_parser("report", help="placements, margin, time to fill, conversion")
    p.add_argument(
        "name",
        choices=(
            "placements-started",
            "margin-by-month",
            "margin-by-client",
            "time-to-fill",
            "conversion",
        ),
    )
    p.add_argument("--from", dest="start", metavar="DATE", help="default: a year ago")
    p.add_argument("--to", dest="end", metavar="DATE", help="default: the end of this month")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true", help="CSV on standard output")
    p.set_defaults(handler=report)


def _assignment_fields(p: argparse.ArgumentParser, *, adding: bool) -> None:
    if adding:
        p.add_argument("organisation", metavar="ORGANISATION", help="the client")
        p.add_argument("--role", required=True)
    else:
        p.add_argument("--org", dest="organisation", metavar="ORGANISATION")
        p.add_argument("--role")
    p.add_argument("--contact", metavar="PERSON", help="the hiring contact")
    p.add_argument("--sector")
    p.add_argument("--location")
    p.add_argument(
        "--pattern", dest="working_pattern", choices=("on_site", "hybrid", "remote"), default=None
    )
    p.add_argument("--days", dest="days_per_week", metavar="N", help="days a week")
    p.add_argument("--start", metavar="DATE", help="a date, or ASAP")
    p.add_argument("--weeks", dest="duration_weeks", metavar="N", help="expected duration")
    p.add_argument("--rate-min", dest="charge_rate_min", metavar="AMOUNT", help="charge rate")
    p.add_argument("--rate-max", dest="charge_rate_max", metavar="AMOUNT", help="charge rate")
    p.add_argument("--pay-rate", metavar="AMOUNT", help="the interim's expected pay rate")
    p.add_argument("--currency")
    p.add_argument("--ir35", choices=("inside", "outside", "undetermined"))
    p.add_argument("--ir35-on", metavar="DATE", help="when IR35 was determined")
    p.add_argument("--ir35-by", metavar="WHO", help="who determined it")
    p.add_argument("--source", help="call, tender, tweet...")
    p.add_argument("--owner")
    p.add_argument("--notes")
    p.add_argument("--opened", metavar="DATE")
    p.add_argument("--json", action="store_true")


def _register_assignment(sub: Any) -> None:
    a = sub.add_parser("assignment", help="add, list, show, edit, close assignments")
    s = a.add_subparsers(dest="assignment_command", required=True, metavar="ACTION")
    p = s.add_parser("add", help="open an assignment for a client")
    _assignment_fields(p, adding=True)
    p.set_defaults(handler=assignment_add)
    p = s.add_parser("list", help="assignments, newest opened first")
    p.add_argument("--status", help="open, on_hold, filled, lost, cancelled, or active")
    p.add_argument("--owner")
    p.add_argument("--sector")
    p.add_argument("--org", metavar="ORGANISATION")
    p.add_argument("--search", metavar="WORDS", help="words of the role or client")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=assignment_list)
    p = s.add_parser("show", help="an assignment with its shortlist")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=assignment_show)
    p = s.add_parser("edit", help="change an assignment")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    _assignment_fields(p, adding=False)
    p.add_argument("--status", choices=("open", "on_hold"), help="to put on hold or reopen")
    p.add_argument("--version", type=int, help="refuse if it changed since this version")
    p.set_defaults(handler=assignment_edit)
    p = s.add_parser("close", help="close as filled, lost or cancelled, with the reason")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("status", choices=("filled", "lost", "cancelled"))
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=assignment_close)


def _register_shortlist(sub: Any) -> None:
    a = sub.add_parser("shortlist", help="candidates on an assignment: add, move, list")
    s = a.add_subparsers(dest="shortlist_command", required=True, metavar="ACTION")
    p = s.add_parser("add", help="put a candidate on an assignment's shortlist")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--stage", default="identified", choices=_STAGES[:6])
    p.add_argument("--reason")
    p.set_defaults(handler=shortlist_add)
    p = s.add_parser("move", help="move a candidate to a stage (or place them)")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("stage", choices=[*_STAGES, "next"])
    p.add_argument("--reason")
    p.add_argument("--start", metavar="DATE", help="placing: the start (else the assignment's)")
    p.add_argument("--end", metavar="DATE", help="placing: the end (else start + duration)")
    p.add_argument("--charge-rate", metavar="AMOUNT", help="placing: the agreed charge rate")
    p.add_argument("--pay-rate", metavar="AMOUNT", help="placing: the agreed pay rate")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=shortlist_move)
    p = s.add_parser("list", help="an assignment's shortlist")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=shortlist_list)


def _values(args: argparse.Namespace, db: Any) -> dict[str, Any]:
    """The assignment fields given on the command line (only those given)."""
    from crm.services.assignments.records import EDITABLE
    from crm.services.organisations import resolve_organisation
    from crm.services.people import resolve_person

    values: dict[str, Any] = {}
    if getattr(args, "organisation", None):
        values["organisation_id"] = resolve_organisation(db, args.organisation)
    if args.contact is not None:
        values["contact_id"] = resolve_person(db, args.contact) if args.contact else None
    for name in sorted(EDITABLE):  # the options named as the fields are (--days: days_per_week)
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if args.ir35_by is not None:
        values["ir35_determined_by"] = args.ir35_by
    if args.ir35_on:
        values["ir35_determined_on"] = parse_date(args.ir35_on, "ir35_determined_on")
    if args.opened:
        values["opened_on"] = parse_date(args.opened, "opened_on")
    if args.start:
        if args.start.strip().lower() == "asap":
            values["start_asap"], values["start_date"] = True, None
        else:
            values["start_asap"] = False
            values["start_date"] = parse_date(args.start, "start_date")
    return values


def assignment_add(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import AssignmentInput, add_assignment, get_assignment

    db = open_db(args)
    values = _values(args, db)
    assignment_id = add_assignment(db, AssignmentInput(**values))
    return print_saved(
        args.json, f"Added assignment #{assignment_id}", lambda: get_assignment(db, assignment_id)
    )


def assignment_list(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import list_assignments
    from crm.services.organisations import resolve_organisation

    db = open_db(args)
    found = list_assignments(
        db,
        status=args.status,
        owner=args.owner,
        sector=args.sector,
        organisation_id=resolve_organisation(db, args.org) if args.org else None,
        text=args.search,
    )
    return print_records(
        found,
        [
            ("ID", lambda a: a.id),
            ("ROLE", lambda a: a.role),
            ("CLIENT", lambda a: a.organisation),
            ("STATUS", lambda a: label_of(a.status)),
            ("START", lambda a: "ASAP" if a.start_asap else a.start_date),
            (
                "CHARGE",
                lambda a: fmt_money_range(
                    a.charge_rate_min, a.charge_rate_max, a.currency, per_day=False
                ),
            ),
            ("OWNER", lambda a: a.owner),
            ("LISTED", lambda a: a.shortlisted),
        ],
        args.json,
    )


def assignment_show(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import get_assignment, resolve_assignment

    db = open_db(args)
    a = get_assignment(db, resolve_assignment(db, args.assignment))
    if args.json:
        print_json(a)
        return 0
    print(f"#{a.id} {a.role} at {a.organisation} ({label_of(a.status).lower()})")
    if a.closed_reason:
        print(f"  Closed {fmt(a.closed_on)}: {a.closed_reason}")
    print("  " + " · ".join(text for _what, text in a.facts()))
    if a.contact:
        print(f"  Hiring contact: {a.contact}")
    print(
        f"  Opened {fmt(a.opened_on)} by {a.owner or '?'}"
        + (f" from {a.source}" if a.source else "")
    )
    if a.notes:
        print(f"  Notes: {a.notes}")
    _print_shortlist(a.shortlist, a.currency)
    return 0


def _print_shortlist(cards: list[Any], currency: str, as_json: bool = False) -> int:
    return print_records(
        cards,
        [
            ("STAGE", lambda c: label_of(c.stage)),
            ("CANDIDATE", lambda c: c.name),
            ("SINCE", lambda c: c.stage_changed_at),
            ("AVAILABLE", lambda c: c.available_from),
            ("RATE", lambda c: fmt_money(c.rate, currency, per_day=False)),
            ("LAST CONTACT", lambda c: fmt_ago(c.last_contact, empty="")),
            ("REASON", lambda c: c.reason),
        ],
        as_json,
    )


def assignment_edit(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import (
        get_assignment,
        resolve_assignment,
        update_assignment,
    )

    db = open_db(args)
    assignment_id = resolve_assignment(db, args.assignment)
    changes = _values(args, db)
    if args.status:
        changes["status"] = args.status
    if not changes:
        print("Nothing to change.")
        return 0
    version = update_assignment(db, assignment_id, changes, args.version)
    return print_saved(
        args.json,
        f"Saved assignment #{assignment_id} (version {version})",
        lambda: get_assignment(db, assignment_id),
    )


def assignment_close(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import close_assignment, resolve_assignment

    db = open_db(args)
    assignment_id = resolve_assignment(db, args.assignment)
    close_assignment(db, assignment_id, args.status, args.reason)
    print(f"Closed assignment #{assignment_id} as {label_of(args.status).lower()}")
    return 0


def shortlist_add(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import resolve_assignment
    from crm.services.assignments.shortlist import add_to_shortlist
    from crm.services.people import resolve_person

    db = open_db(args)
    assignment_id = resolve_assignment(db, args.assignment)
    person_id = resolve_person(db, args.person)
    entry = add_to_shortlist(db, assignment_id, person_id, args.stage, args.reason)
    print(f"Shortlisted (entry #{entry}) at {label_of(args.stage).lower()}")
    return 0


def shortlist_move(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import resolve_assignment
    from crm.services.assignments.shortlist import (
        advance_candidate,
        entry_for,
        move_candidate,
        place_candidate,
    )
    from crm.services.people import resolve_person

    db = open_db(args)
    assignment_id = resolve_assignment(db, args.assignment)
    entry = entry_for(db, assignment_id, resolve_person(db, args.person))
    if args.stage == "placed":
        result = place_candidate(
            db,
            entry,
            start_date=parse_date(args.start, "start_date") if args.start else None,
            end_date=parse_date(args.end, "end_date") if args.end else None,
            charge_rate=args.charge_rate,
            pay_rate=args.pay_rate,
            reason=args.reason,
        )
        if args.json:
            print_json(result)
            return 0
        print(f"Placed: placement #{result.placement_id}; the assignment is filled.")
        if result.others:
            print("Let them know (still on the shortlist):")
            for c in result.others:
                print(f"  {c.name} ({c.stage})")
        return 0
    if args.stage == "next":
        stage = advance_candidate(db, entry)
    else:
        move_candidate(db, entry, args.stage, args.reason)
        stage = args.stage
    if args.json:
        print_json({"entry_id": entry, "stage": stage})
    else:
        print(f"Moved to {label_of(stage).lower()}")
    return 0


def shortlist_list(args: argparse.Namespace) -> int:
    from crm.services.assignments.records import get_assignment, resolve_assignment

    db = open_db(args)
    a = get_assignment(db, resolve_assignment(db, args.assignment))
    return _print_shortlist(a.shortlist, a.currency, args.json)


def match(args: argparse.Namespace) -> int:
    from crm.services.assignments.matching import match_candidates
    from crm.services.assignments.records import resolve_assignment

    db = open_db(args)
    found = match_candidates(db, resolve_assignment(db, args.assignment), limit=args.limit)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print("(no candidate is free by the start date)")
    for m in found:
        print(f"{m.score:>4}  #{m.person_id} {m.name}")
        print("      " + "; ".join(m.reasons))
    return 0


def report(args: argparse.Namespace) -> int:
    import sys

    from crm.services.reports import report_csv, run_report

    db = open_db(args)
    found = run_report(
        db,
        args.name,
        parse_date(args.start, "from") if args.start else None,
        parse_date(args.end, "to") if args.end else None,
    )
    if args.json:
        print_json({"report": found.name, "title": found.title, "rows": found.as_dicts()})
    elif args.csv:
        sys.stdout.write(report_csv(found))
    else:
        print(found.title)
        print_table([c.upper() for c in found.columns], found.shown())
        if found.note:
            print(found.note)
    return 0


def import_assignments(args: argparse.Namespace) -> int:
    """``crm import assignments|shortlists FILE``: read back what ``crm export`` wrote."""
    from crm.cli import UsageError
    from crm.services.assignments.transfer import import_file

    if args.map or args.no_header or args.preview or args.encoding or args.delimiter:
        raise UsageError(f"Importing {args.kind} reads the export's own columns: no mapping.")
    db = open_db(args)
    report = import_file(
        db, args.file, args.kind, dry_run=args.dry_run, all_or_nothing=args.all_or_nothing
    )
    if args.json:
        print_json(report)
        return 0 if report.committed or report.dry_run else 1
    if report.dry_run:
        print("Dry run: nothing was changed. A real import would do this:")
    elif not report.committed:
        print(f"Nothing was imported: {report.refused:,} refused (--all-or-nothing).")
    what = "assignments" if args.kind == "assignments" else "shortlist entries"
    print(
        f"  {report.rows:,} records: {report.created:,} {what} created, "
        f"{report.unchanged:,} already there (left as they are), "
        f"{report.shortlisted:,} candidates shortlisted, {report.refused:,} refused."
    )
    for refusal in report.refusals[:200]:
        print(f"  record {refusal.row}: {refusal.reason}")
    return 0 if report.committed or report.dry_run else 1
