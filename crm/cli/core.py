"""``crm db``, ``crm demo`` and ``crm search``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crm.cli import UsageError, argtypes, database_handle, open_db
from crm.cli.output import print_json, print_table


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="create, upgrade, check, back up or restore the database")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    p = dbsub.add_parser("upgrade", help="create the schema or bring it up to date")
    p.set_defaults(handler=db_upgrade)
    p = dbsub.add_parser("check", help="say whether the schema is current")
    p.set_defaults(handler=db_check)
    p = dbsub.add_parser("backup", help="copy the database to FILE while it is in use")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=db_backup)
    p = dbsub.add_parser("restore", help="replace the database with the backup in FILE")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=db_restore)

    p = sub.add_parser("demo", help="fill an empty database with realistic fictional data")
    p.add_argument("--force", action="store_true", help="add the demo data even if not empty")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.set_defaults(handler=demo)

    p = sub.add_parser("search", help="find people by name, title, organisation, handle, tag...")
    p.add_argument("text", nargs="*", help="words to look for (optional with --org, --kind, --tag)")
    p.add_argument(
        "--org",
        metavar="NAME",
        help="only people currently at this organisation (alone: all of them)",
    )
    p.add_argument("--kind", choices=("client", "candidate"))
    p.add_argument("--tag")
    p.add_argument("--sector")
    p.add_argument("--limit", type=argtypes.limit, default=20)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(handler=search)


def db_upgrade(args: argparse.Namespace) -> int:
    database = database_handle(args)
    backup = database.upgrade()
    if backup:
        print(f"Backed up to {backup}")
    print(f"{database.describe()} is up to date.")
    return 0


def db_check(args: argparse.Namespace) -> int:
    database = database_handle(args)
    state = database.check()
    if state == "current":
        print(f"{database.describe()}: schema is current ({database.current_revision()}).")
        return 0
    print(f"{database.describe()}: schema needs an upgrade (run 'crm db upgrade').")
    return 1


def db_backup(args: argparse.Namespace) -> int:
    database = open_db(args)
    database.backup(args.file)
    print(f"Backed up {database.describe()} to {args.file}")
    return 0


def db_restore(args: argparse.Namespace) -> int:
    database = database_handle(args)
    safety = database.restore(args.file)
    if safety is not None:
        print(f"Kept a copy of what it held in {safety}")
    print(f"Restored {database.describe()} from {args.file}")
    return 0


def demo(args: argparse.Namespace) -> int:
    from crm.services.demo import fill_demo

    database = open_db(args)
    counts = fill_demo(database, force=args.force, seed=args.seed)
    print("Added demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def search(args: argparse.Namespace) -> int:
    from crm.domain.filters import PeopleFilter
    from crm.services.organisations import resolve_organisation
    from crm.services.people import search_people

    if not args.text and not (args.org or args.kind or args.tag or args.sector):
        raise UsageError("Give some words to search for, or --org, --kind, --tag or --sector.")
    database = open_db(args)
    org_id = resolve_organisation(database, args.org) if args.org else None
    filters = PeopleFilter(organisation_id=org_id, kind=args.kind, tag=args.tag, sector=args.sector)
    results = search_people(database, " ".join(args.text), filters, limit=args.limit)
    if args.json:
        print_json(results)
        return 0
    print_table(
        ["ID", "NAME", "TITLE", "ORGANISATION", "KIND", "X"],
        [
            (p.id, p.name, p.job_title, p.organisation, _kinds(p), p.x_handle and "@" + p.x_handle)
            for p in results
        ],
    )
    return 0


def _kinds(p: Any) -> str:
    return "/".join(
        k for k, on in (("client", p.is_client_contact), ("candidate", p.is_candidate)) if on
    )
