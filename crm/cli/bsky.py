"""``crm bsky``: link records to Bluesky accounts and sync them from the public AppView."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crm.cli import open_db
from crm.cli.output import print_json, print_table
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
    _target_kind(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bsky_link)

    p = bs.add_parser("unlink", help="remove a Bluesky link (stored posts stay)")
    p.add_argument("target", metavar="PERSON|ORG")
    _target_kind(p)
    p.set_defaults(handler=bsky_unlink)

    p = bs.add_parser(
        "sync",
        help="fetch profiles, follower counts and new posts of linked Bluesky accounts",
        description="Sync linked Bluesky accounts: profiles and follower counts 25 a request, "
        "then each account's posts newer than the newest stored one. Without PERSON or ORG "
        "every linked account is synced. The public AppView needs no account and is free.",
    )
    p.add_argument("targets", nargs="*", metavar="PERSON|ORG")
    _target_kind(p)
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


def _target_kind(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--org", action="store_true", help="the name is an organisation")
    group.add_argument("--person", action="store_true", help="the name is a person")


def _ids(kind: str, record_id: int) -> dict[str, int]:
    return {"person_id": record_id} if kind == "person" else {"organisation_id": record_id}


def _resolve(db: Any, ref: str, args: argparse.Namespace) -> tuple[str, int]:
    from crm.cli.x import _resolve as resolve

    return resolve(db, ref, args)


def bsky_link(args: argparse.Namespace) -> int:
    from crm.services.bluesky import link_bluesky, make_gateway

    db = open_db(args)
    kind, record_id = _resolve(db, args.target, args)
    view = link_bluesky(db, handle=args.handle, gateway=make_gateway(), **_ids(kind, record_id))
    if args.json:
        print_json(view)
        return 0
    followers = f", {view.followers_count:,} followers" if view.followers_count is not None else ""
    print(f"Linked {kind} {record_id} to Bluesky @{view.handle} ({view.did}{followers}).")
    return 0


def bsky_unlink(args: argparse.Namespace) -> int:
    from crm.services.bluesky import unlink_bluesky

    db = open_db(args)
    kind, record_id = _resolve(db, args.target, args)
    if unlink_bluesky(db, **_ids(kind, record_id)):
        print(f"Unlinked {kind} {record_id} from Bluesky; stored posts and follower history stay.")
    else:
        print(f"That {kind} has no Bluesky account linked.")
    return 0


def bsky_sync(args: argparse.Namespace) -> int:
    from crm.services.bluesky import make_gateway, plan_bluesky_sync, run_bluesky_sync

    db = open_db(args)
    people: list[int] = []
    orgs: list[int] = []
    for ref in args.targets:
        kind, record_id = _resolve(db, ref, args)
        (people if kind == "person" else orgs).append(record_id)
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
    verbose = sys.stderr.isatty() or args.verbose

    def progress(done: int, total: int, text: str) -> None:
        if verbose:
            print(f"[{done}/{total}] {text}", file=sys.stderr)

    try:
        report = run_bluesky_sync(db, make_gateway(), plan, progress=progress)
    except KeyboardInterrupt:
        print("crm: interrupted; posts already stored are kept.", file=sys.stderr)
        return 130
    if args.json:
        print_json(report)
    else:
        print_table(
            ["ACCOUNT", "NEW", "FOLLOWERS", "STATUS", "NOTE"],
            [
                (
                    a.label,
                    a.new_posts,
                    a.followers,
                    a.status,
                    a.message or ("" if a.complete else "not finished"),
                )
                for a in report.accounts
            ],
        )
        print(report.summary())
    if report.error:
        print(f"crm: {report.error}", file=sys.stderr)
        return 1
    if report.cancelled:
        return 130
    return 0 if report.synced or not report.accounts else 1


def bsky_find(args: argparse.Namespace) -> int:
    from crm.services.bluesky import find_on_bluesky, make_gateway
    from crm.services.people import resolve_person

    db = open_db(args)
    ids = [resolve_person(db, ref) for ref in args.people] or None
    matches = find_on_bluesky(db, make_gateway(), person_ids=ids, limit=args.limit)
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
