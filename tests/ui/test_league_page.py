"""The league table page: what the recruiter sees matches the service (and the CSV), filters
re-rank, the sparkline draws, and a row opens its record."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from crm.services.league import LeagueQuery, league_table
from crm.storage.db import Database
from tests.fixtures.league import build_world


def _column(page, title: str) -> list[str]:  # type: ignore[no-untyped-def]
    model = page.view.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    col = titles.index(title)
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_the_page_shows_the_services_table_and_reranks(  # type: ignore[no-untyped-def]
    qtbot, empty_window, db: Database, tmp_path: Path
) -> None:
    world = build_world(db)
    window = empty_window
    window.show_list("league")
    page = window.league_page
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    expected = league_table(db, LeagueQuery())
    assert _column(page, "Name") == [r.name for r in expected.rows]
    assert _column(page, "Followers")[0] == "9,313"  # Kingsford: 7,913 on X + 1,400 on Bluesky
    assert _column(page, "Chief executive")[0] == "Jane Okafor (869)"
    assert _column(page, "Networks")[0] == "X → Bluesky"  # silent on X, active on Bluesky
    assert "silent on X for 90 days" in page.as_of_label.text()

    page.measure.setCurrentIndex(page.measure.findData("growth_4w"))
    # Combined, Kingsford's +4 on X and +400 on Bluesky pass Harbourside's +400 on X.
    assert _column(page, "Name")[:2] == ["Kingsford NHS Trust", "Harbourside NHS FT"]
    assert _column(page, "4 weeks")[:2] == ["+404", "+400"]
    page.network.setCurrentIndex(page.network.findData("bluesky"))
    assert _column(page, "Name") == ["Kingsford NHS Trust"]
    page.network.setCurrentIndex(page.network.findData("x"))
    assert _column(page, "Name")[0] == "Harbourside NHS FT"
    page.org_type.setCurrentIndex(page.org_type.findText("Councils only"))
    assert _column(page, "Name") == ["Leeds City Council"]
    page.org_type.setCurrentIndex(0)
    page.entity.setCurrentIndex(page.entity.findData("person"))
    assert _column(page, "Name") == ["Jane Okafor"]
    assert _column(page, "Organisation") == ["Kingsford NHS Trust"]
    page.entity.setCurrentIndex(0)

    # The sparkline column paints a line (a grab of the view has non-background pixels).
    page.view.resize(1200, 300)
    image = page.view.viewport().grab().toImage()
    assert not image.isNull()

    out = tmp_path / "league.csv"
    page.export_to(str(out))
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == _column(page, "Name")
    assert rows[0]["growth_4w"] == "400"

    page.view.selectRow(0)
    page.open_current()
    assert window.organisation_page.organisation_id == world["harbour"]


def test_rows_beyond_the_first_are_filled_as_they_come_into_view(  # type: ignore[no-untyped-def]
    qtbot, empty_window, db: Database, monkeypatch
) -> None:
    import crm.ui.league.page as league_page

    build_world(db)
    monkeypatch.setattr(league_page, "FIRST_ROWS", 1)
    empty_window.show_list("league")
    page = empty_window.league_page
    page.refresh()
    # The service filled one row; the rows in view were filled straight after.
    assert page.table_data is not None
    assert [r.detailed for r in page.table_data.rows] == [True, False, False]
    assert all(r.detailed for r in page.model.rows)
    assert page.model.rows[-1].figures.spark
    assert _column(page, "12 weeks") == [
        _signed_text(r.figures.growth_12w) for r in league_table(db, LeagueQuery()).rows
    ]


def _signed_text(value: int | None) -> str:
    return "" if value is None else f"{value:+,}"


def test_the_page_builds_only_the_rows_it_shows(  # type: ignore[no-untyped-def]
    qtbot, empty_window, db: Database
) -> None:
    """A long table: the model holds the service's rows unbuilt and builds (and fills) the
    rows the view shows, not every one; scrolling to the end fills the last ones."""
    from bench import league

    league.build(db, 400)
    empty_window.show_list("league")
    page = empty_window.league_page
    page.refresh()
    assert page.table_data is not None
    assert page.model.rowCount() == 400
    built = page.model.filled_rows()
    assert 0 < len(built) < 200
    assert all(r.detailed for r in built)
    expected = league_table(db, LeagueQuery())
    shown = page.view.model()
    assert [shown.index(r, 2).data() for r in range(5)] == [r.name for r in expected.rows[:5]]
    page.view.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.record(399) is not None and page.model.record(399).detailed)
    last = page.model.record(399)
    assert last is not None
    assert (last.entity_id, last.figures, last.x_handle) == (
        expected.rows[399].entity_id,
        expected.rows[399].figures,
        expected.rows[399].x_handle,
    )
    assert len(page.model.filled_rows()) < 400
