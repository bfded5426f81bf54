"""What ``crm x`` and ``crm bsky`` share: naming a person or an organisation, and printing a
sync's report with the exit code that says whether anything was synced."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from crm.cli.output import print_json, print_table, terminal_safe
from crm.domain.errors import NotFoundError, ValidationError


def add_target_kind(p: argparse.ArgumentParser) -> None:
    """``--org`` / ``--person``: how to read an ambiguous PERSON|ORG name."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--org", action="store_true", help="the name is an organisation")
    group.add_argument("--person", action="store_true", help="the name is a person")


def resolve(db: Any, ref: str, args: argparse.Namespace) -> tuple[str, int]:
    """("person" | "organisation", id): a person first, then an organisation, unless told."""
    from crm.services.organisations import resolve_organisation
    from crm.services.people import resolve_person

    if getattr(args, "org", False):
        return "organisation", resolve_organisation(db, ref)
    if getattr(args, "person", False):
        return "person", resolve_person(db, ref)
    try:
        return "person", resolve_person(db, ref)
    except NotFoundError:
        pass
    try:
        return "organisation", resolve_organisation(db, ref)
    except NotFoundError:
        raise NotFoundError(f"No person or organisation matches {ref!r}.") from None


def resolve_all(
    db: Any, refs: Sequence[str], args: argparse.Namespace
) -> tuple[list[int], list[int]]:
    """The people's and the organisations' ids that ``refs`` name, in order."""
    people: list[int] = []
    orgs: list[int] = []
    for ref in refs:
        kind, record_id = resolve(db, ref, args)
        (people if kind == "person" else orgs).append(record_id)
    return people, orgs


def ids(kind: str, record_id: int) -> dict[str, int]:
    return {"person_id": record_id} if kind == "person" else {"organisation_id": record_id}


def note(text: str) -> None:
    # Notes quote the networks' own words (error details, handles): never let them drive
    # the terminal.
    print(terminal_safe(text), file=sys.stderr)


def progress_printer(args: argparse.Namespace) -> Any:
    """A progress callback that prints ``[done/total] text`` to a terminal (or with -v)."""
    verbose = sys.stderr.isatty() or args.verbose

    def progress(done: int, total: int, text: str) -> None:
        if verbose:
            note(f"[{done}/{total}] {text}")

    return progress


class _Result(Protocol):
    @property
    def followers(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def complete(self) -> bool: ...


class _Report(Protocol):
    @property
    def cancelled(self) -> bool: ...
    @property
    def error(self) -> str | None: ...

    def summary(self) -> str: ...


def print_sync_report(
    args: argparse.Namespace,
    report: _Report,
    rows: Sequence[tuple[_Result, str, int]],
) -> None:
    """The report as JSON, or one row an account (``(result, label, new items)``) and the
    summary line."""
    if args.json:
        print_json(report)
        return
    print_table(
        ["ACCOUNT", "NEW", "FOLLOWERS", "STATUS", "NOTE"],
        [
            (label, new, r.followers, r.status, r.message or ("" if r.complete else "not finished"))
            for r, label, new in rows
        ],
    )
    print(report.summary())


def sync_exit_code(report: _Report, answered: int, accounts: int, problems: str) -> int:
    """1 when the sync stopped or nothing could be synced, 130 when cancelled, else 0.
    ``answered`` counts the accounts the network gave an answer for."""
    if report.error:
        note(f"crm: {report.error}")
        return 1
    if report.cancelled:
        return 130
    if accounts and not answered:
        note(f"crm: nothing was synced: {problems or 'no account could be fetched'}")
        return 1
    return 0


def linked_x_account(db: Any, args: argparse.Namespace) -> Any:
    """The X account (a view) linked to the PERSON|ORG ``args.target`` names; refused when
    it has none."""
    from crm.services.xlink import x_account_of

    kind, record_id = resolve(db, args.target, args)
    account = x_account_of(db, **ids(kind, record_id))
    if account is None:
        raise ValidationError(f"That {kind} has no X account linked; use 'crm x link' first.")
    return account
