"""Real contact files from elsewhere: one bad field never costs a record, names as written,
mapping guesses checked against the values (tests/fixtures/files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.services.importing import ImportOptions, import_file, preview_import
from crm.services.people import get_person, resolve_person
from crm.storage.db import Database
from crm.storage.models import Organisation, Person, XAccount

FILES = Path(__file__).parent.parent / "fixtures" / "files"


def copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(FILES / name, tmp_path / name))


def test_a_card_with_only_a_korean_full_name_imports(any_db: Database, tmp_path: Path) -> None:
    report = import_file(any_db, copy("korean-fn-only.vcf", tmp_path), "people")
    assert (report.created, report.refused) == (1, 0), report.refusals
    person = get_person(any_db, resolve_person(any_db, "yurim.choi@example.kr"))
    # A single name, shown as written (not reordered into "given family").
    assert (person.first_name, person.last_name, person.name) == ("최유림", "", "최유림")
    assert person.phones == ["+821023456789"]
    assert resolve_person(any_db, "최유림") == person.id


def test_other_projects_vcards_keep_every_valid_field(any_db: Database, tmp_path: Path) -> None:
    path = copy("other-projects.vcf", tmp_path)
    dry = import_file(any_db, path, "people", options=ImportOptions(dry_run=True))
    # The dry run reports per field what would be left out or doubted; nothing is refused.
    assert (dry.created, dry.refused) == (3, 0), dry.refusals
    issues = {(i.row, i.field, i.value): i for i in dry.needs_attention}
    assert set(issues) == {
        (1, "phone", "+1-555-555-1212"),
        (2, "phone", "0161 99999999"),
        (2, "phone", "07911 444555"),
        (3, "phone", "+44-7700-900123"),
        (3, "x_handle", "https://x.com/this_handle_is_far_too_long"),
    }
    assert issues[2, "phone", "07911 444555"].kept
    assert not issues[2, "phone", "0161 99999999"].kept
    assert "not a phone number" in issues[2, "phone", "0161 99999999"].reason
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0

    report = import_file(any_db, path, "people")
    assert report.needs_attention == dry.needs_attention
    doe = get_person(any_db, resolve_person(any_db, "johnDoe@example.org"))
    assert (doe.first_name, doe.last_name) == ("John", "Doe")
    assert doe.phones[0] == "+15555551212"  # fictional, kept (and flagged)

    smith = get_person(any_db, resolve_person(any_db, "jane.smith@calderford.nhs.uk"))
    # Title and post-nominals are not the surname; the name as written stays in the notes.
    assert (smith.first_name, smith.last_name) == ("Jane", "Smith")
    assert smith.job_title == "Medical Director"
    assert smith.phones == ["+447911444555"]
    assert smith.notes is not None
    assert "Name as written: Dr Jane Smith OBE" in smith.notes
    assert "Needs attention" in smith.notes and "'0161 99999999'" in smith.notes

    sarah = get_person(any_db, resolve_person(any_db, "sarah.vandermerwe@example.org"))
    assert (sarah.first_name, sarah.last_name) == ("Sarah", "van der Merwe")
    assert sarah.phones == ["+447700900123"] and sarah.x_account is None
    assert sarah.notes is not None and "this_handle_is_far_too_long" in sarah.notes

    # Importing again changes nothing: the notes are not written twice.
    again = import_file(any_db, path, "people")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert get_person(any_db, smith.id).notes == smith.notes


def test_an_x_column_of_map_coordinates_is_not_x_handles(tmp_path: Path) -> None:
    preview = preview_import(copy("mysociety-councils.csv", tmp_path), "organisations")
    assert preview.mapping["name"] == preview.header.index("official-name")
    assert preview.mapping["gss_code"] == preview.header.index("gss-code")
    assert "x_handle" not in preview.mapping


def test_mysociety_council_list_imports_every_council(any_db: Database, tmp_path: Path) -> None:
    report = import_file(any_db, copy("mysociety-councils.csv", tmp_path), "organisations")
    assert (report.created, report.refused) == (10, 0), report.refusals
    with any_db.read() as s:
        assert s.scalars(select(XAccount)).all() == []
        barnsley = s.scalars(select(Organisation).where(Organisation.gss_code == "E08000016")).one()
        assert barnsley.name == "Barnsley Metropolitan Borough Council"
        assert barnsley.region == "Yorkshire and The Humber"


@pytest.mark.parametrize(
    ("value", "fits"),
    [("394235", False), ("-2.2042", False), ("NHSEngland", True), ("@BarnsleyCouncil", True)],
)
def test_handle_values_are_checked(value: str, fits: bool) -> None:
    from crm.services.importing.mapping import looks_like

    assert looks_like("x_handle", value) is fits


def test_a_type_column_of_other_things_is_not_the_kind_of_person(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "Name,Type,Email\r\nJo Bloggs,Unitary authority,jo@example.org\r\n"
        "Sam Patel,Metropolitan district,sam@example.org\r\n",
        encoding="utf-8",
    )
    assert "kind" not in preview_import(path, "people").mapping
    path.write_text(
        "Name,Type,Email\r\nJo Bloggs,Client,jo@example.org\r\nSam Patel,Both,sam@example.org\r\n",
        encoding="utf-8",
    )
    assert preview_import(path, "people").mapping["kind"] == 1
