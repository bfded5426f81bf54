"""``crm`` with no command starts the desktop app without building every command's parser;
anything else (a command, ``--help``, a mistake) still goes through the full parser."""

from __future__ import annotations

import re

import pytest

from crm.cli import _only_global_options, main


@pytest.mark.parametrize(
    ("argv", "app_only"),
    [
        ([], True),
        (["-v"], True),
        (["--database", "sqlite:///crm.sqlite3"], True),
        (["--database=postgresql://me@host/crm", "--verbose"], True),
        (["-v", "--database", "sqlite:///crm.sqlite3"], True),
        (["app"], False),
        (["--database", "sqlite:///crm.sqlite3", "search", "smith"], False),
        (["--help"], False),
        (["-h"], False),
        (["--database"], False),  # no URL: the full parser says so
        (["--database", "-v"], False),
        (["--datab", "sqlite:///crm.sqlite3"], False),  # abbreviations: argparse decides
    ],
)
def test_only_global_options(argv: list[str], app_only: bool) -> None:
    assert _only_global_options(argv) is app_only


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    listed = set(re.findall(r"^    (\S+)  ", capsys.readouterr().out, re.MULTILINE))
    assert {"db", "search", "person", "x", "import", "gdpr", "app", "screenshot"} <= listed


def test_a_missing_database_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--database"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "COMMAND" in err and "--database: expected one argument" in err
