"""Value objects and normalisers: X handles, emails, phone numbers, day rates, dates."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlparse

from crm.domain.errors import ValidationError

E = TypeVar("E", bound=Enum)

# Ids are 64-bit signed integers in both databases; a bigger number is no record's id.
MAX_RECORD_ID = 2**63 - 1


def as_record_id(text: str) -> int | None:
    """The id ``text`` names if it is a whole number (ASCII digits), else None. A number too
    big for the database is 0, which no record has: looked up, it is simply not found."""
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 19 and int(text) <= MAX_RECORD_ID else 0


X_HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")  # the one X handle pattern
_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"}


@dataclass(frozen=True)
class XHandle:
    """An X username without the ``@``; compares case-insensitively like X does."""

    value: str

    @classmethod
    def parse(cls, text: str) -> XHandle:
        """Accept ``name``, ``@name``, ``x.com/name`` or ``twitter.com/name`` (with or without
        scheme, ``www.`` and a trailing path or query)."""
        raw = (text or "").strip()
        if not raw:
            raise ValidationError("An X handle cannot be empty.", field="x_handle")
        candidate = raw
        lowered = raw.lower()
        if "/" in raw or lowered.startswith(("x.com", "twitter.com", "www.")):
            url = raw if "://" in raw else "https://" + raw
            try:
                parsed = urlparse(url)
                host = (parsed.hostname or "").lower().removeprefix("www.")
            except ValueError:  # "https://x.com[/abc": an unbalanced IPv6 bracket
                raise ValidationError(
                    f"{raw!r} is not an X profile address (expected x.com/name).",
                    field="x_handle",
                ) from None
            if host not in _X_HOSTS:
                raise ValidationError(
                    f"{raw!r} is not an X profile address (expected x.com/name or twitter.com/name).",
                    field="x_handle",
                )
            parts = [p for p in parsed.path.split("/") if p]
            if not parts:
                raise ValidationError(f"{raw!r} has no handle in it.", field="x_handle")
            candidate = parts[0]
        candidate = candidate.removeprefix("@")
        if not X_HANDLE_RE.match(candidate):
            raise ValidationError(
                f"{raw!r} is not a valid X handle: use 1 to 15 letters, digits or underscores.",
                field="x_handle",
            )
        return cls(candidate)

    def __str__(self) -> str:
        return "@" + self.value

    @property
    def key(self) -> str:
        return self.value.lower()


def normalise_email(text: str) -> str:
    """A syntactically valid email address, normalised; no DNS lookups."""
    raw = (text or "").strip()
    match = _EMAIL_FAST.match(raw)
    if match and len(raw) <= 254:
        at = match.start(1) - 1
        if at <= 64 and _plain_domain(match.group(1)):
            return raw[: at + 1] + match.group(1).lower()
    return validated_email(raw)


def validated_email(text: str) -> str:
    """:func:`normalise_email` by email-validator alone, without the quick path."""
    # Imported when first needed, as is phonenumbers: together they are ~40 ms of start-up.
    from email_validator import EmailNotValidError, validate_email

    raw = (text or "").strip()
    if not raw:
        raise ValidationError("An email address cannot be empty.", field="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            f"{raw!r} is not a valid email address: {exc}", field="email"
        ) from None
    return str(result.normalized)


# Quick paths for the addresses and numbers nearly every record has. Each accepts only what
# the full validators (email-validator, phonenumbers) would accept, returning the same
# normalised text, and hands anything unusual to them: a 100,000-row import would otherwise
# spend most of its time inside those libraries. tests/domain/test_values.py checks they agree.
_EMAIL_FAST = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> bool:
    """A domain the quick path may take: no ``--`` and not special-use (cached: few domains
    recur across a file's addresses)."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    domain = domain.lower()
    special = domain in SPECIAL_USE_DOMAIN_NAMES or any(
        domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES
    )
    return "--" not in domain and not special


@functools.cache
def _gb_patterns() -> tuple[re.Pattern[str], list[tuple[re.Pattern[str], set[int]]]]:
    """The UK numbering plan's general pattern, and the mobile and fixed-line patterns with
    their possible lengths, from phonenumbers' metadata."""
    import phonenumbers

    gb: Any = phonenumbers.PhoneMetadata.metadata_for_region("GB")
    general = re.compile(str(gb.general_desc.national_number_pattern))
    types = [
        (re.compile(str(desc.national_number_pattern)), set(desc.possible_length))
        for desc in (gb.mobile, gb.fixed_line)
    ]
    return general, types


def _fast_gb(raw: str) -> str | None:
    """An ordinary, valid UK number in E.164 by pattern alone, or None to ask phonenumbers."""
    compact = raw.replace(" ", "").replace("-", "")
    national = None
    if compact.startswith("+44"):
        national = compact[3:]
    elif compact.startswith("0") and not compact.startswith("00"):
        national = compact[1:]
    if not national or not national.isdigit() or national.startswith("0"):
        return None
    general, types = _gb_patterns()
    if general.fullmatch(national):
        for pattern, lengths in types:
            if len(national) in lengths and pattern.fullmatch(national):
                return "+44" + national
    return None


def normalise_phone(text: str, region: str = "GB") -> str:
    """A phone number in E.164 form (``+447700900123``); UK numbers may omit the +44.

    Any number of a possible length for its country is accepted: numbering plans change
    faster than the library's allocation data, and drama or test ranges ("07700 900123") are
    still numbers someone wrote down. :func:`phone_doubt` says which ones to flag.
    """
    return read_phone(text, region)[0]


def read_phone(text: str, region: str = "GB") -> tuple[str, bool]:
    """``(E.164, allocated)``: :func:`normalise_phone` and whether the number is in a range
    allocated to phones, from one parse (bulk imports need both)."""
    raw = (text or "").strip()
    if region == "GB":
        number = _fast_gb(raw)
        if number is not None:  # valid by pattern: allocated
            return number, True
    return parsed_phone(raw, region)


def parsed_phone(text: str, region: str = "GB") -> tuple[str, bool]:
    """:func:`read_phone` by phonenumbers alone, without the quick path."""
    import phonenumbers

    raw = (text or "").strip()
    if not raw:
        raise ValidationError("A phone number cannot be empty.", field="phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw!r} is not a phone number.", field="phone") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    # A local-only number (no area code) has no E.164 form anyone could dial.
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError(
            f"{raw!r} is not a phone number (wrong number of digits for its country).",
            field="phone",
        )
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return e164, bool(phonenumbers.is_valid_number(number))


def phone_doubt(e164: str) -> str | None:
    """Why a stored number may not reach anyone (not in an allocated range), or None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return f"{e164} is not a phone number."
    if phonenumbers.is_valid_number(number):
        return None
    return unallocated(e164)


def unallocated(e164: str) -> str:
    """What to say of a number outside the allocated ranges."""
    return f"{format_phone(e164)} is not in a range allocated to phones; check it."


def format_phone(e164: str) -> str:
    """A stored E.164 number in the national format for UK numbers, international otherwise."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, fmt))


def parse_day_rate(value: str | Decimal | int | float, field: str = "day_rate") -> Decimal:
    """A positive amount with at most two decimal places (``£650``, ``650.00``, ``1,200``)."""
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip().replace(",", "").lstrip("£$€").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not an amount of money.", field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError("A day rate must be a positive amount.", field=field)
    # The upper bound first: quantizing 1e309 to pennies overflows Decimal's precision.
    if amount >= Decimal("100000"):
        raise ValidationError("A day rate must be under 100,000.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("A day rate has at most two decimal places.", field=field)
    return amount.quantize(Decimal("0.01"))


def check_date_range(start: date | None, end: date | None, what: str = "placement") -> None:
    """Refuse an end before the start."""
    if start is not None and end is not None and end < start:
        raise ValidationError(
            f"A {what} cannot end ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y}).",
            field="end_date",
        )


def member_of(enum: type[E], value: str, field: str, what: str) -> E:
    """``enum``'s member with exactly this value; otherwise a ValidationError that names the
    values allowed (``what`` names the thing: "a stage")."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise ValidationError(f"{value!r} is not {what} ({allowed}).", field=field) from None


def parse_choice(value: Any, enum: Any, field: str, what: str) -> str | None:
    """The stored value of one of ``enum``'s members, from its value or the label a person
    sees ("NHS trust"); None when empty. ``what`` names it in the error ("a sector")."""
    if value in (None, ""):
        return None
    try:
        return str(enum(value).value)
    except ValueError:
        pass
    for member in enum:
        if fold(str(getattr(member, "label", member.value))) == fold(str(value)):
            return str(member.value)
    allowed = ", ".join(m.value for m in enum)
    raise ValidationError(f"{value!r} is not {what} (one of: {allowed}).", field=field)


def require_text(value: str | None, label: str, field: str, max_length: int = 200) -> str:
    """Non-empty stripped text no longer than ``max_length``."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{label} is required.", field=field)
    return limit_text(text, label, field, max_length)


def limit_text(value: str | None, label: str, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(
            f"{label} is too long (at most {max_length} characters).", field=field
        )
    return check_storable(text, label, field)


def check_storable(text: str, label: str, field: str | None = None) -> str:
    """``text`` unchanged if a database can store it, else a clear refusal.

    PostgreSQL refuses a NUL character in text and SQLite would keep it silently, so both
    are refused here, the same way; a lone surrogate (an undecodable byte that slipped in
    from a file name or a pipe) cannot be written as UTF-8 at all."""
    if "\x00" in text:
        raise ValidationError(f"{label} contains a NUL character (\\x00).", field=field)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                f"{label} contains bytes that are not valid text (UTF-8).", field=field
            ) from None
    return text


def unique_ignoring_case(items: list[str]) -> list[str]:
    """``items`` without repeats that differ only in case, the first of each kept, in order."""
    if len(items) < 2:
        return items
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def json_ready(value: Any, other: Callable[[Any], Any] | None = None) -> Any:
    """``value`` as JSON can write it: dates as ISO text (aware datetimes in UTC), Decimals as
    text, tuples and sets as lists, keys as text; ``other`` (if given) turns anything else."""
    if isinstance(value, dict):
        return {str(k): json_ready(v, other) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_ready(v, other) for v in value]
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value if other is None else other(value)


def fold(text: str) -> str:
    """Lower-case, accent-free, apostrophe-free text for search: ``St George's`` -> ``st georges``."""
    if text.isascii():
        # Nothing to decompose: the common case, and hot in bulk imports and search documents.
        return text.replace("'", "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("'", "").replace("\u2019", "").replace("\u2018", "")
    return stripped.casefold()


_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def search_words(text: str) -> list[str]:
    """The plain words of user search text: folded, with every operator character dropped."""
    return _WORD_RE.findall(fold(text or ""))
