"""The ``crm`` command: the same services as the desktop app, from a terminal.

Each subcommand group lives in its own module with a ``register(subparsers)`` function;
``main`` parses, opens the database and turns known errors into one line on stderr.

Exit status: 0 done; 1 refused or failed, with one line on stderr saying why (nothing was
changed); 2 the command line itself could not be parsed (argparse prints the usage and one
line); 130 interrupted; 70 an internal error, that is a bug: one line naming a crash report
that holds the traceback, never the traceback itself.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm.domain.errors import CrmError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

# Subcommand modules, in the order their help is listed. Each has register(subparsers).
_GROUPS = (
    "crm.cli.core",
    "crm.cli.records",
    "crm.cli.assignments",
    "crm.cli.today",
    "crm.cli.x",
    "crm.cli.bsky",
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
    parser.add_argument(
        "--smoke-test",
        action=_SmokeTestAction,
        help="check this installation in a temporary folder (database, migrations, window) "
        "and exit",
    )
    return parser


class _SmokeTestAction(argparse.Action):
    """``--smoke-test``: runs :mod:`crm.ui.smoke` and exits with its status."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from crm.ui.smoke import run

        parser.exit(run())


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


@functools.cache
def _full_parser() -> argparse.ArgumentParser:
    """The full parser, built once per process: building it costs ~0.1 s (argparse looks up
    translations for every option), which adds up when commands run in-process, as in the
    tests; parsing does not change it."""
    return build_parser()


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


# The databases this command opened; main() closes them when the command returns, so that
# running commands in one process (the tests, a script) leaves no connection behind.
_opened: list[Any] = []


def open_db(args: argparse.Namespace, *, upgrade: bool = True) -> Any:
    from crm.storage.db import open_database

    database = open_database(args.database, upgrade=upgrade)
    _opened.append(database)
    return database


def database_handle(args: argparse.Namespace) -> Any:
    """The database named by ``--database`` as it is, for the commands that check, upgrade
    or restore its schema themselves."""
    from crm.storage.db import Database

    database = Database(args.database)
    _opened.append(database)
    return database


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _global_parser() if _only_global_options(argv) else _full_parser()
    args = parser.parse_args(argv)
    from crm import app_logging

    app_logging.setup(verbose=args.verbose)
    log.info("Command: %s", getattr(args, "command", None) or "app")
    problem = _undecodable_argument(args)
    if problem:
        _error_line(problem)
        return EXIT_USAGE
    handler: Callable[[argparse.Namespace], int | None] | None = getattr(args, "handler", None)
    if handler is None:
        from crm.cli.app import run_app

        return run_app(args)
    from crm.cli.output import TerminalSafeStream

    stdout = sys.stdout
    sys.stdout = TerminalSafeStream(stdout)
    try:
        return handler(args) or 0
    except CrmError as exc:
        _error_line(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error_line("interrupted; nothing was changed.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        # The machine's refusal (disk full, no permission, no such folder), not a bug.
        _error_line(_os_error_text(exc))
        return EXIT_ERROR
    except Exception as exc:
        return _report_bug(exc, argv)
    finally:
        sys.stdout = stdout
        while _opened:
            _opened.pop().dispose()


def _undecodable_argument(args: argparse.Namespace) -> str | None:
    """Say which text argument holds bytes that are not UTF-8 (a shell passes them through as
    lone surrogates), or a NUL: no database can store such text, and searching for it only
    fails deeper down. File names are left alone: Linux allows any bytes in them."""
    for name, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or (item.isascii() and "\x00" not in item):
                continue
            label = name.replace("_", "-")
            if "\x00" in item:
                return f"the {label} argument contains a NUL character: {item!r}"
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return f"the {label} argument is not valid UTF-8 text: {item!r}"
    return None


def _error_line(text: str) -> None:
    """One line on stderr, with control characters in it made visible, not obeyed."""
    from crm.cli.output import terminal_safe

    line = " ".join(terminal_safe(text).splitlines())
    print(f"crm: {line}", file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{reason}{where}; nothing was changed."


def crash_folder() -> Path:
    """Where crash reports go: the log folder (beside ``crm.log``), else the temp folder."""
    try:
        from crm.app_identity import log_dir

        return log_dir()
    except Exception:  # an unwritable log folder must not hide the bug
        return Path(tempfile.gettempdir())


def _report_bug(exc: BaseException, argv: Sequence[str]) -> int:
    """Keep the traceback in a crash report and say one line about it: a bug is a bug, but a
    user of the command sees a sentence, not forty lines of Python."""
    from crm.app_logging import scrub

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    # Scrubbed like the log: e-mail addresses and tokens in a message stay out of the file.
    details = scrub("".join(traceback.format_exception(exc)))
    report: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f"crm-crash-{stamp}-", suffix=".txt", dir=crash_folder())
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
            # The arguments are left out: they may hold personal data.
            out.write(f"crm internal error at {stamp} UTC, command: {argv[:1]}\n\n{details}")
        report = Path(name)
    except OSError:
        pass
    # Into the log file (the terminal shows warnings only, and the one line below).
    log.info("Internal error %s; crash report %s", type(exc).__name__, report)
    where = f"details in {report}" if report else "no crash report could be written"
    _error_line(f"internal error ({type(exc).__name__}), a bug: {where}. Please report it.")
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
