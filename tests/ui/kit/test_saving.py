"""The background save that the export and subject access dialogs share."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

from crm.ui.kit.saving import BackgroundSave
from crm.ui.kit.workers import Progress, TaskRunner


def test_a_save_reports_progress_what_it_wrote_and_a_stop(qtbot: QtBot) -> None:
    dialog = QWidget()
    qtbot.addWidget(dialog)
    button, status, bar = QPushButton("Save"), QLabel(), QProgressBar()
    runner = TaskRunner()
    saved: list[str] = []
    saving: BackgroundSave[str] = BackgroundSave(
        dialog, runner, button, status, wrote=lambda r: f"Wrote {r}.", then=saved.append, bar=bar
    )
    go = threading.Event()

    def work(progress: Progress) -> str:
        progress.report(1, 2, "")
        go.wait(3)
        progress.check()
        return "a.csv"

    saving.start(work, busy="Saving…", label="Saving")
    assert status.text() == "Saving…" and not button.isEnabled() and saving.running
    saving.start(lambda _p: "twice", busy="Saving again…", label="Saving")  # ignored
    qtbot.waitUntil(lambda: bar.value() == 1, timeout=3000)
    assert bar.maximum() == 2 and status.text() == "Saving…"
    go.set()
    qtbot.waitUntil(lambda: saved == ["a.csv"], timeout=3000)
    assert status.text() == "Wrote a.csv." and button.isEnabled() and bar.value() == 2

    go.clear()
    saving.start(work, busy="Saving…", label="Saving")
    saving.cancel()
    go.set()
    qtbot.waitUntil(lambda: status.text() == "Stopped: no file was written.", timeout=3000)
    assert button.isEnabled() and bar.isHidden() and saved == ["a.csv"]
    assert not saving.running
    assert runner.shutdown()
