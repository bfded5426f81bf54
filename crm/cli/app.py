"""``crm`` with no command, and ``crm screenshot``: the desktop app."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("app", help="open the desktop app (the default with no command)")
    p.set_defaults(handler=run_app)


def run_app(args: argparse.Namespace) -> int:
    try:
        from crm.ui.app import run
    except ImportError as exc:
        print(f"crm: the desktop app cannot start: {exc}", file=sys.stderr)
        return 1
    return int(run(args.database))
