"""``crm bsky`` against the fake AppView: link by handle, sync with a report, errors as one line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from crm.cli import main
from tests.x.fake_bluesky_server import JANE_DID, NOW, FakeBlueskyServer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_link_and_sync_from_the_command_line(
    fake_bsky: FakeBlueskyServer, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "person", "add", "Jane", "Okafor")[0] == 0
    code, out, err = run(capsys, "bsky", "link", "Jane Okafor", "@janeokafor.bsky.social")
    assert code == 0, err
    assert JANE_DID in out and "869 followers" in out
    code, out, err = run(capsys, "bsky", "sync", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["accounts"][0]["new_posts"] == 130
    assert "Bluesky sync" not in out  # the plan goes to stderr with --json
    fake_bsky.add_post(JANE_DID, "Fresh", NOW + timedelta(hours=1))
    code, out, _err = run(capsys, "bsky", "sync", "Jane Okafor")
    assert code == 0
    assert "1 of 1 account synced, 1 new post" in out


def test_bad_input_is_one_line_and_changes_nothing(
    fake_bsky: FakeBlueskyServer, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "person", "add", "Jane", "Okafor")
    code, _out, err = run(capsys, "bsky", "link", "Jane Okafor", "https://x.com/jane")
    assert code == 1 and err.startswith("crm: ") and len(err.strip().splitlines()) == 1
    code, _out, err = run(capsys, "bsky", "link", "Jane Okafor", "nobody.bsky.social")
    assert code == 1 and "does not exist on Bluesky" in err
    code, _out, err = run(capsys, "bsky", "sync", "Jane Okafor")
    assert code == 1 and "crm bsky link" in err


def test_sync_exits_non_zero_when_nothing_could_be_synced(
    fake_bsky: FakeBlueskyServer, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "person", "add", "Jane", "Okafor")
    assert run(capsys, "bsky", "link", "Jane Okafor", JANE_DID)[0] == 0
    fake_bsky.actors[JANE_DID].status = "deactivated"
    code, out, _err = run(capsys, "bsky", "sync")
    assert code == 1
    assert "returned nothing" in out


def test_league_json_agrees_with_the_service(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm.services.league import LeagueQuery, league_table
    from crm.services.league.export import table_record
    from crm.storage.db import open_database
    from tests.fixtures.league import build_world

    db = open_database(None)
    build_world(db)
    code, out, err = run(capsys, "x", "league", "--json", "--by", "growth_4w", "--network", "x")
    assert code == 0, err
    printed = json.loads(out)
    expected = table_record(league_table(db, LeagueQuery(network="x", measure="growth_4w")))
    assert printed == json.loads(json.dumps(expected))
    assert [r["name"] for r in printed["rows"]][:1] == ["Harbourside NHS FT"]
    # --limit fills only the rows it prints; they are the full table's first rows.
    code, out, err = run(
        capsys, "x", "league", "--json", "--by", "growth_4w", "--network", "x", "--limit", "2"
    )
    assert code == 0, err
    assert json.loads(out)["rows"] == printed["rows"][:2]
    code, out, err = run(capsys, "x", "league", "--sector", "health_social_care", "--type", "nhs")
    assert code == 0, err
    assert "Kingsford NHS Trust" in out and "Leeds" not in out
    assert "silent on X, active on Bluesky" in out
    code, _out, err = run(capsys, "x", "league", "--sector", "space")
    assert code == 1 and "not a sector" in err


def test_find_lists_matches_and_says_nothing_was_linked(
    fake_bsky: FakeBlueskyServer, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "person", "add", "Amara", "Okafor")
    code, out, err = run(capsys, "bsky", "find", "Amara Okafor")
    assert code == 0, err
    assert "amara.bsky.social" in out and "Nothing was linked" in out
    code, out, _err = run(capsys, "bsky", "find", "Amara Okafor", "--json")
    assert json.loads(out)[0]["did"] == "did:plc:movedfromx0000000000003"


def test_person_and_organisation_show_their_bluesky_handle(
    fake_bsky: FakeBlueskyServer, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "person", "add", "Jane", "Okafor")
    run(capsys, "org", "add", "Kingsford NHS Trust")
    assert run(capsys, "bsky", "link", "Jane Okafor", "janeokafor.bsky.social")[0] == 0
    assert run(capsys, "bsky", "link", "--org", "Kingsford NHS Trust", "kingsford.nhs.uk")[0] == 0
    code, out, _err = run(capsys, "person", "show", "Jane Okafor")
    assert code == 0 and "Bluesky: @janeokafor.bsky.social" in out
    code, out, _err = run(capsys, "person", "show", "Jane Okafor", "--json")
    assert json.loads(out)["bluesky_handle"] == "janeokafor.bsky.social"
    code, out, _err = run(capsys, "org", "show", "Kingsford NHS Trust")
    assert code == 0 and "Bluesky: @kingsford.nhs.uk" in out
    code, out, _err = run(capsys, "org", "show", "Kingsford NHS Trust", "--json")
    assert json.loads(out)["bluesky_handle"] == "kingsford.nhs.uk"
