"""The People list: search as you type, filters, Enter opens, and the lazy id-only model."""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from crm.domain.filters import PeopleFilter
from crm.services.people import search_people_id_list
from crm.services.views import PersonSummary
from crm.ui.kit.models import IdRole, PeopleTableModel
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


def test_organisation_name_shows_the_organisation_and_its_people(
    qtbot, window, sample: Sample
) -> None:  # type: ignore[no-untyped-def]
    window.search.setText("clarion")
    window.people_page.refresh()
    # The organisations are looked up once the people are shown, not while they paint.
    assert not window.people_page.org_matches.isVisibleTo(window)
    qtbot.waitUntil(lambda: window.people_page.org_matches.isVisibleTo(window), timeout=2000)
    assert "Clarion Housing" in window.people_page.org_matches.text()
    assert sample.grace in visible_ids(window)
    window.people_page._on_link(f"crm:organisation:{sample.clarion}")
    assert window.stack.currentWidget() is window.organisation_page
    assert window.organisation_page.organisation_id == sample.clarion


def test_sorting_by_a_column(window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    page = window.people_page
    column = [c.key for c in __import__("crm.ui.kit.models", fromlist=["x"]).PEOPLE_COLUMNS].index(
        "organisation"
    )
    page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    orgs = [page.model.summary(r).organisation for r in range(page.model.rowCount())]
    assert orgs == sorted(orgs, key=lambda o: (o is None, (o or "").lower()))
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    orgs = [page.model.summary(r).organisation for r in range(page.model.rowCount())]
    assert orgs == sorted(orgs, key=lambda o: (o or "").lower(), reverse=True)


def _column(key: str) -> int:
    from crm.ui.kit.models import PEOPLE_COLUMNS

    return [c.key for c in PEOPLE_COLUMNS].index(key)


def test_a_whole_list_sorts_a_chunk_at_a_time_with_progress(  # type: ignore[no-untyped-def]
    window, sample: Sample, monkeypatch: Any
) -> None:
    """A header sort takes the whole list (up to the list's own limit), loading its rows a
    chunk at a time and showing how far it has got."""
    from crm.ui.people import page as module

    monkeypatch.setattr(module, "_SORT_CHUNK", 2)
    page = window.people_page
    shown: list[str] = []
    label = page.count_label
    label.setText = lambda text: (shown.append(text), QLabel.setText(label, text))  # type: ignore[method-assign]
    # What a click on the header does (QTableView.sortByColumn would sort twice).
    page.table.horizontalHeader().setSortIndicator(_column("name"), Qt.SortOrder.DescendingOrder)
    names = [page.model.summary(r).name for r in range(page.model.rowCount())]
    surnames = [n.split()[-1].lower() + " " + n.lower() for n in names]
    assert len(names) == len(sample.people)
    assert surnames == sorted(surnames, reverse=True)
    progress = [t for t in shown if t.startswith("Sorting")]
    assert len(progress) == (len(sample.people) + 1) // 2
    assert progress[0] == f"Sorting {len(sample.people):,} people… 0%"
    assert shown[-1] == f"{len(sample.people):,} people"


def test_a_sort_stays_on_as_you_type_within_its_limit(  # type: ignore[no-untyped-def]
    qtbot, window, sample: Sample, monkeypatch: Any
) -> None:
    """Typed searches are sorted up to SORT_AS_YOU_TYPE results, beyond that shown best
    first; the whole list (no text) is always sorted."""
    from crm.ui.people import page as module

    page = window.people_page

    def search(text: str) -> list[int]:
        page.set_search_text(text)
        page.refresh()  # what the typing pause ends in
        return visible_ids(window)

    page.table.horizontalHeader().setSortIndicator(_column("name"), Qt.SortOrder.DescendingOrder)
    monkeypatch.setattr(module, "SORT_AS_YOU_TYPE", 1)
    messages: list[str] = []
    page.ctx.message.connect(messages.append)
    ranked = search("patel")
    assert set(ranked) == {sample.priya, sample.tom}
    assert ranked == search_people_id_list(page.ctx.db, "patel")  # best first: not sorted
    assert messages == ["Best matches first: a search is sorted up to 1 results."]
    search("")
    assert len(messages) == 1  # the whole list is sorted
    names = [page.model.summary(r).name.split()[-1].lower() for r in range(page.model.rowCount())]
    assert len(names) == len(sample.people) and names == sorted(names, reverse=True)
    monkeypatch.setattr(module, "SORT_AS_YOU_TYPE", 20_000)
    assert search("patel") == [sample.tom, sample.priya]  # Tom before Priya, descending


def test_a_sort_stops_when_cancelled(db, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.domain.errors import Cancelled
    from crm.ui.kit.workers import Progress
    from crm.ui.people.page import sorted_people_ids

    progress = Progress(lambda *_args: None)
    progress.cancel()
    with pytest.raises(Cancelled):
        sorted_people_ids(db, sample.people, "name", True, progress)


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
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

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


def _person(person_id: int, **fields: Any) -> PersonSummary:
    values: dict[str, Any] = {
        "id": person_id,
        "name": f"Person {person_id}",
        "job_title": None,
        "organisation_id": None,
        "organisation": None,
        "is_client_contact": True,
        "is_candidate": False,
        "x_handle": None,
        "followers": None,
        "last_interaction_at": None,
        "available_from": None,
        "do_not_contact": False,
    }
    values.update(fields)
    return PersonSummary(**values)


def test_people_model_cells_and_roles(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime, timedelta

    from crm.ui.kit import theme
    from crm.ui.kit.formatting import fmt_datetime
    from crm.ui.kit.models import PEOPLE_COLUMNS, RecordRole, SortRole

    called = datetime.now(UTC) - timedelta(days=40)
    rows = {
        1: _person(1, name="Grace Okafor", do_not_contact=True, organisation="Clarion"),
        2: _person(
            2,
            name="Priya Patel",
            job_title="Data Engineer",
            is_client_contact=False,
            is_candidate=True,
            x_handle="priya",
            followers=12345,
            last_interaction_at=called,
            available_from=date(2031, 2, 3),
        ),
        3: _person(3, name="Tom Patel", available_from=date(2031, 2, 3)),  # not a candidate
    }
    model = PeopleTableModel(lambda ids: [rows[i] for i in ids])
    model.set_ids([1, 2, 3])
    qtmodeltester.check(model)
    column = {c.key: i for i, c in enumerate(PEOPLE_COLUMNS)}

    def cell(row: int, key: str, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        return model.data(model.index(row, column[key]), role)

    colours = theme.colours()
    assert cell(0, "name") == "Grace Okafor  ⊘"
    assert cell(0, "name", Qt.ItemDataRole.ToolTipRole) == "Grace Okafor asked not to be contacted"
    assert cell(0, "name", Qt.ItemDataRole.ForegroundRole).name() == colours.danger
    assert cell(0, "name", Qt.ItemDataRole.AccessibleTextRole) == "Grace Okafor  ⊘"
    assert cell(1, "name", Qt.ItemDataRole.ForegroundRole) is None
    assert cell(1, "name", Qt.ItemDataRole.ToolTipRole) == "Priya Patel"
    assert cell(0, "job_title") == "" and cell(0, "job_title", Qt.ItemDataRole.ToolTipRole) is None
    assert cell(0, "kind") == "Client" and cell(1, "kind") == "Candidate"
    assert cell(0, "kind", Qt.ItemDataRole.ForegroundRole).name() == colours.client
    assert cell(1, "kind", Qt.ItemDataRole.ForegroundRole).name() == colours.candidate
    assert cell(1, "x_handle") == "@priya"
    assert cell(1, "followers") == "12,345"
    assert cell(1, "followers", Qt.ItemDataRole.ForegroundRole).name() == colours.muted
    assert cell(1, "followers", Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )
    assert cell(1, "name", Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )
    assert cell(1, "last_interaction_at") == f"{called.astimezone():%d/%m/%Y}"
    assert cell(1, "last_interaction_at", Qt.ItemDataRole.ToolTipRole) == fmt_datetime(called)
    assert cell(0, "last_interaction_at", Qt.ItemDataRole.ToolTipRole) is None
    assert cell(1, "available_from") == "03/02/2031"
    assert cell(2, "available_from") == ""  # only candidates have an availability
    assert cell(0, "organisation", SortRole) == "clarion"
    assert cell(1, "name", SortRole) == "patel priya patel"  # surname first
    assert cell(1, "x_handle", RecordRole) is rows[2]
    assert cell(1, "x_handle", IdRole) == 2
    assert cell(1, "name", Qt.ItemDataRole.FontRole) is None
    assert cell(1, "name", Qt.ItemDataRole.DecorationRole) is None
    assert model.headerData(column["followers"], Qt.Orientation.Horizontal) == "Followers"
    assert model.headerData(0, Qt.Orientation.Vertical) is None


def test_people_model_formats_again_what_it_forgets(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    rows = {i: _person(i) for i in range(1, 6)}
    loads: list[list[int]] = []

    def loader(ids):  # type: ignore[no-untyped-def]
        loads.append(list(ids))
        return [rows[i] for i in ids]

    model = PeopleTableModel(loader)
    model.set_ids([1, 2, 3, 4, 5])

    def names() -> list[str]:
        return [model.data(model.index(r, 0)) for r in range(model.rowCount())]

    assert names() == [f"Person {i}" for i in range(1, 6)]
    rows[2] = _person(2, name="Second Name")
    assert names()[1] == "Person 2"  # shown from the cache until told
    model.forget(2)
    assert names()[1] == "Second Name"
    model.prime([_person(3, name="Primed", do_not_contact=True)])
    assert names()[2] == "Primed  ⊘"
    rows[4] = _person(4, name="After a change")
    model.clear_cache()
    assert names()[3] == "After a change"
    model.remove_id(5)
    assert names() == ["Person 1", "Second Name", "Person 3", "After a change"]  # reloaded
    qtmodeltester.check(model)


def test_people_model_refreshes_a_recent_last_contact(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from crm.domain import display  # where fmt_ago lives (the app and the crm command share it)
    from crm.ui.kit import models

    now = [datetime.now(UTC)]

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return now[0]

    monkeypatch.setattr(display, "datetime", Clock)
    monkeypatch.setattr(models, "datetime", Clock)
    called = now[0] - timedelta(seconds=20)
    model = PeopleTableModel(lambda ids: [_person(i, last_interaction_at=called) for i in ids])
    model.set_ids([1])
    column = [c.key for c in models.PEOPLE_COLUMNS].index("last_interaction_at")
    index = model.index(0, column)
    assert model.data(index) == "just now"
    now[0] += timedelta(minutes=5)
    assert model.data(index) == "just now"  # formatted once, not on every paint...
    monkeypatch.setattr(models, "_RECHECK_SECONDS", 0.0)
    model.forget(1)
    assert model.data(index) == "5 min ago"
    now[0] += timedelta(minutes=3)
    assert model.data(index) == "8 min ago"  # ...but "N min ago" does not stay stale


def test_people_model_extends_a_shown_list_without_a_reset(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = PeopleTableModel(lambda ids: [_person(i) for i in ids])
    model.set_ids([1, 2, 3])
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    assert not model.extend_ids([1, 3, 2, 4])  # not the same start: the caller resets
    assert model.ids == [1, 2, 3]
    assert model.extend_ids([1, 2, 3, 4, 5])
    assert model.extend_ids([1, 2, 3, 4, 5])  # nothing more to add
    assert model.ids == [1, 2, 3, 4, 5] and inserted == [(3, 4)] and resets == []
    assert model.data(model.index(4, 0)) == "Person 5"
    qtmodeltester.check(model)


def test_whole_list_is_appended_below_the_first_page(qtbot, db, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

    window = MainWindow(db, runner=TaskRunner(inline=True), settings=None)
    qtbot.addWidget(window)
    page = window.people_page
    page.model.PAGE = 3
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(page.model.rowCount()))
    page.refresh()
    assert resets == [3]  # the first page; the rest was appended, keeping the selection
    assert page.model.rowCount() == 8 and page.count_label.text() == "8 people"
    assert page.table.currentIndex().row() == 0
