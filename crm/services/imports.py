"""Importing people and organisations from CSV and vCard files: mapping, dry run, bulk load.

The flow a user follows: :func:`preview_import` reads the start of a file, works out its
encoding, delimiter and header, and guesses which column holds which field (for Outlook,
Google Contacts, LinkedIn "Connections" and plain lists of organisations). The user corrects
the mapping, then :func:`import_file` runs once as a dry run (everything is written and rolled
back, so the report is exactly what a real run would do) and once for real.

An import is one transaction: a refusal of some rows, a cancel, a crash or an error leaves
the database as it was. Rows are streamed and written in batches with SQLAlchemy Core (a
batch's lookups are a few ``IN`` queries, its writes a few ``executemany`` calls), so memory
stays flat and 100,000 rows take seconds. Re-importing a file updates what it matched instead
of adding duplicates: people match on email, X handle, or name plus organisation;
organisations on ODS or GSS code, X handle, or name.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import logging
import operator
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import email_validator
import phonenumbers
from sqlalchemy import (
    ARRAY,
    JSON,
    Integer,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from crm import settings
from crm.domain.dates import parse_date
from crm.domain.enums import (
    ClientStatus,
    ConsentStatus,
    LawfulBasis,
    OrganisationType,
    XAccountStatus,
)
from crm.domain.errors import Cancelled, ValidationError
from crm.domain.names import PersonName, split_full_name
from crm.domain.values import (
    XHandle,
    fold,
    limit_text,
    normalise_email,
    normalise_phone,
    parse_day_rate,
    read_phone,
    search_words,
    unallocated,
)
from crm.services import csvfiles
from crm.services.csvfiles import CsvFormat, CsvReader
from crm.services.organisations import clean_field as clean_organisation_field
from crm.services.people import clean_field as clean_person_field
from crm.services.people import sort_name
from crm.storage.db import Database
from crm.storage.limits import check_lengths
from crm.storage.models import (
    AuditEntry,
    Employment,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    PersonSearch,
    Tag,
    XAccount,
    organisation_tags,
    person_tags,
)
from crm.storage.search import person_document, refresh_people
from crm.storage.types import utcnow

log = logging.getLogger(__name__)

PEOPLE = "people"
ORGANISATIONS = "organisations"
KINDS = (PEOPLE, ORGANISATIONS)

# Lists kept in a report are capped so that a wrongly mapped 100,000-row file cannot fill
# memory with refusals; the counts are always exact.
MAX_LISTED = 1000

Progress = Callable[[int, float], None]
"""Called after each batch with the rows read so far and the fraction of the file read."""

CancelCheck = Callable[[], bool]
"""Returns True when the user has asked to stop."""


# -- the fields a file can fill -----------------------------------------------------------------
@dataclass(frozen=True)
class ImportField:
    """A field of an imported record, with the column names that usually hold it.

    ``aliases`` are header names reduced by :func:`header_key`, in order of preference: a
    header matching an earlier alias wins over one matching a later alias.
    """

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    help: str = ""


PERSON_FIELDS: tuple[ImportField, ...] = (
    ImportField("first_name", "First name", ("firstname", "givenname", "forename", "first")),
    ImportField("last_name", "Last name", ("lastname", "familyname", "surname", "last")),
    ImportField(
        "full_name",
        "Full name",
        ("fullname", "name", "displayname", "contactname", "contact", "person"),
        "split into first and last name when those are not mapped",
    ),
    ImportField("preferred_name", "Preferred name", ("preferredname", "knownas", "nickname")),
    ImportField(
        "job_title",
        "Job title",
        (
            "jobtitle",
            "position",
            "role",
            "organizationtitle",
            "organization1title",
            "organisationtitle",
            "title",
        ),
    ),
    ImportField(
        "organisation",
        "Organisation",
        (
            "organisation",
            "organization",
            "company",
            "organisationname",
            "organizationname",
            "organization1name",
            "companyname",
            "employer",
            "trust",
            "council",
        ),
        "created if unknown, or the row refused (an import option)",
    ),
    ImportField(
        "organisation_code",
        "Organisation code (ODS or GSS)",
        ("organisationcode", "organizationcode", "odscode", "gsscode", "orgcode"),
    ),
    ImportField(
        "email",
        "Email",
        (
            "email",
            "emailaddress",
            "email1value",
            "email1",
            "emailaddress1",
            "workemail",
            "businessemail",
            "primaryemail",
        ),
        "several addresses in one cell may be separated by ; or :::",
    ),
    ImportField(
        "email_2",
        "Email 2",
        ("email2address", "email2value", "email2", "emailaddress2", "personalemail", "homeemail"),
    ),
    ImportField("email_3", "Email 3", ("email3address", "email3value", "email3", "otheremail")),
    ImportField(
        "phone",
        "Phone",
        (
            "phone",
            "telephone",
            "phonenumber",
            "businessphone",
            "workphone",
            "phone1value",
            "primaryphone",
            "officephone",
            "tel",
        ),
    ),
    ImportField("mobile", "Mobile", ("mobile", "mobilephone", "mobilenumber", "cellphone", "cell")),
    ImportField(
        "phone_2", "Phone 2", ("phone2value", "homephone", "otherphone", "businessphone2", "phone2")
    ),
    ImportField(
        "x_handle",
        "X handle",
        ("xhandle", "twitter", "twitterhandle", "twitterusername", "xusername", "x", "handle"),
    ),
    ImportField(
        "linkedin_url",
        "LinkedIn URL",
        ("linkedin", "linkedinurl", "linkedinprofile", "url", "profileurl"),
    ),
    ImportField(
        "location", "Location", ("location", "city", "town", "businesscity", "address1city")
    ),
    ImportField("notes", "Notes", ("notes", "note", "comments", "comment", "description")),
    ImportField(
        "tags",
        "Tags",
        ("tags", "tag", "labels", "categories", "groupmembership", "groups"),
        "separated by ; or , or :::",
    ),
    ImportField(
        "kind",
        "Client or candidate",
        ("kind", "contacttype", "persontype", "clientorcandidate", "type"),
        "client, candidate or both",
    ),
    ImportField("available_from", "Available from", ("availablefrom", "available", "availability")),
    ImportField("day_rate", "Day rate", ("dayrate", "dayrateexpectation", "dailyrate", "rate")),
    ImportField("specialisms", "Specialisms", ("specialisms", "specialism", "expertise", "skills")),
    ImportField("lawful_basis", "Lawful basis", ("lawfulbasis",)),
    ImportField("consent_status", "Consent", ("consentstatus", "consent")),
    ImportField("consent_date", "Consent date", ("consentdate",)),
    ImportField("consent_source", "Consent source", ("consentsource",)),
    ImportField(
        "do_not_contact",
        "Do not contact",
        ("donotcontact", "dnc", "optout", "optedout"),
        "yes or no; an import only ever sets it",
    ),
    ImportField("owner", "Owner", ("owner", "recruiter", "accountowner")),
)

ORGANISATION_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        "Name",
        (
            "name",
            "organisationname",
            "organizationname",
            "organisation",
            "organization",
            "orgname",
            "companyname",
            "company",
            "trustname",
            "trust",
            "councilname",
            "council",
            "ladname",
            "officialname",  # mySociety's list of UK local authorities
        ),
    ),
    ImportField(
        "code",
        "Code (ODS or GSS)",
        ("code", "externalcode", "orgcode", "organisationcode"),
        "a GSS code looks like E06000001; anything else is taken as an ODS code",
    ),
    ImportField("ods_code", "ODS code", ("odscode", "ods", "nhsodscode")),
    ImportField("gss_code", "GSS code", ("gsscode", "gss", "onscode", "ladcode")),
    ImportField("sector", "Sector", ("sector",)),
    ImportField(
        "org_type", "Type", ("organisationtype", "organizationtype", "orgtype", "type", "kind")
    ),
    ImportField("region", "Region", ("region", "nhsregion", "area")),
    ImportField("website", "Website", ("website", "web", "webpage", "homepage", "url")),
    ImportField(
        "parent",
        "Parent organisation",
        ("parent", "parentorganisation", "parentorganization", "parentname", "parentcode"),
        "a name or code already in the CRM or earlier in the file",
    ),
    ImportField("client_status", "Client status", ("clientstatus", "status")),
    ImportField("owner", "Owner", ("owner", "accountowner")),
    ImportField("notes", "Notes", ("notes", "note", "comments", "description")),
    ImportField("tags", "Tags", ("tags", "tag", "labels", "categories")),
    ImportField("x_handle", "X handle", ("xhandle", "twitter", "twitterhandle", "x", "handle")),
)


_FIELD_LABELS = {f.name: f.label for f in (*ORGANISATION_FIELDS, *PERSON_FIELDS)}


def fields_for(kind: str) -> tuple[ImportField, ...]:
    return PERSON_FIELDS if _kind(kind) == PEOPLE else ORGANISATION_FIELDS


def _kind(kind: str) -> str:
    value = (kind or "").strip().lower()
    aliases = {"person": PEOPLE, "organisation": ORGANISATIONS, "organizations": ORGANISATIONS}
    value = aliases.get(value, value)
    if value not in KINDS:
        raise ValidationError(f"{kind!r} cannot be imported: choose people or organisations.")
    return value


_KEY_RE = re.compile(r"[^a-z0-9]")


def header_key(text: str) -> str:
    """A header name reduced for matching: ``"E-mail 1 - Value"`` becomes ``email1value``."""
    return _KEY_RE.sub("", fold(text or ""))


def guess_mapping(
    kind: str, header: Sequence[str], sample: Sequence[Sequence[str]] | None = None
) -> dict[str, int]:
    """Which column (0-based) holds which field, judged by the header names and, given the
    first rows as ``sample``, by whether the column's values look like the field's: a column
    named ``x`` full of map coordinates is not X handles (:func:`looks_like`)."""
    keys = [header_key(h) for h in header]
    taken: set[int] = set()
    mapping: dict[str, int] = {}
    for f in fields_for(kind):
        for alias in f.aliases:
            column = next(
                (
                    i
                    for i, k in enumerate(keys)
                    if k == alias and i not in taken and _column_fits(f.name, i, sample)
                ),
                None,
            )
            if column is not None:
                mapping[f.name] = column
                taken.add(column)
                break
    # A full name is only useful when first and last names are not there.
    if "full_name" in mapping and "first_name" in mapping and "last_name" in mapping:
        del mapping["full_name"]
    return mapping


def _column_fits(field_name: str, column: int, sample: Sequence[Sequence[str]] | None) -> bool:
    """Whether most of the sample's non-empty values in ``column`` look like ``field_name``."""
    if not sample or field_name not in _LOOKS_LIKE:
        return True
    values = [row[column].strip() for row in sample if column < len(row) and row[column].strip()]
    if not values:
        return True
    return sum(looks_like(field_name, v) for v in values) * 2 >= len(values)


def _is_number(text: str) -> bool:
    """``532218``, ``-1.5``, ``51.4,`` ...: a coordinate or a count, not a name."""
    return bool(_NUMBER_RE.fullmatch(text.replace(",", "")))


_NUMBER_RE = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


def _handle_like(text: str) -> bool:
    if _is_number(text):
        return False
    try:
        XHandle.parse(text)
    except ValidationError:
        return False
    return True


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            parse(text)
        except ValidationError:
            return False
        return True

    return check


def _phone_like(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6 and not any(ch.isalpha() for ch in text.lower().replace("ext", ""))


# What a field's values look like, for fields whose usual header names are also used for
# something else (x, url, rate, type, available, ...).
_LOOKS_LIKE: dict[str, Callable[[str], bool]] = {
    "x_handle": _handle_like,
    "email": lambda t: "@" in t,
    "email_2": lambda t: "@" in t,
    "email_3": lambda t: "@" in t,
    "phone": _phone_like,
    "mobile": _phone_like,
    "phone_2": _phone_like,
    "linkedin_url": lambda t: "linkedin." in t.lower(),
    "website": lambda t: "." in t and " " not in t.strip() and not _is_number(t),
    "available_from": _parses(parse_date),
    "consent_date": _parses(parse_date),
    "day_rate": _parses(parse_day_rate),
    "gss_code": lambda t: bool(re.fullmatch(r"[A-Za-z]\d{8}", t.strip())),
    "kind": lambda t: any(w in fold(t) for w in ("client", "candidate", "interim", "both")),
}


def looks_like(field_name: str, value: str) -> bool:
    """Whether ``value`` could be a value of ``field_name`` (True for fields not checked)."""
    check = _LOOKS_LIKE.get(field_name)
    return check is None or check(value)


# How many first rows a guessed mapping is checked against.
_SAMPLE_ROWS = 20


def is_known_header(kind: str) -> Callable[[str], bool]:
    known = {a for f in fields_for(kind) for a in f.aliases}
    return lambda cell: header_key(cell) in known


def guess_source(kind: str, header: Sequence[str]) -> str:
    """What produced the file, as far as its header tells: for the wizard's first page."""
    keys = {header_key(h) for h in header}
    if _kind(kind) == ORGANISATIONS:
        if keys & {"odscode", "ods", "orgcode"}:
            return "NHS organisations (ODS codes)"
        if keys & {"gsscode", "ladcode", "onscode"}:
            return "Councils (GSS codes)"
        return "A list of organisations"
    if "connectedon" in keys:
        return "LinkedIn connections"
    if "email1value" in keys or "givenname" in keys or "organization1name" in keys:
        return "Google Contacts"
    if "emailaddress" in keys and ("middlename" in keys or "email2address" in keys):
        return "Outlook"
    return "A spreadsheet of people"


def resolve_mapping(
    kind: str,
    header: Sequence[str],
    overrides: Mapping[str, str] | None = None,
    *,
    guess: bool = True,
    sample: Sequence[Sequence[str]] | None = None,
) -> dict[str, int]:
    """The guessed mapping (checked against ``sample`` rows, see :func:`guess_mapping`) with
    the user's ``FIELD=COLUMN`` choices applied, which are taken as given.

    A COLUMN is a header name (any case) or a 1-based position; an empty COLUMN unmaps the
    field. Raises ValidationError naming an unknown field or a column that is not there.
    """
    known = {f.name: f for f in fields_for(kind)}
    mapping = guess_mapping(kind, header, sample) if guess else {}
    for name, column in (overrides or {}).items():
        field_name = name.strip().lower().replace("-", "_").replace(" ", "_")
        if field_name not in known:
            raise ValidationError(
                f"{name!r} is not a field you can import into {kind}; the fields are: "
                + ", ".join(known)
                + ".",
                field="mapping",
            )
        text = (column or "").strip()
        if not text:
            mapping.pop(field_name, None)
            continue
        index = _column_index(header, text)
        for other, i in list(mapping.items()):
            if i == index and other != field_name:
                del mapping[other]  # one column feeds one field
        mapping[field_name] = index
    return mapping


def _column_index(header: Sequence[str], text: str) -> int:
    lowered = [h.strip().lower() for h in header]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    keys = [header_key(h) for h in header]
    if header_key(text) and header_key(text) in keys:
        return keys.index(header_key(text))
    if text.isdigit():
        position = int(text)
        if position < 1:
            raise ValidationError("Column positions start at 1.", field="mapping")
        return position - 1
    raise ValidationError(
        f"There is no column {text!r}; the columns are: "
        + ", ".join(repr(h) for h in header[:30])
        + ".",
        field="mapping",
    )


# -- preview ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportPreview:
    """What the wizard's mapping page shows: the file's shape, first rows and a guess."""

    path: str
    kind: str
    file_type: str  # "csv" or "vcard"
    format: CsvFormat | None
    header: list[str]
    rows: list[list[str]]
    mapping: dict[str, int]
    source: str
    #: Each preview row's number in the file: the numbers refused rows are reported with.
    row_numbers: tuple[int, ...] = ()

    @property
    def width(self) -> int:
        return max([len(self.header), *(len(r) for r in self.rows)])


def is_vcard(path: Path) -> bool:
    return Path(path).suffix.lower() in (".vcf", ".vcard")


def preview_import(
    path: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    rows: int = 20,
) -> ImportPreview:
    """Read the start of ``path`` and guess how to import it."""
    path = Path(path)
    kind = _kind(kind)
    if is_vcard(path):
        header = [f.label for f in fields_for(kind)]
        names = [f.name for f in fields_for(kind)]
        sample: list[list[str]] = []
        numbers: list[int] = []
        with _VCardRows(path, kind, encoding) as cards:
            for number, values in cards:
                sample.append([values.get(n, "") for n in names])
                numbers.append(number)
                if len(sample) >= rows:
                    break
        return ImportPreview(
            str(path),
            kind,
            "vcard",
            None,
            header,
            sample,
            {n: i for i, n in enumerate(names)},
            "vCard contacts",
            tuple(numbers),
        )
    fmt = csvfiles.detect_format(
        path,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        is_header_name=is_known_header(kind),
    )
    row_numbers: list[int] = []
    header, sample = csvfiles.read_preview(path, fmt, rows, row_numbers)
    mapping = guess_mapping(kind, header, sample) if fmt.has_header else {}
    source = guess_source(kind, header) if fmt.has_header else "A file without a header row"
    return ImportPreview(
        str(path), kind, "csv", fmt, header, sample, mapping, source, tuple(row_numbers)
    )


# -- the report --------------------------------------------------------------------------------
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
        return _FIELD_LABELS.get(self.field, self.field.replace("_", " "))

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


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (dry run, or all-or-nothing)."""


@dataclass
class _Tally:
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


# -- reading sources ------------------------------------------------------------------------------
class _Source:
    """Rows of a file as ``(row number, {field: text})``, with a progress fraction."""

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        raise NotImplementedError

    @property
    def fraction(self) -> float:
        return 0.0

    def describe(self) -> str:
        return ""


class _CsvSource(_Source):
    def __init__(self, path: Path, fmt: CsvFormat, mapping: Mapping[str, int]) -> None:
        self.reader = CsvReader(path, fmt)
        self.mapping = dict(mapping)

    def __enter__(self) -> _CsvSource:
        self.reader.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.__exit__(None, None, None)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        items = list(self.mapping.items())
        for row, cells in self.reader:
            width = len(cells)
            values = {name: cells[i] for name, i in items if i < width}
            yield row, _refused_if_unstorable(values, self.reader.format.encoding)

    @property
    def fraction(self) -> float:
        return self.reader.fraction

    def describe(self) -> str:
        return self.reader.format.describe()


def _refused_if_unstorable(values: dict[str, str], encoding: str) -> dict[str, str]:
    """The row, or a refusal when a cell holds a NUL character: PostgreSQL cannot store one
    and SQLite must not keep what PostgreSQL would refuse. A file full of them is usually
    UTF-16 read as something else, so the reason says so."""
    if not any("\x00" in v for v in values.values()):
        return values
    return {
        "__refuse__": "This row contains a NUL character (\\x00), which cannot be stored"
        + ("; is the file UTF-16? Try --encoding utf-16." if "16" not in encoding else ".")
    }


class _VCardSource(_Source):
    def __init__(self, path: Path, kind: str, encoding: str | None) -> None:
        self.cards = _VCardRows(path, kind, encoding)

    def __enter__(self) -> _VCardSource:
        self.cards.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cards.__exit__()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.cards)

    @property
    def fraction(self) -> float:
        return self.cards.fraction

    def describe(self) -> str:
        return "vCard"


class _VCardRows:
    """The cards of a vCard 2.1/3.0/4.0 file as import rows, read one card at a time."""

    def __init__(self, path: Path, kind: str, encoding: str | None) -> None:
        self.path = Path(path)
        self.kind = kind
        self.encoding = encoding
        self._text: Any = None
        self._counted: csvfiles.CountedText | None = None

    def __enter__(self) -> _VCardRows:
        encoding = csvfiles.check_encoding(self.encoding) if self.encoding else None
        if not encoding:
            with open(self.path, "rb") as fh:
                encoding = csvfiles.detect_encoding(fh.read(csvfiles.SAMPLE_BYTES))
        self._counted = csvfiles.CountedText(self.path, encoding)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._counted is not None:
            self._counted.close()

    @property
    def fraction(self) -> float:
        return self._counted.fraction if self._counted is not None else 0.0

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        from crm.services import vcards

        assert self._counted is not None
        yield from vcards.read_cards(self._counted.text, self.kind, self.path.name)


def _open_source(
    path: Path,
    kind: str,
    fmt: CsvFormat | None,
    mapping: Mapping[str, int] | None,
    encoding: str | None = None,
) -> _Source:
    if is_vcard(path):
        return _VCardSource(path, kind, encoding or (fmt.encoding if fmt else None))
    if fmt is None:
        fmt = csvfiles.detect_format(path, encoding=encoding, is_header_name=is_known_header(kind))
    if mapping is None:
        if not fmt.has_header:
            raise ValidationError(
                "A file without a header row needs a mapping: say which column holds which "
                "field (for example first_name=1 last_name=2 email=3).",
                field="mapping",
            )
        header, sample = csvfiles.read_preview(path, fmt, _SAMPLE_ROWS)
        mapping = guess_mapping(kind, header, sample)
    _check_mapping(kind, mapping)
    return _CsvSource(path, fmt, mapping)


def _check_mapping(kind: str, mapping: Mapping[str, int]) -> None:
    if kind == PEOPLE:
        has_name = ("first_name" in mapping and "last_name" in mapping) or "full_name" in mapping
        if not has_name:
            raise ValidationError(
                "Map the first and last name columns (or a full name column) before importing.",
                field="mapping",
            )
    elif "name" not in mapping:
        raise ValidationError("Map the organisation name column before importing.", field="mapping")


# -- running an import ----------------------------------------------------------------------------
def import_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    mapping: Mapping[str, int] | None = None,
    fmt: CsvFormat | None = None,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import ``path`` into ``db`` in one transaction and say what happened.

    ``mapping`` (field -> 0-based column) and ``fmt`` default to what :func:`preview_import`
    would guess. With ``options.dry_run`` everything is done and then rolled back. If
    ``cancel`` returns True the import stops, rolls back and raises
    :class:`~crm.domain.errors.Cancelled`; any other exception rolls back too.
    """
    path = Path(path)
    kind = _kind(kind)
    options = options or ImportOptions()
    if options.new_organisations not in ("create", "refuse"):
        raise ValidationError("New organisations are either created or refused.")
    started = time.perf_counter()
    tally = _Tally()
    source = _open_source(path, kind, fmt, mapping, encoding)
    committed = False
    try:
        with _cyclic_gc_paused(), db.session() as session, source:
            job: _Job
            if kind == PEOPLE:
                job = _PeopleImport(session, tally, options, path.name)
            else:
                job = _OrganisationImport(session, tally, options, path.name)
            job.start()
            batch: list[tuple[int, dict[str, str]]] = []
            for item in source:
                batch.append(item)
                if len(batch) >= options.batch_size:
                    _check_cancel(cancel)
                    job.process(batch)
                    batch = []
                    if progress is not None:
                        progress(tally.rows, source.fraction)
            _check_cancel(cancel)
            if batch:
                job.process(batch)
            if progress is not None:
                progress(tally.rows, 1.0)
            job.finish()
            if options.dry_run or (options.all_or_nothing and tally.refused):
                raise _Rollback
        committed = True
    except _Rollback:
        committed = False
    seconds = time.perf_counter() - started
    log.info(
        "Import of %s (%s): %d rows, %d created, %d updated, %d refused in %.1f s%s",
        path.name,
        kind,
        tally.rows,
        tally.created,
        tally.updated,
        tally.refused,
        seconds,
        "" if committed else " (not committed)",
    )
    return ImportReport(
        kind=kind,
        file=str(path),
        dry_run=options.dry_run,
        committed=committed,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        refused=tally.refused,
        refusals=sorted(tally.refusals, key=lambda r: r.row),
        outcomes=sorted(tally.outcomes, key=lambda o: o.row),
        organisations_created=tally.new_orgs,
        organisations_created_count=tally.new_org_count,
        new_organisations=options.new_organisations,
        seconds=seconds,
        format=source.describe(),
        needs_attention=sorted(tally.attention, key=lambda i: i.row),
        needs_attention_count=tally.attention_count,
    )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is imported.

    A batch keeps tens of thousands of small objects alive (rows, their values, their
    parameters) and the collector, counting them, walks the whole heap every few batches: a
    quarter of a large import's time, for no garbage (what an import frees, reference
    counting frees; peak memory is the same). It resumes afterwards, if it was running.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_cancel(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("Import cancelled; nothing was changed.")


# -- cleaning cells ---------------------------------------------------------------------------
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_LIST_SPLIT = re.compile(r"\s*(?::::|;|,)\s*")
_CONTACT_SPLIT = re.compile(r"\s*(?::::|;|,|\s/\s|\n)\s*")
_PHONE_SPLIT = re.compile(r"\s*(?::::|;|\n)\s*")
# Characters without which the splits above cannot match (":::" needs ":", " / " needs "/").
_CONTACT_MARKS = frozenset(":;,/\n")
_PHONE_MARKS = frozenset(":;\n")
_GSS_RE = re.compile(r"^[A-Z]\d{8}$")
_TRUE = {"yes", "y", "true", "1", "x", "t", "on", "✓", "✔"}
_FALSE = {"no", "n", "false", "0", "f", "off", ""}


def _flag(value: str, label: str, field_name: str) -> bool:
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValidationError(f"{label}: {value!r} is neither yes nor no.", field=field_name)


def _split(pattern: re.Pattern[str], marks: frozenset[str], text: str) -> list[str]:
    """The non-empty parts of ``text`` split by ``pattern``; a cell holding none of the
    separators' characters (nearly every cell) is its own only part, without the regex."""
    if marks.isdisjoint(text):
        return [text] if text else []
    return [p for p in pattern.split(text) if p]


def _choice_text(value: str) -> str:
    return fold(value).strip().replace(" ", "_").replace("-", "_")


def _tags(value: str) -> list[str]:
    out = []
    seen: set[str] = set()
    for raw in _LIST_SPLIT.split(value):
        name = " ".join(raw.split())
        # Google's own groups ("* myContacts", "* starred") say nothing about the person.
        if name and not name.startswith("*"):
            if len(name) > 60:
                raise ValidationError(
                    f"The tag {name[:20]!r}... is too long (60 characters at most).", field="tags"
                )
            # Tags are one per name whatever the case: "NED; ned" is one tag.
            if name.casefold() not in seen:
                seen.add(name.casefold())
                out.append(name)
    return out


@functools.lru_cache(maxsize=65536)
def _name_key(name: str) -> str:
    # Cached: a people file names the same few thousand organisations on every row.
    return " ".join(search_words(name))


def _code_kind(code: str) -> str:
    return "gss_code" if _GSS_RE.match(code.upper()) else "ods_code"


@dataclass(slots=True)
class _PersonRow:
    row: int
    values: dict[str, Any]
    emails: list[str]
    phones: list[str]
    handle: str | None
    tags: list[str]
    organisation: str | None
    organisation_code: str | None
    sort_name: str
    org_id: int | None = None
    # Values of the row that were left out (or kept with a doubt), and the note that keeps
    # the left-out ones on the record.
    issues: list[FieldIssue] = field(default_factory=list)
    attention: str | None = None

    @property
    def name(self) -> str:
        return f"{self.values['first_name']} {self.values['last_name']}".strip()

    def keys(self) -> set[tuple[Any, ...]]:
        keys: set[tuple[Any, ...]] = {("n", self.sort_name, self.org_id)}
        keys.update(("e", e.lower()) for e in self.emails)
        if self.handle:
            keys.add(("h", self.handle.lower()))
        return keys


_PERSON_TEXT = (
    "preferred_name",
    "job_title",
    "location",
    "linkedin_url",
    "notes",
    "owner",
    "specialisms",
    "consent_source",
)


def _cells(raw: Mapping[str, str]) -> dict[str, str]:
    """The non-blank cells of a row, stripped."""
    v: dict[str, str] = {}
    for k, x in raw.items():
        if not x:
            continue
        value = x.strip()
        if value:
            # Undo our own export's formula neutralisation so a round trip changes nothing.
            v[k] = value[1:] if value[0] == "'" and value.startswith(_NEUTRALISED) else value
    return v


class _Issues:
    """The values of one row an import leaves out instead of refusing the whole row.

    A record keeps every valid field; each value that is not valid is listed in the report
    ("needs attention", also in a dry run) and written into the record's notes, where the
    recruiter sees it and can fix it by hand.
    """

    __slots__ = ("found", "row")

    def __init__(self, row: int) -> None:
        self.row = row
        self.found: list[FieldIssue] = []

    def left_out(self, field_name: str, value: str, exc: ValidationError) -> None:
        self.found.append(FieldIssue(self.row, field_name, value, exc.message))

    def doubt(self, field_name: str, value: str, reason: str) -> None:
        self.found.append(FieldIssue(self.row, field_name, value, reason, kept=True))

    def note(self, file: str) -> str | None:
        """The text kept in the record's notes for what was left out, or None."""
        lines = [f"- {i.problem}" for i in self.found if not i.kept]
        if not lines:
            return None
        where = f"{file}, row {self.row}" if file else f"row {self.row}"
        return f"Needs attention: not imported from {where}:\n" + "\n".join(lines)


def _with_note(notes: str | None, attention: str | None) -> str | None:
    """``notes`` with ``attention`` added at the end once (a re-import adds nothing)."""
    if not attention or (notes and attention in notes):
        return notes
    return f"{notes}\n\n{attention}" if notes else attention


def _person_name(v: Mapping[str, str]) -> tuple[str, str, PersonName | None]:
    """First and last name from the name cells; the full name is split with nameparser
    when first or last is missing. Either may come back empty (a single name)."""
    first, last = v.get("first_name", ""), v.get("last_name", "")
    full = v.get("full_name")
    if (first and last) or not full:
        return first, last, None
    parsed = split_full_name(full)
    if not first and not last:
        return parsed.first, parsed.last, parsed
    if not last and parsed.last and parsed.first:
        return first, parsed.last, None
    if not first and parsed.first and parsed.last:
        return parsed.first, last, None
    return first, last, None


def _parse_person(row: int, raw: Mapping[str, str], file: str = "") -> _PersonRow:
    """One row, cleaned. Only a missing name refuses it: any other value that is not valid
    is left out and noted (see :class:`_Issues`)."""
    if "__refuse__" in raw:
        raise ValidationError(raw["__refuse__"])
    v = _cells(raw)
    first, last, parsed = _person_name(v)
    if not first and not last:
        raise ValidationError("There is no name in this row.", field="first_name")
    values: dict[str, Any] = {
        "first_name": clean_person_field("first_name", first),
        "last_name": clean_person_field("last_name", last),
    }
    issues = _Issues(row)
    if parsed is not None:
        if parsed.nickname and "preferred_name" not in v:
            v["preferred_name"] = parsed.nickname
        if parsed.has_extras:
            # Titles and post-nominals have no field of their own: keep the name as written.
            written = " ".join(v["full_name"].split())
            v["notes"] = _with_note(v.get("notes"), f"Name as written: {written}") or ""
    for name in _PERSON_TEXT:
        if name in v:
            try:
                values[name] = clean_person_field(name, v[name])
            except ValidationError as exc:
                issues.left_out(name, v[name], exc)
    if "day_rate" in v:
        try:
            values["day_rate_expectation"] = clean_person_field(
                "day_rate_expectation", v["day_rate"]
            )
        except ValidationError as exc:
            issues.left_out("day_rate", v["day_rate"], exc)
    for name in ("available_from", "consent_date"):
        if name in v:
            try:
                values[name] = parse_date(v[name], field=name)
            except ValidationError as exc:
                issues.left_out(name, v[name], exc)
    for name in ("lawful_basis", "consent_status"):
        if name in v:
            try:
                values[name] = clean_person_field(name, _choice_text(v[name]))
            except ValidationError as exc:
                issues.left_out(name, v[name], exc)
    if "kind" in v:
        kind = fold(v["kind"])
        client = "client" in kind or "both" in kind
        candidate = "candidate" in kind or "interim" in kind or "both" in kind
        if not (client or candidate):
            issues.left_out(
                "kind",
                v["kind"],
                ValidationError("not a kind of person (client, candidate or both)", field="kind"),
            )
        if client:
            values["is_client_contact"] = True
        if candidate:
            values["is_candidate"] = True
    if "do_not_contact" in v:
        try:
            if _flag(v["do_not_contact"], "Do not contact", "do_not_contact"):
                values["do_not_contact"] = True
        except ValidationError as exc:
            issues.left_out("do_not_contact", v["do_not_contact"], exc)
    emails: list[str] = []
    for name in ("email", "email_2", "email_3"):
        if name in v:
            for part in _split(_CONTACT_SPLIT, _CONTACT_MARKS, v[name]):
                try:
                    emails.append(normalise_email_fast(part))
                except ValidationError as exc:
                    issues.left_out(name, part, exc)
    phones: list[str] = []
    for name in ("phone", "mobile", "phone_2"):
        if name in v:
            for part in _split(_PHONE_SPLIT, _PHONE_MARKS, v[name]):
                number = _fast_gb(part)  # valid by pattern: nothing to doubt
                if number is None:
                    try:
                        number, allocated = read_phone(part.strip())
                    except ValidationError as exc:
                        issues.left_out(name, part, exc)
                        continue
                    if not allocated:
                        issues.doubt(name, part, unallocated(number))
                phones.append(number)
    handle = None
    if "x_handle" in v:
        try:
            handle = XHandle.parse(v["x_handle"]).value
        except ValidationError as exc:
            issues.left_out("x_handle", v["x_handle"], exc)
    organisation = None
    if "organisation" in v:
        try:
            organisation = limit_text(v["organisation"], "Organisation", "organisation", 200)
        except ValidationError as exc:
            issues.left_out("organisation", v["organisation"], exc)
    code = v.get("organisation_code", "").upper() or None
    if code is not None and (len(code) > 10 or not code.isalnum()):
        issues.left_out(
            "organisation_code",
            v["organisation_code"],
            ValidationError("not an ODS or GSS code", field="organisation_code"),
        )
        code = None
    tags: list[str] = []
    if "tags" in v:
        try:
            tags = _tags(v["tags"])
        except ValidationError as exc:
            issues.left_out("tags", v["tags"], exc)
    _leave_out_too_long("person", values, v, issues)
    return _PersonRow(
        row=row,
        values=values,
        emails=_unique(emails),
        phones=_unique(phones),
        handle=handle,
        tags=tags,
        organisation=organisation,
        organisation_code=code,
        sort_name=sort_name(values["first_name"], values["last_name"]),
        issues=issues.found,
        attention=issues.note(file),
    )


def _leave_out_too_long(
    table: str, values: dict[str, Any], cells: Mapping[str, str], issues: _Issues
) -> None:
    """Every length limit of the schema, checked by the same rule as any other write (most
    fields were checked already; this catches any that were not)."""
    while True:
        try:
            check_lengths(table, values)
            return
        except ValidationError as exc:
            name = exc.field or ""
            if name in ("first_name", "last_name", "name") or name not in values:
                raise
            issues.left_out(name, cells.get(name, str(values.pop(name))), exc)
            values.pop(name, None)


# Fast paths for the addresses and numbers nearly every row has. Each accepts only what the
# full validators (email-validator, phonenumbers) would accept, returning the same normalised
# text, and hands anything unusual to them: 100,000 rows would otherwise spend most of an
# import inside those libraries. tests/services/test_imports.py checks they agree.
_EMAIL_FAST = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_SPECIAL_DOMAINS = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_SUFFIXES = tuple("." + d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES)
_GB: Any = phonenumbers.PhoneMetadata.metadata_for_region("GB")
_GB_GENERAL = re.compile(str(_GB.general_desc.national_number_pattern))
_GB_TYPES = [
    (re.compile(str(desc.national_number_pattern)), set(desc.possible_length))
    for desc in (_GB.mobile, _GB.fixed_line)
]


def normalise_email_fast(text: str) -> str:
    """Like :func:`crm.domain.values.normalise_email`, quicker for plain ASCII addresses."""
    raw = text.strip()
    match = _EMAIL_FAST.match(raw)
    if match and len(raw) <= 254:
        at = match.start(1) - 1
        if at <= 64 and _plain_domain(match.group(1)):
            return raw[: at + 1] + match.group(1).lower()
    return normalise_email(raw)


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> bool:
    """A domain the fast path may take: no ``--`` and not special-use (cached: few domains
    recur across a file's addresses)."""
    domain = domain.lower()
    special = domain in _SPECIAL_DOMAINS or domain.endswith(_SPECIAL_SUFFIXES)
    return "--" not in domain and not special


def normalise_phone_fast(text: str) -> str:
    """Like :func:`crm.domain.values.normalise_phone`, quicker for ordinary UK numbers."""
    return _fast_gb(text) or normalise_phone(text.strip())


def _fast_gb(text: str) -> str | None:
    """An ordinary, valid UK number in E.164 by pattern alone, or None to ask phonenumbers."""
    raw = text.strip()
    compact = raw.replace(" ", "").replace("-", "")
    national = None
    if compact.startswith("+44"):
        national = compact[3:]
    elif compact.startswith("0") and not compact.startswith("00"):
        national = compact[1:]
    if (
        national
        and national.isdigit()
        and not national.startswith("0")
        and _GB_GENERAL.fullmatch(national)
    ):
        for pattern, lengths in _GB_TYPES:
            if len(national) in lengths and pattern.fullmatch(national):
                return "+44" + national
    return None


def _in(column: Any, values: Iterable[Any], dialect: str, type_: Any = String) -> Any:
    """``column IN values``, with the values as one parameter where the database allows:
    read by ``json_each`` on SQLite, an array for ``= ANY`` on PostgreSQL.

    A batch looks up thousands of values: as an expanding ``IN`` SQLAlchemy renders a bind
    parameter for each on every execution, which costs more than the index searches (the
    plan is the same: one index search per value).
    """
    if dialect == "postgresql":
        return column == any_(bindparam("in_values", list(values), type_=ARRAY(type_)))
    if dialect != "sqlite":
        return column.in_(list(values))
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("in_values", json.dumps(list(values)), type_=String))
    )
    return column.in_(listed.scalar_subquery())


def _unique(items: list[str]) -> list[str]:
    if len(items) < 2:
        return items
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


# -- shared lookups ------------------------------------------------------------------------------
class _OrgIndex:
    """Every organisation's id by folded name, by code and by X handle, kept in step."""

    def __init__(self, session: Session) -> None:
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_code: dict[str, int] = {}
        self.by_handle: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.codes: dict[int, dict[str, str | None]] = {}
        rows = session.execute(
            select(
                Organisation.id,
                Organisation.name,
                Organisation.ods_code,
                Organisation.gss_code,
                XAccount.handle,
            )
            .outerjoin(XAccount, XAccount.id == Organisation.x_account_id)
            .order_by(Organisation.id)
        )
        for org_id, name, ods, gss, handle in rows:
            self.add(org_id, name, ods, gss, handle)

    def add(
        self,
        org_id: int,
        name: str,
        ods: str | None = None,
        gss: str | None = None,
        handle: str | None = None,
    ) -> None:
        old = self.names.get(org_id)
        if old is not None and _name_key(old) != _name_key(name):
            self.by_name[_name_key(old)].remove(org_id)
        ids = self.by_name[_name_key(name)]
        if org_id not in ids:
            ids.append(org_id)
            ids.sort()
        self.names[org_id] = name
        codes = self.codes.setdefault(org_id, {"ods_code": None, "gss_code": None})
        for kind, code in (("ods_code", ods), ("gss_code", gss)):
            if code:
                self.by_code[code.upper()] = org_id
                codes[kind] = code.upper()
        if handle:
            self.by_handle[handle.lower()] = org_id

    def by_name_one(self, name: str) -> int | None:
        ids = self.by_name.get(_name_key(name), [])
        return ids[0] if ids else None


class _Tags:
    """Tag ids by lower-case name, creating missing tags in bulk; names by id as stored."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        for tag_id, name in session.execute(select(Tag.id, Tag.name)):
            self.ids[name.lower()] = tag_id
            self.names[tag_id] = name

    def ids_for(self, names: Iterable[str]) -> dict[str, int]:
        wanted = {n.lower(): n for n in names}
        missing = [{"name": n} for k, n in wanted.items() if k not in self.ids]
        created = _insert_ids(self.session, Tag, missing)
        for params, tag_id in zip(missing, created, strict=True):
            self.ids[params["name"].lower()] = tag_id
            self.names[tag_id] = params["name"]
        return {k: self.ids[k] for k in wanted}


_AUDIT_COLUMNS = ("at", "who", "entity_type", "entity_id", "action", "changes")


def _audit_rows(
    who: str, entity_type: str, action: str, items: Iterable[tuple[int | None, dict[str, Any]]]
) -> list[tuple[Any, ...]]:
    """Audit entries, as values in the order of ``_AUDIT_COLUMNS``."""
    now = utcnow()
    return [(now, who, entity_type, entity_id, action, changes) for entity_id, changes in items]


def _x_accounts_for(session: Session, handles: Iterable[str]) -> dict[str, int]:
    """Ids of the X accounts with these handles, creating unverified ones that are missing."""
    wanted = {h.lower(): h for h in handles}
    if not wanted:
        return {}
    found = {
        h: i
        for i, h in session.execute(
            select(XAccount.id, func.lower(XAccount.handle)).where(
                func.lower(XAccount.handle).in_(list(wanted))
            )
        )
    }
    now = utcnow()
    missing: list[dict[str, Any]] = [
        {
            "handle": wanted[k],
            "status": XAccountStatus.UNVERIFIED.value,
            "verified": False,
            "protected": False,
            "watched": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for k in wanted
        if k not in found
    ]
    created = _insert_ids(session, XAccount, missing)
    for params, account_id in zip(missing, created, strict=True):
        found[params["handle"].lower()] = account_id
    return found


def _table(model: Any) -> Table:
    return cast(Table, model.__table__) if hasattr(model, "__table__") else cast(Table, model)


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dictionaries with the same keys) in one go."""
    if not rows:
        return
    columns = list(rows[0])
    get = operator.itemgetter(*columns)
    values = list(map(get, rows)) if len(columns) > 1 else [(get(row),) for row in rows]
    _insert_values(session, model, columns, values)


def _insert_values(
    session: Session, model: Any, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert ``values`` (tuples in the order of ``columns``) in one go.

    The columns' Python-side defaults (``GBP``, ``utcnow()``...) fill the columns left out.
    On SQLite see :func:`_sqlite_insert`; on PostgreSQL the rows are streamed with COPY,
    which is what PostgreSQL offers for bulk loads.
    """
    if not values:
        return
    table = _table(model)
    defaults = _defaults(table, columns)
    if defaults:
        columns = [*columns, *defaults]
        extra = tuple(defaults.values())
        values = [row + extra for row in values]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        _copy(session, table, columns, values)
        return
    if dialect.name != "sqlite":
        session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in values])
        return
    _sqlite_insert(session, table, columns, values)


# What the import binds for NULL on SQLite. The sqlite3 module sends a None through its
# adapter lookup, which fails (building an exception message) for every value, while a
# float goes straight to sqlite3_bind_double; SQLite stores a NaN as NULL.
_SQLITE_NULL = float("nan")
# Rows per multi-row INSERT on SQLite, largest first. One statement for many rows saves
# SQLite's per-row statement overhead (its CHECK constraints' IN lists are built once per
# statement run, for one). Preparing such a statement costs about as much as running it, so
# the sizes are few and fixed and each is prepared once (the driver caches statements);
# the last rows, fewer than the smallest size, go through executemany.
_SQLITE_ROWS = (512, 128)


def _sqlite_insert(
    session: Session, table: Table, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert ``values`` on SQLite: through each column type's own bind processor, as a Core
    ``insert()`` would, and then straight to the driver in multi-row statements (SQLAlchemy's
    per-row bookkeeping in a Core executemany costs more than SQLite's insert itself)."""
    connection = session.connection()
    data: list[Sequence[Any]] = list(zip(*values, strict=True))
    for i, name in enumerate(columns):
        column = table.c[name]
        process = column.type.bind_processor(connection.dialect)
        if process is not None:
            data[i] = _processed(data[i], process, sqlite=True)
        if column.nullable:
            data[i] = _sqlite_nulls(data[i])
    names = ", ".join(f'"{c}"' for c in columns)
    row = "(" + ", ".join("?" for _ in columns) + ")"
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES '
    raw = connection.connection.driver_connection
    most = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns) if raw else 1
    count = len(values)
    start = 0
    for size in _SQLITE_ROWS:
        if size > most or count - start < size:
            continue
        many = sql + ", ".join([row] * size)
        while count - start >= size:
            chunk = zip(*[column[start : start + size] for column in data], strict=True)
            connection.exec_driver_sql(many, tuple(itertools.chain.from_iterable(chunk)))
            start += size
    if start < count:
        rest = [column[start:] for column in data]
        connection.exec_driver_sql(sql + row, list(zip(*rest, strict=True)))


def _sqlite_nulls(values: Sequence[Any]) -> Sequence[Any]:
    """``values`` with each None as :data:`_SQLITE_NULL`."""
    nulls = values.count(None)
    if not nulls:
        return values
    if nulls == len(values):
        return [_SQLITE_NULL] * nulls
    return [_SQLITE_NULL if value is None else value for value in values]


def _map_columns(
    values: list[tuple[Any, ...]], functions: Mapping[int, Callable[[list[Any]], list[Any]]]
) -> list[tuple[Any, ...]]:
    """``values`` with some of their columns (by position) passed through ``functions``, each
    taking and returning a whole column: the rows are turned into columns and back in C."""
    if not functions:
        return values
    data: list[Any] = list(zip(*values, strict=True))
    for i, function in functions.items():
        data[i] = function(list(data[i]))
    return list(zip(*data, strict=True))


def _copy(
    session: Session, table: Table, columns: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    dumps = {
        i: functools.partial(_processed, process=json.dumps, none=True)
        for i, c in enumerate(columns)
        if isinstance(table.c[c].type, JSON)
    }
    names = ", ".join(f'"{c}"' for c in columns)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in _map_columns(values, dumps):
            copy.write_row(row)


def _processed(
    values: Iterable[Any],
    process: Callable[[Any], Any],
    *,
    sqlite: bool = False,
    none: bool = False,
) -> list[Any]:
    """``values`` through a bind processor; a batch repeats the same timestamp (and audit
    note) object in every row, so each distinct object is converted once.

    A None stays None unless ``none`` says to convert it too. On SQLite a value the driver
    would adapt itself (a datetime, with the sqlite3 module's own adapter) is adapted here,
    with that same adapter, so that it too is done once per object instead of once per row.
    """
    out: list[Any] = []
    last_in: Any = None
    last_out: Any = None
    for value in values:
        if value is None and not none:
            out.append(None)
        elif value is last_in and out:
            out.append(last_out)
        else:
            last_in, last_out = value, process(value)
            if sqlite:
                adapt = sqlite3.adapters.get((type(last_out), sqlite3.PrepareProtocol))
                if adapt is not None:
                    last_out = adapt(last_out)
            out.append(last_out)
    return out


def _defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """The columns' Python-side defaults (``GBP``, ``utcnow()``...) that ``columns`` leave out."""
    missing: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in columns or default is None or column.primary_key:
            continue
        arg = getattr(default, "arg", None)
        if getattr(default, "is_scalar", False):
            missing[column.key] = arg
        elif getattr(default, "is_callable", False) and callable(arg):
            missing[column.key] = arg(None)
    return missing


def _insert_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their new ids in order."""
    if not rows:
        return []
    table = _table(model)
    if session.get_bind().dialect.name == "sqlite":
        # An import takes SQLite's write lock with its first statement (see _Job.start), so
        # no one else can take these ids; giving them explicitly saves RETURNING, which is
        # several times slower through the driver.
        start = int(session.scalar(select(func.max(table.c.id))) or 0) + 1
        for offset, row in enumerate(rows):
            row["id"] = start + offset
        _insert(session, table, rows)
        return list(range(start, start + len(rows)))
    if session.get_bind().dialect.name == "postgresql":
        # Take the ids from the table's sequence first (safe alongside other writers), then
        # COPY the rows with them.
        sequence = session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence:
            ids = [
                int(i)
                for i in session.scalars(
                    text("SELECT nextval(:sequence) FROM generate_series(1, :n)"),
                    {"sequence": sequence, "n": len(rows)},
                )
            ]
            for row, new_id in zip(rows, ids, strict=True):
                row["id"] = new_id
            _insert(session, table, rows)
            return ids
    return list(
        session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    )


# The trigger that copies each new search document into SQLite's FTS5 index (made by the
# migration). Fed one row at a time it costs three times what one INSERT ... SELECT of a
# whole batch costs, which is most of a large import's time.
_FTS_INSERT_TRIGGER = "person_search_ai"


class _SearchIndex:
    """Indexes the search documents a people import writes, in bulk on SQLite.

    For the whole import the FTS5 insert trigger is set aside, inside the import's
    transaction, and each batch's documents (new people's and refreshed ones') are indexed by
    one INSERT ... SELECT; :meth:`restore` puts the trigger back from its own SQL before the
    commit. A rollback restores it with everything else, and other connections never see it
    gone. Once per import rather than per batch: a schema change makes SQLite prepare every
    cached statement again.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.trigger: str | None = None
        self.columns: list[str] = []

    def pause(self) -> None:
        """Set the FTS5 insert trigger aside (on SQLite)."""
        if self.session.get_bind().dialect.name != "sqlite":
            return
        conn = self.session.connection()
        trigger = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_FTS_INSERT_TRIGGER,),
        ).scalar()
        columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(person_fts)")]
        if trigger and columns:
            conn.exec_driver_sql(f'DROP TRIGGER "{_FTS_INSERT_TRIGGER}"')
            self.trigger = str(trigger)
            self.columns = columns

    def insert(self, docs: list[dict[str, Any]]) -> None:
        """Insert new people's documents (and index them)."""
        _insert(self.session, PersonSearch, docs)
        self.index([d["person_id"] for d in docs])

    def refresh(self, person_ids: Sequence[int]) -> None:
        """Rewrite existing people's documents (and index them)."""
        refresh_people(self.session, person_ids)
        self.index(person_ids)

    def index(self, person_ids: Sequence[int]) -> None:
        if self.trigger is None or not person_ids:
            return
        names = ", ".join(f'"{c}"' for c in self.columns)
        ids = ", ".join(str(int(i)) for i in person_ids)
        self.session.connection().exec_driver_sql(
            f"INSERT INTO person_fts(rowid, {names}) "
            f"SELECT person_id, {names} FROM person_search WHERE person_id IN ({ids})"
        )

    def restore(self) -> None:
        """Put the trigger back."""
        if self.trigger is not None:
            self.session.connection().exec_driver_sql(self.trigger)
            self.trigger = None


class _Job:
    """What the people and organisation imports share: lookups, the summary audit entry."""

    entity = ""

    def __init__(self, session: Session, tally: _Tally, options: ImportOptions, file: str) -> None:
        self.session = session
        self.tally = tally
        self.options = options
        self.file = file
        self.who = settings.current_user()
        self.orgs = _OrgIndex(session)
        self.tags = _Tags(session)
        self.audit_id = 0
        self.cache_size: int | None = None
        self.note = {"import": file}  # shared by the audit entries of created records
        # Records this import has already written. When a file holds one record twice with
        # different values, the first row wins and later rows only fill gaps; otherwise
        # importing the file again would flip the values back and forth.
        self.touched: set[int] = set()

    def start(self) -> None:
        if self.session.get_bind().dialect.name == "sqlite":
            # A 64 MB page cache instead of 2 MB: index pages stay in memory while a large
            # file's rows land all over them. Put back in finish() (a failed import leaves
            # the pooled connection with the bigger cache, which does no harm).
            self.cache_size = self.session.scalar(text("PRAGMA cache_size"))
            self.session.execute(text("PRAGMA cache_size = -65536"))
        # Written first so that on SQLite the transaction holds the write lock throughout.
        (entry,) = _audit_rows(self.who, "import", self.entity, [(None, {"file": self.file})])
        self.audit_id = _insert_ids(
            self.session, AuditEntry, [dict(zip(_AUDIT_COLUMNS, entry, strict=True))]
        )[0]

    def finish(self) -> None:
        t = self.tally
        summary = {
            "file": self.file,
            "rows": t.rows,
            "created": t.created,
            "updated": t.updated,
            "unchanged": t.unchanged,
            "refused": t.refused,
            "organisations_created": t.new_org_count,
        }
        audit = _table(AuditEntry)
        self.session.execute(
            update(audit).where(audit.c.id == self.audit_id).values(changes=summary)
        )
        if self.cache_size is not None:
            self.session.execute(text(f"PRAGMA cache_size = {int(self.cache_size)}"))

    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        raise NotImplementedError


# -- people ----------------------------------------------------------------------------------------
_EMPTY = (None, "", False)

_PERSON_COLUMNS = (
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "location",
    "linkedin_url",
    "notes",
    "owner",
    "specialisms",
    "consent_source",
    "day_rate_expectation",
    "available_from",
    "consent_date",
    "lawful_basis",
    "consent_status",
    "is_client_contact",
    "is_candidate",
    "do_not_contact",
)


# What a new person's row holds before the file's values go in.
_NEW_PERSON: dict[str, Any] = {
    "first_name": None,
    "last_name": None,
    "preferred_name": None,
    "job_title": None,
    "location": None,
    "linkedin_url": None,
    "notes": None,
    "owner": None,
    "specialisms": None,
    "consent_source": None,
    "day_rate_expectation": None,
    "available_from": None,
    "consent_date": None,
    "lawful_basis": LawfulBasis.LEGITIMATE_INTERESTS.value,
    "consent_status": ConsentStatus.NONE.value,
    "is_client_contact": False,
    "is_candidate": False,
    "do_not_contact": False,
}


_JOB_COLUMNS = (
    "person_id",
    "organisation_id",
    "title",
    "start_date",
    "end_date",
    "version",
    "created_at",
    "updated_at",
)


class _PeopleImport(_Job):
    entity = "people"

    def __init__(self, session: Session, tally: _Tally, options: ImportOptions, file: str) -> None:
        super().__init__(session, tally, options, file)
        self.today = date.today()
        self.org_accounts: dict[str, str] = {}  # handle -> organisation it is linked to
        self.search = _SearchIndex(session)

    def start(self) -> None:
        super().start()
        self.search.pause()

    def finish(self) -> None:
        self.search.restore()
        super().finish()

    # Each batch: clean every row, settle organisations, then write in collision-free chunks.
    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        rows: list[_PersonRow] = []
        self.tally.rows += len(batch)
        for row_number, raw in batch:
            try:
                rows.append(_parse_person(row_number, raw, self.file))
            except ValidationError as exc:
                self.tally.refuse(row_number, exc.message, exc.field)
        rows = self._organisations(rows)
        while rows:
            rows = self._chunk(rows)

    def _organisations(self, rows: list[_PersonRow]) -> list[_PersonRow]:
        kept: list[_PersonRow] = []
        to_create: dict[str, dict[str, Any]] = {}
        waiting: list[tuple[_PersonRow, str]] = []
        for r in rows:
            if r.organisation is None and r.organisation_code is None:
                kept.append(r)
                continue
            org_id = self.orgs.by_code.get(r.organisation_code) if r.organisation_code else None
            if org_id is None and r.organisation:
                org_id = self.orgs.by_name_one(r.organisation)
            if org_id is not None:
                r.org_id = org_id
                kept.append(r)
                continue
            label = r.organisation or r.organisation_code or ""
            if self.options.new_organisations == "refuse":
                self.tally.refuse(
                    r.row, f"{label!r} is not an organisation in the CRM.", "organisation"
                )
                continue
            if not r.organisation:
                self.tally.refuse(
                    r.row,
                    f"No organisation has the code {r.organisation_code}; give its name to "
                    "create it.",
                    "organisation_code",
                )
                continue
            key = _name_key(r.organisation)
            if key not in to_create:
                params: dict[str, Any] = {
                    "name": r.organisation,
                    "ods_code": None,
                    "gss_code": None,
                }
                code = r.organisation_code
                if code and code not in self.orgs.by_code:
                    params[_code_kind(code)] = code
                to_create[key] = params
            waiting.append((r, key))
        if to_create:
            now = utcnow()
            params_list = [
                {
                    **p,
                    "org_type": OrganisationType.OTHER.value,
                    "client_status": ClientStatus.PROSPECT.value,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in to_create.values()
            ]
            created = _insert_ids(self.session, Organisation, params_list)
            audit: list[tuple[int | None, dict[str, Any]]] = []
            for params, org_id in zip(params_list, created, strict=True):
                self.orgs.add(org_id, params["name"], params["ods_code"], params["gss_code"])
                self.tally.organisation_created(params["name"])
                audit.append((org_id, {"name": params["name"], "import": self.file}))
            _insert_values(
                self.session,
                AuditEntry,
                _AUDIT_COLUMNS,
                _audit_rows(self.who, "organisation", "create", audit),
            )
            for r, _key in waiting:
                r.org_id = self.orgs.by_name_one(r.organisation or "")
                kept.append(r)
        kept.sort(key=lambda r: r.row)
        return kept

    def _chunk(self, rows: list[_PersonRow]) -> list[_PersonRow]:
        """Write as many rows as share no email, handle, name or matched person; return the rest."""
        c = self.session.connection()  # Core: lookups need no ORM result processing
        emails = {e.lower() for r in rows for e in r.emails}
        handles = {r.handle.lower() for r in rows if r.handle}
        names = {r.sort_name for r in rows}
        dialect = c.dialect.name
        by_email: dict[str, int] = {}
        if emails:
            for pid, email in c.execute(
                select(PersonEmail.person_id, func.lower(PersonEmail.email))
                .where(_in(func.lower(PersonEmail.email), emails, dialect))
                .order_by(PersonEmail.person_id)
            ):
                by_email.setdefault(email, pid)
        accounts: dict[str, tuple[int, int | None]] = {}
        if handles:
            for account_id, handle, pid, org_name in c.execute(
                select(XAccount.id, func.lower(XAccount.handle), Person.id, Organisation.name)
                .outerjoin(Person, Person.x_account_id == XAccount.id)
                .outerjoin(Organisation, Organisation.x_account_id == XAccount.id)
                .where(func.lower(XAccount.handle).in_(list(handles)))
            ):
                accounts[handle] = (account_id, pid)
                if org_name is not None:
                    self.org_accounts[handle] = org_name
        by_name: dict[tuple[str, int | None], int] = {}
        same_name = list(
            c.execute(
                select(Person.id, Person.sort_name)
                .where(_in(Person.sort_name, names, dialect))
                .order_by(Person.id)
            )
        )
        if same_name:
            jobs: dict[int, set[int]] = defaultdict(set)
            for pid, org_id in c.execute(
                select(Employment.person_id, Employment.organisation_id).where(
                    _in(Employment.person_id, [p for p, _ in same_name], dialect, Integer),
                    Employment.end_date.is_(None),
                )
            ):
                jobs[pid].add(org_id)
            for pid, name in same_name:
                orgs: set[int | None] = set(jobs.get(pid, ())) or {None}
                for org in orgs:
                    by_name.setdefault((name, org), pid)

        used: set[tuple[Any, ...]] = set()
        accepted: list[tuple[_PersonRow, int | None]] = []
        leftover: list[_PersonRow] = []
        for i, r in enumerate(rows):
            try:
                match = self._match(r, by_email, accounts, by_name, self.org_accounts)
            except ValidationError as exc:
                self.tally.refuse(r.row, exc.message, exc.field)
                continue
            keys = r.keys()
            if match is not None:
                keys.add(("p", match))
            if not used.isdisjoint(keys):
                leftover = rows[i:]
                break
            used |= keys
            accepted.append((r, match))
        self._write(accepted, accounts)
        return leftover

    @staticmethod
    def _match(
        r: _PersonRow,
        by_email: Mapping[str, int],
        accounts: Mapping[str, tuple[int, int | None]],
        by_name: Mapping[tuple[str, int | None], int],
        org_accounts: Mapping[str, str],
    ) -> int | None:
        email_ids = {by_email[e.lower()] for e in r.emails if e.lower() in by_email}
        if len(email_ids) > 1:
            raise ValidationError(
                "The emails in this row belong to different people ("
                + ", ".join(f"#{i}" for i in sorted(email_ids))
                + "); merge them first.",
                field="email",
            )
        email_match = next(iter(email_ids), None)
        if r.handle and r.handle.lower() in org_accounts:
            # As when linking by hand: one account, one record.
            raise ValidationError(
                f"@{r.handle} is already linked to {org_accounts[r.handle.lower()]}; "
                "unlink it there first.",
                field="x_handle",
            )
        account = accounts.get(r.handle.lower()) if r.handle else None
        handle_match = account[1] if account else None
        if email_match and handle_match and email_match != handle_match:
            raise ValidationError(
                f"The email belongs to #{email_match} but @{r.handle} to #{handle_match}; "
                "merge them first.",
                field="x_handle",
            )
        match = email_match or handle_match or by_name.get((r.sort_name, r.org_id))
        return match

    def _write(
        self,
        accepted: list[tuple[_PersonRow, int | None]],
        accounts: Mapping[str, tuple[int, int | None]],
    ) -> None:
        if not accepted:
            return
        outcomes: list[tuple[int, str, int, str, Any]] = []
        s = self.session
        c = s.connection()
        now = utcnow()
        matched = [m for _, m in accepted if m is not None]
        current: dict[int, Any] = {}
        emails: dict[int, set[str]] = defaultdict(set)
        phones: dict[int, set[str]] = defaultdict(set)
        tags: dict[int, set[int]] = defaultdict(set)
        jobs: dict[int, list[Any]] = defaultdict(list)
        if matched:
            columns = [getattr(Person, c) for c in _PERSON_COLUMNS]
            for row in c.execute(
                select(Person.id, Person.x_account_id, *columns).where(Person.id.in_(matched))
            ):
                current[row.id] = row
            for pid, email in c.execute(
                select(PersonEmail.person_id, PersonEmail.email).where(
                    PersonEmail.person_id.in_(matched)
                )
            ):
                emails[pid].add(email.lower())
            for pid, number in c.execute(
                select(PersonPhone.person_id, PersonPhone.number).where(
                    PersonPhone.person_id.in_(matched)
                )
            ):
                phones[pid].add(number)
            for pid, tag_id in c.execute(
                select(person_tags.c.person_id, person_tags.c.tag_id).where(
                    person_tags.c.person_id.in_(matched)
                )
            ):
                tags[pid].add(tag_id)
            for job in c.execute(
                select(
                    Employment.id,
                    Employment.person_id,
                    Employment.organisation_id,
                    Employment.title,
                    Employment.start_date,
                ).where(Employment.person_id.in_(matched), Employment.end_date.is_(None))
            ):
                jobs[job.person_id].append(job)

        # X accounts: new people get theirs; matched people only when they have none.
        wanted_handles = [
            r.handle
            for r, m in accepted
            if r.handle
            and (m is None or current[m].x_account_id is None)
            and accounts.get(r.handle.lower(), (0, None))[1] is None
        ]
        account_ids = _x_accounts_for(s, wanted_handles)
        tag_ids = self.tags.ids_for(t for r, _ in accepted for t in r.tags)

        new_rows = [r for r, m in accepted if m is None]
        inserts = []
        for r in new_rows:
            params = _NEW_PERSON.copy()
            params.update(r.values)
            if r.attention:
                params["notes"] = _with_note(params["notes"], r.attention)
            params["sort_name"] = r.sort_name
            params["x_account_id"] = account_ids.get(r.handle.lower()) if r.handle else None
            params["created_at"] = now
            params["updated_at"] = now
            params["version"] = 1
            inserts.append(params)
        new_ids = _insert_ids(s, Person, inserts)

        # Rows of person_email, person_phone, person_tag and employment, as value tuples.
        email_rows: list[tuple[int, str, None]] = []
        phone_rows: list[tuple[int, str, None]] = []
        tag_rows: list[tuple[int, int]] = []
        job_rows: list[tuple[Any, ...]] = []
        job_ends: list[dict[str, Any]] = []
        job_titles: list[dict[str, Any]] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        audit_new: list[tuple[int, dict[str, Any]]] = []
        audit_updated: list[tuple[int, dict[str, Any]]] = []
        docs: list[dict[str, Any]] = []

        for r, pid, params in zip(new_rows, new_ids, inserts, strict=True):
            docs.append(self._document(pid, r, params, tag_ids))
            for e in r.emails:
                email_rows.append((pid, e, None))
            for p in r.phones:
                phone_rows.append((pid, p, None))
            for t in r.tags:
                tag_rows.append((pid, tag_ids[t.lower()]))
            if r.org_id is not None:
                job_rows.append(self._job(pid, r, now))
            audit_new.append((pid, self.note))
            outcomes.append((r.row, "create", pid, r.name, ()))

        for r, match in accepted:
            if match is None:
                continue
            pid = match
            cur = current[pid]
            again = pid in self.touched
            changed: dict[str, Any] = {}
            values = r.values
            if r.attention:
                # The file's notes (or the person's own) with what was left out added once.
                values = {
                    **values,
                    "notes": _with_note(values.get("notes", cur.notes), r.attention),
                }
            for name, value in values.items():
                old = getattr(cur, name)
                if old != value and not (again and old not in _EMPTY):
                    changed[name] = value
            if r.handle and cur.x_account_id is None:
                account = accounts.get(r.handle.lower())
                account_id = account[0] if account else account_ids.get(r.handle.lower())
                if account_id is not None:
                    changed["x_account_id"] = account_id
            if "first_name" in changed or "last_name" in changed:
                changed["sort_name"] = r.sort_name
            fields = [k for k in changed if k != "sort_name"]
            new_emails = [e for e in r.emails if e.lower() not in emails[pid]]
            new_phones = [p for p in r.phones if p not in phones[pid]]
            new_tags = [t for t in r.tags if tag_ids[t.lower()] not in tags[pid]]
            email_rows.extend((pid, e, None) for e in new_emails)
            phone_rows.extend((pid, p, None) for p in new_phones)
            tag_rows.extend((pid, tag_ids[t.lower()]) for t in new_tags)
            fields += ["emails"] * bool(new_emails) + ["phones"] * bool(new_phones)
            fields += ["tags"] * bool(new_tags)
            if r.org_id is not None and not again:
                here = [j for j in jobs[pid] if j.organisation_id == r.org_id]
                title = r.values.get("job_title")
                if not here:
                    # They have moved: the file names their organisation now.
                    for j in jobs[pid]:
                        end = max(self.today, j.start_date or self.today)
                        job_ends.append({"_id": j.id, "end_date": end, "updated_at": now})
                    job_rows.append(self._job(pid, r, now))
                    fields.append("organisation")
                elif title and here[0].title != title:
                    job_titles.append({"_id": here[0].id, "title": title, "updated_at": now})
                    if "job_title" not in fields:
                        fields.append("job_title")
            if not fields:
                outcomes.append((r.row, "unchanged", pid, r.name, ()))
                continue
            changed["updated_at"] = now
            changed["_id"] = pid
            updates[tuple(sorted(changed))].append(changed)
            audit_updated.append((pid, {"import": self.file, "fields": fields}))
            outcomes.append((r.row, "update", pid, r.name, fields))

        table = cast(Table, Person.__table__)
        for keys, params_list in updates.items():
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    version=table.c.version + 1,
                    **{k: bindparam(k) for k in keys if k != "_id"},
                )
            )
            c.execute(stmt, params_list)
        employment = cast(Table, Employment.__table__)
        if job_ends:
            c.execute(
                update(employment)
                .where(employment.c.id == bindparam("_id"))
                .values(
                    version=employment.c.version + 1,
                    end_date=bindparam("end_date"),
                    updated_at=bindparam("updated_at"),
                ),
                job_ends,
            )
        if job_titles:
            c.execute(
                update(employment)
                .where(employment.c.id == bindparam("_id"))
                .values(
                    version=employment.c.version + 1,
                    title=bindparam("title"),
                    updated_at=bindparam("updated_at"),
                ),
                job_titles,
            )
        _insert_values(s, Employment, _JOB_COLUMNS, job_rows)
        _insert_values(s, PersonEmail, ("person_id", "email", "label"), email_rows)
        _insert_values(s, PersonPhone, ("person_id", "number", "label"), phone_rows)
        _insert_values(s, person_tags, ("person_id", "tag_id"), tag_rows)
        audit_rows = _audit_rows(self.who, "person", "create", audit_new)
        audit_rows += _audit_rows(self.who, "person", "update", audit_updated)
        _insert_values(s, AuditEntry, _AUDIT_COLUMNS, audit_rows)
        # The session hook only sees ORM objects: Core writes refresh search explicitly. New
        # people have no document yet, so theirs are only inserted (what refresh_people
        # would do after deleting nothing), through the quicker path, and built from the
        # values just written rather than read back.
        self.search.insert(docs)
        self.search.refresh([pid for pid, _ in audit_updated])
        self.touched.update(new_ids)
        self.touched.update(m for _, m in accepted if m is not None)
        for outcome in sorted(outcomes):
            self.tally.outcome(*outcome)
        self.tally.needs_attention(i for r, _ in accepted for i in r.issues)

    def _document(
        self, person_id: int, r: _PersonRow, params: Mapping[str, Any], tag_ids: Mapping[str, int]
    ) -> dict[str, Any]:
        """A new person's search document, as documents_for would read it back.

        The handle is the file's spelling, not the stored account's; handles are ASCII and
        matched case-insensitively, so the two fold alike. Tags come in id order, as
        person_tag's primary key returns them.
        """
        v = r.values
        tag_list = sorted({tag_ids[t.lower()] for t in r.tags}) if r.tags else ()
        return person_document(
            person_id,
            first_name=v["first_name"],
            last_name=v["last_name"],
            preferred_name=v.get("preferred_name"),
            job_title=v.get("job_title"),
            notes=params.get("notes"),
            specialisms=v.get("specialisms"),
            location=v.get("location"),
            handle=r.handle if params["x_account_id"] is not None else None,
            employments=(
                [(self.orgs.names[r.org_id], v.get("job_title"), True)]
                if r.org_id is not None
                else ()
            ),
            emails=r.emails,
            tags=[self.tags.names[t] for t in tag_list],
        )

    def _job(self, person_id: int, r: _PersonRow, now: datetime) -> tuple[Any, ...]:
        """A current employment at the row's organisation, in the order of _JOB_COLUMNS."""
        # One timestamp per batch, as for the people: each distinct object is converted once.
        return (person_id, r.org_id, r.values.get("job_title"), None, None, 1, now, now)


# -- organisations ------------------------------------------------------------------------------
_ORG_TEXT = (
    "name",
    "sector",
    "org_type",
    "region",
    "website",
    "ods_code",
    "gss_code",
    "client_status",
    "owner",
    "notes",
)


@dataclass(slots=True)
class _OrganisationRow:
    row: int
    values: dict[str, Any]
    tags: list[str]
    handle: str | None
    parent: str | None
    parent_id: int | None = None
    issues: list[FieldIssue] = field(default_factory=list)
    attention: str | None = None

    @property
    def name(self) -> str:
        return str(self.values["name"])

    def keys(self) -> set[tuple[str, str]]:
        keys = {("n", _name_key(self.name))}
        for code in ("ods_code", "gss_code"):
            if self.values.get(code):
                keys.add(("c", self.values[code]))
        if self.handle:
            keys.add(("h", self.handle.lower()))
        return keys


def _parse_organisation(row: int, raw: Mapping[str, str], file: str = "") -> _OrganisationRow:
    """One row, cleaned. Only a missing or unusable name refuses it: any other value that is
    not valid is left out and noted (see :class:`_Issues`)."""
    if "__refuse__" in raw:
        raise ValidationError(raw["__refuse__"])
    v = _cells(raw)
    if "name" not in v:
        raise ValidationError("There is no organisation name in this row.", field="name")
    if "code" in v:
        code = v.pop("code").upper()
        v.setdefault(_code_kind(code), code)
    issues = _Issues(row)
    values: dict[str, Any] = {"name": clean_organisation_field("name", v["name"])}
    for name in _ORG_TEXT[1:]:
        if name in v:
            value = v[name]
            if name in ("sector", "org_type", "client_status"):
                value = _org_choice(name, value)
            try:
                values[name] = clean_organisation_field(name, value)
            except ValidationError as exc:
                issues.left_out(name, v[name], exc)
    handle = None
    if "x_handle" in v:
        try:
            handle = XHandle.parse(v["x_handle"]).value
        except ValidationError as exc:
            issues.left_out("x_handle", v["x_handle"], exc)
    parent = None
    if "parent" in v:
        try:
            parent = limit_text(v["parent"], "Parent organisation", "parent", 200) or None
        except ValidationError as exc:
            issues.left_out("parent", v["parent"], exc)
    tags: list[str] = []
    if "tags" in v:
        try:
            tags = _tags(v["tags"])
        except ValidationError as exc:
            issues.left_out("tags", v["tags"], exc)
    _leave_out_too_long("organisation", values, v, issues)
    return _OrganisationRow(
        row, values, tags, handle, parent, issues=issues.found, attention=issues.note(file)
    )


_SECTOR_WORDS = {
    "health": "health_social_care",
    "nhs": "health_social_care",
    "social care": "health_social_care",
    "health and social care": "health_social_care",
    "local government": "local_government",
    "local authority": "local_government",
    "council": "local_government",
}


def _org_choice(name: str, value: str) -> str:
    """Accept what people write in a spreadsheet: labels, and common words for a sector."""
    text = fold(value).strip().replace("&", "and")
    if name == "sector" and text in _SECTOR_WORDS:
        return _SECTOR_WORDS[text]
    enum: Any = {
        "sector": None,
        "org_type": OrganisationType,
        "client_status": ClientStatus,
    }[name]
    underscored = text.replace(" ", "_").replace("-", "_").replace("/", "_")
    if enum is not None and underscored in {m.value for m in enum}:
        return underscored
    if name == "sector":
        return underscored if underscored else value
    return value


class _OrganisationImport(_Job):
    entity = "organisations"

    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        rows: list[_OrganisationRow] = []
        for row_number, raw in batch:
            self.tally.rows += 1
            try:
                rows.append(_parse_organisation(row_number, raw, self.file))
            except ValidationError as exc:
                self.tally.refuse(row_number, exc.message, exc.field)
        while rows:
            rows = self._chunk(rows)

    def _match(self, r: _OrganisationRow) -> int | None:
        by_code = {
            self.orgs.by_code[r.values[c]]
            for c in ("ods_code", "gss_code")
            if r.values.get(c) and r.values[c] in self.orgs.by_code
        }
        if len(by_code) > 1:
            raise ValidationError(
                "The ODS and GSS codes in this row belong to different organisations.",
                field="ods_code",
            )
        match = next(iter(by_code), None)
        if match is None and r.handle:
            match = self.orgs.by_handle.get(r.handle.lower())
        if match is None:
            match = self.orgs.by_name_one(r.name)
        for code in ("ods_code", "gss_code"):
            new = r.values.get(code)
            if not new:
                continue
            owner = self.orgs.by_code.get(new)
            if match is not None and owner is not None and owner != match:
                raise ValidationError(
                    f"{self.orgs.names[owner]} already has the code {new}.", field=code
                )
            held = self.orgs.codes.get(match, {}).get(code) if match is not None else None
            if held and held != new:
                label = "ODS" if code == "ods_code" else "GSS"
                raise ValidationError(
                    f"{self.orgs.names[match or 0]} has the {label} code {held}, "
                    f"not {new}; correct one of them first.",
                    field=code,
                )
        return match

    def _check_handle(self, r: _OrganisationRow, match: int | None) -> None:
        if not r.handle:
            return
        owner = self.orgs.by_handle.get(r.handle.lower())
        if owner is not None and owner != match:
            raise ValidationError(
                f"@{r.handle} is already linked to {self.orgs.names[owner]}; unlink it there "
                "first.",
                field="x_handle",
            )
        person = self.session.execute(
            select(Person.first_name, Person.last_name)
            .join(XAccount, XAccount.id == Person.x_account_id)
            .where(func.lower(XAccount.handle) == r.handle.lower())
        ).first()
        if person is not None:
            raise ValidationError(
                f"@{r.handle} is already linked to {person[0]} {person[1]}; unlink it there first.",
                field="x_handle",
            )

    def _chunk(self, rows: list[_OrganisationRow]) -> list[_OrganisationRow]:
        used: set[tuple[Any, ...]] = set()
        accepted: list[tuple[_OrganisationRow, int | None]] = []
        leftover: list[_OrganisationRow] = []
        for i, r in enumerate(rows):
            keys: set[tuple[Any, ...]] = set(r.keys())
            parent_key = None
            if r.parent:
                parent_key = ("n", _name_key(r.parent))
                # A parent made earlier in this chunk must be written before we look it up.
                if parent_key in used or ("c", r.parent.upper()) in used:
                    leftover = rows[i:]
                    break
            try:
                match = self._match(r)
                self._check_handle(r, match)
                if r.parent:
                    parent_id = self.orgs.by_code.get(r.parent.upper()) or self.orgs.by_name_one(
                        r.parent
                    )
                    if parent_id is None:
                        raise ValidationError(
                            f"The parent organisation {r.parent!r} is not in the CRM; import it "
                            "first or put it earlier in the file.",
                            field="parent",
                        )
                    if parent_id == match:
                        raise ValidationError(
                            "An organisation cannot be its own parent.", field="parent"
                        )
                    r.parent_id = parent_id
            except ValidationError as exc:
                self.tally.refuse(r.row, exc.message, exc.field)
                continue
            if match is not None:
                keys.add(("p", match))
            if not used.isdisjoint(keys):
                leftover = rows[i:]
                break
            used |= keys
            accepted.append((r, match))
        self._write(accepted)
        return leftover

    def _write(self, accepted: list[tuple[_OrganisationRow, int | None]]) -> None:
        if not accepted:
            return
        outcomes: list[tuple[int, str, int, str, Any]] = []
        s = self.session
        now = utcnow()
        matched = [m for _, m in accepted if m is not None]
        current: dict[int, Any] = {}
        tags: dict[int, set[int]] = defaultdict(set)
        if matched:
            columns = [getattr(Organisation, c) for c in _ORG_TEXT]
            for row in s.execute(
                select(
                    Organisation.id, Organisation.parent_id, Organisation.x_account_id, *columns
                ).where(Organisation.id.in_(matched))
            ):
                current[row.id] = row
            for oid, tag_id in s.execute(
                select(organisation_tags.c.organisation_id, organisation_tags.c.tag_id).where(
                    organisation_tags.c.organisation_id.in_(matched)
                )
            ):
                tags[oid].add(tag_id)
        handles = [
            r.handle
            for r, m in accepted
            if r.handle and (m is None or current[m].x_account_id is None)
        ]
        account_ids = _x_accounts_for(s, handles)
        # An account linked to another organisation stays there.
        taken = set(
            s.scalars(
                select(Organisation.x_account_id).where(
                    Organisation.x_account_id.in_(list(account_ids.values()))
                )
            )
        )
        tag_ids = self.tags.ids_for(t for r, _ in accepted for t in r.tags)

        new_rows = [r for r, m in accepted if m is None]
        inserts = []
        for r in new_rows:
            params: dict[str, Any] = dict.fromkeys(_ORG_TEXT)
            params["org_type"] = OrganisationType.OTHER.value
            params["client_status"] = ClientStatus.PROSPECT.value
            params.update(r.values)
            if r.attention:
                params["notes"] = _with_note(params["notes"], r.attention)
            account = account_ids.get(r.handle.lower()) if r.handle else None
            params["x_account_id"] = account if account not in taken else None
            if account is not None:
                taken.add(account)
            params["parent_id"] = r.parent_id
            params.update(created_at=now, updated_at=now, version=1)
            inserts.append(params)
        new_ids = _insert_ids(s, Organisation, inserts)
        tag_rows: list[dict[str, Any]] = []
        audit_new: list[tuple[int, dict[str, Any]]] = []
        audit_updated: list[tuple[int, dict[str, Any]]] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        renamed: list[int] = []
        for r, oid in zip(new_rows, new_ids, strict=True):
            self.orgs.add(oid, r.name, r.values.get("ods_code"), r.values.get("gss_code"), r.handle)
            tag_rows.extend({"organisation_id": oid, "tag_id": tag_ids[t.lower()]} for t in r.tags)
            audit_new.append((oid, {"name": r.name, "import": self.file}))
            outcomes.append((r.row, "create", oid, r.name, ()))
        for r, match in accepted:
            if match is None:
                continue
            cur = current[match]
            again = match in self.touched
            values = r.values
            if r.attention:
                # The file's notes (or the organisation's own) with what was left out, once.
                values = {
                    **values,
                    "notes": _with_note(values.get("notes", cur.notes), r.attention),
                }
            changed: dict[str, Any] = {
                k: v
                for k, v in values.items()
                if v is not None
                and getattr(cur, k) != v
                and not (again and getattr(cur, k) not in _EMPTY)
            }
            if r.parent_id is not None and cur.parent_id != r.parent_id and not again:
                changed["parent_id"] = r.parent_id
            if r.handle and cur.x_account_id is None:
                account = account_ids.get(r.handle.lower())
                if account is not None and account not in taken:
                    changed["x_account_id"] = account
                    taken.add(account)
            new_tags = [t for t in r.tags if tag_ids[t.lower()] not in tags[match]]
            tag_rows.extend(
                {"organisation_id": match, "tag_id": tag_ids[t.lower()]} for t in new_tags
            )
            fields = list(changed) + ["tags"] * bool(new_tags)
            if not fields:
                outcomes.append((r.row, "unchanged", match, r.name, ()))
                continue
            if "name" in changed:
                renamed.append(match)
            self.orgs.add(
                match,
                r.name,
                r.values.get("ods_code"),
                r.values.get("gss_code"),
                r.handle if "x_account_id" in changed else None,
            )
            changed["updated_at"] = now
            changed["_id"] = match
            updates[tuple(sorted(changed))].append(changed)
            audit_updated.append((match, {"import": self.file, "fields": fields}))
            outcomes.append((r.row, "update", match, r.name, fields))
        table = cast(Table, Organisation.__table__)
        for keys, params_list in updates.items():
            s.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values(
                    version=table.c.version + 1,
                    **{k: bindparam(k) for k in keys if k != "_id"},
                ),
                params_list,
            )
        _insert(s, organisation_tags, tag_rows)
        audit_rows = _audit_rows(self.who, "organisation", "create", audit_new)
        audit_rows += _audit_rows(self.who, "organisation", "update", audit_updated)
        _insert_values(s, AuditEntry, _AUDIT_COLUMNS, audit_rows)
        self.touched.update(new_ids)
        self.touched.update(m for _, m in accepted if m is not None)
        for outcome in sorted(outcomes):
            self.tally.outcome(*outcome)
        self.tally.needs_attention(i for r, _ in accepted for i in r.issues)
        if renamed:
            # People's search documents carry their organisation's name.
            refresh_people(
                s,
                s.scalars(
                    select(Employment.person_id).where(Employment.organisation_id.in_(renamed))
                ),
            )
