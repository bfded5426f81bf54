"""Argument types for the ``crm`` command: whole numbers within bounds the database can hold,
so ``crm person show 99999999999999999999`` is a usage error, not an overflow deep inside."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from crm.domain.values import MAX_RECORD_ID


def whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse ``type`` accepting ASCII digits for a number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        raw = text.strip()
        digits = raw.removeprefix("-")
        # isdigit() alone admits "²" and other digits int() refuses; and a number of more
        # than 30 digits is out of range anyway (int() of a huge string is slow).
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(raw)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low:,} to {high:,}, not {raw}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


record_id = whole_number(1, MAX_RECORD_ID, "an id")
limit = whole_number(1, 1_000_000, "a limit")
weeks = whole_number(0, 5_200, "a number of weeks")
months = whole_number(1, 1_200, "a number of months")
version = whole_number(0, MAX_RECORD_ID, "a version")
