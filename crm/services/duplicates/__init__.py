"""Finding and merging duplicate people and organisations.

Likely duplicates are pairs that share an identifier (an email address, a phone number, a
LinkedIn profile, a website) or have similar names at the same organisation (rapidfuzz).
The recruiter reviews a pair side by side, chooses field by field, and merges: everything
attached to the other record moves to the survivor, the other is deleted, and audit entries
on both say what happened. Both records' versions are checked, so a merge never overwrites
an edit someone saved while the recruiter was choosing.
"""

from crm.services.duplicates.finding import (
    MAX_PAIRS,
    NAME_THRESHOLD,
    ORGANISATION,
    ORGANISATION_THRESHOLD,
    PERSON,
    SURNAME_THRESHOLD,
    DuplicatePair,
    find_duplicate_organisations,
    find_duplicate_people,
)
from crm.services.duplicates.merging import (
    BOTH,
    OTHER,
    SURVIVOR,
    FieldChoice,
    MergePreview,
    merge_organisations,
    merge_people,
    organisation_merge_preview,
    person_merge_preview,
)

__all__ = [
    "BOTH",
    "MAX_PAIRS",
    "NAME_THRESHOLD",
    "ORGANISATION",
    "ORGANISATION_THRESHOLD",
    "OTHER",
    "PERSON",
    "SURNAME_THRESHOLD",
    "SURVIVOR",
    "DuplicatePair",
    "FieldChoice",
    "MergePreview",
    "find_duplicate_organisations",
    "find_duplicate_people",
    "merge_organisations",
    "merge_people",
    "organisation_merge_preview",
    "person_merge_preview",
]
