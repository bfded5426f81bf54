"""Which column of a file holds which field: the fields an import can fill, and the guess.

:func:`guess_mapping` reads a file's header (and a sample of its rows) and says which column
holds which field, for Outlook, Google Contacts, LinkedIn "Connections" and plain lists of
organisations; :func:`resolve_mapping` reads a user's corrections.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from crm.domain.dates import parse_date
from crm.domain.errors import ValidationError
from crm.domain.values import (
    XHandle,
    fold,
    parse_day_rate,
)

PEOPLE = "people"
ORGANISATIONS = "organisations"
KINDS = (PEOPLE, ORGANISATIONS)


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


FIELD_LABELS = {f.name: f.label for f in (*ORGANISATION_FIELDS, *PERSON_FIELDS)}


def fields_for(kind: str) -> tuple[ImportField, ...]:
    return PERSON_FIELDS if check_kind(kind) == PEOPLE else ORGANISATION_FIELDS


def check_kind(kind: str) -> str:
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
SAMPLE_ROWS = 20


def is_known_header(kind: str) -> Callable[[str], bool]:
    known = {a for f in fields_for(kind) for a in f.aliases}
    return lambda cell: header_key(cell) in known


def guess_source(kind: str, header: Sequence[str]) -> str:
    """What produced the file, as far as its header tells: for the wizard's first page."""
    keys = {header_key(h) for h in header}
    if check_kind(kind) == ORGANISATIONS:
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
