"""``crm bsky``: link records to Bluesky accounts and sync them from the public AppView."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crm.cli import open_db
from crm.cli.output import print_json, print_table
from crm.cli.social import (
    add_target_kind,
    ids,
    print_sync_report,
    progress_printer,
    resolve,
    resolve_all,
    sync_exit_code,
)
from crm.domain.errors import ValidationError


def register(sub: Any) -> None:
    b = sub.add_parser("bsky", help="Bluesky: link people and organisations, sync their posts")
    bs = b.add_subparsers(dest="bsky_command", required=True, metavar="ACTION")

    p = bs.add_parser(
        "link",
        help="link a person or organisation to a Bluesky account",
        description="Link a person or organisation to a Bluesky account. The handle is looked "
        "up once on the AppView and the link is kept by the account's DID, so a handle change "
        "keeps it.",
    )
    p.add_argument("target", metavar="PERSON|ORG", help="id, email, @handle or name")
    p.add_argument(
        "handle",
        metavar="HANDLE",
        help="name.bsky.social, a custom domain handle, a bsky.app profile address or a DID",
    )
    add_target_kind(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bsky_link)

    p = bs.add_parser("unlink", help="remove a Bluesky link (stored posts stay)")
    p.add_argument("target", metavar="PERSON|ORG")
    add_target_kind(p)
    p.set_defaults(handler=bsky_unlink)

    p = bs.add_parser(
        "sync",
        help="fetch profiles, follower counts and new posts of linked Bluesky accounts",
        description="Sync linked Bluesky accounts: profiles and follower counts 25 a request, "
        "then each account's posts newer than the newest stored one. Without PERSON or ORG "
        "every linked account is synced. The public AppView needs no account and is free.",
    )
    p.add_argument("targets", nargs="*", metavar="PERSON|ORG")
    add_target_kind(p)
    p.add_argument("--dry-run", action="store_true", help="say how many requests it would make")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=bsky_sync)

    _register_find(bs)


def _register_find(bs: Any) -> None:
    p = bs.add_parser(
        "find",
        help="look people on X up on Bluesky by name (offers matches, links nothing)",
        description="Who left X: search Bluesky (app.bsky.actor.searchActors, one request a "
        "person) for people linked on X with no Bluesky link, or for the people named, and "
        "list the accounts whose display name matches. Nothing is linked: confirm a match "
        "with 'crm bsky link PERSON HANDLE'.",
    )
    p.add_argument("people", nargs="*", metavar="PERSON")
    p.add_argument("--limit", type=int, default=25, help="people to look up at most (25)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bsky_find)


def bsky_link(args: argparse.Namespace) -> int:
    from crm.services.bluesky import link_bluesky, make_gateway

    db = open_db(args)
    kind, record_id = resolve(db, args.target, args)
    view = link_bluesky(db, handle=args.handle, gateway=make_gateway(), **ids(kind, record_id))
    if args.json:
        print_json(view)
        return 0
    followers = f", {view.followers_count:,} followers" if view.followers_count is not None else ""
    print(f"Linked {kind} {record_id} to Bluesky @{view.handle} ({view.did}{followers}).")
    return 0


def bsky_unlink(args: argparse.Namespace) -> int:
    from crm.services.bluesky import unlink_bluesky

    db = open_db(args)
    kind, record_id = resolve(db, args.target, args)
    if unlink_bluesky(db, **ids(kind, record_id)):
        print(f"Unlinked {kind} {record_id} from Bluesky; stored posts and follower history stay.")
    else:
        print(f"That {kind} has no Bluesky account linked.")
    return 0


def bsky_sync(args: argparse.Namespace) -> int:
    from crm.services.bluesky import make_gateway
    from crm.services.bluesky_sync import plan_bluesky_sync, run_bluesky_sync

    db = open_db(args)
    people, orgs = resolve_all(db, args.targets, args)
    plan = plan_bluesky_sync(
        db, person_ids=people, organisation_ids=orgs, all_linked=not args.targets
    )
    if args.targets and len(plan.targets) < len(people) + len(orgs):
        raise ValidationError(
            "Not every record named has a Bluesky account linked; use 'crm bsky link' first."
        )
    print(plan.describe(), file=sys.stderr if args.json else sys.stdout)
    if args.dry_run or not plan.targets:
        return 0
    progress = progress_printer(args)

    try:
        report = run_bluesky_sync(db, make_gateway(), plan, progress=progress)
    except KeyboardInterrupt:
        print("crm: interrupted; posts already stored are kept.", file=sys.stderr)
        return 130
    print_sync_report(args, report, [(a, a.label, a.new_posts) for a in report.accounts])
    problems = "; ".join(dict.fromkeys(a.message for a in report.accounts if a.message))
    return sync_exit_code(report, report.synced, len(report.accounts), problems)


def bsky_find(args: argparse.Namespace) -> int:
    from crm.services.bluesky import find_on_bluesky, make_gateway
    from crm.services.people import resolve_person

    db = open_db(args)
    person_ids = [resolve_person(db, ref) for ref in args.people] or None
    matches = find_on_bluesky(db, make_gateway(), person_ids=person_ids, limit=args.limit)
    if args.json:
        print_json(matches)
        return 0
    if not matches:
        print("No Bluesky account matched by name.")
        return 0
    print_table(
        ["PERSON", "ID", "X", "BLUESKY", "NAME ON BLUESKY", "DID"],
        [
            (
                m.name,
                m.person_id,
                f"@{m.x_handle}" if m.x_handle else "",
                m.handle,
                m.display_name,
                m.did,
            )
            for m in matches
        ],
    )
    print("Nothing was linked. To confirm one: crm bsky link PERSON-ID HANDLE")
    return 0
