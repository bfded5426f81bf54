"""Item models pass QAbstractItemModelTester; the task runner reports back on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest

from PySide6.QtCore import Qt, QThread

from crm.domain.errors import Cancelled, ValidationError
from crm.services.organisations import list_organisations
from crm.services.people import people_at
from crm.services.placements import get_placement, list_placements
from crm.storage.db import Database
from crm.ui.kit.models import IdRole, RecordRole, RecordTableModel, SortRole
from crm.ui.kit.workers import LatestRequest, Progress, TaskRunner
from crm.ui.organisations.page import organisation_columns, people_columns, placement_columns
from crm.ui.placements.page import extension_columns
from tests.ui.conftest import Sample


def test_record_models_pass_the_model_tester(qtmodeltester, db: Database, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from crm.services.placements import extend_placement

    extend_placement(
        db,
        sample.placement,
        get_placement(db, sample.placement).end_date.replace(year=2030),
        "900",
        "Board asked",
    )  # type: ignore[union-attr]
    cases = [
        (organisation_columns(), list_organisations(db)),
        (people_columns(True), people_at(db, sample.leeds)),
        (people_columns(False), people_at(db, sample.leeds, current=False)),
        (placement_columns(), list_placements(db)),
        (placement_columns(show_org=False), list_placements(db, organisation_id=sample.leeds)),
        (extension_columns(), get_placement(db, sample.placement).extensions),
    ]
    for columns, rows in cases:
        assert rows, columns[0].title
        model: RecordTableModel = RecordTableModel(columns, id_of=lambda r: r.id)
        qtmodeltester.check(model)
        model.set_rows(rows)
        qtmodeltester.check(model)
        index = model.index(0, 0)
        assert model.data(index, IdRole) == rows[0].id
        assert model.data(index, RecordRole) == rows[0]
        assert model.data(index, SortRole) is not None
        model.set_rows([])
        qtmodeltester.check(model)


def test_window_models_pass_the_model_tester(qtmodeltester, window, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(window.people_page.model)
    window.show_list("organisations")
    qtmodeltester.check(window.organisations_page.proxy)
    window.show_list("placements")
    qtmodeltester.check(window.placements_page.proxy)
    window.open_record("organisation", sample.leeds)
    for model in (
        window.organisation_page.current_model,
        window.organisation_page.former_model,
        window.organisation_page.placements_model,
    ):
        qtmodeltester.check(model)


def test_threaded_runner_delivers_results_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    gui = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        time.sleep(0.05)
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["on_gui_thread"] = QThread.currentThread() is gui

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda n, _l: n == 0, timeout=3000):
        runner.run(work, done, label="Answering")
    assert seen["result"] == 42
    assert seen["on_gui_thread"] is True
    assert seen["worker"] != threading.get_ident()
    assert runner.shutdown()


def test_threaded_runner_hands_errors_to_on_error(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    errors: list[BaseException] = []

    def fail() -> None:
        raise ValidationError("Nope", field="summary")

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda n, _l: n == 0, timeout=3000):
        runner.run(fail, lambda _r: None, errors.append)
    assert isinstance(errors[0], ValidationError) and errors[0].field == "summary"
    runner.shutdown()


def test_writes_run_in_order_and_shutdown_waits(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    order: list[int] = []

    def write(i: int) -> None:
        time.sleep(0.01)
        order.append(i)

    for i in range(5):
        runner.run(lambda i=i: write(i), write=True)
    assert runner.shutdown(5000)
    assert order == [0, 1, 2, 3, 4]


def test_cancel_long_work_and_partial_results(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    partials: list[object] = []
    failures: list[BaseException] = []
    started = threading.Event()

    def long(progress: Progress) -> None:
        progress.partial("first page")
        started.set()
        for i in range(200):
            progress.check()
            progress.report(i, 200, "step")
            time.sleep(0.01)

    task = runner.run_with_progress(long, on_error=failures.append, on_partial=partials.append)
    assert started.wait(2)
    task.cancel()
    qtbot.waitUntil(lambda: bool(failures), timeout=3000)
    assert isinstance(failures[0], Cancelled)
    assert partials == ["first page"]
    runner.shutdown()


def test_a_slow_older_load_is_dropped_when_a_newer_one_started(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    loads = LatestRequest()
    shown: list[str] = []
    release = threading.Event()

    def slow() -> str:
        release.wait(3)
        return "older"

    runner.run(slow, loads.start().guard(shown.append))
    newer = loads.start()
    runner.run(lambda: "newer", newer.guard(shown.append))
    qtbot.waitUntil(lambda: shown == ["newer"], timeout=3000)
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda n, _l: n == 0, timeout=3000):
        release.set()
    assert shown == ["newer"]
    assert newer.is_current and loads.current is newer
    loads.current.guard(shown.append)("follow-up of the newer load")
    loads.start()
    newer.guard(shown.append)("after yet another load")
    assert shown == ["newer", "follow-up of the newer load"]
    runner.shutdown()


def test_inline_runner_is_synchronous() -> None:
    runner = TaskRunner(inline=True)
    got: list[int] = []
    runner.run(lambda: 7, got.append)
    assert got == [7]
    with pytest.raises(AssertionError):
        runner.run(lambda: 1 / 0, on_error=lambda e: (_ for _ in ()).throw(AssertionError(e)))


def test_sorted_roles_are_plain_values(db: Database, sample: Sample) -> None:
    model: RecordTableModel = RecordTableModel(placement_columns())
    model.set_rows(list_placements(db))
    start_column = [c.title for c in model.columns].index("Start")
    value = model.data(model.index(0, start_column), SortRole)
    assert isinstance(value, str) and value[:4].isdigit()  # ISO date sorts as text
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Candidate"
