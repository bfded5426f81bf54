"""``crm import``, ``crm export``, ``crm duplicates`` and ``crm gdpr`` as a user types them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import main
from crm.services.people import PersonInput, add_person, get_person, search_people
from crm.storage.db import Database
from crm.storage.models import BlueskyAccount
from tests.fixtures import contacts


def run(db: Database, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--database", db.url.render_as_string(hide_password=False), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_dry_run_then_for_real(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    code, out, _ = run(db, capsys, "import", "people", str(path), "--dry-run")
    assert code == 0
    assert "Dry run: nothing was changed" in out
    assert "3 rows: 3 would be created" in out
    assert "(LinkedIn connections)" in out
    assert search_people(db, "siobhan") == []
    code, out, _ = run(db, capsys, "import", "people", str(path))
    assert code == 0 and "3 were created" in out
    assert "3 new organisations were created" in out
    code, out, _ = run(db, capsys, "import", "people", str(path), "--json")
    report = json.loads(out)
    assert (report["created"], report["unchanged"], report["committed"]) == (0, 3, True)


def test_import_headerless_by_position(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = contacts.write(
        tmp_path / "people.txt",
        "Bloggs;Jo;jo@example.org\r\nNguyen;Thi;not an email\r\n",
        "cp1252",
    )
    args = ["import", "people", str(path), "--no-header", "--delimiter", ";"]
    code, out, _ = run(
        db,
        capsys,
        *args,
        "--map",
        "last_name=1",
        "--map",
        "first_name=2",
        "--map",
        "email=3",
        "--encoding",
        "cp1252",
    )
    assert code == 0, out
    # The bad email is left out of Thi Nguyen's record, not the record refused.
    assert "2 were created" in out and "0 refused" in out
    assert "row 2: Email: 'not an email' is not a valid email" in out
    assert get_person(db, search_people(db, "bloggs")[0].id).emails == ["jo@example.org"]


def test_import_all_or_nothing_and_refusing_new_organisations(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    code, out, _ = run(
        db,
        capsys,
        "import",
        "people",
        str(path),
        "--new-organisations",
        "refuse",
        "--all-or-nothing",
    )
    assert code == 1
    assert "Nothing was imported: 3 rows refused" in out
    assert "row 5: 'Leeds Teaching Hospitals NHS Trust' is not an organisation in the CRM." in out
    assert search_people(db, "siobhan") == []


def test_import_usage_errors(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = contacts.linkedin(tmp_path / "Connections.csv")
    code, _, err = run(db, capsys, "import", "people", str(path), "--map", "email")
    assert code == 1 and "--map takes FIELD=COLUMN" in err
    code, _, err = run(db, capsys, "import", "people", str(path), "--map", "email=Mail")
    assert code == 1 and "There is no column 'Mail'" in err
    code, _, err = run(db, capsys, "import", "people", str(tmp_path / "missing.csv"))
    assert code == 1 and "Cannot read" in err


def test_import_preview(db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = contacts.outlook(tmp_path / "outlook.csv")
    code, out, _ = run(db, capsys, "import", "people", str(path), "--preview", "--map", "notes=")
    assert code == 0
    assert "Windows-1252 (Western European), comma-separated, with a header row (Outlook)" in out
    assert "8: Job Title" in out and "Chief Executive" in out
    assert "17: Notes" not in out
    code, out, _ = run(db, capsys, "import", "people", str(path), "--preview", "--json")
    assert json.loads(out)["mapping"]["email"] == "E-mail Address"


def test_export_each_format(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    add_person(db, PersonInput("Zoë", "=Renée", emails=["zoe@example.org"]))
    for name, fmt in (("p.csv", "csv"), ("p.vcf", "vcard"), ("p.json", "json")):
        code, out, _ = run(db, capsys, "export", "people", str(tmp_path / name))
        assert code == 0 and f"Wrote 1 people to {tmp_path / name} ({fmt})." in out
    assert "'=Renée" in (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "VERSION:3.0" in (tmp_path / "p.vcf").read_text(encoding="utf-8")
    code, _, err = run(db, capsys, "export", "interactions", str(tmp_path / "log.vcf"))
    assert code == 1 and "vCard holds people" in err


def test_duplicates_list_and_merge(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = add_person(db, PersonInput("Jo", "Bloggs", emails=["jo@example.org"], notes="First."))
    b = add_person(db, PersonInput("Joanne", "Bloggs", emails=["jo@example.org"], notes="Second."))
    code, out, _ = run(db, capsys, "duplicates", "list")
    assert code == 0 and "same email jo@example.org" in out
    code, out, _ = run(db, capsys, "duplicates", "list", "--json")
    assert json.loads(out)[0]["first_id"] == a
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: nobody to ask
    code, out, err = run(db, capsys, "duplicates", "merge", str(a), str(b))
    assert code == 1 and "without --yes" in err
    code, out, _ = run(
        db, capsys, "duplicates", "merge", str(a), str(b), "--take", "first_name=other", "--yes"
    )
    assert code == 0, out
    assert "first_name" in out and "Merged" in out
    merged = get_person(db, a)
    assert merged.first_name == "Joanne" and merged.notes == "First.\n\nSecond."


def test_gdpr_commands(db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pid = add_person(db, PersonInput("Zebedee", "Quillfeather", emails=["zq@example.org"]))
    code, out, _ = run(db, capsys, "gdpr", "export", "zq@example.org", str(tmp_path / "sar"))
    assert code == 0
    assert len(list((tmp_path / "sar").glob("subject-access-*.html"))) == 1
    code, out, _ = run(db, capsys, "gdpr", "review", "--months", "1")
    assert code == 0 and "People with no interaction for 1 months: 0" in out
    code, out, _ = run(db, capsys, "gdpr", "renew", str(pid), "--reason", "live")
    assert code == 0 and "Kept 1 person for" in out
    with db.session() as s:
        s.add(BlueskyAccount(did="did:plc:zq", handle="zq.bsky.social", person_id=pid))
    code, out, _ = run(db, capsys, "gdpr", "erase", "Zebedee Quillfeather", "--yes")
    assert code == 0 and "Erased #" in out
    assert "the Bluesky account @zq.bsky.social and 0 stored posts" in out
    assert search_people(db, "quillfeather") == []


def test_the_real_command(db: Database, tmp_path: Path) -> None:
    """One run as a separate process, the way a user starts it."""
    path = contacts.organisations(tmp_path / "trusts.csv", delimiter="\t")
    url = db.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-m", "crm.cli", "--database", url, "import", "organisations", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 were created" in result.stdout
