"""Printing for the command line: JSON for scripts, aligned text for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

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


T = TypeVar("T")

#: A table column: its header and what it shows of a row's record.
Column = tuple[str, Callable[[T], Any]]


def print_records(records: Sequence[T], columns: Sequence[Column[T]], as_json: bool) -> int:
    """A list command's output: the records as JSON, or a table of ``columns``."""
    if as_json:
        print_json(records)
    else:
        print_table([h for h, _ in columns], [[get(r) for _, get in columns] for r in records])
    return 0


def print_fields(pairs: Iterable[tuple[str, Any]], indent: str = "  ") -> None:
    """``Label: value`` lines, leaving out the empty ones."""
    for label, value in pairs:
        if value:
            print(f"{indent}{label}: {fmt(value)}")


def print_saved(as_json: bool, message: str, record: Callable[[], Any]) -> int:
    """What a command that saved a record prints: the record as JSON, or ``message``."""
    if as_json:
        print_json(record())
    else:
        print(message)
    return 0
