"""A person may have a single name; a person with no name at all is refused."""

from __future__ import annotations

import pytest

from crm.domain.errors import ValidationError
from crm.services.people import (
    PersonInput,
    add_person,
    get_person,
    resolve_person,
    search_people,
    update_person,
)
from crm.storage.db import Database


def test_a_person_with_one_name(any_db: Database) -> None:
    pid = add_person(any_db, PersonInput("최유림", ""))
    detail = get_person(any_db, pid)
    assert (detail.first_name, detail.last_name, detail.name) == ("최유림", "", "최유림")
    assert resolve_person(any_db, "최유림") == pid
    assert [p.id for p in search_people(any_db, "최유림")] == [pid]
    surname_only = add_person(any_db, PersonInput("", "Madonna"))
    assert get_person(any_db, surname_only).name == "Madonna"


def test_a_person_needs_some_name(any_db: Database) -> None:
    with pytest.raises(ValidationError, match="First name or last name is required"):
        add_person(any_db, PersonInput("  ", ""))
    pid = add_person(any_db, PersonInput("Jo", "Bloggs"))
    update_person(any_db, pid, {"last_name": ""}, None)
    assert get_person(any_db, pid).name == "Jo"
    with pytest.raises(ValidationError, match="First name or last name is required"):
        update_person(any_db, pid, {"first_name": ""}, None)
    assert get_person(any_db, pid).first_name == "Jo"


def test_erasing_a_person_with_one_name_redacts_it(any_db: Database) -> None:
    from crm.services.gdpr import ERASED, erase_person

    pid = add_person(any_db, PersonInput("최유림", ""))
    other = add_person(any_db, PersonInput("Sam", "Patel", notes="Introduced by 최유림 in May."))
    erase_person(any_db, pid)
    assert get_person(any_db, other).notes == f"Introduced by {ERASED} in May."


def test_erasure_keeps_redacted_text_within_its_column(any_db: Database) -> None:
    from crm.services.gdpr import erase_person
    from crm.services.interactions import InteractionInput, get_interaction, log_interaction

    pid = add_person(any_db, PersonInput("Yu", ""))
    other = add_person(any_db, PersonInput("Sam", "Patel"))
    summary = " ".join(["Yu"] * 166)  # 497 characters; each "Yu" becomes "[erased]"
    iid = log_interaction(any_db, InteractionInput([other], summary, kind="note"))
    erase_person(any_db, pid)
    redacted = get_interaction(any_db, iid).summary
    assert len(redacted) == 500 and redacted.startswith("[erased] [erased]")
