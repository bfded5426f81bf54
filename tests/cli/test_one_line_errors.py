"""Hostile or mistaken input to the ``crm`` command: one clear line and status 1 (or argparse's
usage and status 2), never a traceback, and nothing half-written or silently stored."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.cli import main
from crm.domain.errors import ValidationError
from crm.services.interactions import InteractionInput, log_interaction
from crm.services.people import PersonInput, add_person, get_person
from crm.storage.db import Database
from crm.storage.models import Interaction, Person

ESC = "\x1b"


def run(db: Database, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--database", db.url.render_as_string(hide_password=False), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crm: ")
    return lines[0]


def count(db: Database, model: type) -> int:
    from sqlalchemy import func, select

    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def person(db: Database) -> int:
    return add_person(db, PersonInput(first_name="Amara", last_name="Okafor"))


# -- integers the database cannot hold --------------------------------------------------------


def test_an_id_past_64_bits_is_simply_not_found(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(db, capsys, "person", "show", "99999999999999999999")
    assert code == 1 and "no person with id 99999999999999999999" in one_line(err)
    code, _, err = run(db, capsys, "org", "show", "9223372036854775808")
    assert code == 1 and "no organisation" in one_line(err)
    code, _, err = run(db, capsys, "person", "show", "²")  # a digit int() refuses
    assert code == 1 and one_line(err)


@pytest.mark.parametrize(
    "args",
    [
        ["placement", "show", "99999999999999999999"],
        ["placement", "note", "99999999999999999999", "text"],
        ["person", "list", "--limit", "99999999999999999999"],
        ["search", "smith", "--limit", "99999999999999999999"],
        ["search", "smith", "--limit", "-1"],
        ["duplicates", "list", "--limit", "0"],
        ["placement", "list", "--ending-within", "99999999999999999"],
        ["gdpr", "review", "--months", "99999999999999999999"],
        ["log", "1", "--summary", "x", "--placement", "99999999999999999999"],
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    db: Database, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(db, capsys, *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "must be from" in err and "Traceback" not in err


# -- dates and amounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--follow-up", "+99999999d"),
        ("--follow-up", "+999999999999999999999w"),
        ("--follow-up", "31/12/9999"),
        ("--at", "0001-01-01T00:00+01:00"),
        ("--at", "9999-12-31T23:59-05:00"),
        ("--at", "01/01/0001 10:00"),
    ],
)
def test_dates_out_of_range_are_refused(
    db: Database, capsys: pytest.CaptureFixture[str], person: int, option: str, value: str
) -> None:
    code, _, err = run(db, capsys, "log", str(person), "--summary", "Call", option, value)
    assert code == 1 and "out of range" in one_line(err)
    assert count(db, Interaction) == 0


@pytest.mark.parametrize("amount", ["1e309", "1e999999", "nan", "inf", "-inf", "snan"])
def test_absurd_day_rates_are_refused(
    db: Database, capsys: pytest.CaptureFixture[str], person: int, amount: str
) -> None:
    code, _, err = run(db, capsys, "person", "edit", str(person), f"--day-rate={amount}")
    assert code == 1 and "day rate" in one_line(err).lower()
    assert get_person(db, person).day_rate_expectation is None


def test_an_x_address_with_a_broken_bracket(
    db: Database, capsys: pytest.CaptureFixture[str], person: int
) -> None:
    code, _, err = run(db, capsys, "x", "link", str(person), "https://x.com[/abc", "--offline")
    assert code == 1 and "not an X profile address" in one_line(err)


# -- files: vCards, NUL characters, encodings -------------------------------------------------


VCARDS = {
    "bad base64": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\n"
    b"PHOTO;ENCODING=b;TYPE=JPEG:!!!notbase64\r\nEND:VCARD\r\n",
    "binary": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\n" + bytes(range(128, 256)) * 40,
    "bad quoted-printable": b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
    b"N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Lee=FF=FE;Ann\r\n"
    b"FN;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Ann=FF Lee\r\nEND:VCARD\r\n",
    "unknown charset": b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
    b"N;ENCODING=QUOTED-PRINTABLE;CHARSET=x-nothing:Lee;Ann\r\n"
    b"FN;ENCODING=QUOTED-PRINTABLE;CHARSET=x-nothing:Ann Lee\r\nEND:VCARD\r\n",
}


@pytest.mark.parametrize("case", list(VCARDS))
def test_undecodable_vcards_are_refused_in_one_line(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(VCARDS[case])
    code, _, err = run(db, capsys, "import", "people", str(path))
    assert code == 1 and "contacts.vcf" in one_line(err)
    assert count(db, Person) == 0


def test_nul_characters_are_refused_on_both_backends(
    any_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """PostgreSQL cannot store NUL in text; SQLite could, silently. Both refuse it first."""
    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes(b"First Name,Last Name\r\nAnn\x00e,Lee\r\nBo,Chan\r\n")
    code, out, err = run(any_db, capsys, "import", "people", str(csv_path))
    assert code == 0 and "1 were created" in out and "NUL character" in out, out + err
    vcf = tmp_path / "people.vcf"
    vcf.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cy\x00 Day\r\nN:Day;Cy\x00;;;\r\nEND:VCARD\r\n"
    )
    code, out, err = run(any_db, capsys, "import", "people", str(vcf))
    assert "NUL character" in out, out + err
    names = {get_person(any_db, i).name for i in _ids(any_db)}
    assert names == {"Bo Chan"}

    body = tmp_path / "notes.txt"
    body.write_bytes(b"Spoke about\x00 the role")
    person = _ids(any_db)[0]
    code, _, err = run(
        any_db, capsys, "log", str(person), "--summary", "Call", "--body-file", str(body)
    )
    assert code == 1 and "NUL character" in one_line(err)
    with pytest.raises(ValidationError, match="NUL character"):  # the service itself refuses
        log_interaction(any_db, InteractionInput(person_ids=[person], summary="Call\x00"))
    # A NUL cannot come from a shell; in-process, the command refuses it before any work.
    code, _, err = run(any_db, capsys, "log", str(person), "--summary", "Call\x00")
    assert code == 2 and "NUL character" in one_line(err)
    assert count(any_db, Interaction) == 0


def _ids(db: Database) -> list[int]:
    from sqlalchemy import select

    with db.read() as session:
        return list(session.scalars(select(Person.id).order_by(Person.id)))


def test_a_codec_that_is_not_a_text_encoding(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("First Name,Last Name\nAnn,Lee\n", encoding="utf-8")
    for encoding in ("rot13", "base64", "zlib", "no-such-codec"):
        code, _, err = run(db, capsys, "import", "people", str(path), "--encoding", encoding)
        assert code == 1 and "not a text encoding" in one_line(err), encoding
    vcf = tmp_path / "people.vcf"
    vcf.write_bytes(VCARDS["bad base64"])
    code, _, err = run(db, capsys, "import", "people", str(vcf), "--encoding", "rot13")
    assert code == 1 and "not a text encoding" in one_line(err)


def test_notes_from_standard_input_must_be_utf8(
    db: Database, capsys: pytest.CaptureFixture[str], person: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe not text \xc3"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, _, err = run(db, capsys, "log", str(person), "--summary", "Call", "--body-file", "-")
    assert code == 1 and "not UTF-8" in one_line(err)
    assert count(db, Interaction) == 0


def test_notes_from_an_endless_file_are_bounded(
    db: Database, capsys: pytest.CaptureFixture[str], person: int
) -> None:
    started = time.monotonic()
    code, _, err = run(db, capsys, "log", str(person), "--summary", "C", "--body-file", "/dev/zero")
    assert code == 1 and "too long" in one_line(err)
    assert time.monotonic() - started < 10


def test_import_archive_of_dev_zero_returns_at_once(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    started = time.monotonic()
    code, _, err = run(db, capsys, "x", "import-archive", "/dev/zero")
    assert code == 1 and "neither a folder nor a zip" in one_line(err)
    data = tmp_path / "archive" / "data"
    data.mkdir(parents=True)
    (data / "account.js").symlink_to("/dev/zero")
    code, _, err = run(db, capsys, "x", "import-archive", str(tmp_path / "archive"))
    assert code == 1 and "not a regular file" in one_line(err)
    assert time.monotonic() - started < 10


# -- writing files: folders, devices, unwritable places, a full disk ---------------------------


def test_export_to_a_folder_a_device_or_nowhere(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path, person: int
) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    code, _, err = run(db, capsys, "export", "people", str(folder))
    assert code == 1 and "is a folder" in one_line(err)
    assert list(folder.iterdir()) == [] and list(tmp_path.glob(".*part")) == []
    code, _, err = run(db, capsys, "export", "people", "/proc/crm-export.csv")
    assert code == 1 and "Cannot write" in one_line(err)
    code, _, err = run(db, capsys, "export", "people", str(tmp_path / "a-file" / "x.csv"))
    assert code == 1 and "no folder" in one_line(err)


@pytest.fixture
def full_disk(tmp_path: Path) -> Path:
    """A 64 KiB tmpfs: a real full disk. Needs the right to mount (root in CI)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount  # type: ignore[misc]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_export_to_a_full_disk_leaves_no_file(
    db: Database, capsys: pytest.CaptureFixture[str], full_disk: Path
) -> None:
    for i in range(60):
        add_person(db, PersonInput(first_name=f"Person{i}", last_name="X" * 90, notes="n" * 3000))
    code, _, err = run(db, capsys, "export", "people", str(full_disk / "people.json"))
    assert code == 1 and "No space left on device" in one_line(err)
    assert list(full_disk.iterdir()) == []


@pytest.mark.parametrize("variable", ["CRM_DATA_DIR", "CRM_CONFIG_DIR"])
def test_unwritable_data_or_config_folder(tmp_path: Path, variable: str) -> None:
    """As a separate process, the way the folders are really found (root may write anywhere,
    so the folder is made impossible: it would have to be inside a regular file)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(tmp_path / "data"), CRM_CONFIG_DIR=str(tmp_path / "config"))
    env[variable] = str(blocker / "crm")
    # Reading needs no settings folder; storing a setting does.
    args = ["x", "own", "--clear"] if variable == "CRM_CONFIG_DIR" else ["person", "list"]
    result = subprocess.run(
        [sys.executable, "-m", "crm.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"set {variable} to a folder" in result.stderr.strip().splitlines()[-1]


# -- the last resort -----------------------------------------------------------------------------


def test_a_bug_is_one_line_and_a_crash_report(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault injected below the command: the user sees one line naming a report that keeps
    the traceback; the status (70) tells scripts and tests it was a bug, not their input."""
    from crm.services import people

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in search")

    monkeypatch.setattr(people, "search_people", broken)
    code, _, err = run(db, capsys, "person", "list")
    assert code == 70
    line = one_line(err)
    assert "internal error (RuntimeError)" in line
    report = Path(line.split("details in ", 1)[1].split(". Please", 1)[0])
    assert "RuntimeError: a bug in search" in report.read_text(encoding="utf-8")
    assert "Traceback" in report.read_text(encoding="utf-8")


# -- stored text reaching the terminal ---------------------------------------------------------


def test_escape_sequences_in_stored_text_do_not_reach_the_terminal(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    person = add_person(
        db,
        PersonInput(
            first_name=f"{ESC}[31mRed",
            last_name="Zoë 최유림\u202etxt.exe",
            job_title=f"Chief{ESC}]0;pwned\x07 \x9b2J Officer\r",
        ),
    )
    outputs = []
    for args in (
        ["person", "show", str(person)],
        ["person", "list"],
        ["search", "Zoë"],
        ["person", "show", str(person), "--json"],
    ):
        code, out, _ = run(db, capsys, *args)
        assert code == 0
        assert ESC not in out and "\x07" not in out and "\x9b" not in out, args
        assert "\u202e" not in out and "\r" not in out, args
        assert "Zoë 최유림" in out  # ordinary Unicode stays as it is
        outputs.append(out)
    assert "\\x1b[31mRed" in outputs[0]
    shown = json.loads(outputs[-1])  # JSON escapes keep the value exact
    assert shown["first_name"] == f"{ESC}[31mRed"
    assert shown["job_title"] == f"Chief{ESC}]0;pwned\x07 \x9b2J Officer"

    # An error line quoting the text is escaped too.
    code, _, err = run(db, capsys, "person", "show", f"{ESC}[2Jnobody")
    assert code == 1 and ESC not in err and "\\x1b[2Jnobody" in err
