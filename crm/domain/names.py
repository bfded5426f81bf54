"""People's names as written in the wild: "Dr Jane Smith OBE", "Sarah van der Merwe", "최유림".

A full name is split with ``nameparser`` (titles, post-nominals, surname particles and
nicknames are its trade). A name of one word stays whole as a single name: many people have
one, and reordering a name written without spaces (Korean, Chinese, Japanese) would show it
in an order its owner never writes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cache
from typing import Any

from crm.domain.errors import ValidationError

# Post-nominals common on British public-sector CVs that nameparser does not know; without
# them "Keir Starmer KC" would have the surname "KC".
_MORE_SUFFIXES = (
    "kc",
    "frcp",
    "frcs",
    "frcgp",
    "mrcgp",
    "mrcp",
    "frcn",
    "frsa",
    "fcipd",
    "fcca",
    "acca",
    "cpfa",
    "cmgr",
    "fcmi",
    "dl",
)


@dataclass(frozen=True)
class PersonName:
    """A full name split for the CRM: ``first`` holds given and middle names; either
    ``first`` or ``last`` may be empty for a person with a single name."""

    first: str
    last: str
    title: str = ""
    suffix: str = ""
    nickname: str = ""

    @property
    def has_extras(self) -> bool:
        """Whether the name carried a title or post-nominals the person's record has no
        field for (worth keeping in their notes)."""
        return bool(self.title or self.suffix)


@cache
def _parser() -> Any:
    """nameparser's HumanName with its own word lists plus ours (a private copy: the shared
    one is deprecated for changes)."""
    # Imported when first needed: nameparser builds its word lists on import.
    from nameparser import HumanName
    from nameparser.config import Constants

    constants = Constants()
    constants.suffix_acronyms.add(*_MORE_SUFFIXES)
    return functools.partial(HumanName, constants=constants)


def split_full_name(text: str) -> PersonName:
    """``"Dr Jane Smith OBE"`` -> first Jane, last Smith, title Dr, suffix OBE;
    ``"Sarah van der Merwe"`` -> last ``van der Merwe``; ``"최유림"`` -> a single name."""
    words = (text or "").split()
    if not words:
        raise ValidationError("There is no name.", field="first_name")
    if len(words) == 1:
        return PersonName(first=words[0], last="")
    name = _parser()(" ".join(words))
    first = " ".join(part for part in (name.first, name.middle) if part)
    last = str(name.last)
    if not first and not last:
        # Only a title or post-nominals ("Dr", "OBE"): keep what was written.
        return PersonName(first=" ".join(words), last="")
    return PersonName(
        first=first,
        last=last,
        title=str(name.title),
        suffix=str(name.suffix),
        nickname=str(name.nickname),
    )
