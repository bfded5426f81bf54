"""The assignments list and the assignment page: matched candidates, the shortlist board driven
by keys (and a drop), placing a candidate."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from crm.services.assignments.records import AssignmentInput, add_assignment, get_assignment
from crm.services.assignments.shortlist import add_to_shortlist
from crm.services.people import PersonInput, add_person
from crm.services.placements import get_placement
from crm.storage.db import Database
from crm.ui.assignments.dialogs import AssignmentDialog, PlaceDialog, StageDialog
from crm.ui.kit.context import AppContext
from crm.ui.main_window import NAV
from tests.ui.conftest import Sample


def _assignment(db: Database, sample: Sample, **more: object) -> int:
    return add_assignment(
        db,
        AssignmentInput(
            organisation_id=sample.leeds,
            role="Interim Director of Finance",
            contact_id=sample.tom,
            start_date=date.today() + timedelta(weeks=9),
            duration_weeks=26,
            charge_rate_min="850",
            charge_rate_max="950",
            pay_rate="800",
            ir35="outside",
            **more,  # type: ignore[arg-type]
        ),
    )


def _stages(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.stage for c in page.detail.shortlist}


def test_list_filters_and_opens(qtbot, window, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    first = _assignment(db, sample, owner="Sam Carter")
    add_assignment(
        db, AssignmentInput(organisation_id=sample.clarion, role="Interim Head of Income")
    )
    window.nav.setCurrentRow([key for key, _label in NAV].index("assignments"))  # the sidebar
    page = window.assignments_page
    assert window.stack.currentWidget() is page
    assert page.model.rowCount() == 2
    page.owner_combo.setCurrentIndex(page.owner_combo.findData("Sam Carter"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2000)
    page.owner_combo.setCurrentIndex(0)
    page.sector_combo.setCurrentIndex(page.sector_combo.findData("housing"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2000)
    page.sector_combo.setCurrentIndex(0)
    window.find_in_list()
    qtbot.keyClicks(page.filter_edit, "leeds")
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 1, timeout=2000)
    page.table.selectRow(0)
    QTest.keyClick(page.table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.assignment_page
    assert window.assignment_page.assignment_id == first


def test_match_shortlist_move_by_keys_and_place(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    aid = _assignment(db, sample)
    alan = add_person(
        db,
        PersonInput(
            "Alan",
            "Turing",
            is_candidate=True,
            available_from=date.today(),
            day_rate_expectation="750",
            specialisms="finance, turnaround",
            ir35_preference="outside",
        ),
    )
    window.open_record("assignment", aid)
    page = window.assignment_page
    assert page.header.title.text() == "Interim Director of Finance"
    matched = [
        page.matches.item(i).data(Qt.ItemDataRole.UserRole + 2) for i in range(page.matches.count())
    ]
    assert [m.name for m in matched][:2] == ["Alan Turing", "Priya Patel"]
    assert "specialisms: finance" in matched[0].reasons
    # One key shortlists the selected match; the next one is selected for the next key.
    page.matches.setFocus()
    page.matches.setCurrentRow(0)
    QTest.keyClick(page.matches, Qt.Key.Key_Return)
    QTest.keyClick(page.matches, Qt.Key.Key_Return)
    assert _stages(page) == {"Alan Turing": "identified", "Priya Patel": "identified"}
    assert page.matches.count() == len(matched) - 2

    board = page.board
    identified = board.columns[0]
    assert identified.count() == 2
    assert "Alan Turing" in identified.item(0).text() or "Alan Turing" in identified.item(1).text()
    alan_entry = next(c.id for c in page.detail.shortlist if c.person_id == alan)
    board.focus_card(alan_entry)
    for _ in range(3):  # identified -> approached -> interested -> submitted
        QTest.keyClick(board.focused_column(), Qt.Key.Key_N)
    assert _stages(page)["Alan Turing"] == "submitted"
    # The card keeps the focus in its new column; Left goes back to Priya's column.
    assert board.focused_card() is not None and board.focused_card().person_id == alan
    QTest.keyClick(board.focused_column(), Qt.Key.Key_Left)
    assert board.focused_card().name == "Priya Patel"
    # R asks why; the client can reject only once submitted, so Priya can be withdrawn.
    QTest.keyClick(board.focused_column(), Qt.Key.Key_R)
    dialog = page.dialog
    assert isinstance(dialog, StageDialog)
    assert [dialog.stage.itemData(i) for i in range(dialog.stage.count())] == ["withdrawn"]
    dialog.reason.setText("Staying on at her current trust")
    dialog.accept()
    assert _stages(page)["Priya Patel"] == "withdrawn"
    assert "Staying on at her current trust" in board.columns[-1].item(0).text()

    board.focus_card(alan_entry)
    QTest.keyClick(board.focused_column(), Qt.Key.Key_N)  # interview
    QTest.keyClick(board.focused_column(), Qt.Key.Key_N)  # offered
    QTest.keyClick(board.focused_column(), Qt.Key.Key_N)  # offered: next is placing
    place = page.dialog
    assert isinstance(place, PlaceDialog)
    assert place.charge.text() == "950.00" and place.pay.text() == "800.00"
    place.charge.setText("900")
    place.accept()
    detail = get_assignment(db, aid)
    assert detail.status == "filled" and _stages(page)["Alan Turing"] == "placed"
    placement = get_placement(db, detail.placement_ids[0])
    assert (placement.candidate, placement.margin_per_day) == ("Alan Turing", 100)
    assert board.columns[6].count() == 1  # the Placed column
    window.open_record("placement", placement.id)
    assert "margin" in window.placement_page.header.facts.text()


def test_drop_on_a_column_moves_the_candidate(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    aid = _assignment(db, sample)
    add_to_shortlist(db, aid, sample.priya, "approached")
    window.open_record("assignment", aid)
    board = window.assignment_page.board
    source, target = board.columns[1], board.columns[3]  # approached -> submitted
    source.setCurrentRow(0)
    mime = source.mimeData([source.item(0)])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.MoveAction,
        mime or QMimeData(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # QDropEvent.source() is the drag's source widget; a synthetic event has none, so the
    # column is told where it came from the way Qt would.
    target.drop_from(source, event)
    assert _stages(window.assignment_page) == {"Priya Patel": "submitted"}
    assert board.columns[3].count() == 1 and board.columns[1].count() == 0


def test_new_assignment_dialog_refuses_bad_input_inline(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    window.show_list("assignments")
    dialog = AssignmentDialog(window.ctx, None, window)
    dialog.org.setCurrentIndex(dialog.org.findData(sample.york))
    dialog.role.setText("Interim Section 151 Officer")
    dialog.days.setText("9")
    dialog.accept()
    assert "Days a week" in dialog.errors.label_for("days_per_week").text()
    dialog.days.setText("4")
    dialog.start.setText("ASAP")
    dialog.accept()
    assert window.assignment_page.assignment_id is not None
    saved = get_assignment(db, window.assignment_page.assignment_id)
    assert (saved.role, saved.start_asap, saved.days_per_week, saved.sector) == (
        "Interim Section 151 Officer",
        True,
        4,
        "local_government",
    )


def test_new_assignment_shortcut_opens_the_form(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    assert window.menu_actions.new_assignment.shortcut().toString() == "Ctrl+Shift+A"
    window.menu_actions.new_assignment.trigger()
    dialogs = [w for w in window.findChildren(AssignmentDialog) if w.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].windowTitle() == "New assignment"
    dialogs[0].reject()


def test_stage_changes_on_the_persons_timeline_open_the_assignment(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    aid = _assignment(db, sample)
    add_to_shortlist(db, aid, sample.priya, "interested")
    window.open_record("person", sample.priya)
    browser = window.person_page.timeline.browser
    assert "Shortlisted (interested)" in browser.toPlainText()
    assert f"crm:assignment:{aid}" in browser.toHtml()
    browser.anchorClicked.emit(QUrl(f"crm:assignment:{aid}"))
    assert window.stack.currentWidget() is window.assignment_page
    assert window.assignment_page.assignment_id == aid


def test_reports_page_charts_and_exports(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample, tmp_path
) -> None:
    window.nav.setCurrentRow([key for key, _label in NAV].index("reports"))  # the sidebar
    page = window.reports_page
    assert window.stack.currentWidget() is page
    assert page.report is not None and page.report.name == "placements-started"
    assert page.table.rowCount() == 12 or page.table.rowCount() == 13
    assert len(page.chart.series()) == 1
    page.choice.setCurrentIndex(page.choice.findData("margin-by-client"))
    assert page.report.name == "margin-by-client"
    page.start.setText("nonsense")
    page.refresh()
    assert "nonsense" in page.message.text() or "date" in page.message.text().lower()
    page.start.setText("")
    page.choice.setCurrentIndex(page.choice.findData("placements-started"))
    written = page.export_csv(str(tmp_path / "started.csv"))
    assert written is not None
    text = written.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "month,placements"


def test_board_cards_wrap_long_names_and_keep_every_line(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    from PySide6.QtCore import QRect

    aid = _assignment(db, sample)
    long_name = add_person(
        db,
        PersonInput(
            "Anastasia",
            "Papadopoulou-Wickramasinghe",
            is_candidate=True,
            available_from=date.today() + timedelta(days=40),
            day_rate_expectation="1180",
        ),
    )
    add_to_shortlist(db, aid, long_name)
    window.resize(1400, 900)
    window.open_record("assignment", aid)
    column = window.assignment_page.board.columns[0]
    qtbot.waitUntil(lambda: column.count() == 1, timeout=3000)
    text = column.item(0).text()
    assert text.startswith("Anastasia Papadopoulou-Wickramasinghe\n")  # the whole name
    assert text.count("\n") == 3 and "(over)" in text  # availability, rate, last contact
    for width in (1400, 1100, 1600):  # the window resized: each card refits its column
        window.resize(width, 900)
        qtbot.wait(50)
        rect = column.visualItemRect(column.item(0))
        needed = column.fontMetrics().boundingRect(
            QRect(0, 0, rect.width() - 8, 10_000), Qt.TextFlag.TextWordWrap, text
        )
        assert rect.height() >= needed.height(), width


def test_the_main_search_finds_assignments_by_role_or_client(  # type: ignore[no-untyped-def]
    qtbot, window, db: Database, sample: Sample
) -> None:
    aid = _assignment(db, sample)
    matches = window.people_page.assignment_matches.label
    for words in ("director of fin", "leeds finance"):  # the role; the client and the role
        window.search.setText(words)
        window.people_page.refresh()
        qtbot.waitUntil(lambda: matches.isVisibleTo(window), timeout=3000)
        assert "Interim Director of Finance" in matches.text()
        assert "(open)" in matches.text()
    window.search.setText("nothing like it")
    window.people_page.refresh()
    qtbot.waitUntil(lambda: not matches.isVisibleTo(window), timeout=3000)
    window.people_page.assignment_matches._on_link(f"crm:assignment:{aid}")
    assert window.stack.currentWidget() is window.assignment_page
    assert window.assignment_page.assignment_id == aid


def test_export_dialog_offers_assignments_and_shortlists(  # type: ignore[no-untyped-def]
    qtbot, db: Database, sample: Sample, tmp_path
) -> None:
    import json

    from crm.ui.kit.workers import TaskRunner
    from crm.ui.transfer.export_dialog import ExportDialog

    aid = _assignment(db, sample)
    add_to_shortlist(db, aid, sample.tom)
    dialog = ExportDialog(AppContext(db, TaskRunner(inline=True)))
    qtbot.addWidget(dialog)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("assignments"))
    model = dialog.format_combo.model()
    assert not model.item(1).isEnabled() and not model.item(2).isEnabled()  # no vCards
    dialog.format_combo.setCurrentIndex(3)  # JSON
    dialog.path_edit.setText(str(tmp_path / "assignments.json"))
    with qtbot.waitSignal(dialog.exported) as signal:
        dialog.start()
    assert signal.args[0].count == 1
    data = json.loads((tmp_path / "assignments.json").read_text(encoding="utf-8"))
    assert [e["person"] for e in data[0]["shortlist"]] == ["Tom Patel"]
