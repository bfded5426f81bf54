"""What an import did: the report it returns, the options it runs with, and its tally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crm.services.importing.mapping import FIELD_LABELS

# Lists kept in a report are capped so that a wrongly mapped 100,000-row file cannot fill
# memory with refusals; the counts are always exact.
MAX_LISTED = 1000


@dataclass(frozen=True)
class RowRefusal:
    row: int
    reason: str
    field: str | None = None


@dataclass(frozen=True)
class FieldIssue:
    """A value of an imported row that needs the recruiter: left out of the record (and
    kept in its notes), or, with ``kept``, imported but doubtful (a phone number outside
    the allocated ranges)."""

    row: int
    field: str
    value: str
    reason: str
    kept: bool = False

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field.replace("_", " "))

    @property
    def problem(self) -> str:
        """``Phone: '0161 99999999' is not a phone number.``, naming the value once."""
        if repr(self.value) in self.reason:
            return f"{self.label}: {self.reason}"
        return f"{self.label} {self.value!r}: {self.reason}"

    def describe(self) -> str:
        what = "kept" if self.kept else "not imported, kept in the notes"
        return f"{self.problem} ({what})"


@dataclass(frozen=True)
class RowOutcome:
    row: int
    action: str  # "create", "update" or "unchanged"
    record_id: int
    name: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    file: str
    dry_run: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: int
    refusals: list[RowRefusal]
    outcomes: list[RowOutcome]
    organisations_created: list[str]
    organisations_created_count: int
    new_organisations: str
    seconds: float
    format: str
    # Values left out of (or doubtful in) records that were imported; see FieldIssue.
    needs_attention: list[FieldIssue] = field(default_factory=list)
    needs_attention_count: int = 0

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class ImportOptions:
    """How to run an import.

    ``all_or_nothing``: any refused row means nothing is imported (the default imports the
    valid rows). ``new_organisations``: ``"create"`` makes an organisation named in a people
    file that the CRM does not know yet; ``"refuse"`` refuses the row instead.
    """

    dry_run: bool = False
    all_or_nothing: bool = False
    new_organisations: str = "create"
    batch_size: int = 2000


@dataclass
class Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    refusals: list[RowRefusal] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    new_orgs: list[str] = field(default_factory=list)
    new_org_count: int = 0
    attention: list[FieldIssue] = field(default_factory=list)
    attention_count: int = 0

    def needs_attention(self, issues: Iterable[FieldIssue]) -> None:
        for issue in issues:
            self.attention_count += 1
            if len(self.attention) < MAX_LISTED:
                self.attention.append(issue)

    def refuse(self, row: int, reason: str, field_name: str | None = None) -> None:
        self.refused += 1
        if len(self.refusals) < MAX_LISTED:
            self.refusals.append(RowRefusal(row, reason, field_name))

    def outcome(
        self, row: int, action: str, record_id: int, name: str, changes: Iterable[str] = ()
    ) -> None:
        if action == "create":
            self.created += 1
        elif action == "update":
            self.updated += 1
        else:
            self.unchanged += 1
        if len(self.outcomes) < MAX_LISTED:
            self.outcomes.append(RowOutcome(row, action, record_id, name, tuple(changes)))

    def organisation_created(self, name: str) -> None:
        self.new_org_count += 1
        if len(self.new_orgs) < MAX_LISTED:
            self.new_orgs.append(name)
