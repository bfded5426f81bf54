"""Every example in the README's `crm` section runs, as written, on the sample data."""

from __future__ import annotations

import io
import re
import shlex
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.cli import main
from crm.storage.db import open_database
from crm.storage.models import User, XAccount
from tests.fixtures import contacts
from tests.x.fake_bluesky_server import FakeActor, FakeBlueskyServer
from tests.x.fake_x_server import FakeUser, FakeXServer
from tests.x.test_archive import tweet, ytd

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> list[str]:
    """The commands in the ```sh blocks of the README's `crm` section, one per entry."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The `crm` command", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(" ".join(shlex.quote(w) for w in words))
    return commands


class Terminal(io.StringIO):
    """Someone at the keyboard who answers yes."""

    def isatty(self) -> bool:
        return True


def own_archive(path: Path) -> Path:
    """An X archive of the sample data's own account, with one tweet."""
    db = open_database(None)
    with db.read() as s:
        own = s.scalars(select(XAccount).join(User, User.x_account_id == XAccount.id)).first()
        assert own is not None
        user_id, handle = own.x_user_id, own.handle
    db.dispose()
    account = [
        {"account": {"username": handle, "accountId": str(user_id), "accountDisplayName": handle}}
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data/account.js", ytd("account", account))
        z.writestr(
            "archive/data/tweets.js",
            ytd(
                "tweets",
                [tweet(77001, "Interim roles this week", "Fri Mar 15 08:00:00 +0000 2024")],
            ),
        )
    return path


def test_readme_examples_run_on_the_sample_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    contacts.outlook(tmp_path / "contacts.csv")
    contacts.linkedin(tmp_path / "linkedin.csv")
    # X is a fake X API on 127.0.0.1 that knows the handle the README links.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeXServer().start()
    server.add_user(FakeUser(id=1490000001, username="KwameEkwueme", name="Kwame Ekwueme"))
    monkeypatch.setenv("CRM_X_API_URL", server.base_url)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": server.token)
    # Bluesky is a fake AppView on 127.0.0.1 that knows the handle the README links.
    appview = FakeBlueskyServer().start()
    kwame = appview.add_actor(
        FakeActor("did:plc:readmekwame0000000000aa", "kwame.bsky.social", "Kwame Ekwueme")
    )
    appview.add_post(kwame.did, "Interim roles in housing this week", datetime.now(UTC))
    monkeypatch.setenv("CRM_BLUESKY_APPVIEW_URL", appview.base_url)
    try:
        run_examples(monkeypatch, capsys)
    finally:
        server.stop()
        appview.stop()


def run_examples(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    commands = readme_examples()
    assert commands[0] == "crm demo" and len(commands) > 20
    failures = []
    for command in commands:
        words = [
            str(Path(w).expanduser()) if w.startswith("~") else w for w in shlex.split(command)
        ]
        assert words[0] == "crm"
        if "import-archive" in words:
            own_archive(Path(words[-1]))
        monkeypatch.setattr("sys.stdin", Terminal("y\n"))
        code = main(words[1:])
        out, err = capsys.readouterr()
        if code != 0:
            failures.append(f"{command}\n  -> exit {code}: {err.strip() or out.strip()[-300:]}")
        if command.startswith("crm search") and "--json" not in words:
            assert "(none)" not in out, command  # it finds somebody
    assert not failures, "\n".join(failures)


def test_the_command_speaks_like_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    assert main(["org", "show", "Harbourlight"]) == 0
    out = capsys.readouterr().out
    assert "Type: Housing association" in out and "housing_association" not in out
    assert "(Active)" in out or "(Extended)" in out
    assert (
        main(
            [
                "person",
                "add",
                "Kwame",
                "Mensah",
                "--phone",
                "+442079460018",
                "--phone",
                "+33123456789",
                "--day-rate",
                "1240",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["person", "show", "Kwame Mensah"]) == 0
    out = capsys.readouterr().out
    assert "020 7946 0018" in out and "+33 1 23 45 67 89" in out and "+44" not in out
    assert "£1,240" in out and "GBP" not in out
    assert main(["placement", "list"]) == 0
    out = capsys.readouterr().out
    assert "£" in out and "GBP" not in out and "active" not in out.split("\n", 1)[1]


def test_search_by_organisation_alone_lists_its_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["search", "--org", "Kingsford"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and all("Kingsford City Council" in line for line in lines[1:])
    assert main(["search"]) == 1
    assert "Give some words" in capsys.readouterr().err
