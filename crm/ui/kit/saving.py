"""Dialogs that write files: where to write (typed, or chosen with Choose…), and the save run
in the background and reported in the dialog's status line.

The export dialog and the subject access dialog are made of these two pieces.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from crm.domain.errors import Cancelled
from crm.ui.kit.errors import show_error
from crm.ui.kit.workers import Progress, Task, TaskRunner

T = TypeVar("T")


class PathRow(QHBoxLayout):
    """A path to write to and a Choose… button beside it: a file ending in ``suffix()``, or
    a folder when there is no ``suffix``."""

    def __init__(
        self,
        dialog: QWidget,
        path: str,
        *,
        object_name: str,
        accessible_name: str,
        caption: str,
        suffix: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        self._dialog = dialog
        self._caption = caption
        self._suffix = suffix
        self.edit = QLineEdit(path)
        self.edit.setObjectName(object_name)
        self.edit.setAccessibleName(accessible_name)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose)
        self.addWidget(self.edit, 1)
        self.addWidget(choose)

    def path(self) -> Path:
        return Path(self.edit.text().strip())

    def choose(self) -> None:
        if self._suffix is None:
            name = QFileDialog.getExistingDirectory(self._dialog, self._caption, self.edit.text())
        else:
            suffix = self._suffix()
            name, _ = QFileDialog.getSaveFileName(
                self._dialog, self._caption, self.edit.text(), f"*{suffix}"
            )
            if name and not name.endswith(suffix):
                name += suffix
        if name:
            self.edit.setText(name)


class BackgroundSave(Generic[T]):
    """Runs a dialog's save off the GUI thread and reports it: the button that starts it is
    off meanwhile, the status line says what is going on, then what was written, that it was
    stopped, or (with :func:`show_error`) why it failed. With a ``bar``, the bar shows the
    progress."""

    def __init__(
        self,
        dialog: QWidget,
        runner: TaskRunner,
        button: QPushButton,
        status: QLabel,
        *,
        wrote: Callable[[T], str],
        then: Callable[[T], object],
        bar: QProgressBar | None = None,
    ) -> None:
        self._dialog = dialog
        self._runner = runner
        self._button = button
        self._status = status
        self._wrote = wrote
        self._then = then
        self._bar = bar
        self.task: Task | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.finished

    def start(
        self, work: Callable[[Progress], T], *, busy: str, label: str, write: bool = False
    ) -> None:
        """Run ``work``; ``busy`` is the status line meanwhile, ``label`` the status bar's."""
        if self.running:
            return
        if self._bar is not None:
            self._bar.setVisible(True)
            self._bar.setValue(0)
        self._button.setEnabled(False)
        self._status.setText(busy)
        self.task = self._runner.run_with_progress(
            work,
            self._done,
            self._failed,
            write=write,
            label=label,
            on_progress=self._progress if self._bar is not None else None,
        )

    def cancel(self) -> None:
        if self.task is not None and self.running:
            self.task.cancel()

    def _progress(self, done: int, total: int, _text: str) -> None:
        assert self._bar is not None
        self._bar.setMaximum(total)
        self._bar.setValue(done)

    def _done(self, result: Any) -> None:
        self.task = None
        if self._bar is not None:
            self._bar.setValue(self._bar.maximum())
        self._button.setEnabled(True)
        self._status.setText(self._wrote(result))
        self._then(result)

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self._button.setEnabled(True)
        if self._bar is not None:
            self._bar.setVisible(False)
        if isinstance(exc, Cancelled):
            self._status.setText("Stopped: no file was written.")
            return
        self._status.setText("")
        show_error(exc, self._dialog)
