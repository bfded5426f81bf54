"""``crm today``: the same lists as the Today page's service, for a terminal and for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_person
from crm.services.placements import PlacementInput, add_placement
from crm.services.today.report import today_report
from crm.services.views import to_json
from crm.storage.db import Database

TODAY = date(2026, 3, 20)


def crm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
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
    )
    return e


@pytest.fixture
def agency(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / 'agency.sqlite3'}"
    db = Database(url)
    db.upgrade()
    org = add_organisation(db, OrganisationInput("Harbourlight Homes"))
    amara = add_person(db, PersonInput("Amara", "Okafor", is_client_contact=True))
    kwame = add_person(db, PersonInput("Kwame", "Mensah", is_candidate=True, available_from=TODAY))
    follow_up = log_interaction(
        db,
        InteractionInput(
            person_ids=[amara],
            summary="Repairs backlog",
            occurred_at=datetime(2026, 1, 10, 10, tzinfo=UTC),
            follow_up_due=TODAY - timedelta(days=3),
        ),
    )
    add_placement(
        db,
        PlacementInput(
            candidate_id=kwame,
            organisation_id=org,
            role="Interim Director of Repairs",
            status="active",
            start_date=date(2026, 1, 5),
            end_date=date(2026, 4, 9),
        ),
    )
    db.dispose()
    return url, {"amara": amara, "kwame": kwame, "follow_up": follow_up}


def test_json_agrees_with_the_service(
    env: dict[str, str], agency: tuple[str, dict[str, int]]
) -> None:
    url, ids = agency
    result = crm("--database", url, "today", "--json", "--date", "20/03/2026", env=env)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    db = Database(url)
    expected = to_json(today_report(db, TODAY, who="Cli Tester"))
    assert printed == expected
    assert [c["person_id"] for c in printed["who_to_call"]][:2] == [ids["amara"], ids["kwame"]]
    assert printed["who_to_call"][0]["reasons"][0] == "follow-up due since Tue: Repairs backlog"
    assert printed["ending"][0]["reason"] == (
        "assignment at Harbourlight Homes ends 9 Apr, nothing lined up"
    )


def test_text_output_and_actions(env: dict[str, str], agency: tuple[str, dict[str, int]]) -> None:
    url, ids = agency
    shown = crm("--database", url, "today", "--date", "2026-03-20", env=env)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert text.startswith("Today, Friday 20 March 2026")
    for heading in ("Who to call (", "Follow-ups (1): 1 overdue", "Ending within 8 weeks (1)"):
        assert heading in text
    assert "follow-up due since Tue: Repairs backlog" in text

    bad = crm("--database", url, "today", "snooze", str(ids["follow_up"]), "01/01/2020", env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("crm: ") and "after today" in bad.stderr
    moved = crm("--database", url, "today", "snooze", str(ids["follow_up"]), "+1w", env=env)
    assert moved.returncode == 0, moved.stderr
    done = crm("--database", url, "today", "done", str(ids["follow_up"]), env=env)
    assert done.returncode == 0, done.stderr
    cadence = crm(
        "--database", url, "today", "cadence", "--person", "Amara Okafor", "--every", "x", env=env
    )
    assert cadence.returncode == 1 and "number of weeks" in cadence.stderr
    cadence = crm(
        "--database", url, "today", "cadence", "--person", "Amara Okafor", "--every", "2", env=env
    )
    assert cadence.returncode == 0, cadence.stderr
    after = json.loads(crm("--database", url, "today", "--json", env=env).stdout)
    assert after["follow_up_counts"] == {"overdue": 0, "today": 0, "upcoming": 0}
