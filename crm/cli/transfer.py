"""``crm import``, ``crm export``, ``crm duplicates`` and ``crm gdpr``: bringing contacts in and
out, merging duplicates, and a person's data rights, from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crm.cli import UsageError, argtypes, open_db
from crm.cli.output import fmt, print_json, print_table
from crm.domain.display import plural


def register(sub: Any) -> None:
    _register_import(sub)
    _register_export(sub)
    _register_duplicates(sub)
    _register_gdpr(sub)


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("Refusing to go on without --yes when not run interactively.")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


# -- import ------------------------------------------------------------------------------------
def _register_import(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import people or organisations from a CSV or vCard file (assignments and "
        "shortlists from their export)",
        description="Import people or organisations from CSV (Outlook, Google Contacts, "
        "LinkedIn Connections, any spreadsheet) or vCard. Encoding, delimiter and header are "
        "detected and columns mapped by their names; --map corrects the mapping. One "
        "transaction: refused rows are listed with their row numbers and either skipped "
        "(default) or, with --all-or-nothing, stop the whole import. Importing the same file "
        "again updates instead of duplicating.",
    )
    p.add_argument("kind", choices=("people", "organisations", "assignments", "shortlists"))
    p.add_argument("file", type=Path)
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="take FIELD from COLUMN (a header name or a 1-based position); "
        "FIELD= leaves it out; repeatable. See --preview for the fields",
    )
    p.add_argument("--no-header", action="store_true", help="the first row is data, not names")
    p.add_argument("--encoding", metavar="ENC", help="e.g. utf-8, cp1252, utf-16 (default: detect)")
    p.add_argument(
        "--delimiter", metavar="D", help="one character, or tab, comma, semicolon (default: detect)"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="report what would happen; change nothing"
    )
    p.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="import nothing if any row is refused (default: import the valid rows)",
    )
    p.add_argument(
        "--new-organisations",
        choices=("create", "refuse"),
        default="create",
        help="organisations a people file names that are not in the CRM: create them "
        "(default) or refuse those rows",
    )
    p.add_argument(
        "--preview", action="store_true", help="show the detected format, mapping and first rows"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=import_command)


def _overrides(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip():
            raise UsageError(f"--map takes FIELD=COLUMN, not {item!r}.")
        out[field.strip()] = column.strip()
    return out


def import_command(args: argparse.Namespace) -> int:
    if args.kind in ("assignments", "shortlists"):
        from crm.cli.assignments import import_assignments

        return import_assignments(args)
    from crm.services.importing import (
        ImportOptions,
        fields_for,
        import_file,
        preview_import,
        resolve_mapping,
    )

    preview = preview_import(
        args.file,
        args.kind,
        encoding=args.encoding,
        delimiter=args.delimiter,
        has_header=False if args.no_header else None,
        rows=20,  # also the sample the guessed mapping is checked against
    )
    mapping = dict(preview.mapping)
    if preview.format is not None:
        overrides = _overrides(args.map)
        mapping = resolve_mapping(
            args.kind,
            preview.header,
            overrides,
            guess=preview.format.has_header,
            sample=preview.rows,
        )
    elif args.map:
        raise UsageError("A vCard file needs no --map: its fields are named.")
    if args.preview:
        return _show_preview(preview, mapping, fields_for(args.kind), args.json)
    db = open_db(args)
    show_progress = sys.stderr.isatty() and not args.json

    def progress(rows: int, fraction: float) -> None:
        if show_progress:
            print(f"\r{rows:,} rows read ({fraction:.0%})", end="", file=sys.stderr, flush=True)

    report = import_file(
        db,
        args.file,
        args.kind,
        mapping=mapping,
        fmt=preview.format,
        encoding=args.encoding,
        options=ImportOptions(
            dry_run=args.dry_run,
            all_or_nothing=args.all_or_nothing,
            new_organisations=args.new_organisations,
        ),
        progress=progress,
    )
    if show_progress:
        print(file=sys.stderr)
    if args.json:
        print_json(report)
        return 0 if report.committed or report.dry_run else 1
    print(f"Read {args.file.name}: {report.format} ({preview.source}).")
    if report.dry_run:
        print("Dry run: nothing was changed. A real import would do this:")
    elif not report.committed:
        refused = plural(report.refused, "row")
        print(f"Nothing was imported: {refused} refused (--all-or-nothing).")
    verb = "would be" if report.dry_run else "were" if report.committed else "would have been"
    print(
        f"  {plural(report.rows, 'row')}: {report.created:,} {verb} created, {report.updated:,} "
        f"updated, {report.unchanged:,} unchanged, {report.refused:,} refused "
        f"({report.seconds:.1f} s)."
    )
    if report.organisations_created_count:
        names = ", ".join(report.organisations_created[:20])
        more = report.organisations_created_count - min(20, len(report.organisations_created))
        print(
            f"  {plural(report.organisations_created_count, 'new organisation')} {verb} created: "
            + names
            + (f" and {more:,} more" if more > 0 else "")
        )
    if report.needs_attention:
        # Imported all the same: the values left out are in each record's notes.
        print("Needs attention (the rest of each record was imported):")
        for issue in report.needs_attention[:200]:
            print(f"  row {issue.row}: {issue.describe()}")
        if report.needs_attention_count > 200:
            more = report.needs_attention_count - 200
            print(f"  ... and {more:,} more (use --json for the first 1,000).")
    if report.refusals:
        print("Refused:")
        for refusal in report.refusals[:200]:
            print(f"  row {refusal.row}: {refusal.reason}")
        if report.refused > 200:
            print(f"  ... and {report.refused - 200:,} more (use --json for the first 1,000).")
    return 0 if report.committed or report.dry_run else 1


def _show_preview(preview: Any, mapping: dict[str, int], fields: Any, as_json: bool) -> int:
    if as_json:
        print_json(
            {
                "file": preview.path,
                "file_type": preview.file_type,
                "format": preview.format,
                "source": preview.source,
                "header": preview.header,
                "rows": preview.rows,
                "mapping": {
                    name: preview.header[i] if i < len(preview.header) else i + 1
                    for name, i in mapping.items()
                },
            }
        )
        return 0
    if preview.format is not None:
        print(f"{Path(preview.path).name}: {preview.format.describe()} ({preview.source}).")
    else:
        print(f"{Path(preview.path).name}: vCard.")
    rows = []
    for f in fields:
        column = mapping.get(f.name)
        if column is None:
            rows.append((f.name, "", "", f.help))
            continue
        header = preview.header[column] if column < len(preview.header) else f"Column {column + 1}"
        sample = next(
            (r[column] for r in preview.rows if column < len(r) and r[column].strip()), ""
        )
        rows.append((f.name, f"{column + 1}: {header}", sample.replace("\n", " ")[:40], f.help))
    print_table(["FIELD", "COLUMN", "FIRST VALUE", "NOTE"], rows)
    return 0


# -- export ------------------------------------------------------------------------------------
def _register_export(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export people, organisations, interactions, assignments or shortlists "
        "(.csv, .vcf or .json)",
        description="Write records to FILE; its extension chooses the format. CSV opens in "
        "Excel and LibreOffice with accents intact, and cells that a spreadsheet would run as "
        "formulas are neutralised.",
    )
    p.add_argument(
        "kind", choices=("people", "organisations", "interactions", "assignments", "shortlists")
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--vcard-version", choices=("3", "4"), default="3", help="vCard version (default 3)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    from crm.services.exports import export

    db = open_db(args)
    result = export(db, args.kind, args.file, vcard_version=f"{args.vcard_version}.0")
    if args.json:
        print_json(result)
    else:
        print(f"Wrote {result.count:,} {args.kind} to {result.path} ({result.format}).")
    return 0


# -- duplicates -----------------------------------------------------------------------------------
def _register_duplicates(sub: Any) -> None:
    d = sub.add_parser("duplicates", help="find and merge duplicate people or organisations")
    ds = d.add_subparsers(dest="duplicates_command", required=True, metavar="ACTION")
    p = ds.add_parser("list", help="list likely duplicates, most certain first")
    p.add_argument("--organisations", action="store_true", help="organisations, not people")
    p.add_argument("--limit", type=argtypes.limit, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=duplicates_list)
    p = ds.add_parser(
        "merge",
        help="merge OTHER into SURVIVOR",
        description="Show both records side by side and merge OTHER into SURVIVOR: every "
        "interaction, job, placement, email, phone, tag and the X link move to the survivor, "
        "and OTHER is deleted. Each field keeps the survivor's value unless it is empty or "
        "--take says otherwise.",
    )
    p.add_argument("survivor", metavar="SURVIVOR", help="id, email, @handle or name")
    p.add_argument("other", metavar="OTHER")
    p.add_argument("--organisations", action="store_true", help="merge organisations")
    p.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD=CHOICE",
        help="survivor, other or both (both joins notes, or-s flags); repeatable",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=duplicates_merge)


def duplicates_list(args: argparse.Namespace) -> int:
    from crm.services.duplicates import find_duplicate_organisations, find_duplicate_people

    db = open_db(args)
    finder = find_duplicate_organisations if args.organisations else find_duplicate_people
    pairs = finder(db, limit=args.limit)
    if args.json:
        print_json(pairs)
        return 0
    print_table(
        ["SCORE", "ID", "NAME", "ID", "NAME", "WHY"],
        [
            (p.score, p.first_id, p.first_name, p.second_id, p.second_name, "; ".join(p.reasons))
            for p in pairs
        ],
    )
    return 0


def duplicates_merge(args: argparse.Namespace) -> int:
    from crm.services import duplicates
    from crm.services.organisations import resolve_organisation
    from crm.services.people import resolve_person

    db = open_db(args)
    resolve = resolve_organisation if args.organisations else resolve_person
    survivor, other = resolve(db, args.survivor), resolve(db, args.other)
    choices = {}
    for item in args.take:
        name, sep, choice = item.partition("=")
        if not sep:
            raise UsageError(f"--take takes FIELD=survivor|other|both, not {item!r}.")
        choices[name.strip()] = choice.strip().lower()
    if args.organisations:
        preview = duplicates.organisation_merge_preview(db, survivor, other)
    else:
        preview = duplicates.person_merge_preview(db, survivor, other)
    rows = []
    for f in preview.fields:
        if not (f.survivor or f.other):
            continue
        choice = choices.get(f.field, f.default)
        rows.append((f.field, f.survivor[:40], f.other[:40], choice))
    print(
        f"Keep #{preview.survivor_id} {preview.survivor_name}; merge in #{preview.other_id} "
        f"{preview.other_name}:"
    )
    print_table(["FIELD", "SURVIVOR", "OTHER", "KEEP"], rows)
    moving = ", ".join(f"{n} {k}" for k, n in preview.moves.items() if n)
    print(f"Moves to the survivor: {moving or 'nothing else'}.")
    if not _confirm(f"Merge and delete #{preview.other_id}?", args.yes):
        print("Nothing merged.")
        return 1
    merge = duplicates.merge_organisations if args.organisations else duplicates.merge_people
    merge(
        db,
        survivor,
        other,
        choices,
        survivor_version=preview.survivor_version,
        other_version=preview.other_version,
    )
    print(f"Merged #{other} into #{survivor}.")
    return 0


# -- GDPR ----------------------------------------------------------------------------------------------
def _register_gdpr(sub: Any) -> None:
    g = sub.add_parser("gdpr", help="subject access export, erasure and retention review")
    gs = g.add_subparsers(dest="gdpr_command", required=True, metavar="ACTION")
    p = gs.add_parser(
        "export", help="write everything held about PERSON to DIR (JSON and a readable HTML page)"
    )
    p.add_argument("person", metavar="PERSON", help="id, email, @handle or unambiguous name")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(handler=gdpr_export)
    p = gs.add_parser(
        "erase",
        help="erase PERSON and their personal data (cannot be undone)",
        description="Erase a person: their details, emails, phones, jobs, X account with its "
        "cached tweets, interactions with no one else, placements as candidate, and every "
        "mention of them in notes and the audit trail. An audit line without personal data "
        "records the erasure.",
    )
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=gdpr_erase)
    p = gs.add_parser("review", help="people with no interaction for N months")
    p.add_argument("--months", type=argtypes.months, help="default: the retention_months setting")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=gdpr_review)
    p = gs.add_parser("renew", help="keep PEOPLE: they leave the review for another period")
    p.add_argument("people", nargs="+", metavar="PERSON")
    p.add_argument("--reason", default="")
    p.set_defaults(handler=gdpr_renew)


def gdpr_export(args: argparse.Namespace) -> int:
    from crm.services.gdpr import export_subject_access
    from crm.services.people import resolve_person

    db = open_db(args)
    result = export_subject_access(db, resolve_person(db, args.person), args.dir)
    print(f"Wrote {result.json_path}")
    print(f"Wrote {result.html_path}")
    return 0


def gdpr_erase(args: argparse.Namespace) -> int:
    from crm.services.gdpr import erase_person, erasure_impact
    from crm.services.people import get_person, resolve_person

    db = open_db(args)
    person_id = resolve_person(db, args.person)
    version = get_person(db, person_id).version
    impact = erasure_impact(db, person_id)
    print(f"Erasing #{person_id} {impact.name} removes:")
    print(
        f"  {plural(impact.emails, 'email')}, {plural(impact.phones, 'phone')}, "
        f"{plural(impact.employments, 'job')}; "
        f"{plural(impact.interactions_deleted, 'interaction')} with no one else "
        f"({plural(impact.interactions_kept, 'shared one')} kept without them); "
        f"{plural(impact.placements_deleted, 'placement')} as candidate; "
        f"{plural(impact.shortlist_entries, 'shortlist place')}"
    )
    if impact.x_handle:
        print(f"  the X account @{impact.x_handle} and {plural(impact.tweets, 'cached tweet')}")
    if impact.bluesky_handle:
        print(
            f"  the Bluesky account @{impact.bluesky_handle} and "
            f"{plural(impact.bluesky_posts, 'stored post')}"
        )
    if not _confirm("Erase for good? This cannot be undone.", args.yes):
        print("Nothing erased.")
        return 1
    report = erase_person(db, person_id, expected_version=version)
    print(
        f"Erased #{person_id}. {report.removed.get('audit_entries_scrubbed', 0)} audit "
        "entries scrubbed."
    )
    return 0


def gdpr_review(args: argparse.Namespace) -> int:
    from crm.services.gdpr import retention_months, retention_review

    db = open_db(args)
    months = args.months or retention_months()
    due = retention_review(db, months)
    if args.json:
        print_json(due)
        return 0
    print(f"People with no interaction for {months} months: {len(due):,}")
    print_table(
        ["ID", "NAME", "ORGANISATION", "LAST INTERACTION", "ADDED", "BASIS"],
        [
            (
                c.person_id,
                c.name,
                c.organisation,
                fmt(c.last_interaction_at) or "never",
                fmt(c.created_at.date()),
                c.lawful_basis,
            )
            for c in due
        ],
    )
    return 0


def gdpr_renew(args: argparse.Namespace) -> int:
    from crm.services.gdpr import renew_retention
    from crm.services.people import resolve_person

    db = open_db(args)
    ids = [resolve_person(db, ref) for ref in args.people]
    renew_retention(db, ids, args.reason)
    print(f"Kept {plural(len(set(ids)), 'person', 'people')} for another retention period.")
    return 0
