"""The People list: search as you type, filters, Enter opens, and the lazy id-only model."""

from __future__ import annotations

from PySide6.QtCore import Qt

from crm.services.people import search_people_id_list
from crm.storage.search import PeopleFilter
from crm.ui.models import IdRole, PeopleTableModel
from tests.ui.conftest import Sample


def visible_ids(window) -> list[int]:  # type: ignore[no-untyped-def]
    model = window.people_page.model
    return [model.data(model.index(r, 0), IdRole) for r in range(model.rowCount())]


def test_search_as_you_type_narrows_the_list(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    model = window.people_page.model
    assert model.rowCount() == len(sample.people)
    window.search.setFocus()
    qtbot.keyClicks(window.search, "pat")
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=2000)
    assert set(visible_ids(window)) == {sample.priya, sample.tom}
    qtbot.keyClicks(window.search, "el pr")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2000)
    assert visible_ids(window) == [sample.priya]
    assert window.people_page.count_label.text() == "1 person"


def test_enter_in_the_search_opens_the_top_result(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(window.search, "okafor")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.person_page
    assert window.person_page.person_id == sample.grace
    assert window.person_page.header.title.text() == "Grace Okafor"


def test_enter_in_the_table_opens_the_selected_person(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.set_search_text_now("patel")
    page = window.people_page
    page.focus_table()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    chosen = page.current_person_id()
    assert chosen in (sample.priya, sample.tom)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.person_page
    assert window.person_page.person_id == chosen
    # Back returns to the list.
    window.go_back()
    assert window.stack.currentWidget() is page


def test_down_arrow_in_search_moves_through_results(qtbot, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.set_search_text_now("patel")
    first = window.people_page.current_person_id()
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    second = window.people_page.current_person_id()
    assert {first, second} == {sample.priya, sample.tom}


def test_filters_kind_organisation_tag_and_availability(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.people_page
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("candidate"))
    assert visible_ids(window) == [sample.priya]
    page.clear_filters()
    page.set_organisation_filter(sample.york)
    assert set(visible_ids(window)) == {sample.tom, sample.ewan}
    page.clear_filters()
    page.tag_edit.setText("finance")
    page.refresh()
    assert visible_ids(window) == [sample.priya]
    page.clear_filters()
    page.available_spin.setValue(2)
    assert visible_ids(window) == []
    assert page.stack.currentWidget() is page.empty
    page.available_spin.setValue(4)
    assert visible_ids(window) == [sample.priya]
    page.clear_filters()
    page.sector_combo.setCurrentIndex(page.sector_combo.findData("housing"))
    assert sample.grace in visible_ids(window)
    assert sample.tom not in visible_ids(window)


def test_organisation_name_shows_the_organisation_and_its_people(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    window.search.setText("clarion")
    window.people_page.refresh()
    assert window.people_page.org_matches.isVisibleTo(window)
    assert "Clarion Housing" in window.people_page.org_matches.text()
    assert sample.grace in visible_ids(window)
    window.people_page._on_link(f"crm:organisation:{sample.clarion}")
    assert window.stack.currentWidget() is window.organisation_page
    assert window.organisation_page.organisation_id == sample.clarion


def test_sorting_by_a_column(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.people_page
    column = [c.key for c in __import__("crm.ui.models", fromlist=["x"]).PEOPLE_COLUMNS].index(
        "organisation"
    )
    page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    orgs = [page.model.summary(r).organisation for r in range(page.model.rowCount())]
    assert orgs == sorted(orgs, key=lambda o: (o is None, (o or "").lower()))
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    orgs = [page.model.summary(r).organisation for r in range(page.model.rowCount())]
    assert orgs == sorted(orgs, key=lambda o: (o or "").lower(), reverse=True)


def test_people_model_loads_pages_lazily(qtmodeltester, db, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    loads: list[list[int]] = []

    def loader(ids):  # type: ignore[no-untyped-def]
        loads.append(list(ids))
        from crm.services.people import person_summaries

        return person_summaries(db, ids)

    model = PeopleTableModel(loader)
    model.PAGE = 3
    ids = search_people_id_list(db, "", PeopleFilter())
    model.set_ids(ids)
    assert loads == []  # nothing is loaded until a row is shown
    assert model.data(model.index(0, 0)).startswith(("Noah", "Ewan", "Oliver"))
    assert len(loads) == 1 and len(loads[0]) == 3
    model.data(model.index(1, 1))
    assert len(loads) == 1  # same page, from the cache
    model.data(model.index(len(ids) - 1, 0))
    assert len(loads) == 2
    qtmodeltester.check(model)
    model.set_ids([])
    qtmodeltester.check(model)


def test_first_page_arrives_before_the_whole_list(qtbot, db, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.main_window import MainWindow
    from crm.ui.workers import TaskRunner

    window = MainWindow(db, runner=TaskRunner(inline=True), settings=None)
    qtbot.addWidget(window)
    page = window.people_page
    page.model.PAGE = 3  # the sample has 8 people: three first, then all
    seen: list[tuple[str, int, int]] = []
    page.first_rows_ready.connect(lambda n: seen.append(("first", n, page.model.rowCount())))
    page.results_ready.connect(lambda n: seen.append(("all", n, page.model.rowCount())))
    page.refresh()
    assert seen == [("first", 3, 3), ("all", 8, 8)]
    assert page.count_label.text() == "8 people"
    seen.clear()
    assert window.set_search_text_now("") == 8
    assert page.first_rows_ms <= page.last_search_ms


def test_people_cache_stays_bounded_while_scrolling() -> None:
    from crm.services.views import PersonSummary

    def loader(ids):  # type: ignore[no-untyped-def]
        return [
            PersonSummary(i, f"Person {i}", None, None, None, False, True, None, None, None, None)
            for i in ids
        ]

    model = PeopleTableModel(loader)
    model.PAGE = 10
    model.CACHE_LIMIT = 50
    model.set_ids(list(range(1, 1001)))
    for row in range(1000):
        assert model.summary(row) is not None
        assert model.cached_rows <= model.CACHE_LIMIT + 11 * model.PAGE
    assert model.summary(0) is not None and model.summary(0).name == "Person 1"  # reloads


def test_organisation_choices_load_when_the_filter_opens(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    combo = window.people_page.org_combo
    assert combo.count() == 1  # nothing loaded at start-up: listing organisations is costly
    combo.showPopup()
    assert combo.count() == 4
    assert combo.findData(sample.clarion) > 0
    combo.hidePopup()
