"""The ``crm`` command: the same services as the desktop app, from a terminal.

Each subcommand group lives in its own module with a ``register(subparsers)`` function;
``main`` parses, opens the database and turns known errors into one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from crm.domain.errors import CrmError

log = logging.getLogger(__name__)

# Subcommand modules, in the order their help is listed. Each has register(subparsers).
_GROUPS = (
    "crm.cli.core",
    "crm.cli.records",
    "crm.cli.assignments",
    "crm.cli.x",
    "crm.cli.transfer",
    "crm.cli.app",
)


class UsageError(CrmError):
    """The command line itself is wrong."""


def _global_parser() -> argparse.ArgumentParser:
    """The options every command shares, without the commands themselves."""
    parser = argparse.ArgumentParser(
        prog="crm",
        description="Interim CRM: organisations, people, placements and their X activity.",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: CRM_DATABASE_URL, else the SQLite file in the data folder); "
        "e.g. postgresql://user@host/dbname",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    return parser


class _VersionAction(argparse.Action):
    """``--version``: looked up only when asked (reading package metadata takes time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from crm.app_identity import version

        print(f"crm {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _global_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _GROUPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that group is not built yet
            raise
        module.register(sub)
    return parser


def _only_global_options(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names no command, only ``--database URL`` and ``-v``: then the desktop
    app starts, and it need not wait for every command's parser (and module) to be built."""
    args = iter(argv)
    for arg in args:
        if arg in ("-v", "--verbose") or arg.startswith("--database="):
            continue
        if arg == "--database" and not next(args, "-").startswith("-"):
            continue
        return False  # a command, --help or a mistake: the full parser deals with it
    return True


def open_db(args: argparse.Namespace, *, upgrade: bool = True) -> Any:
    from crm.storage.db import open_database

    return open_database(args.database, upgrade=upgrade)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _global_parser() if _only_global_options(argv) else build_parser()
    args = parser.parse_args(argv)
    from crm import app_logging

    app_logging.setup(verbose=args.verbose)
    log.info("Command: %s", getattr(args, "command", None) or "app")
    handler: Callable[[argparse.Namespace], int | None] | None = getattr(args, "handler", None)
    if handler is None:
        from crm.cli.app import run_app

        return run_app(args)
    try:
        return handler(args) or 0
    except CrmError as exc:
        print(f"crm: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crm: interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
