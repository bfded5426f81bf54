"""One row of a file, cleaned: the cells of a person or an organisation as field values.

Only a missing name refuses a row; any other value that is not valid is left out, listed in
the report and kept in the record's notes (see :class:`Issues`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm.domain.dates import parse_date
from crm.domain.enums import (
    ClientStatus,
    OrganisationType,
)
from crm.domain.errors import ValidationError
from crm.domain.names import PersonName, split_full_name
from crm.domain.values import (
    XHandle,
    fold,
    limit_text,
    normalise_email,
    read_phone,
    search_words,
    unallocated,
    unique_ignoring_case,
)
from crm.services.importing.report import FieldIssue
from crm.services.organisations import FIELDS as ORGANISATION_FIELDS
from crm.services.organisations import clean_field as clean_organisation_field
from crm.services.people import TEXT_FIELDS, sort_name
from crm.services.people import clean_field as clean_person_field
from crm.storage.limits import check_lengths

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


def _tag_names(value: str) -> list[str]:
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
def name_key(name: str) -> str:
    # Cached: a people file names the same few thousand organisations on every row.
    return " ".join(search_words(name))


def code_kind(code: str) -> str:
    return "gss_code" if _GSS_RE.match(code.upper()) else "ods_code"


@dataclass(slots=True)
class PersonRow:
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


# A person's free-text fields, each cleaned as an edit would clean it.
_PERSON_TEXT = tuple(TEXT_FIELDS)


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


class Issues:
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


def with_note(notes: str | None, attention: str | None) -> str | None:
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


def parse_person(row: int, raw: Mapping[str, str], file: str = "") -> PersonRow:
    """One row, cleaned. Only a missing name refuses it: any other value that is not valid
    is left out and noted (see :class:`Issues`)."""
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
    issues = Issues(row)
    if parsed is not None:
        if parsed.nickname and "preferred_name" not in v:
            v["preferred_name"] = parsed.nickname
        if parsed.has_extras:
            # Titles and post-nominals have no field of their own: keep the name as written.
            written = " ".join(v["full_name"].split())
            v["notes"] = with_note(v.get("notes"), f"Name as written: {written}") or ""
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
                    emails.append(normalise_email(part))
                except ValidationError as exc:
                    issues.left_out(name, part, exc)
    phones: list[str] = []
    for name in ("phone", "mobile", "phone_2"):
        if name in v:
            for part in _split(_PHONE_SPLIT, _PHONE_MARKS, v[name]):
                try:
                    number, allocated = read_phone(part)
                except ValidationError as exc:
                    issues.left_out(name, part, exc)
                    continue
                if not allocated:
                    issues.doubt(name, part, unallocated(number))
                phones.append(number)
    handle = _handle(v, issues)
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
    tags = _row_tags(v, issues)
    _leave_out_too_long("person", values, v, issues)
    return PersonRow(
        row=row,
        values=values,
        emails=unique_ignoring_case(emails),
        phones=unique_ignoring_case(phones),
        handle=handle,
        tags=tags,
        organisation=organisation,
        organisation_code=code,
        sort_name=sort_name(values["first_name"], values["last_name"]),
        issues=issues.found,
        attention=issues.note(file),
    )


def _handle(v: Mapping[str, str], issues: Issues) -> str | None:
    """The row's X handle, or None (left out if it is not one)."""
    if "x_handle" not in v:
        return None
    try:
        return XHandle.parse(v["x_handle"]).value
    except ValidationError as exc:
        issues.left_out("x_handle", v["x_handle"], exc)
        return None


def _row_tags(v: Mapping[str, str], issues: Issues) -> list[str]:
    """The row's tags (none, and left out, if the cell does not hold a list of them)."""
    if "tags" not in v:
        return []
    try:
        return _tag_names(v["tags"])
    except ValidationError as exc:
        issues.left_out("tags", v["tags"], exc)
        return []


def _leave_out_too_long(
    table: str, values: dict[str, Any], cells: Mapping[str, str], issues: Issues
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


# -- organisations ------------------------------------------------------------------------------
# The organisation fields an import fills from its cells, each cleaned as an edit would clean it.
ORG_TEXT = tuple(f for f in ORGANISATION_FIELDS if f != "parent_id")


@dataclass(slots=True)
class OrganisationRow:
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
        keys = {("n", name_key(self.name))}
        for code in ("ods_code", "gss_code"):
            if self.values.get(code):
                keys.add(("c", self.values[code]))
        if self.handle:
            keys.add(("h", self.handle.lower()))
        return keys


def parse_organisation(row: int, raw: Mapping[str, str], file: str = "") -> OrganisationRow:
    """One row, cleaned. Only a missing or unusable name refuses it: any other value that is
    not valid is left out and noted (see :class:`Issues`)."""
    if "__refuse__" in raw:
        raise ValidationError(raw["__refuse__"])
    v = _cells(raw)
    if "name" not in v:
        raise ValidationError("There is no organisation name in this row.", field="name")
    if "code" in v:
        code = v.pop("code").upper()
        v.setdefault(code_kind(code), code)
    issues = Issues(row)
    values: dict[str, Any] = {"name": clean_organisation_field("name", v["name"])}
    for name in ORG_TEXT[1:]:
        if name in v:
            value = v[name]
            if name in ("sector", "org_type", "client_status"):
                value = _org_choice(name, value)
            try:
                values[name] = clean_organisation_field(name, value)
            except ValidationError as exc:
                issues.left_out(name, v[name], exc)
    handle = _handle(v, issues)
    parent = None
    if "parent" in v:
        try:
            parent = limit_text(v["parent"], "Parent organisation", "parent", 200) or None
        except ValidationError as exc:
            issues.left_out("parent", v["parent"], exc)
    tags = _row_tags(v, issues)
    _leave_out_too_long("organisation", values, v, issues)
    return OrganisationRow(
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
