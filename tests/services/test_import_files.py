"""Importing the files people have: encodings, delimiters, LinkedIn, Google and Outlook
exports, headerless files, full-name columns and vCards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crm.domain.errors import ValidationError
from crm.services import csvfiles
from crm.services.importing import (
    guess_mapping,
    import_file,
    preview_import,
    resolve_mapping,
)
from crm.storage.db import Database
from crm.storage.models import (
    Organisation,
)
from tests.fixtures import contacts
from tests.services.importing_helpers import people_csv, person_named

# -- reading the files people have --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_each_encoding_keeps_accents(db: Database, tmp_path: Path, encoding: str) -> None:
    path = contacts.outlook(tmp_path / f"outlook-{encoding}.csv", encoding=encoding)
    preview = preview_import(path, "people")
    assert preview.format is not None
    assert preview.source == "Outlook"
    report = import_file(db, path, "people")
    assert (report.created, report.refused) == (2, 0), report.refusals
    amelie = person_named(db, "Amélie", "Laurent")
    assert amelie.job_title == "Chief Executive"
    assert amelie.emails == ["amelie.laurent@example.org", "amelie@example.net"]
    assert amelie.phones == ["+441274228300", "+447812345678"]
    assert amelie.location == "Saltaire"
    assert amelie.tags == ["Board", "NHS"]
    assert amelie.notes is not None and "interim CFO from April — call back" in amelie.notes
    assert "\n" in amelie.notes  # the quoted newline survived
    assert amelie.employments[0].organisation == "Bradford District Care NHS Foundation Trust"
    sean = person_named(db, "Seán", "O'Connor")
    assert sean.job_title == "Strategic Director, Growth & Development"


def test_encodings_are_detected(tmp_path: Path) -> None:
    text_ = "Name,Note\r\nZoë Renée,café — naïve\r\n"
    for encoding, expected in [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("cp1252", "cp1252"),
    ]:
        path = contacts.write(tmp_path / f"{encoding}.csv", text_, encoding)
        assert csvfiles.detect_format(path).encoding == expected


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter(db: Database, tmp_path: Path, delimiter: str) -> None:
    path = contacts.outlook(tmp_path / "outlook.csv", encoding="utf-8", delimiter=delimiter)
    fmt = csvfiles.detect_format(path)
    assert fmt.delimiter == delimiter
    report = import_file(db, path, "people")
    assert report.created == 2
    assert person_named(db, "Seán", "O'Connor").phones == ["+441612345000", "+447911123456"]


def test_semicolon_file_with_commas_inside_fields(tmp_path: Path) -> None:
    # Excel in much of Europe saves with semicolons; commas inside names must not fool us.
    rows = [["Smith, Jones & Co", "Leeds, West Yorkshire", "x"]] * 5
    path = contacts.write(
        tmp_path / "semi.csv", contacts.csv_text(["Name", "Region", "Notes"], rows, ";")
    )
    assert csvfiles.detect_format(path).delimiter == ";"


def test_linkedin_connections_skip_the_notes(db: Database, tmp_path: Path) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    preview = preview_import(path, "people")
    assert preview.source == "LinkedIn connections"
    assert preview.format is not None and preview.format.skip_records == 3
    assert preview.header == contacts.LINKEDIN_HEADER
    assert preview.mapping == {
        "first_name": 0,
        "last_name": 1,
        "linkedin_url": 2,
        "email": 3,
        "organisation": 4,
        "job_title": 5,
    }
    assert preview.rows[0][0] == "Siobhán"
    report = import_file(db, path, "people")
    assert (report.created, report.refused) == (3, 0)
    # Row numbers count the notes, as a spreadsheet shows them: the header is row 4.
    assert [o.row for o in report.outcomes] == [5, 6, 7]
    assert sorted(report.organisations_created) == [
        "Leeds City Council",
        "Leeds Teaching Hospitals NHS Trust",
        "St George's University Hospitals NHS Foundation Trust",
    ]
    zoe = person_named(db, "Zoë", "Renée-Smith")
    assert zoe.emails == []
    assert zoe.linkedin_url == "https://www.linkedin.com/in/zoe-renee-smith"


def test_google_contacts(db: Database, tmp_path: Path) -> None:
    path = contacts.google(tmp_path / "contacts.csv")
    preview = preview_import(path, "people")
    assert preview.source == "Google Contacts"
    header = contacts.GOOGLE_HEADER
    assert preview.mapping["email"] == header.index("E-mail 1 - Value")
    assert preview.mapping["email_2"] == header.index("E-mail 2 - Value")
    assert preview.mapping["organisation"] == header.index("Organization Name")
    assert preview.mapping["job_title"] == header.index("Organization Title")
    assert preview.mapping["tags"] == header.index("Labels")
    report = import_file(db, path, "people")
    assert report.created == 1
    priya = person_named(db, "Priya", "Raman")
    assert priya.emails == ["priya.raman@example.org", "priya@example.net"]
    assert priya.phones == ["+447812345679"]
    assert priya.tags == ["Candidates"]  # Google's own "* myContacts" group is dropped
    assert priya.job_title == "Head of HR"


def test_outlook_title_is_not_the_job_title() -> None:
    mapping = guess_mapping("people", contacts.OUTLOOK_HEADER)
    assert mapping["job_title"] == contacts.OUTLOOK_HEADER.index("Job Title")
    assert contacts.OUTLOOK_HEADER.index("Title") not in mapping.values()
    assert mapping["email"] == contacts.OUTLOOK_HEADER.index("E-mail Address")
    assert mapping["email_2"] == contacts.OUTLOOK_HEADER.index("E-mail 2 Address")
    assert mapping["mobile"] == contacts.OUTLOOK_HEADER.index("Mobile Phone")


def test_headerless_file_mapped_by_position(db: Database, tmp_path: Path) -> None:
    rows = [
        ["Bloggs", "Jo", "jo.bloggs@example.org", "Wakefield Council"],
        ["Nguyen", "Thi", "thi.nguyen@example.org", "Wakefield Council"],
    ]
    path = contacts.write(tmp_path / "plain.csv", contacts.csv_text(None, rows, "\t"))
    preview = preview_import(path, "people")
    assert preview.format is not None and not preview.format.has_header
    assert preview.header == ["Column 1", "Column 2", "Column 3", "Column 4"]
    assert preview.mapping == {}
    with pytest.raises(ValidationError, match="needs a mapping"):
        import_file(db, path, "people", fmt=preview.format)
    mapping = resolve_mapping(
        "people",
        preview.header,
        {"last_name": "1", "first_name": "2", "email": "3", "organisation": "4"},
        guess=False,
    )
    report = import_file(db, path, "people", mapping=mapping, fmt=preview.format)
    assert (report.created, report.refused) == (2, 0)
    assert [o.row for o in report.outcomes] == [1, 2]
    assert person_named(db, "Jo", "Bloggs").emails == ["jo.bloggs@example.org"]


def test_mapping_by_header_name_and_errors() -> None:
    header = ["Forename", "Family", "Work email"]
    mapping = resolve_mapping("people", header, {"last_name": "family"})
    assert mapping == {"first_name": 0, "last_name": 1, "email": 2}
    assert resolve_mapping("people", header, {"email": ""}) == {"first_name": 0}
    with pytest.raises(ValidationError, match="not a field"):
        resolve_mapping("people", header, {"shoe_size": "1"})
    with pytest.raises(ValidationError, match="no column 'Phone'"):
        resolve_mapping("people", header, {"phone": "Phone"})


def test_a_full_name_column_is_split(db: Database, tmp_path: Path) -> None:
    path = people_csv(
        tmp_path,
        [["Mary Jane Watson", "mj@example.org"], ["Cher", "cher@example.org"]],
        header=["Name", "Email"],
    )
    report = import_file(db, path, "people")
    assert report.created == 2 and report.refused == 0
    assert person_named(db, "Mary Jane", "Watson").emails == ["mj@example.org"]
    # One name only is a name: nothing is refused for want of a surname.
    assert person_named(db, "Cher", "").emails == ["cher@example.org"]


# -- vCards --------------------------------------------------------------------------------------


def test_vcard_3_and_4(any_db: Database, tmp_path: Path) -> None:
    path = contacts.write(tmp_path / "contacts.vcf", contacts.VCARD_30 + contacts.VCARD_40)
    preview = preview_import(path, "people")
    assert preview.file_type == "vcard" and len(preview.rows) == 3
    report = import_file(any_db, path, "people")
    assert (report.created, report.refused) == (2, 1)
    assert report.refusals[0].row == 3 and "organisation" in report.refusals[0].reason
    chidi = person_named(any_db, "Chidi", "Okafor")
    assert chidi.emails == ["chidi.okafor@example.org", "chidi@example.net"]
    assert chidi.phones == ["+447712345680"]
    assert chidi.job_title == "Director of Adult Social Services"
    assert chidi.x_account is not None and chidi.x_account.handle == "chidiokafor"
    assert chidi.linkedin_url == "https://www.linkedin.com/in/chidi-okafor"
    assert chidi.location == "Birmingham"
    assert chidi.tags == ["ADASS", "Local Government"]
    assert chidi.notes == "Met at the ADASS spring seminar, keen on interim roles\nfrom June."
    assert chidi.employments[0].organisation == "Birmingham City Council"
    siobhan = person_named(any_db, "Siobhán", "Ó Briain")
    assert siobhan.phones == ["+447400123457"]
    again = import_file(any_db, path, "people")
    assert (again.created, again.unchanged) == (0, 2)


def test_vcard_organisations(db: Database, tmp_path: Path) -> None:
    path = contacts.write(tmp_path / "orgs.vcf", contacts.VCARD_40)
    report = import_file(db, path, "organisations")
    assert report.created == 2
    with db.read() as s:
        names = sorted(s.scalars(select(Organisation.name)))
    assert names == ["Leeds City Council", "Leeds Teaching Hospitals NHS Trust"]


def test_not_a_vcard(db: Database, tmp_path: Path) -> None:
    path = contacts.write(tmp_path / "x.vcf", "hello\n")
    with pytest.raises(ValidationError, match="no vCards"):
        import_file(db, path, "people")
