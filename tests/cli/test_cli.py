"""The ``crm`` command end to end, as a separate process, the way a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def crm(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    e.update(
        CRM_DATA_DIR=str(tmp_path / "data"),
        CRM_CONFIG_DIR=str(tmp_path / "config"),
        CRM_USER="Cli Tester",
        QT_QPA_PLATFORM="offscreen",
    )
    return e


def test_demo_then_search_finds_organisation_people_first(env: dict[str, str]) -> None:
    result = crm("demo", env=env)
    assert result.returncode == 0, result.stderr
    assert "300 people" in result.stdout
    again = crm("demo", env=env)
    assert again.returncode == 1
    assert again.stderr.startswith("crm: ") and "already has data" in again.stderr
    assert "Traceback" not in again.stderr

    orgs = json.loads(crm("org", "list", "--json", env=env).stdout)
    assert len(orgs) == 40
    # A distinctive word of each organisation's name lists its people first.
    common = {
        "nhs",
        "trust",
        "council",
        "of",
        "and",
        "the",
        "homes",
        "housing",
        "hospitals",
        "university",
        "foundation",
        "group",
        "academy",
        "care",
        "college",
        "borough",
        "integrated",
        "board",
        "community",
        "st",
        "school",
        "learning",
        "education",
        "partnership",
        "living",
        "city",
        "county",
        "district",
        "social",
        "service",
        "ambulance",
        "teaching",
        "mental",
        "health",
        "high",
        "primary",
        "catholic",
        "for",
        "multi",
        "vale",
        "institute",
        "technology",
        "further",
        "alliance",
        "voluntary",
        "combined",
        "authority",
        "unitary",
        "metropolitan",
        "hospice",
        "hills",
        "cross",
        "valley",
        "moor",
        "ridge",
    }
    checked = 0
    for org in orgs[:40:4]:
        words = [w.strip("'").lower() for w in org["name"].replace("-", " ").split()]
        word = next((w for w in words if w.isalpha() and w not in common), None)
        if word is None or org["people_count"] == 0:
            continue
        out = crm("search", word, "--json", "--limit", "10", env=env)
        assert out.returncode == 0, out.stderr
        found = json.loads(out.stdout)
        people_there = min(org["people_count"], 5)
        assert [p["organisation"] for p in found[:people_there]] == [org["name"]] * people_there
        assert all("id" in p for p in found)
        checked += 1
    assert checked >= 5


def test_person_org_log_placement_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    assert (
        crm(
            "org",
            "add",
            "Harbourlight Housing Association",
            "--sector",
            "housing",
            "--type",
            "housing_association",
            env=env,
        ).returncode
        == 0
    )
    added = crm(
        "person",
        "add",
        "Amara",
        "Okafor",
        "--org",
        "Harbourlight",
        "--email",
        "amara@harbourlight.org.uk",
        "--title",
        "Chief Executive",
        "--client",
        "--json",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    person = json.loads(added.stdout)
    assert person["emails"] == ["amara@harbourlight.org.uk"]
    crm("person", "add", "Kwame", "Mensah", "--candidate", "--day-rate", "700", env=env)

    body = tmp_path / "notes.txt"
    body.write_text("Wants an interim Director of Repairs from January.", encoding="utf-8")
    logged = crm(
        "log",
        "amara@harbourlight.org.uk",
        "--kind",
        "call",
        "--summary",
        "Repairs backlog",
        "--at",
        "yesterday 14:00",
        "--body-file",
        str(body),
        "--follow-up",
        "+1w",
        "--json",
        env=env,
    )
    assert logged.returncode == 0, logged.stderr
    assert json.loads(logged.stdout)["summary"] == "Repairs backlog"

    placed = crm(
        "placement",
        "add",
        "Kwame Mensah",
        "Harbourlight",
        "--role",
        "Interim Director of Repairs",
        "--rate",
        "725",
        "--start",
        "05/01/2027",
        "--end",
        "02/04/2027",
        "--status",
        "confirmed",
        "--contact",
        "Amara Okafor",
        "--json",
        env=env,
    )
    assert placed.returncode == 0, placed.stderr
    pid = str(json.loads(placed.stdout)["id"])
    assert (
        crm(
            "placement", "extend", pid, "--to", "30/06/2027", "--reason", "Restructure", env=env
        ).returncode
        == 0
    )
    assert crm("placement", "note", pid, "Start confirmed by HR", env=env).returncode == 0
    shown = json.loads(crm("placement", "show", pid, "--json", env=env).stdout)
    assert shown["end_date"] == "2027-06-30" and shown["charge_rate"] == "725.00"
    assert [n["text"] for n in shown["notes"]] == ["Start confirmed by HR"]

    timeline = json.loads(crm("person", "show", "Amara Okafor", "--json", env=env).stdout)
    assert timeline["organisation"] == "Harbourlight Housing Association"
    assert [e["kind"] for e in timeline["timeline"]][-1] == "interaction"
    text = crm("person", "show", str(person["id"]), env=env).stdout
    assert "Repairs backlog" in text and "Chief Executive" in text

    listed = json.loads(crm("person", "list", "--json", env=env).stdout)
    assert [p["name"] for p in listed] == ["Kwame Mensah", "Amara Okafor"]
    assert listed[1]["organisation"] == "Harbourlight Housing Association"
    assert crm("person", "edit", "Kwame", "--title", "Director of Repairs", env=env).returncode == 0
    assert crm("person", "delete", "Kwame Mensah", "--yes", env=env).returncode == 1  # placed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["person", "add", "Jo", "Bloggs", "--email", "not-an-email"], "not a valid email"),
        (["person", "show", "nobody@example.org"], "No one has the email"),
        (["log", "999", "--summary", "x"], "no person with id 999"),
        (["placement", "add", "1", "1", "--role", "x"], "no person with id 1"),
        (["search", "--org", "Nowhere", "x"], "No organisation matches"),
        (["--database", "mysql://x/y", "search", "x"], "Only SQLite and PostgreSQL"),
        (["log", "1", "--summary", "x", "--at", "31/02/2026"], "is not a date"),
    ],
)
def test_errors_are_one_clear_line(env: dict[str, str], args: list[str], message: str) -> None:
    result = crm(*args, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: ") and message in lines[0], result.stderr


def test_hostile_search_text(env: dict[str, str]) -> None:
    crm("person", "add", "Ada", "Lovelace", env=env)
    for text in ['"', "NEAR(", "-", "*", "a OR", "😀", "' OR 1=1 --"]:
        result = crm("search", text, "--json", env=env)
        assert result.returncode == 0, (text, result.stderr)
        assert isinstance(json.loads(result.stdout), list)


def test_db_commands(env: dict[str, str], tmp_path: Path) -> None:
    assert crm("db", "upgrade", env=env).returncode == 0
    check = crm("db", "check", env=env)
    assert check.returncode == 0 and "current" in check.stdout
    crm("person", "add", "Ada", "Lovelace", env=env)
    backup = tmp_path / "b.sqlite3"
    assert crm("db", "backup", str(backup), env=env).returncode == 0
    crm("person", "add", "Grace", "Hopper", env=env)
    assert crm("db", "restore", str(backup), env=env).returncode == 0
    names = [p["name"] for p in json.loads(crm("person", "list", "--json", env=env).stdout)]
    assert names == ["Ada Lovelace"]


def test_postgresql_url(env: dict[str, str], pg_db: object) -> None:
    url = str(pg_db.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    assert crm("--database", url, "person", "add", "Ada", "Lovelace", env=env).returncode == 0
    out = crm("--database", url, "search", "lovelace", "--json", env=env)
    assert [p["name"] for p in json.loads(out.stdout)] == ["Ada Lovelace"]
