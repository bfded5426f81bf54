"""X failures are said before asking and stay on screen until read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from crm.domain.social import AccountResult, SyncReport, SyncSelection
from crm.services.x_sync import make_gateway
from crm.services.xlink import link_x_account
from crm.storage.db import Database
from crm.ui.x.settings import XSettingsDialog
from tests.ui.conftest import Sample
from tests.ui.kit.helpers import open_box
from tests.x.fake_x_server import FakeXServer


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeXServer().start()
    monkeypatch.setenv("CRM_X_API_URL", server.base_url)
    try:
        yield server
    finally:
        server.stop()


def boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_without_a_token_sync_says_so_instead_of_counting_requests(
    qtbot, window, sample: Sample, db: Database
) -> None:  # type: ignore[no-untyped-def]
    link_x_account(db, person_id=sample.tom, handle="TomPatelYork")
    window.open_record("person", sample.tom)
    window.menu_actions.sync_current.trigger()
    [box] = boxes()
    assert box.windowTitle() == "X token needed"
    assert "requests" not in box.text()
    [open_settings] = [b for b in box.buttons() if b.text() == "Open X settings…"]
    open_settings.click()
    assert window.findChild(XSettingsDialog) is not None


def test_problems_stay_in_a_banner_and_on_the_person_until_a_sync_works(
    qtbot,
    window,
    sample: Sample,
    db: Database,
    fake_x: FakeXServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    fake_x.add_user(
        __import__("tests.x.fake_x_server", fromlist=["x"]).FakeUser(
            1400000099, "TomPatelYork", "Tom"
        )
    )
    gateway = make_gateway(db, token=fake_x.token, base_url=fake_x.base_url)
    link_x_account(db, person_id=sample.tom, handle="TomPatelYork", gateway=gateway)
    monkeypatch.setenv("CRM_X_BEARER_TOKEN", fake_x.token)
    window.open_record("person", sample.tom)
    fake_x.stop()  # no network from here on
    with qtbot.waitSignal(window.x_sync.finished, timeout=30_000):
        window.x_sync.sync_now(SyncSelection(person_ids=(sample.tom,), include_own=False))
    banner = window.x_problems_banner
    assert banner.isVisibleTo(window)
    assert "@TomPatelYork" in banner.label.text() and "not synced" in banner.label.text()
    qtbot.wait(100)
    assert banner.isVisibleTo(window)  # not a 5-second status line
    facts = window.person_page.facts_line.text()
    assert "last sync failed" in facts
    settings = window.x_settings()
    model = settings.page.model
    [row] = [
        r
        for r in range(model.rowCount())
        if model.data(model.index(r, model.HANDLE)) == "@TomPatelYork"
    ]
    status = model.index(row, model.STATUS)
    assert model.data(status) == "last sync failed"
    assert "Could not connect" in model.data(status, Qt.ItemDataRole.ToolTipRole)
    settings.close()
    banner.dismiss_button.click()
    assert not banner.isVisibleTo(window)
    assert "last sync failed" in window.person_page.facts_line.text()  # the person keeps it
    account_id = window.person_page.detail.x_account.id
    window.x_sync._on_done(
        SyncReport(
            accounts=[AccountResult(account_id=account_id, handle="TomPatelYork", complete=True)]
        )
    )
    window.person_page.reload()
    assert "last sync failed" not in window.person_page.facts_line.text()
    assert open_box("UnsavedEdits") is None
