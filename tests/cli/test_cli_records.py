"""``crm person edit`` versions, placement status and extensions, phones, the demo on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import crm, env

__all__ = ["env"]  # the fixture, shared with test_cli


def test_person_edit_refuses_a_stale_version(env: dict[str, str]) -> None:
    added = json.loads(crm("person", "add", "Amara", "Okafor", "--json", env=env).stdout)
    assert added["version"] == 1
    shown = crm("person", "show", "Amara Okafor", env=env).stdout
    assert "Version: 1" in shown
    first = crm("person", "edit", "Amara Okafor", "--title", "CEO", "--version", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert "version 2" in first.stdout
    # A second edit made on what was read before the first one is refused, not applied.
    stale = crm("person", "edit", "Amara Okafor", "--title", "Chair", "--version", "1", env=env)
    assert stale.returncode == 1
    lines = stale.stderr.strip().splitlines()
    assert len(lines) == 1 and "was changed by Cli Tester" in lines[0], stale.stderr
    detail = json.loads(crm("person", "show", "Amara Okafor", "--json", env=env).stdout)
    assert (detail["job_title"], detail["version"]) == ("CEO", 2)
    # A refused edit adds no job either.
    crm("org", "add", "Harbourlight Homes", env=env)
    moved = crm("person", "edit", "Amara", "--org", "Harbourlight", "--version", "1", env=env)
    assert moved.returncode == 1
    detail = json.loads(crm("person", "show", "Amara Okafor", "--json", env=env).stdout)
    assert detail["organisation"] is None


def test_unallocated_phone_is_kept_with_a_note(env: dict[str, str]) -> None:
    added = crm("person", "add", "Jo", "Bloggs", "--phone", "07700 900123", "--json", env=env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["phones"] == ["+447700900123"]
    assert "note:" in added.stderr and "check it" in added.stderr


def test_placement_status_and_extension_from_the_current_end(env: dict[str, str]) -> None:
    crm("org", "add", "Harbourlight Homes", env=env)
    crm("person", "add", "Kwame", "Mensah", "--candidate", env=env)
    placed = crm(
        "placement",
        "add",
        "Kwame Mensah",
        "Harbourlight",
        "--role",
        "Interim Director of Repairs",
        "--start",
        "04/01/2027",
        "--end",
        "31/03/2027",
        "--json",
        env=env,
    )
    pid = str(json.loads(placed.stdout)["id"])
    # A proposed placement can be extended; +3m counts from its end, by calendar months.
    extended = crm("placement", "extend", pid, "--to", "+3m", env=env)
    assert extended.returncode == 0, extended.stderr
    assert "30/06/2027" in extended.stdout
    assert crm("placement", "status", pid, "active", env=env).returncode == 0
    refused = crm("placement", "status", pid, "proposed", env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("crm: ") and "cannot become proposed" in refused.stderr
    shown = json.loads(crm("placement", "show", pid, "--json", env=env).stdout)
    assert (shown["status"], shown["end_date"]) == ("active", "2027-06-30")


def test_demo_on_postgresql(env: dict[str, str], pg_db: object) -> None:
    url = str(pg_db.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    result = crm("--database", url, "demo", env=env)
    assert result.returncode == 0, result.stderr
    assert "300 people" in result.stdout


def test_single_names_and_the_import_report(env: dict[str, str]) -> None:
    added = crm("person", "add", "최유림", "--json", env=env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["name"] == "최유림"
    vcf = Path(__file__).parent.parent / "fixtures" / "files" / "other-projects.vcf"
    dry = crm("import", "people", str(vcf), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "3 would be created" in dry.stdout and "0 refused" in dry.stdout
    assert "Needs attention" in dry.stdout
    assert "row 2: Phone: '0161 99999999' is not a phone number" in dry.stdout
    assert "kept in the notes" in dry.stdout
