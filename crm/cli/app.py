"""``crm`` with no command, and ``crm screenshot``: the desktop app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("app", help="open the desktop app (the default with no command)")
    p.set_defaults(handler=run_app)
    s = sub.add_parser(
        "screenshot",
        help="render a view of the app offscreen to a PNG",
        description="Render one view of the desktop app, with the open database, to a PNG.",
    )
    s.add_argument("file", type=Path, metavar="FILE.png")
    s.add_argument(
        "--view",
        default="people",
        help="today, people, person:ID, org:ID, placements, placement:ID, organisations, "
        "assignments, assignment:ID, reports, league, welcome or about (default: people)",
    )
    s.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT")
    s.add_argument("--dark", action="store_true", help="use the dark colour scheme")
    s.add_argument("--search", default="", help="for --view people: search text to show")
    s.set_defaults(handler=screenshot)


def run_app(args: argparse.Namespace) -> int:
    # The storage layer (SQLAlchemy) before Qt: once PySide6 is imported it reads the source
    # of every module imported after it, looking for its __feature__ switches, and that adds
    # about 40 ms of CPU time over SQLAlchemy's hundreds of modules.
    import crm.storage.db  # noqa: F401

    try:
        from crm.ui.app import run
    except ImportError as exc:
        print(f"crm: the desktop app cannot start: {exc}", file=sys.stderr)
        return 1
    return int(run(args.database))


def screenshot(args: argparse.Namespace) -> int:
    from crm.cli import open_db
    from crm.ui.screenshot import parse_size, render

    size = parse_size(args.size)
    db = open_db(args)
    path = render(db, args.file, args.view, size, args.dark, args.search)
    print(path)
    return 0
