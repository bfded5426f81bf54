"""``crm assignment``, ``crm shortlist`` and ``crm match`` end to end, as a recruiter types them.

Most commands run in this process through ``crm.cli.main`` (argument parsing, services, the
error wrapper: all of it), since a fresh interpreter per command costs seconds on a busy
machine; the refused move also runs as a real ``crm`` process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from crm.cli import main
from tests.cli.test_cli import crm

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _ok(run: Run, *args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    return out


def test_from_assignment_to_placement(run: Run) -> None:
    _ok(run, "org", "add", "Northmoor NHS Foundation Trust", "--sector", "health_social_care")
    _ok(run, "person", "add", "Helen", "Ramsden", "--org", "Northmoor", "--client")
    start = (date.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    available = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    for first, last in (("Priya", "Shah"), ("Tom", "Reed")):
        _ok(run, "person", "add", first, last, "--candidate", "--available-from", available)
    added = json.loads(
        _ok(
            run,
            "assignment",
            "add",
            "Northmoor",
            "--role",
            "Interim Director of Finance",
            "--contact",
            "Helen Ramsden",
            "--start",
            start,
            "--weeks",
            "26",
            "--rate-min",
            "850",
            "--rate-max",
            "950",
            "--pay-rate",
            "750",
            "--ir35",
            "outside",
            "--ir35-by",
            "Helen Ramsden",
            "--ir35-on",
            "01/12/2026",
            "--pattern",
            "hybrid",
            "--days",
            "4",
            "--source",
            "call",
            "--json",
        )
    )
    assert added["status"] == "open" and added["pay_rate"] == "750.00"
    listed = json.loads(_ok(run, "assignment", "list", "--search", "finance", "--json"))
    assert [a["id"] for a in listed] == [added["id"]]
    # People read labels and pounds, not stored codes.
    table = _ok(run, "assignment", "list")
    assert "£850–£950" in table and "Open" in table and "GBP" not in table
    shown = _ok(run, "assignment", "show", "finance")
    assert "charge £850–£950/day · pay £750/day · Outside IR35 (Helen Ramsden" in shown
    assert "hybrid, 4 days a week" in shown

    matches = json.loads(_ok(run, "match", "finance", "--json"))
    assert {m["name"] for m in matches} == {"Priya Shah", "Tom Reed"}
    assert all(m["reasons"] for m in matches)
    text = _ok(run, "match", str(added["id"]))
    assert "Priya Shah" in text and "available from" in text

    _ok(run, "shortlist", "add", "finance", "Priya Shah")
    _ok(run, "shortlist", "add", "finance", "Tom Reed", "--stage", "interested")
    assert "approached" in _ok(run, "shortlist", "move", "finance", "Priya Shah", "next")
    _ok(run, "shortlist", "move", "finance", "Priya Shah", "offered")
    # A real process, with this test's data folder.
    refused = crm("shortlist", "move", "finance", "Tom Reed", "rejected", env=dict(os.environ))
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("Say why: rejected by client.")
    assert "Traceback" not in refused.stderr
    placed = _ok(
        run, "shortlist", "move", "finance", "Priya Shah", "placed", "--charge-rate", "900"
    )
    assert "the assignment is filled" in placed and "Tom Reed (interested)" in placed

    shown = json.loads(_ok(run, "assignment", "show", str(added["id"]), "--json"))
    assert shown["status"] == "filled" and len(shown["placement_ids"]) == 1
    placement = json.loads(_ok(run, "placement", "show", str(shown["placement_ids"][0]), "--json"))
    assert (placement["charge_rate"], placement["pay_rate"], placement["margin_per_day"]) == (
        "900.00",
        "750.00",
        "150.00",
    )
    assert "Margin £150/day, £15,600 over the placement" in _ok(
        run, "placement", "show", str(shown["placement_ids"][0])
    )
    listed_text = _ok(run, "shortlist", "list", "finance")
    assert "Placed" in listed_text and "Interested" in listed_text
    stages = json.loads(_ok(run, "shortlist", "list", "finance", "--json"))
    assert {s["name"]: s["stage"] for s in stages} == {
        "Priya Shah": "placed",
        "Tom Reed": "interested",
    }


def test_edit_close_and_clear_errors(run: Run) -> None:
    _ok(run, "org", "add", "Kingsford City Council")
    _ok(run, "assignment", "add", "Kingsford", "--role", "Interim Head of Housing")
    out = _ok(run, "assignment", "edit", "housing", "--status", "on_hold", "--owner", "Sam")
    assert "version 2" in out
    code, _out, err = run("assignment", "edit", "housing", "--notes", "x", "--version", "1")
    assert code == 1 and "Nothing was overwritten" in err
    code, _out, err = run("assignment", "add", "Kingsford", "--role", "X", "--days", "9")
    assert code == 1 and err.count("\n") == 1 and "Days a week" in err
    _ok(run, "assignment", "close", "housing", "lost", "--reason", "Went in-house")
    text = _ok(run, "assignment", "show", "housing")
    assert "(lost)" in text and "Went in-house" in text
    assert "On hold" not in text and "on_hold" not in text
    assert "(none)" in _ok(run, "assignment", "list", "--status", "open")
    code, _out, err = run("assignment", "show", "plumbing")
    assert code == 1 and "No assignment matches" in err


def test_reports_as_table_json_and_csv(run: Run) -> None:
    assert "(none)" not in _ok(run, "demo")
    table = _ok(run, "report", "conversion")
    assert table.startswith("Conversion per stage") and "Submitted to client" in table
    margins = _ok(run, "report", "margin-by-client")
    assert "£" in margins and "." not in margins.split("\n")[2]  # £74,296: whole pounds
    rows = json.loads(_ok(run, "report", "margin-by-month", "--json"))["rows"]
    assert len(rows) >= 12 and any(Decimal(r["margin"]) > 0 for r in rows)
    csv_text = _ok(run, "report", "placements-started", "--from", "01/01/2026", "--csv")
    lines = csv_text.splitlines()
    assert lines[0] == "month,placements" and lines[1].startswith("2026-01,")
    code, _out, err = run(
        "report", "placements-started", "--from", "01/01/2027", "--to", "01/01/2026"
    )
    assert code == 1 and "start is after" in err


def test_export_and_import_assignments(run: Run, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    _ok(run, "org", "add", "Calder Valley Council")
    _ok(run, "person", "add", "Priya", "Shah", "--candidate")
    _ok(run, "assignment", "add", "Calder", "--role", "Interim Head of Planning")
    _ok(run, "shortlist", "add", "Planning", "Priya Shah")
    out = _ok(run, "export", "assignments", str(folder / "a.json"))
    assert out.startswith("Wrote 1 assignments")
    _ok(run, "export", "shortlists", str(folder / "s.csv"))
    again = _ok(run, "import", "assignments", str(folder / "a.json"))
    assert "0 assignments created, 1 already there" in again
    again = json.loads(_ok(run, "import", "shortlists", str(folder / "s.csv"), "--json"))
    assert (again["created"], again["unchanged"], again["refusals"]) == (0, 1, [])
    code, _out, err = run("export", "shortlists", str(folder / "s.vcf"))
    assert code != 0 and "vCard holds people and organisations" in err
