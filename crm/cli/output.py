"""Printing for the command line: JSON for scripts, aligned text for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from crm.services.views import to_json


def _unsafe_code_points() -> dict[int, str]:
    """Characters a terminal may obey rather than show, each mapped to a visible escape."""
    points = [*range(0x00, 0x20), *range(0x7F, 0xA0)]  # C0 and C1 controls, DEL
    points += [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]  # bidi, lines
    points += list(range(0xD800, 0xE000))  # lone surrogates (undecodable bytes): unprintable
    return {
        cp: (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")
        for cp in points
        if cp not in (0x09, 0x0A)  # tab and newline are layout, not commands
    }


_TERMINAL_ESCAPES = _unsafe_code_points()


def terminal_safe(text: str) -> str:
    """``text`` with control and escape characters shown as ``\\x1b``-style escapes, so stored
    text (a name with ``ESC[31m`` in it, say) cannot colour, move or rewrite the terminal.
    Ordinary Unicode (accents, other scripts, emoji) is kept as it is."""
    return text.translate(_TERMINAL_ESCAPES)


class TerminalSafeStream:
    """A text stream that passes everything written through :func:`terminal_safe`.

    ``crm.cli.main`` puts one around standard output for the length of a command, so every
    command's output is safe without each print having to remember it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _json_escape_unsafe(text: str) -> str:
    # JSON already escapes C0 controls; escape the rest the JSON way, so the value is intact.
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) in _TERMINAL_ESCAPES else ch for ch in text)


def print_json(obj: Any) -> None:
    text = json.dumps(to_json(obj), indent=2, ensure_ascii=False)
    if not text.isascii():
        text = _json_escape_unsafe(text)
    sys.stdout.write(text + "\n")


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = min(max(widths[i], len(cell)), 48)
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip())
    for row in cells:
        print("  ".join(c[:w].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(none)")
