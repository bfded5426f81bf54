"""Exporting to CSV, vCard and JSON: Excel-safe CSV, formula neutralisation, round trips."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import vobject

from crm.domain.errors import Cancelled, ValidationError
from crm.services.exports import export, neutralise
from crm.services.importing import import_file
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person, update_person
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount


@pytest.fixture
def records(any_db: Database) -> dict[str, int]:
    trust = add_organisation(
        any_db,
        OrganisationInput(
            name="St George's University Hospitals NHS Foundation Trust",
            ods_code="RJ7",
            sector="health_social_care",
            org_type="nhs_foundation_trust",
            tags=["Client", "London"],
        ),
    )
    council = add_organisation(
        any_db, OrganisationInput(name='=HYPERLINK("http://evil")', gss_code="E08000035")
    )
    siobhan = add_person(
        any_db,
        PersonInput(
            "Siobhán",
            "Ó Briain",
            job_title="Director of Nursing",
            organisation_id=trust,
            emails=["siobhan@example.org", "s.obriain@nhs.net"],
            phones=["07812 345678", "+1 202 555 0143"],
            tags=["Board"],
            is_client_contact=True,
            notes="Café meeting — prefers mornings.\nSecond line.",
            day_rate_expectation="650",
            available_from=date(2026, 4, 1),
        ),
    )
    attacker = add_person(
        any_db,
        PersonInput(
            "=cmd|' /C calc'!A0",
            "+Evil",
            job_title="-2+3",
            organisation_id=council,
            notes="@SUM(1+1)",
            location="-London",
            is_candidate=True,
        ),
    )
    update_person(any_db, attacker, {"preferred_name": "@Carriage"}, None)
    interaction = log_interaction(
        any_db,
        InteractionInput(
            person_ids=[siobhan, attacker],
            summary="=1+1 call about the interim CFO role",
            body="Naïve résumé — accents.",
            occurred_at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
            follow_up_due=date(2026, 3, 9),
        ),
    )
    with any_db.session() as s:
        s.add(
            BlueskyAccount(did="did:plc:siobhan", handle="siobhan.bsky.social", person_id=siobhan)
        )
        s.add(
            BlueskyAccount(
                did="did:plc:stgeorges", handle="stgeorges.nhs.uk", organisation_id=trust
            )
        )
    return {"trust": trust, "siobhan": siobhan, "attacker": attacker, "interaction": interaction}


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_neutralise() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    for safe in ("", "Jo", "1", "'=already", " =spaced"):
        assert neutralise(safe) == safe


def test_people_csv(any_db: Database, records: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    result = export(any_db, "people", path)
    assert (result.count, result.format) == (2, "csv")
    rows = {r["Id"]: r for r in read_csv(path)}
    siobhan = rows[str(records["siobhan"])]
    assert siobhan["First name"] == "Siobhán"
    assert siobhan["Organisation"] == "St George's University Hospitals NHS Foundation Trust"
    assert siobhan["Organisation code"] == "RJ7"
    assert siobhan["Email"] == "siobhan@example.org"
    assert siobhan["Email 2"] == "s.obriain@nhs.net"
    assert siobhan["Phone"] == "07812 345678"
    assert siobhan["Phone 2"] == "'+1 202-555-0143"
    assert siobhan["Notes"] == "Café meeting — prefers mornings.\nSecond line."
    assert siobhan["Day rate"] == "650.00"
    assert siobhan["Available from"] == "2026-04-01"
    assert siobhan["Client or candidate"] == "client"
    assert siobhan["Bluesky handle"] == "siobhan.bsky.social"
    attacker = rows[str(records["attacker"])]
    assert attacker["First name"] == "'=cmd|' /C calc'!A0"
    assert attacker["Last name"] == "'+Evil"
    assert attacker["Job title"] == "'-2+3"
    assert attacker["Notes"] == "'@SUM(1+1)"
    # (Services strip leading tabs and carriage returns, so only test_neutralise meets them.)
    assert attacker["Location"] == "'-London"
    assert attacker["Bluesky handle"] == ""
    assert attacker["Preferred name"] == "'@Carriage"
    assert attacker["Organisation"] == '\'=HYPERLINK("http://evil")'
    # No cell anywhere starts with a formula character.
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_csv_round_trip_changes_nothing(
    any_db: Database, records: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    export(any_db, "people", path)
    report = import_file(any_db, path, "people")
    assert (report.created, report.updated, report.refused) == (0, 0, 0), report.refusals
    assert report.unchanged == 2
    orgs = tmp_path / "orgs.csv"
    export(any_db, "organisations", orgs)
    report = import_file(any_db, orgs, "organisations")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2), report.refusals


def test_organisations_and_interactions_csv(
    any_db: Database, records: dict[str, int], tmp_path: Path
) -> None:
    export(any_db, "organisations", tmp_path / "orgs.csv")
    orgs = {r["Name"]: r for r in read_csv(tmp_path / "orgs.csv")}
    trust = orgs["St George's University Hospitals NHS Foundation Trust"]
    assert (trust["ODS code"], trust["Type"], trust["Tags"]) == (
        "RJ7",
        "nhs_foundation_trust",
        "Client; London",
    )
    assert trust["Bluesky handle"] == "stgeorges.nhs.uk"
    export(any_db, "interactions", tmp_path / "log.csv")
    (row,) = read_csv(tmp_path / "log.csv")
    assert row["Summary"] == "'=1+1 call about the interim CFO role"
    assert row["Notes"] == "Naïve résumé — accents."
    assert row["People"] == "'@Carriage +Evil; Siobhán Ó Briain"
    assert row["Follow-up due"] == "2026-03-09"


def test_json(any_db: Database, records: dict[str, int], tmp_path: Path) -> None:
    export(any_db, "people", tmp_path / "people.json")
    data = json.loads((tmp_path / "people.json").read_text(encoding="utf-8"))
    siobhan = next(p for p in data if p["id"] == records["siobhan"])
    assert siobhan["first_name"] == "Siobhán"  # JSON keeps text as it is: no neutralising
    assert siobhan["phones"] == ["+447812345678", "+12025550143"]
    assert siobhan["day_rate_expectation"] == "650.00"
    assert siobhan["employments"][0]["organisation"].startswith("St George's")
    assert siobhan["employments"][0]["end_date"] is None
    assert siobhan["bluesky_handle"] == "siobhan.bsky.social"
    assert "Siobhán".encode() in (tmp_path / "people.json").read_bytes()
    export(any_db, "interactions", tmp_path / "log.json")
    (log,) = json.loads((tmp_path / "log.json").read_text(encoding="utf-8"))
    assert log["occurred_at"] == "2026-03-02T10:30:00+00:00"
    assert sorted(log["person_ids"]) == sorted([records["siobhan"], records["attacker"]])


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_round_trip(
    any_db: Database, records: dict[str, int], tmp_path: Path, version: str
) -> None:
    path = tmp_path / "people.vcf"
    export(any_db, "people", path, vcard_version=version)
    cards = list(vobject.readComponents(path.read_text(encoding="utf-8")))
    assert len(cards) == 2
    siobhan = next(c for c in cards if c.fn.value == "Siobhán Ó Briain")
    assert siobhan.version.value == version
    assert [e.value for e in siobhan.contents["email"]] == [
        "siobhan@example.org",
        "s.obriain@nhs.net",
    ]
    assert siobhan.note.value == "Café meeting — prefers mornings.\nSecond line."
    assert [(p.value, p.type_param) for p in siobhan.contents["x-socialprofile"]] == [
        ("https://bsky.app/profile/siobhan.bsky.social", "bluesky")
    ]
    report = import_file(any_db, path, "people")
    assert (report.created, report.refused) == (0, 0), report.refusals
    assert report.unchanged + report.updated == 2


def test_organisation_vcards(any_db: Database, records: dict[str, int], tmp_path: Path) -> None:
    export(any_db, "organisations", tmp_path / "orgs.vcf", vcard_version="4.0")
    text = (tmp_path / "orgs.vcf").read_text(encoding="utf-8")
    assert text.count("KIND:org") == 2
    assert "https://bsky.app/profile/stgeorges.nhs.uk" in text


def test_a_chosen_list_in_its_order(
    any_db: Database, records: dict[str, int], tmp_path: Path
) -> None:
    ids = [records["attacker"], records["siobhan"]]
    export(any_db, "people", tmp_path / "two.csv", ids=ids)
    assert [int(r["Id"]) for r in read_csv(tmp_path / "two.csv")] == ids
    export(any_db, "people", tmp_path / "one.csv", ids=[records["siobhan"]])
    assert len(read_csv(tmp_path / "one.csv")) == 1


def test_refusals(any_db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"\.csv, \.vcf or \.json"):
        export(any_db, "people", tmp_path / "people.xlsx")
    with pytest.raises(ValidationError, match="vCard holds people"):
        export(any_db, "interactions", tmp_path / "log.vcf")
    with pytest.raises(ValidationError, match="cannot be exported"):
        export(any_db, "tweets", tmp_path / "t.csv")
    with pytest.raises(ValidationError, match="no folder"):
        export(any_db, "people", tmp_path / "missing" / "p.csv")


def test_cancel_leaves_no_file(db: Database, tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    source.write_text(
        "First name,Last name\n" + "".join(f"P{n},Person\n" for n in range(1100)),
        encoding="utf-8",
    )
    assert import_file(db, source, "people").created == 1100
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Cancelled):
        export(db, "people", out / "people.csv", cancel=lambda: True)
    assert list(out.iterdir()) == []
    seen: list[tuple[int, int]] = []
    export(
        db, "people", out / "people.csv", progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1000, 1100), (1100, 1100)]
    assert len(read_csv(out / "people.csv")) == 1100
