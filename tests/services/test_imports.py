"""Importing people and organisations: the files people have, refusals, one transaction,
re-import without duplicates, and the search index kept in step."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from crm.domain.errors import Cancelled
from crm.services.importing import (
    ImportOptions,
    import_file,
    preview_import,
)
from crm.services.organisations import OrganisationInput, add_organisation, get_organisation
from crm.services.people import PersonInput, add_person, get_person, search_people
from crm.storage.db import Database
from crm.storage.models import (
    AuditEntry,
    Employment,
    Organisation,
    Person,
    PersonEmail,
    PersonSearch,
    Tag,
    XAccount,
)
from tests.fixtures import contacts
from tests.services.importing_helpers import counts, people_csv, person_named

# -- broken rows, dry runs, one transaction ------------------------------------------------------

BROKEN = [
    ["Good", "Person", "good@example.org", "Known Trust", "Director", "01/04/2026"],
    ["Bad", "Email", "bad@@example", "Known Trust", "Director", ""],
    ["Unknown", "Organisation", "unknown@example.org", "Nowhere Council", "Director", ""],
    ["X" * 101, "Overlong", "long@example.org", "Known Trust", "Director", ""],
    ["Bad", "Date", "date@example.org", "Known Trust", "Director", "31/02/2026"],
    ["Also", "Good", "also@example.org", "", "", "today"],
]
BROKEN_HEADER = ["First name", "Last name", "Email", "Organisation", "Job title", "Available from"]


@pytest.fixture
def broken_csv(tmp_path: Path) -> Path:
    return contacts.write(tmp_path / "broken.csv", contacts.csv_text(BROKEN_HEADER, BROKEN))


def test_broken_rows_are_refused_with_row_and_reason(any_db: Database, broken_csv: Path) -> None:
    add_organisation(any_db, OrganisationInput(name="Known Trust"))
    options = ImportOptions(new_organisations="refuse")
    report = import_file(any_db, broken_csv, "people", options=options)
    assert report.committed
    # A bad email or date costs only that field; a missing organisation (refused by the
    # option) or a name too long for the record refuse the row.
    assert (report.created, report.refused) == (4, 2)
    reasons = {r.row: r for r in report.refusals}
    assert set(reasons) == {4, 5}
    assert "'Nowhere Council' is not an organisation" in reasons[4].reason
    assert "too long" in reasons[5].reason and reasons[5].field == "first_name"
    attention = {(i.row, i.field): i for i in report.needs_attention}
    assert set(attention) == {(3, "email"), (6, "available_from")}
    assert "not a valid email address" in attention[3, "email"].reason
    assert attention[3, "email"].value == "bad@@example" and not attention[3, "email"].kept
    assert "not a date" in attention[6, "available_from"].reason
    assert person_named(any_db, "Good", "Person").available_from is not None
    bad_email = person_named(any_db, "Bad", "Email")
    assert bad_email.emails == [] and bad_email.job_title == "Director"
    assert bad_email.notes is not None and "'bad@@example'" in bad_email.notes
    bad_date = person_named(any_db, "Bad", "Date")
    assert bad_date.emails == ["date@example.org"] and bad_date.available_from is None
    assert bad_date.notes is not None and "Available from: '31/02/2026'" in bad_date.notes


def test_unknown_organisations_are_created_and_reported(db: Database, broken_csv: Path) -> None:
    add_organisation(db, OrganisationInput(name="Known Trust"))
    report = import_file(db, broken_csv, "people")
    assert report.new_organisations == "create"
    assert report.organisations_created == ["Nowhere Council"]
    assert report.created == 5
    with db.read() as s:
        audit = s.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "organisation", AuditEntry.action == "create"
            )
        ).all()
    assert [a["name"] for a in audit] == ["Known Trust", "Nowhere Council"]


def test_all_or_nothing_imports_nothing_when_a_row_is_refused(
    db: Database, broken_csv: Path
) -> None:
    before = counts(db)
    report = import_file(db, broken_csv, "people", options=ImportOptions(all_or_nothing=True))
    assert not report.committed
    assert report.refused == 1 and report.created == 5
    assert counts(db) == before


def test_dry_run_reports_exactly_and_changes_nothing(any_db: Database, broken_csv: Path) -> None:
    add_organisation(any_db, OrganisationInput(name="Known Trust"))
    before = counts(any_db)
    dry = import_file(any_db, broken_csv, "people", options=ImportOptions(dry_run=True))
    assert dry.dry_run and not dry.committed
    assert counts(any_db) == before
    real = import_file(any_db, broken_csv, "people")
    assert real.committed
    for name in ("created", "updated", "unchanged", "refused", "organisations_created"):
        assert getattr(dry, name) == getattr(real, name), name
    assert [(r.row, r.reason) for r in dry.refusals] == [(r.row, r.reason) for r in real.refusals]
    assert dry.needs_attention == real.needs_attention and len(dry.needs_attention) == 2


def big_csv(path: Path, rows: int) -> Path:
    lines = [
        [f"First{n}", f"Last{n}", f"person{n}@example.org", f"Trust {n % 7}", "Director"]
        for n in range(rows)
    ]
    return contacts.write(
        path,
        contacts.csv_text(["First name", "Last name", "Email", "Organisation", "Job title"], lines),
    )


def test_cancel_leaves_nothing(any_db: Database, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "many.csv", 300)
    before = counts(any_db)
    seen: list[int] = []

    def progress(rows: int, fraction: float) -> None:
        assert 0.0 <= fraction <= 1.0
        seen.append(rows)

    with pytest.raises(Cancelled):
        import_file(
            any_db,
            path,
            "people",
            options=ImportOptions(batch_size=50),
            progress=progress,
            cancel=lambda: len(seen) >= 3,
        )
    assert seen == [50, 100, 150]
    assert counts(any_db) == before


def test_an_error_mid_import_leaves_nothing(db: Database, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "many.csv", 300)
    before = counts(db)

    def progress(rows: int, fraction: float) -> None:
        if rows >= 200:
            raise OSError("the disk is full")

    with pytest.raises(OSError):
        import_file(db, path, "people", options=ImportOptions(batch_size=50), progress=progress)
    assert counts(db) == before
    # The search trigger set aside during the batch is back: later adds are searchable.
    add_person(db, PersonInput("Later", "Added"))
    assert [p.name for p in search_people(db, "later added")] == ["Later Added"]


def test_a_killed_process_mid_import_leaves_nothing(db: Database, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "many.csv", 400)
    before = counts(db)
    url = db.url.render_as_string(hide_password=False)
    db.dispose()
    script = textwrap.dedent(
        f"""
        import os, signal
        from crm.storage.db import Database
        from crm.services.importing import ImportOptions, import_file

        def progress(rows, fraction):
            if rows >= 200:
                os.kill(os.getpid(), signal.SIGKILL)

        import_file(Database({url!r}), {str(path)!r}, "people",
                    options=ImportOptions(batch_size=50), progress=progress)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -9, result.stderr
    assert counts(db) == before
    with db.read() as s:
        assert s.scalar(text("PRAGMA integrity_check")) == "ok"
        trigger = s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name='person_search_ai'"))
    assert trigger == 1


# -- matching: re-import without duplicates ---------------------------------------------------------


def test_reimport_is_idempotent(any_db: Database, tmp_path: Path) -> None:
    path = contacts.outlook(tmp_path / "outlook.csv")
    first = import_file(any_db, path, "people")
    assert first.created == 2
    after_first = counts(any_db)
    again = import_file(any_db, path, "people")
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 0)
    assert again.organisations_created == []
    after_second = counts(any_db)
    # Only the import's own summary line is added.
    assert after_second.pop("audit_entry") == after_first.pop("audit_entry") + 1
    assert after_second == after_first


def test_reimport_updates_what_changed(db: Database, tmp_path: Path) -> None:
    path = people_csv(
        tmp_path, [["Jo", "Bloggs", "jo@example.org", "Leeds City Council", "Head of HR"]]
    )
    import_file(db, path, "people")
    jo = person_named(db, "Jo", "Bloggs")
    path = people_csv(
        tmp_path,
        [["Jo", "Bloggs", "JO@example.org", "Leeds City Council", "Director of People"]],
    )
    report = import_file(db, path, "people")
    assert (report.created, report.updated) == (0, 1)
    assert report.outcomes[0].changes == ("job_title",)
    again = get_person(db, jo.id)
    assert again.version == jo.version + 1
    assert again.job_title == "Director of People"
    assert [e.title for e in again.employments] == ["Director of People"]
    assert [p.name for p in search_people(db, "director people")] == ["Jo Bloggs"]


def test_a_person_who_moved_gets_a_new_current_job(db: Database, tmp_path: Path) -> None:
    path = people_csv(tmp_path, [["Jo", "Bloggs", "jo@example.org", "York Council", "CEO"]])
    import_file(db, path, "people")
    path = people_csv(tmp_path, [["Jo", "Bloggs", "jo@example.org", "Hull Council", "CEO"]])
    report = import_file(db, path, "people")
    assert report.outcomes[0].changes == ("organisation",)
    jo = person_named(db, "Jo", "Bloggs")
    assert [(e.organisation, e.is_current) for e in jo.employments] == [
        ("Hull Council", True),
        ("York Council", False),
    ]
    assert [p.name for p in search_people(db, "hull")] == ["Jo Bloggs"]


def test_matching_by_handle_and_by_name_at_organisation(db: Database, tmp_path: Path) -> None:
    org = add_organisation(db, OrganisationInput(name="Sheffield Health and Social Care NHS FT"))
    add_person(db, PersonInput("Anna", "Kowalska", organisation_id=org))
    path = people_csv(
        tmp_path,
        [
            ["Anna", "Kowalska", "", "Sheffield Health and Social Care NHS FT", "", "@annak"],
            ["Anna", "Kowalska", "", "Rotherham Council", "", ""],
            ["Tom", "Reid", "", "", "", "https://x.com/TomReid"],
            ["Thomas", "Reid", "tom@example.org", "", "", "@tomreid"],
        ],
        header=["First name", "Last name", "Email", "Organisation", "Job title", "Twitter"],
    )
    report = import_file(db, path, "people")
    actions = [(o.row, o.action) for o in report.outcomes]
    # Row 2 matches by name at the same organisation; row 3 is a namesake elsewhere; row 5
    # matches row 4 (made earlier in this file) by X handle, whatever the case.
    assert actions == [(2, "update"), (3, "create"), (4, "create"), (5, "update")]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 3
        handles = sorted(s.scalars(select(XAccount.handle)))
    assert handles == ["TomReid", "annak"]
    # Row 5 is the person row 4 made: it only fills gaps (the email), the name stays.
    tom = person_named(db, "Tom", "Reid")
    assert tom.x_account is not None and tom.x_account.handle == "TomReid"
    assert tom.emails == ["tom@example.org"]
    assert report.outcomes[3].changes == ("emails",)


def test_two_rows_for_one_person_in_the_same_file(db: Database, tmp_path: Path) -> None:
    path = people_csv(
        tmp_path,
        [
            ["Jo", "Bloggs", "jo@example.org", "", ""],
            ["Jo", "Bloggs", "jo@example.org", "", "Director"],
        ],
    )
    report = import_file(db, path, "people")
    assert [o.action for o in report.outcomes] == ["create", "update"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersonEmail)) == 1


def test_emails_of_two_different_people_are_refused(db: Database, tmp_path: Path) -> None:
    add_person(db, PersonInput("A", "One", emails=["a@example.org"]))
    add_person(db, PersonInput("B", "Two", emails=["b@example.org"]))
    path = people_csv(
        tmp_path,
        [["A", "One", "a@example.org; b@example.org", "", ""]],
    )
    report = import_file(db, path, "people")
    assert report.refused == 1 and "different people" in report.refusals[0].reason


def test_import_writes_audit_entries(db: Database, tmp_path: Path) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    import_file(db, path, "people")
    with db.read() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        s.expunge_all()
    summary = [e for e in entries if e.entity_type == "import"]
    assert len(summary) == 1
    assert summary[0].who == "Test Recruiter"
    assert summary[0].changes["created"] == 3 and summary[0].changes["file"] == "Connections.csv"
    people = [e for e in entries if e.entity_type == "person"]
    assert [e.action for e in people] == ["create"] * 3
    assert all(e.changes == {"import": "Connections.csv"} for e in people)


def test_imported_people_are_searchable(any_db: Database, tmp_path: Path) -> None:
    import_file(any_db, contacts.linkedin(tmp_path / "Connections.csv"), "people")
    assert [p.name for p in search_people(any_db, "siobhan")] == ["Siobhán Ó Briain"]
    assert [p.name for p in search_people(any_db, "st georges")] == ["Kwame Mensah"]
    assert [p.name for p in search_people(any_db, "kwame.mensah@example")] == ["Kwame Mensah"]
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersonSearch)) == 3


# -- organisations -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_organisations_list(any_db: Database, tmp_path: Path, delimiter: str) -> None:
    path = contacts.organisations(tmp_path / "trusts.csv", delimiter=delimiter)
    preview = preview_import(path, "organisations")
    assert preview.source == "NHS organisations (ODS codes)"
    assert set(preview.mapping) == {"name", "ods_code", "sector", "org_type", "region", "website"}
    report = import_file(any_db, path, "organisations")
    assert (report.created, report.refused) == (3, 0), report.refusals
    with any_db.read() as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.ods_code == "RR8"))
    assert org_id is not None
    leeds = get_organisation(any_db, org_id)
    assert leeds.sector == "health_social_care"
    assert leeds.org_type == "nhs_trust"
    assert leeds.website == "https://www.leedsth.nhs.uk"
    again = import_file(any_db, path, "organisations")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_organisations_match_on_code_and_refuse_conflicts(db: Database, tmp_path: Path) -> None:
    add_organisation(db, OrganisationInput(name="Leeds Teaching Hospitals", ods_code="RR8"))
    add_organisation(db, OrganisationInput(name="Kirklees Council", gss_code="E08000034"))
    rows = [
        ["Leeds Teaching Hospitals NHS Trust", "RR8", "", ""],  # renamed, same code
        ["Kirklees Council", "", "E08000035", ""],  # a different GSS code: refused
        ["Calderdale Council", "E08000033", "", "Kirklees Council"],  # code column holds GSS
        ["West Yorkshire ICB", "QWO", "", "NHS England"],  # unknown parent: refused
        ["Bad Code Trust", "R R8!", "", ""],
    ]
    path = contacts.write(
        tmp_path / "orgs.csv", contacts.csv_text(["Name", "Code", "GSS code", "Parent"], rows)
    )
    report = import_file(db, path, "organisations")
    assert [(o.row, o.action) for o in report.outcomes] == [
        (2, "update"),
        (4, "create"),
        (6, "create"),  # without its bad code, which is kept in its notes
    ]
    assert {r.row for r in report.refusals} == {3, 5}
    assert [(i.row, i.field, i.value) for i in report.needs_attention] == [(6, "ods_code", "R R8!")]
    reasons = {r.row: r.reason for r in report.refusals}
    assert "has the GSS code E08000034, not E08000035" in reasons[3]
    assert "'NHS England' is not in the CRM" in reasons[5]
    with db.read() as s:
        calderdale = s.scalars(
            select(Organisation).where(Organisation.gss_code == "E08000033")
        ).one()
        assert calderdale.parent is not None and calderdale.parent.name == "Kirklees Council"
        renamed = s.scalars(select(Organisation).where(Organisation.ods_code == "RR8")).one()
        assert renamed.name == "Leeds Teaching Hospitals NHS Trust"
        bad = s.scalars(select(Organisation).where(Organisation.name == "Bad Code Trust")).one()
        assert bad.ods_code is None and bad.notes is not None and "'R R8!'" in bad.notes


def test_renaming_an_organisation_refreshes_its_peoples_search(
    db: Database, tmp_path: Path
) -> None:
    org = add_organisation(db, OrganisationInput(name="Old Name Trust", ods_code="ABC"))
    add_person(db, PersonInput("Jo", "Bloggs", organisation_id=org))
    path = contacts.write(
        tmp_path / "o.csv", contacts.csv_text(["Name", "ODS code"], [["Brand New Trust", "ABC"]])
    )
    import_file(db, path, "organisations")
    assert [p.name for p in search_people(db, "brand new")] == ["Jo Bloggs"]


def test_export_neutralisation_is_undone_on_import(db: Database, tmp_path: Path) -> None:
    path = people_csv(tmp_path, [["'=Jo", "'-Bloggs", "", "", "'@home"]])
    import_file(db, path, "people")
    jo = person_named(db, "=Jo", "-Bloggs")
    assert jo.job_title == "@home"


def test_employment_rows_match_person_rows(db: Database, tmp_path: Path) -> None:
    import_file(db, contacts.linkedin(tmp_path / "Connections.csv"), "people")
    with db.read() as s:
        jobs = s.execute(select(Employment.person_id, Employment.title)).all()
    assert len(jobs) == 3 and all(title for _, title in jobs)


def test_an_x_account_belongs_to_one_record(db: Database, tmp_path: Path) -> None:
    from crm.services.xlink import link_x_account

    org = add_organisation(db, OrganisationInput(name="NHS Confed"))
    link_x_account(db, organisation_id=org, handle="nhsconfed")
    person = add_person(db, PersonInput("Jo", "Bloggs"))
    link_x_account(db, person_id=person, handle="jobloggs")
    path = people_csv(
        tmp_path,
        [["Sam", "Patel", "", "", "", "@NHSConfed"]],
        header=["First name", "Last name", "Email", "Organisation", "Job title", "Twitter"],
    )
    report = import_file(db, path, "people")
    assert report.refusals[0].reason == (
        "@NHSConfed is already linked to NHS Confed; unlink it there first."
    )
    path = contacts.write(
        tmp_path / "orgs.csv",
        contacts.csv_text(["Name", "Twitter"], [["Jo's Consultancy", "jobloggs"]]),
    )
    report = import_file(db, path, "organisations")
    assert report.refusals[0].reason == (
        "@jobloggs is already linked to Jo Bloggs; unlink it there first."
    )


def test_one_person_twice_in_a_file_stays_idempotent(db: Database, tmp_path: Path) -> None:
    # Same name at the same organisation: one person (matched by name and organisation).
    path = people_csv(
        tmp_path,
        [
            ["Jo", "Bloggs", "jo@trust.nhs.uk", "York Council", "Director"],
            ["Jo", "Bloggs", "jo.bloggs@nhs.net", "York Council", "Chief Executive"],
        ],
    )
    first = import_file(db, path, "people")
    assert [(o.action, o.changes) for o in first.outcomes] == [
        ("create", ()),
        ("update", ("emails",)),
    ]
    jo = person_named(db, "Jo", "Bloggs")
    assert jo.job_title == "Director"  # the first row wins; later rows only fill gaps
    assert jo.emails == ["jo@trust.nhs.uk", "jo.bloggs@nhs.net"]
    again = import_file(db, path, "people")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert get_person(db, jo.id).version == jo.version


def test_imported_search_documents_are_what_documents_for_reads_back(
    any_db: Database, tmp_path: Path
) -> None:
    # New people's documents are built from the rows the import writes; they must be the
    # documents the database would give, and the FTS index must hold them.
    from crm.services.xlink import link_x_account
    from crm.storage.search import documents_for

    org = add_organisation(any_db, OrganisationInput(name="St George's Hospital"))
    add_person(any_db, PersonInput("Old", "Timer", tags=["Interim", "NHS"]))
    link_x_account(any_db, organisation_id=org, handle="stgeorges")
    other = add_person(any_db, PersonInput("Al", "Ready"))
    link_x_account(any_db, person_id=other, handle="Already")
    with any_db.session() as s:
        s.execute(text("UPDATE x_account SET handle = 'FreeAcct' WHERE handle = 'Already'"))
        s.execute(text("UPDATE person SET x_account_id = NULL"))
    header = [
        "First name",
        "Last name",
        "Preferred name",
        "Email",
        "Email 2",
        "Organisation",
        "Job title",
        "Twitter",
        "Tags",
        "Notes",
        "Specialisms",
        "Location",
    ]
    rows = [
        [
            "Siobhán",
            "Ó Briain",
            "Shiv",
            "S.OBriain@Example.ORG",
            "",
            "St George's Hospital",
            "Director of Nursing",
            "@freeacct",
            "interim; Board-level",
            "Met at NHS Confed",
            "Nursing, Quality",
            "Tooting",
        ],
        [
            "Kwame",
            "Mensah",
            "",
            "kwame@example.org; k.mensah@nhs.net",
            "km@home.example.com",
            "Brand New Trust",
            "",
            "kmensah",
            "nhs",
            "",
            "",
            "",
        ],
        ["Zoë", "D'Arcy", "", "", "", "", "Straße Lead", "", "Interim;INTERIM2", "", "", "Ealing"],
        ["Plain", "Person", "", "", "", "", "", "", "", "", "", ""],
    ]
    report = import_file(any_db, people_csv(tmp_path, rows, header), "people")
    assert (report.created, report.refused) == (4, 0), report.refusals
    with any_db.read() as s:
        ids = [o.record_id for o in report.outcomes]
        stored = {
            row.person_id: {c: getattr(row, c) for c in row._fields}
            for row in s.execute(
                select(
                    PersonSearch.person_id,
                    PersonSearch.name,
                    PersonSearch.organisation,
                    PersonSearch.past_organisations,
                    PersonSearch.title,
                    PersonSearch.contact,
                    PersonSearch.tags,
                    PersonSearch.notes,
                    PersonSearch.sort_name,
                ).where(PersonSearch.person_id.in_(ids))
            )
        }
        expected = {d["person_id"]: d for d in documents_for(s, ids)}
        if any_db.is_sqlite:
            s.execute(
                text("INSERT INTO person_fts(person_fts, rank) VALUES ('integrity-check', 1)")
            )
    assert stored == expected
    assert [p.name for p in search_people(any_db, "freeacct")] == ["Shiv Ó Briain"]
    assert [p.name for p in search_people(any_db, "board level")] == ["Shiv Ó Briain"]
    assert [p.name for p in search_people(any_db, "brand new")] == ["Kwame Mensah"]
    assert [p.name for p in search_people(any_db, "strasse")] == ["Zoë D'Arcy"]


@settings(max_examples=300, deadline=None)
@given(
    cells=st.dictionaries(
        st.sampled_from(["first_name", "last_name", "email", "notes"]),
        st.text(alphabet=st.sampled_from("ab '=+-@\t\r\n"), max_size=6),
    )
)
def test_cells_are_stripped_and_neutralisation_undone(cells: dict[str, str]) -> None:
    from crm.services.importing.rows import _NEUTRALISED, _cells

    expected = {}
    for key, text_value in cells.items():
        value = text_value.strip()
        if value:
            expected[key] = value[1:] if value.startswith(_NEUTRALISED) else value
    assert _cells(cells) == expected


def test_repeated_tags_in_one_cell_are_one_tag(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text("First Name,Last Name,Tags\nAda,Lovelace,NED; ned;Board\n", encoding="utf-8")
    import_file(db, path, "people")
    [person] = search_people(db, "lovelace")
    with db.read() as s:
        names = sorted(s.scalars(select(Tag.name)))
    assert names == ["Board", "NED"]
    assert person.name == "Ada Lovelace"
