"""``crm person``, ``crm org``, ``crm log`` and ``crm placement``: records from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crm.cli import UsageError, argtypes, open_db
from crm.cli.output import fmt, print_fields, print_json, print_records, print_saved
from crm.domain.dates import parse_date, parse_when
from crm.domain.display import fmt_money, format_phone, label_of, plural
from crm.domain.errors import ValidationError


def register(sub: Any) -> None:
    _register_person(sub)
    _register_org(sub)
    _register_log(sub)
    _register_placement(sub)


# -- person -----------------------------------------------------------------------------------
def _person_fields(p: argparse.ArgumentParser, *, adding: bool) -> None:
    if adding:
        p.add_argument("first_name")
        p.add_argument("last_name", nargs="?", default="", help="may be left out for a single name")
    else:
        p.add_argument("--first-name")
        p.add_argument("--last-name")
    p.add_argument("--preferred-name")
    p.add_argument("--title", dest="job_title")
    p.add_argument("--org", metavar="ORGANISATION", help="current employer (id, code or name)")
    p.add_argument("--email", action="append", dest="emails", metavar="EMAIL")
    p.add_argument("--phone", action="append", dest="phones", metavar="PHONE")
    p.add_argument("--location")
    p.add_argument("--linkedin", dest="linkedin_url")
    p.add_argument("--client", action="store_true", dest="is_client_contact", default=None)
    p.add_argument("--candidate", action="store_true", dest="is_candidate", default=None)
    p.add_argument("--tag", action="append", dest="tags")
    p.add_argument("--notes")
    p.add_argument("--available-from", metavar="DATE")
    p.add_argument("--day-rate", dest="day_rate_expectation", metavar="AMOUNT")
    p.add_argument("--do-not-contact", action="store_true", default=None)


def _register_person(sub: Any) -> None:
    person = sub.add_parser("person", help="add, show, list, edit or delete people")
    ps = person.add_subparsers(dest="person_command", required=True, metavar="ACTION")
    p = ps.add_parser("add", help="add a person")
    _person_fields(p, adding=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=person_add)
    p = ps.add_parser("show", help="a person's details and timeline")
    p.add_argument("person", metavar="PERSON", help="id, email, @handle or unambiguous name")
    p.add_argument("--limit", type=argtypes.limit, default=30, help="timeline entries (default 30)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=person_show)
    p = ps.add_parser("list", help="list people (by surname)")
    p.add_argument("--org", metavar="ORGANISATION")
    p.add_argument("--kind", choices=("client", "candidate"))
    p.add_argument("--tag")
    p.add_argument("--limit", type=argtypes.limit, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=person_list)
    p = ps.add_parser("edit", help="change a person's details")
    p.add_argument("person", metavar="PERSON")
    _person_fields(p, adding=False)
    p.add_argument("--not-client", action="store_false", dest="is_client_contact")
    p.add_argument("--not-candidate", action="store_false", dest="is_candidate")
    p.add_argument(
        "--version",
        type=argtypes.version,
        metavar="N",
        help="the version you read (crm person show); refuse if someone saved since",
    )
    p.set_defaults(handler=person_edit)
    p = ps.add_parser("delete", help="delete a person")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=person_delete)


def _person_changes(args: argparse.Namespace, db: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in (
        "first_name",
        "last_name",
        "preferred_name",
        "job_title",
        "location",
        "linkedin_url",
        "notes",
        "day_rate_expectation",
        "is_client_contact",
        "is_candidate",
        "do_not_contact",
        "emails",
        "phones",
        "tags",
    ):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    if getattr(args, "available_from", None):
        changes["available_from"] = parse_date(args.available_from, "available_from")
    return changes


def person_add(args: argparse.Namespace) -> int:
    from crm.services.organisations import resolve_organisation
    from crm.services.people import PersonInput, add_person, get_person

    db = open_db(args)
    org_id = resolve_organisation(db, args.org) if args.org else None
    changes = _person_changes(args, db)
    data = PersonInput(
        organisation_id=org_id,
        **{k: v for k, v in changes.items() if k not in ("first_name", "last_name")},
        first_name=args.first_name,
        last_name=args.last_name,
    )
    person_id = add_person(db, data)
    _warn_doubtful_phones(changes.get("phones") or [])
    return print_saved(
        args.json,
        f"Added #{person_id} {args.first_name} {args.last_name}".rstrip(),
        lambda: get_person(db, person_id),
    )


def person_show(args: argparse.Namespace) -> int:
    from crm.services.bluesky import bluesky_account_of
    from crm.services.people import get_person, resolve_person
    from crm.services.timeline import TimelineQuery, person_timeline

    db = open_db(args)
    person_id = resolve_person(db, args.person)
    detail = get_person(db, person_id)
    bluesky = bluesky_account_of(db, person_id=person_id)
    timeline = person_timeline(db, person_id, TimelineQuery(limit=args.limit))
    if args.json:
        from crm.services.views import to_json

        data = to_json(detail)
        current = detail.current_employment
        data["organisation"] = current.organisation if current else None
        data["bluesky_handle"] = bluesky.handle if bluesky else None
        data["timeline"] = to_json(timeline)
        print_json(data)
        return 0
    current = detail.current_employment
    print(f"#{detail.id} {detail.name}" + (" [DO NOT CONTACT]" if detail.do_not_contact else ""))
    if detail.job_title or current:
        print(
            "  "
            + ", ".join(
                x for x in (detail.job_title, current.organisation if current else None) if x
            )
        )
    kinds = [
        k
        for k, on in (
            ("client contact", detail.is_client_contact),
            ("candidate", detail.is_candidate),
        )
        if on
    ]
    if kinds:
        print("  " + " and ".join(kinds))
    print_fields(
        [
            ("Email", ", ".join(detail.emails)),
            ("Phone", ", ".join(format_phone(n) for n in detail.phones)),
            ("X", detail.x_account and "@" + detail.x_account.handle),
            ("Bluesky", bluesky and "@" + bluesky.handle),
            ("Tags", ", ".join(detail.tags)),
            ("Available", fmt(detail.available_from)),
            ("Day rate", fmt_money(detail.day_rate_expectation, detail.day_rate_currency)),
            ("Version", str(detail.version)),  # for crm person edit --version
        ]
    )
    past = [e for e in detail.employments if not e.is_current]
    if past:
        print(
            "  Previously: "
            + "; ".join(f"{e.title or ''} at {e.organisation}".strip() for e in past)
        )
    print()
    print("Timeline:" if timeline else "Timeline: nothing yet.")
    for entry in timeline:
        first_line = entry.text.splitlines()[0] if entry.text else ""
        print(f"  {fmt(entry.at)}  {entry.title}: {first_line[:100]}")
    return 0


def person_list(args: argparse.Namespace) -> int:
    from crm.domain.filters import PeopleFilter
    from crm.services.organisations import resolve_organisation
    from crm.services.people import search_people

    db = open_db(args)
    org_id = resolve_organisation(db, args.org) if args.org else None
    people = search_people(
        db, "", PeopleFilter(organisation_id=org_id, kind=args.kind, tag=args.tag), limit=args.limit
    )
    return print_records(
        people,
        [
            ("ID", lambda p: p.id),
            ("NAME", lambda p: p.name),
            ("TITLE", lambda p: p.job_title),
            ("ORGANISATION", lambda p: p.organisation),
        ],
        args.json,
    )


def person_edit(args: argparse.Namespace) -> int:
    from crm.services.organisations import resolve_organisation
    from crm.services.people import add_employment, get_person, resolve_person, update_person

    db = open_db(args)
    person_id = resolve_person(db, args.person)
    changes = _person_changes(args, db)
    if not changes and not args.org:
        raise UsageError("Nothing to change: give at least one option (see --help).")
    org_id = resolve_organisation(db, args.org) if args.org else None
    # Without --version the edit is checked against the version read here, so a save landing
    # while this command runs is refused, not overwritten. The check comes before the new job
    # is added, so a refused edit changes nothing.
    detail = get_person(db, person_id)
    expected = detail.version if args.version is None else args.version
    version = update_person(db, person_id, changes, expected)
    if org_id is not None:
        current = detail.current_employment
        if current is None or current.organisation_id != org_id:
            add_employment(db, person_id, org_id, changes.get("job_title"))
    _warn_doubtful_phones(changes.get("phones") or [])
    print(f"Updated #{person_id} (version {version})")
    return 0


def _warn_doubtful_phones(numbers: list[str]) -> None:
    """Numbers are kept even when not in an allocated range; say which to check."""
    from crm.domain.values import normalise_phone, phone_doubt

    for number in numbers:
        try:
            doubt = phone_doubt(normalise_phone(number))
        except ValidationError:
            continue  # refused already, with its own message
        if doubt:
            print(f"crm: note: {doubt}", file=sys.stderr)


def person_delete(args: argparse.Namespace) -> int:
    from crm.services.people import delete_person, deletion_impact, get_person, resolve_person

    db = open_db(args)
    person_id = resolve_person(db, args.person)
    detail = get_person(db, person_id)
    impact = deletion_impact(db, person_id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("Refusing to delete without --yes when not run interactively.")
        answer = input(
            f"Delete {detail.name} with {plural(impact['employments'], 'job record')} and "
            f"their part in {plural(impact['interactions'], 'interaction')}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    delete_person(db, person_id, detail.version)
    print(f"Deleted #{person_id} {detail.name}")
    return 0


# -- organisations ----------------------------------------------------------------------------
def _register_org(sub: Any) -> None:
    org = sub.add_parser("org", help="add, show or list organisations")
    os_ = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    p = os_.add_parser("add", help="add an organisation")
    p.add_argument("name")
    p.add_argument("--sector", help="health_social_care, housing, local_government, education")
    p.add_argument("--type", dest="org_type", default="other")
    p.add_argument("--region")
    p.add_argument("--website")
    p.add_argument("--ods", dest="ods_code")
    p.add_argument("--gss", dest="gss_code")
    p.add_argument("--status", dest="client_status", default="prospect")
    p.add_argument("--tag", action="append", dest="tags", default=[])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=org_add)
    p = os_.add_parser("show", help="an organisation with its people and placements")
    p.add_argument("organisation", metavar="ORGANISATION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=org_show)
    p = os_.add_parser("list", help="list organisations")
    p.add_argument("text", nargs="?", default="")
    p.add_argument("--sector")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=org_list)


def org_add(args: argparse.Namespace) -> int:
    from crm.services.organisations import OrganisationInput, add_organisation, get_organisation

    db = open_db(args)
    org_id = add_organisation(
        db,
        OrganisationInput(
            name=args.name,
            sector=args.sector,
            org_type=args.org_type,
            region=args.region,
            website=args.website,
            ods_code=args.ods_code,
            gss_code=args.gss_code,
            client_status=args.client_status,
            tags=args.tags,
        ),
    )
    return print_saved(
        args.json, f"Added #{org_id} {args.name}", lambda: get_organisation(db, org_id)
    )


def org_show(args: argparse.Namespace) -> int:
    from crm.services.bluesky import bluesky_account_of
    from crm.services.organisations import get_organisation, resolve_organisation
    from crm.services.people import people_at
    from crm.services.placements import list_placements
    from crm.services.views import to_json

    db = open_db(args)
    org_id = resolve_organisation(db, args.organisation)
    detail = get_organisation(db, org_id)
    bluesky = bluesky_account_of(db, organisation_id=org_id)
    people = people_at(db, org_id)
    former = people_at(db, org_id, current=False)
    placements = list_placements(db, organisation_id=org_id)
    if args.json:
        data = to_json(detail)
        data["bluesky_handle"] = bluesky.handle if bluesky else None
        data["people"] = to_json(people)
        data["former_people"] = to_json(former)
        data["placements"] = to_json(placements)
        print_json(data)
        return 0
    print(f"#{detail.id} {detail.name}")
    print_fields(
        [
            ("Sector", label_of(detail.sector)),
            ("Type", label_of(detail.org_type)),
            ("Region", detail.region),
            ("Status", label_of(detail.client_status)),
            ("ODS", detail.ods_code),
            ("GSS", detail.gss_code),
            ("Website", detail.website),
            ("X", detail.x_account and "@" + detail.x_account.handle),
            ("Bluesky", bluesky and "@" + bluesky.handle),
        ]
    )
    print(f"\nPeople ({len(people)}):")
    for p in people:
        print(f"  #{p.id} {p.name}" + (f", {p.job_title}" if p.job_title else ""))
    if former:
        print(f"\nFormerly ({len(former)}):")
        for p in former:
            print(f"  #{p.id} {p.name}")
    print(f"\nPlacements ({len(placements)}):")
    for pl in placements:
        print(
            f"  #{pl.id} {pl.candidate}, {pl.role} ({label_of(pl.status)}) "
            f"{fmt(pl.start_date)} to {fmt(pl.end_date)}"
        )
    return 0


def org_list(args: argparse.Namespace) -> int:
    from crm.services.organisations import list_organisations

    db = open_db(args)
    orgs = list_organisations(db, args.text, sector=args.sector)
    return print_records(
        orgs,
        [
            ("ID", lambda o: o.id),
            ("NAME", lambda o: o.name),
            ("SECTOR", lambda o: label_of(o.sector)),
            ("STATUS", lambda o: label_of(o.client_status)),
            ("PEOPLE", lambda o: o.people_count),
        ],
        args.json,
    )


# -- log ----------------------------------------------------------------------------------------
def _register_log(sub: Any) -> None:
    p = sub.add_parser("log", help="log a call, meeting, email... with a person")
    p.add_argument(
        "person", metavar="PERSON", nargs="+", help="one or more people: id, email, @handle or name"
    )
    p.add_argument(
        "--kind",
        default="call",
        help="call, meeting, video_call, email, tweet, dm, twitter_chat, event, note",
    )
    p.add_argument("--summary", required=True)
    p.add_argument("--direction", choices=("in", "out"), default="out")
    p.add_argument(
        "--at",
        metavar="WHEN",
        default="now",
        help="e.g. '26/11/2026 14:30', 'yesterday 09:00' (UK time; default now)",
    )
    p.add_argument("--body-file", type=Path, metavar="FILE", help="notes from a file ('-': stdin)")
    p.add_argument("--follow-up", metavar="DATE", help="e.g. 03/12/2026, +1w")
    p.add_argument("--placement", type=argtypes.record_id, metavar="ID")
    p.add_argument(
        "--anyway",
        action="store_true",
        help="log outbound contact even with someone marked do-not-contact",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=log_cmd)


def log_cmd(args: argparse.Namespace) -> int:
    from crm.services.interactions import InteractionInput, get_interaction, log_interaction
    from crm.services.people import resolve_person

    body = _read_body(args.body_file) if args.body_file is not None else None
    occurred_at = parse_when(args.at)
    follow_up = parse_date(args.follow_up, "follow_up_due") if args.follow_up else None
    db = open_db(args)
    person_ids = [resolve_person(db, ref) for ref in args.person]
    interaction_id = log_interaction(
        db,
        InteractionInput(
            person_ids=person_ids,
            summary=args.summary,
            kind=args.kind,
            direction=args.direction,
            occurred_at=occurred_at,
            body=body,
            follow_up_due=follow_up,
            placement_id=args.placement,
            allow_do_not_contact=args.anyway,
        ),
    )
    return print_saved(
        args.json, f"Logged #{interaction_id}", lambda: get_interaction(db, interaction_id)
    )


_BODY_BYTES = 4_000_000  # notes hold up to 1,000,000 characters: at most 4 bytes each


def _read_body(source: Path) -> str:
    """Notes from a file or standard input ('-'): UTF-8 text, read with a bound, so that
    /dev/zero or a endless pipe is refused rather than read until memory runs out."""
    name = "standard input" if str(source) == "-" else str(source)
    try:
        if str(source) == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text-only stdin (an embedding, a test harness)
                return str(sys.stdin.read(_BODY_BYTES + 1))
            data: bytes = stream.read(_BODY_BYTES + 1)
        else:
            with open(source, "rb") as fh:
                data = fh.read(_BODY_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    if len(data) > _BODY_BYTES:
        raise ValidationError(f"The notes in {name} are too long (at most 1,000,000 characters).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The notes in {name} are not UTF-8 text (byte {exc.start + 1} is not); "
            "save them as UTF-8."
        ) from None


# -- placements -------------------------------------------------------------------------------
def _register_placement(sub: Any) -> None:
    pl = sub.add_parser("placement", help="add, list, show, extend placements; add notes")
    ps = pl.add_subparsers(dest="placement_command", required=True, metavar="ACTION")
    p = ps.add_parser("add", help="place a candidate at an organisation")
    p.add_argument("candidate", metavar="PERSON")
    p.add_argument("organisation", metavar="ORGANISATION")
    p.add_argument("--role", required=True)
    p.add_argument(
        "--rate",
        "--charge-rate",
        dest="charge_rate",
        metavar="AMOUNT",
        help="charge rate billed to the client per day, e.g. 750",
    )
    p.add_argument("--pay-rate", metavar="AMOUNT", help="pay rate to the interim per day")
    p.add_argument("--currency", default="GBP")
    p.add_argument("--start", metavar="DATE")
    p.add_argument("--end", metavar="DATE")
    p.add_argument("--status", default="proposed")
    p.add_argument("--contact", metavar="PERSON", help="client contact")
    p.add_argument("--ir35", default="undetermined", choices=("inside", "outside", "undetermined"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=placement_add)
    p = ps.add_parser("list", help="list placements")
    p.add_argument("--status")
    p.add_argument("--org", metavar="ORGANISATION")
    p.add_argument("--ending-within", type=argtypes.weeks, metavar="WEEKS")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=placement_list)
    p = ps.add_parser("show", help="a placement with its extensions and notes")
    p.add_argument("id", type=argtypes.record_id)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=placement_show)
    p = ps.add_parser("extend", help="extend a placement to a new end date")
    p.add_argument("id", type=argtypes.record_id)
    p.add_argument(
        "--to",
        required=True,
        metavar="DATE",
        dest="new_end",
        help="e.g. 30/06/2027, or +3m (counted from the current end)",
    )
    p.add_argument("--rate", metavar="AMOUNT")
    p.add_argument("--reason")
    p.set_defaults(handler=placement_extend)
    p = ps.add_parser(
        "status",
        help="change a placement's status (proposed, confirmed, active, ended, cancelled)",
    )
    p.add_argument("id", type=argtypes.record_id)
    p.add_argument("status", help="proposed, confirmed, active, ended or cancelled")
    p.add_argument(
        "--version", type=argtypes.version, metavar="N", help="refuse if changed since version N"
    )
    p.set_defaults(handler=placement_status)
    p = ps.add_parser("note", help="add a note to a placement")
    p.add_argument("id", type=argtypes.record_id)
    p.add_argument("text")
    p.set_defaults(handler=placement_note)


def placement_add(args: argparse.Namespace) -> int:
    from crm.services.organisations import resolve_organisation
    from crm.services.people import resolve_person
    from crm.services.placements import PlacementInput, add_placement, get_placement

    db = open_db(args)
    data = PlacementInput(
        candidate_id=resolve_person(db, args.candidate),
        organisation_id=resolve_organisation(db, args.organisation),
        role=args.role,
        status=args.status,
        charge_rate=args.charge_rate,
        pay_rate=args.pay_rate,
        currency=args.currency,
        start_date=parse_date(args.start, "start_date") if args.start else None,
        end_date=parse_date(args.end, "end_date") if args.end else None,
        client_contact_id=resolve_person(db, args.contact) if args.contact else None,
        ir35=args.ir35,
    )
    placement_id = add_placement(db, data)
    return print_saved(
        args.json, f"Added placement #{placement_id}", lambda: get_placement(db, placement_id)
    )


def placement_list(args: argparse.Namespace) -> int:
    from crm.services.organisations import resolve_organisation
    from crm.services.placements import list_placements

    db = open_db(args)
    placements = list_placements(
        db,
        status=args.status,
        organisation_id=resolve_organisation(db, args.org) if args.org else None,
        ending_within_days=args.ending_within * 7 if args.ending_within else None,
    )
    return print_records(
        placements,
        [
            ("ID", lambda p: p.id),
            ("CANDIDATE", lambda p: p.candidate),
            ("ORGANISATION", lambda p: p.organisation),
            ("ROLE", lambda p: p.role),
            ("STATUS", lambda p: label_of(p.status)),
            ("START", lambda p: p.start_date),
            ("END", lambda p: p.end_date),
            ("RATE", lambda p: fmt_money(p.charge_rate, p.currency, per_day=False)),
        ],
        args.json,
    )


def placement_show(args: argparse.Namespace) -> int:
    from crm.services.placements import get_placement

    db = open_db(args)
    p = get_placement(db, args.id)
    if args.json:
        print_json(p)
        return 0
    print(f"#{p.id} {p.candidate}: {p.role} at {p.organisation} ({label_of(p.status)})")
    print(
        f"  {fmt(p.start_date)} to {fmt(p.end_date)}"
        + (f", charged {fmt_money(p.charge_rate, p.currency)}" if p.charge_rate else "")
        + (f", paid {fmt_money(p.pay_rate, p.currency)}" if p.pay_rate else "")
        + f", IR35: {label_of(p.ir35)}"
    )
    if p.margin_per_day is not None:
        print(
            f"  Margin {fmt_money(p.margin_per_day, p.currency)}"
            + (
                f", {fmt_money(p.margin_total, p.currency, per_day=False)} over the placement"
                if p.margin_total
                else ""
            )
        )
    if p.client_contact:
        print(f"  Client contact: {p.client_contact}")
    for e in p.extensions:
        print(
            f"  Extended {fmt(e.created_at)} to {fmt(e.new_end_date)}"
            + (f" at {fmt_money(e.day_rate, p.currency)}" if e.day_rate else "")
            + (f": {e.reason}" if e.reason else "")
        )
    for n in p.notes:
        print(f"  Note {fmt(n.created_at)} {n.author or ''}: {n.text}")
    return 0


def placement_extend(args: argparse.Namespace) -> int:
    from crm.services.placements import extend_placement, get_placement

    db = open_db(args)
    current_end = get_placement(db, args.id).end_date
    new_end = parse_date(args.new_end, "new_end_date", counted_from=current_end)
    extend_placement(db, args.id, new_end, args.rate, args.reason)
    print(f"Extended placement #{args.id} to {fmt(new_end)}")
    return 0


def placement_status(args: argparse.Namespace) -> int:
    from crm.services.placements import change_status

    db = open_db(args)
    version = change_status(db, args.id, args.status.strip().lower(), args.version)
    print(f"Placement #{args.id} is now {args.status.strip().lower()} (version {version})")
    return 0


def placement_note(args: argparse.Namespace) -> int:
    from crm.services.placements import add_note

    db = open_db(args)
    note_id = add_note(db, args.id, args.text)
    print(f"Added note #{note_id} to placement #{args.id}")
    return 0
