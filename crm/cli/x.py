"""``crm x``: link records to X accounts, sync them, import an archive, manage the token.

Secrets are read from a prompt (or standard input when piped), never from the command line,
where they would end up in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm.cli import UsageError, open_db
from crm.cli.output import print_json
from crm.cli.social import (
    add_target_kind,
    ids,
    linked_x_account,
    note,
    print_sync_report,
    progress_printer,
    resolve,
    resolve_all,
    sync_exit_code,
)
from crm.domain.errors import CredentialsError, ValidationError


def register(sub: Any) -> None:
    x = sub.add_parser("x", help="X (Twitter): link, sync, import an archive, credentials, usage")
    xs = x.add_subparsers(dest="x_command", required=True, metavar="ACTION")

    p = xs.add_parser("link", help="link a person or organisation to an X handle")
    p.add_argument("target", metavar="PERSON|ORG", help="id, email, @handle or name")
    p.add_argument("handle", metavar="HANDLE", help="@name, name, x.com/name or twitter.com/name")
    add_target_kind(p)
    p.add_argument(
        "--offline", action="store_true", help="store it unverified, without asking X (no request)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=x_link)

    p = xs.add_parser("unlink", help="remove a person's or organisation's X link (tweets stay)")
    p.add_argument("target", metavar="PERSON|ORG")
    add_target_kind(p)
    p.set_defaults(handler=x_unlink)

    p = xs.add_parser("watch", help="put a linked account on the watch list (or --off)")
    p.add_argument("target", metavar="PERSON|ORG")
    add_target_kind(p)
    p.add_argument("--off", action="store_true", help="take it off the watch list")
    p.set_defaults(handler=x_watch)

    p = xs.add_parser(
        "sync",
        help="fetch new tweets and follower counts (says what it will cost first)",
        description="Sync linked X accounts: profiles and follower counts in batches of 100, "
        "new tweets since the last sync, and mentions between your own account and linked "
        "people. Every resource read (post, profile) is billed; the plan line says what the "
        "sync is expected to cost in USD and pounds, and --dry-run shows it and sends "
        "nothing. A sync refuses to start past the monthly budget (crm x plan --budget) and "
        "stops when it reaches it, keeping what it stored. --due reads only the watched "
        "accounts their cadence says are due.",
    )
    p.add_argument("targets", nargs="*", metavar="PERSON|ORG")
    add_target_kind(p)
    p.add_argument("--watched", action="store_true", help="every account on the watch list")
    p.add_argument("--all", action="store_true", dest="all_linked", help="every linked account")
    p.add_argument(
        "--no-own", action="store_true", help="leave out your own account and its mentions"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="say what it would read and cost, send nothing"
    )
    p.add_argument(
        "--due", action="store_true", help="only the accounts their refresh cadence says are due"
    )
    p.add_argument(
        "--yes", action="store_true", help="go ahead even past the monthly request budget"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=x_sync)

    p = xs.add_parser(
        "import-archive", help="import X's 'Download an archive' folder or .zip (no API use)"
    )
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=x_import_archive)

    p = xs.add_parser("own", help="show or set your own X account (for mentions)")
    p.add_argument("handle", nargs="?", metavar="HANDLE")
    p.add_argument("--clear", action="store_true", help="forget which account is yours")
    p.add_argument("--offline", action="store_true", help="do not look the handle up on X")
    p.set_defaults(handler=x_own)

    from crm.cli.league import register_league

    register_league(xs)

    from crm.cli.x_bill import register_bill

    register_bill(xs)

    cred = xs.add_parser("credentials", help="the X bearer token, kept in the system keyring")
    cs = cred.add_subparsers(dest="credentials_command", required=True, metavar="ACTION")
    p = cs.add_parser("set", help="store the bearer token (read from a prompt or stdin)")
    p.add_argument(
        "--user-context",
        action="store_true",
        help="also store the four user-context keys (API key and secret, access token and secret)",
    )
    p.set_defaults(handler=x_credentials_set)
    p = cs.add_parser("status", help="say where the token comes from (never shows it)")
    p.set_defaults(handler=x_credentials_status)
    p = cs.add_parser("clear", help="delete the stored token and keys")
    p.set_defaults(handler=x_credentials_clear)


def _optional_gateway(db: Any, offline: bool) -> Any:
    """A gateway when a token is at hand, else None (the link is stored unverified)."""
    if offline:
        return None
    from crm.services.x_sync import make_gateway

    try:
        return make_gateway(db)
    except CredentialsError as exc:
        note(f"{exc.message} Storing the link unverified; a sync verifies it later.")
        return None


def _token_for_run() -> None:
    """When no keyring works and a person is at the terminal, offer a token for this run."""
    from crm.services import x_settings

    try:
        if x_settings.token_readable():
            return
    except CredentialsError as exc:
        if not sys.stdin.isatty():
            raise
        note(exc.message)
        token = getpass.getpass("X bearer token for this run only (not stored): ")
        x_settings.use_token_for_this_run(token)


# -- handlers -------------------------------------------------------------------------------


def x_link(args: argparse.Namespace) -> int:
    from crm.services.xlink import link_x_account

    db = open_db(args)
    kind, record_id = resolve(db, args.target, args)
    view = link_x_account(
        db, handle=args.handle, gateway=_optional_gateway(db, args.offline), **ids(kind, record_id)
    )
    if args.json:
        print_json(view)
        return 0
    what = f"@{view.handle}"
    if view.status == "unverified":
        print(f"Linked {kind} {record_id} to {what} (unverified: no X lookup yet).")
    else:
        followers = f", {view.followers_count:,} followers" if view.followers_count else ""
        print(f"Linked {kind} {record_id} to {what} (X user {view.x_user_id}{followers}).")
        if view.status_detail:
            print(view.status_detail)
    return 0


def x_unlink(args: argparse.Namespace) -> int:
    from crm.services.xlink import unlink_x_account

    db = open_db(args)
    kind, record_id = resolve(db, args.target, args)
    unlink_x_account(db, **ids(kind, record_id))
    print(f"Unlinked {kind} {record_id} from X; stored tweets and follower history stay.")
    return 0


def x_watch(args: argparse.Namespace) -> int:
    from crm.services.xlink import set_watched

    db = open_db(args)
    account = linked_x_account(db, args)
    view = set_watched(db, account.id, not args.off)
    print(f"@{view.handle} is {'on' if view.watched else 'off'} the watch list.")
    return 0


def x_sync(args: argparse.Namespace) -> int:
    from crm.domain.social import SyncSelection
    from crm.services.x_plan import plan_sync
    from crm.services.x_sync import make_gateway, run_sync

    if not (args.targets or args.watched or args.all_linked or args.due):
        raise UsageError("Say what to sync: PERSON or ORG names, --watched or --all.")
    db = open_db(args)
    people, orgs = resolve_all(db, args.targets, args)
    selection = SyncSelection(
        person_ids=tuple(people),
        organisation_ids=tuple(orgs),
        watched=args.watched or (args.due and not args.all_linked and not args.targets),
        all_linked=args.all_linked,
        include_own=not args.no_own,
        due_only=args.due,
    )
    _check_linked(db, people, orgs)
    plan = plan_sync(db, selection)
    print(plan.describe())
    if args.dry_run or not plan.targets:
        return 0
    if plan.refusal:
        note(f"crm: {plan.refusal}")
        return 1
    if plan.over_budget and not args.yes:
        raise ValidationError(
            "This sync could pass the monthly X API budget (the x_monthly_request_budget "
            "setting); run it again with --yes to go ahead."
        )
    _token_for_run()
    gateway = make_gateway(db)
    progress = progress_printer(args)

    def on_wait(resume_at: datetime) -> None:
        seconds = max(0, int((resume_at - datetime.now(UTC)).total_seconds()))
        note(
            f"X rate limit reached: pausing until {resume_at.astimezone():%H:%M:%S} "
            f"({seconds} s). Press Ctrl+C to stop; what is stored stays."
        )

    try:
        report = run_sync(db, gateway, plan, progress=progress, on_wait=on_wait)
    except KeyboardInterrupt:
        note("crm: interrupted; tweets already stored are kept and the next sync carries on.")
        return 130
    print_sync_report(
        args,
        report,
        [
            (
                a,
                a.label + (f" (was @{a.renamed_from})" if a.renamed_from else ""),
                a.new_tweets + a.new_mentions,
            )
            for a in report.accounts
        ],
    )
    # X saying an account is suspended or gone is news synced too; only silence is not.
    answered = [a for a in report.accounts if a.complete or a.status in _X_VERDICTS]
    problems = "; ".join(dict.fromkeys(a.message for a in report.accounts if a.message))
    return sync_exit_code(report, len(answered), len(report.accounts), problems)


_X_VERDICTS = ("suspended", "not_found", "protected")


def _check_linked(db: Any, people: list[int], orgs: list[int]) -> None:
    from crm.services.xlink import x_account_of

    for kind, record_ids in (("person", people), ("organisation", orgs)):
        for record_id in record_ids:
            if x_account_of(db, **ids(kind, record_id)) is None:
                raise ValidationError(
                    f"{kind.capitalize()} {record_id} has no X account linked; "
                    "use 'crm x link' first."
                )


def x_import_archive(args: argparse.Namespace) -> int:
    from crm.services.x_archive import import_archive

    db = open_db(args)
    report = import_archive(db, args.path)
    if args.json:
        print_json(report)
        return 0
    for line in report.lines():
        print(line)
    return 0


def x_own(args: argparse.Namespace) -> int:
    from crm.services.xlink import clear_own_account, get_own_account, set_own_account

    db = open_db(args)
    if args.clear:
        clear_own_account(db)
        print("Your own X account is no longer set.")
        return 0
    if args.handle:
        view = set_own_account(db, args.handle, _optional_gateway(db, args.offline))
    else:
        found = get_own_account(db)
        if found is None:
            print("Your own X account is not set; 'crm x own HANDLE' sets it.")
            return 0
        view = found
    print(f"Your own X account: @{view.handle} ({view.status}).")
    return 0


def _read_secret(prompt: str) -> str:
    """A secret from the terminal without echo, or one line of piped standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def x_credentials_set(args: argparse.Namespace) -> int:
    from crm.domain.social import UserContextKeys
    from crm.services import x_settings

    token = _read_secret("X bearer token: ")
    status = x_settings.store_token(token)
    if args.user_context:
        keys = UserContextKeys(
            api_key=_read_secret("API key: "),
            api_key_secret=_read_secret("API key secret: "),
            access_token=_read_secret("Access token: "),
            access_token_secret=_read_secret("Access token secret: "),
        )
        status = x_settings.store_user_context_keys(keys)
    print("Stored. " + status.text)
    return 0


def x_credentials_status(args: argparse.Namespace) -> int:
    from crm.services import x_settings

    print(x_settings.credential_status().text)
    return 0


def x_credentials_clear(args: argparse.Namespace) -> int:
    from crm.services import x_settings

    status = x_settings.clear_token()
    print("Cleared. " + status.text)
    return 0
