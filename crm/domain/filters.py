"""Values that say which records a list shows, passed from the screens and the command line
down to the services and storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PeopleFilter:
    """Which people a search lists, besides its words; an empty filter lists everyone."""

    organisation_id: int | None = None
    sector: str | None = None
    kind: str | None = None  # "client" or "candidate"
    tag: str | None = None
    available_before: date | None = None
