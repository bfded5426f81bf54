"""Full names split as people write them (nameparser), single names kept whole."""

from __future__ import annotations

import pytest

from crm.domain.errors import ValidationError
from crm.domain.names import PersonName, split_full_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Jane Smith OBE", PersonName("Jane", "Smith", title="Dr", suffix="OBE")),
        ("Sarah van der Merwe", PersonName("Sarah", "van der Merwe")),
        ("Mary Jane Watson", PersonName("Mary Jane", "Watson")),
        ("Sir Keir Starmer KC", PersonName("Keir", "Starmer", title="Sir", suffix="KC")),
        ("Prof. Dame Jane Doe DBE", PersonName("Jane", "Doe", title="Prof. Dame", suffix="DBE")),
        ('Jane "JJ" Smith', PersonName("Jane", "Smith", nickname="JJ")),
        ("Smith, Jane", PersonName("Jane", "Smith")),
        ("최유림", PersonName("최유림", "")),
        ("  Cher  ", PersonName("Cher", "")),
    ],
)
def test_split_full_name(text: str, expected: PersonName) -> None:
    assert split_full_name(text) == expected


def test_titles_and_post_nominals_are_extras() -> None:
    assert split_full_name("Dr Jane Smith OBE").has_extras
    assert not split_full_name("Sarah van der Merwe").has_extras


def test_no_name_is_refused() -> None:
    with pytest.raises(ValidationError):
        split_full_name("   ")
