"""vCard 2.1/3.0/4.0 files: contacts in as import rows, people and organisations out (vobject).

Reading turns each card into the same ``{field: text}`` row a mapped CSV file gives, so
vCards go through the import's cleaning, matching and bulk writing unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, TextIO

import vobject
from vobject.base import VObjectError

from crm.domain.errors import ValidationError

log = logging.getLogger(__name__)

_X_HOSTS = ("twitter.com/", "x.com/")


def _values(card: Any, name: str) -> list[Any]:
    return [line.value for line in card.contents.get(name, [])]


def _first(card: Any, name: str) -> str:
    for value in _values(card, name):
        text = _text(value)
        if text:
            return text
    return ""


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _name_parts(value: Any) -> tuple[str, str]:
    """(given, family) from an N value, parsed or raw ``family;given;...`` text."""
    if isinstance(value, str):
        parts = value.split(";")
        family = parts[0] if parts else ""
        given = parts[1] if len(parts) > 1 else ""
        return given.strip(), family.strip()
    return _text(getattr(value, "given", "")), _text(getattr(value, "family", ""))


def _phone(value: str) -> str:
    text = value.strip()
    return text[4:] if text.lower().startswith("tel:") else text


def _handle_from(card: Any) -> str:
    for name in ("x-twitter", "x-socialprofile", "x-social-profile", "url", "impp"):
        for line in card.contents.get(name, []):
            text = _text(line.value)
            types = " ".join(line.params.get("TYPE", [])).lower()
            lowered = text.lower()
            if name == "x-twitter" or any(h in lowered for h in _X_HOSTS):
                return text
            if "twitter" in types and text:
                return text
    return ""


def _card_row(card: Any, kind: str) -> dict[str, str]:
    card_kind = _first(card, "kind").lower()
    org = _values(card, "org")
    org_name = ""
    if org:
        first = org[0]
        org_name = (first[0] if isinstance(first, list) and first else _text(first)).strip()
    urls = [_text(v) for v in _values(card, "url")]
    notes = "\n".join(_text(v) for v in _values(card, "note") if _text(v))
    tags: list[str] = []
    for value in _values(card, "categories"):
        tags.extend(value if isinstance(value, list) else str(value).split(","))
    row: dict[str, str] = {}
    if notes:
        row["notes"] = notes
    if tags:
        row["tags"] = "; ".join(t.strip() for t in tags if t.strip())
    handle = _handle_from(card)
    if handle:
        row["x_handle"] = handle
    if kind == "organisations":
        row["name"] = org_name or _first(card, "fn")
        website = next((u for u in urls if not any(h in u.lower() for h in _X_HOSTS)), "")
        if website:
            row["website"] = website
        return row
    if card_kind in ("org", "organization", "group"):
        raise ValidationError(
            "This card is an organisation, not a person; import it as an organisation.",
            field="kind",
        )
    given, family = "", ""
    names = _values(card, "n")
    if names:
        given, family = _name_parts(names[0])
    if given:
        row["first_name"] = given
    if family:
        row["last_name"] = family
    full = _first(card, "fn")
    if full and not (given and family):
        row["full_name"] = full
    for field, prop in (("preferred_name", "nickname"), ("job_title", "title")):
        text = _first(card, prop)
        if text:
            row[field] = text
    if org_name:
        row["organisation"] = org_name
    emails = [_text(v) for v in _values(card, "email") if _text(v)]
    if emails:
        row["email"] = "; ".join(emails)
    phones = [_phone(_text(v)) for v in _values(card, "tel") if _text(v)]
    if phones:
        row["phone"] = "; ".join(phones)
    linkedin = next((u for u in urls if "linkedin.com/" in u.lower()), "")
    if linkedin:
        row["linkedin_url"] = linkedin
    for value in _values(card, "adr"):
        city = _text(getattr(value, "city", "")) if not isinstance(value, str) else ""
        if city:
            row["location"] = city
            break
    return row


def read_cards(stream: TextIO, kind: str, file_name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each card of ``stream`` as ``(card number, {field: text})``; unreadable files raise."""
    number = 0
    try:
        for card in vobject.readComponents(stream, allowQP=True, ignoreUnreadable=True):
            if card.name.upper() != "VCARD":
                continue
            number += 1
            try:
                row = _card_row(card, kind)
            except ValidationError as exc:
                # Hand the refusal through as a row the import will refuse with this reason.
                row = {"__refuse__": exc.message}
            if any("\x00" in value for value in row.values()):
                # PostgreSQL cannot store it and SQLite must not keep what PostgreSQL refuses.
                row = {"__refuse__": "This card contains a NUL character (\\x00)."}
            yield number, row
    except UnicodeDecodeError as exc:  # binary content, or text in another encoding
        raise ValidationError(
            f"{file_name} is not {getattr(stream, 'encoding', exc.encoding)} text in card "
            f"{number + 1}; if it is a vCard, "
            "choose its encoding (for example utf-8 or cp1252).",
            field="file",
        ) from None
    except (VObjectError, ValueError, LookupError) as exc:
        # Bad base64 (binascii.Error is a ValueError), bad quoted-printable, an unknown
        # CHARSET: vobject stops at the card it cannot decode, so the file is refused whole.
        raise ValidationError(
            f"{file_name} is not a readable vCard file: card {number + 1} cannot be decoded: "
            f"{str(exc)[:200] or type(exc).__name__}",
            field="file",
        ) from None
    if number == 0:
        raise ValidationError(f"{file_name} holds no vCards.", field="file")


# -- writing -----------------------------------------------------------------------------------
def person_card(person: dict[str, Any], version: str = "3.0") -> str:
    """One vCard for a person given as the export's plain dictionary."""
    card = vobject.vCard()
    card.add("version").value = version
    if version.startswith("4"):
        card.add("kind").value = "individual"
    card.add("n").value = vobject.vcard.Name(family=person["last_name"], given=person["first_name"])
    card.add("fn").value = person["name"]
    if person.get("preferred_name"):
        card.add("nickname").value = person["preferred_name"]
    if person.get("organisation"):
        card.add("org").value = [person["organisation"]]
    if person.get("job_title"):
        card.add("title").value = person["job_title"]
    for i, email in enumerate(person.get("emails") or []):
        line = card.add("email")
        line.value = email
        line.type_param = "INTERNET" if i else "INTERNET,PREF"
    for phone in person.get("phones") or []:
        line = card.add("tel")
        line.value = phone
        line.type_param = "VOICE"
    if person.get("linkedin_url"):
        card.add("url").value = person["linkedin_url"]
    if person.get("x_handle"):
        line = card.add("x-socialprofile")
        line.value = "https://x.com/" + person["x_handle"]
        line.type_param = "twitter"
    if person.get("bluesky_handle"):
        line = card.add("x-socialprofile")
        line.value = "https://bsky.app/profile/" + person["bluesky_handle"]
        line.type_param = "bluesky"
    if person.get("location"):
        adr = card.add("adr")
        adr.value = vobject.vcard.Address(city=person["location"])
    if person.get("tags"):
        card.add("categories").value = list(person["tags"])
    if person.get("notes"):
        card.add("note").value = person["notes"]
    return str(card.serialize())


def organisation_card(org: dict[str, Any], version: str = "3.0") -> str:
    """One vCard for an organisation (``KIND:org`` in vCard 4)."""
    card = vobject.vCard()
    card.add("version").value = version
    if version.startswith("4"):
        card.add("kind").value = "org"
    else:
        # vCard 3 has no KIND; Apple's X-ABShowAs tells address books it is a company.
        card.add("x-abshowas").value = "COMPANY"
    card.add("n").value = vobject.vcard.Name(family=org["name"])
    card.add("fn").value = org["name"]
    card.add("org").value = [org["name"]]
    if org.get("website"):
        card.add("url").value = org["website"]
    if org.get("x_handle"):
        line = card.add("x-socialprofile")
        line.value = "https://x.com/" + org["x_handle"]
        line.type_param = "twitter"
    if org.get("bluesky_handle"):
        line = card.add("x-socialprofile")
        line.value = "https://bsky.app/profile/" + org["bluesky_handle"]
        line.type_param = "bluesky"
    if org.get("tags"):
        card.add("categories").value = list(org["tags"])
    if org.get("notes"):
        card.add("note").value = org["notes"]
    return str(card.serialize())
