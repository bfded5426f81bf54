"""Phone numbers: possible numbers are kept (E.164), unallocated ones flagged, not refused."""

from __future__ import annotations

import pytest

from crm.domain.errors import ValidationError
from crm.domain.values import normalise_phone, phone_doubt


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        # Possible UK mobile numbers the library's allocation data does not know (yet).
        ("07911 444555", "+447911444555"),
        # Ofcom's range for drama: the app's own placeholder example.
        ("07700 900123", "+447700900123"),
        # The fictional +1-555 numbers of other projects' vCards.
        ("+1-555-555-0100", "+15555550100"),
    ],
)
def test_possible_but_unallocated_numbers_are_kept_and_flagged(text: str, e164: str) -> None:
    assert normalise_phone(text) == e164
    doubt = phone_doubt(e164)
    assert doubt is not None and "check it" in doubt


def test_valid_numbers_have_no_doubt() -> None:
    assert phone_doubt(normalise_phone("020 7946 0123")) is None
    assert phone_doubt(normalise_phone("+1 415 555 2671")) is None


@pytest.mark.parametrize("text", ["0161 99999999", "12345", "+1 555 0100", "call me"])
def test_impossible_numbers_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_phone(text)
    assert caught.value.field == "phone"
