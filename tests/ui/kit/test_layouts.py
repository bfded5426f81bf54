"""Layouts that show what they promise: placements soonest ending first, whole columns on
the organisation's Placements tab and the import mapping, the watch list with room, the
follower chart agreeing with the header."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QScrollArea

from crm.services.placements import PlacementInput, add_placement, list_placements
from crm.services.xlink import link_x_account
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.workers import TaskRunner
from crm.ui.transfer.import_wizard import ImportWizard
from crm.ui.x.chart import FollowerChart
from crm.ui.x.settings import XSettingsDialog
from tests.fixtures import contacts
from tests.ui.conftest import Sample


def _place(db: Database, sample: Sample, role: str, status: str, end: date | None) -> int:
    today = date.today()
    return add_placement(
        db,
        PlacementInput(
            candidate_id=sample.ewan,
            organisation_id=sample.york,
            role=role,
            status=status,
            charge_rate="700",
            start_date=today - timedelta(days=400),
            end_date=end,
        ),
    )


def test_placements_soonest_ending_first(db: Database, sample: Sample) -> None:
    today = date.today()
    _place(db, sample, "Ended last year", "ended", today - timedelta(days=200))
    _place(db, sample, "Ends in 100 days", "confirmed", today + timedelta(days=100))
    _place(db, sample, "No end yet", "active", None)
    _place(db, sample, "Ends in 10 days", "active", today + timedelta(days=10))
    _place(db, sample, "Cancelled", "cancelled", today - timedelta(days=20))
    roles = [p.role for p in list_placements(db)]
    assert roles == [
        "Ends in 10 days",
        "Interim Director of Finance",  # the sample's, ending in 30 days
        "Ends in 100 days",
        "No end yet",
        "Cancelled",
        "Ended last year",
    ]


def test_the_organisation_placements_tab_shows_every_column(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.resize(1400, 900)
    window.open_record("organisation", sample.leeds)
    page = window.organisation_page
    page.tabs.setCurrentWidget(page.placements_table)
    qtbot.wait(20)
    table = page.placements_table
    header = table.horizontalHeader()
    used = sum(
        header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i)
    )
    assert used <= table.viewport().width(), (used, table.viewport().width())
    assert table.horizontalScrollBar().maximum() == 0


def test_import_mapping_shows_whole_column_names(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    wizard = ImportWizard(
        AppContext(db, TaskRunner(inline=True)), path=contacts.outlook(tmp_path / "outlook.csv")
    )
    qtbot.addWidget(wizard)
    wizard.resize(900, 700)
    wizard.show()
    wizard.next()
    page = wizard.mapping_page
    view = page.preview_view
    bold = QFont(view.horizontalHeader().font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for column in range(page.model.columnCount()):
        title = page.model.headerData(column, Qt.Orientation.Horizontal)
        first_line = title.split("\n")[0]
        if metrics.horizontalAdvance(first_line) < 250:
            assert view.columnWidth(column) >= metrics.horizontalAdvance(first_line), title
    for combo in page.combos:
        longest = max(
            combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count())
        )
        assert page.table.columnWidth(2) >= longest


def test_the_watch_list_has_room_and_one_scroll_bar(qtbot, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    for person in sample.people:
        link_x_account(db, person_id=person, handle=f"person{person}")
    dialog = XSettingsDialog(AppContext(db, TaskRunner(inline=True)))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.page.table
    parent = table.parentWidget()
    while parent is not None:
        assert not isinstance(parent, QScrollArea), "the watch list scrolls inside a scroll area"
        parent = parent.parentWidget()
    rows_shown = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    assert rows_shown >= len(sample.people)


def test_chart_labels_are_never_cut_to_an_ellipsis(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = FollowerChart()
    qtbot.addWidget(chart)
    assert not chart.x_axis.truncateLabels() and not chart.y_axis.truncateLabels()
