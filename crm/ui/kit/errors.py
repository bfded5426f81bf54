"""The one place the desktop app shows errors.

Known errors (:class:`crm.domain.errors.CrmError`) are the user's to act on: a message box
saying what happened, or a status-bar message for a cancelled job. Anything else is a bug: a
crash dialog with the traceback to copy into a report. Dialogs open window-modal without
blocking (``open()``), so background results keep arriving and tests can answer them.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from crm.domain.errors import (
    AmbiguousError,
    Cancelled,
    ConflictError,
    CredentialsError,
    CrmError,
    DatabaseError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
    XApiError,
)
from crm.ui.kit.context import AppContext

log = logging.getLogger(__name__)


def status(message: str, parent: QWidget | None = None) -> None:
    """A short, non-blocking message for the status bar. It goes the one way messages go:
    the ``message`` signal of the context that ``parent`` (else the active window) belongs
    to; with no window, to the log."""
    widget = parent or _active_window()
    while widget is not None:
        ctx = getattr(widget, "ctx", None)
        if isinstance(ctx, AppContext):
            ctx.message.emit(message)
            return
        widget = widget.parentWidget()
    log.info("%s", message)


def title_for(exc: CrmError) -> str:
    if isinstance(exc, ValidationError):
        return "Cannot save that"
    if isinstance(exc, NotFoundError):
        return "Not found"
    if isinstance(exc, AmbiguousError):
        return "More than one match"
    if isinstance(exc, ConflictError):
        return "Someone else saved first"
    if isinstance(exc, DatabaseError):
        return "Database problem"
    if isinstance(exc, CredentialsError):
        return "X credentials"
    if isinstance(exc, RateLimitedError):
        return "X asks us to wait"
    if isinstance(exc, XApiError):
        return "X did not answer"
    return "Interim CRM"


def show_error(exc: BaseException, parent: QWidget | None = None) -> QDialog | None:
    """Tell the user about ``exc``: a message for known errors, a crash dialog for bugs."""
    if isinstance(exc, Cancelled):
        status(exc.message, parent)
        return None
    if isinstance(exc, CrmError):
        # The type only: messages quote names and input, which the log file must not keep.
        log.info("Showing error: %s", type(exc).__name__)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            title_for(exc),
            exc.message,
            QMessageBox.StandardButton.Ok,
            parent or _active_window(),
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # messages can quote user input
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("ErrorMessage")
        box.open()
        return box
    return show_crash(exc, parent)


class CrashDialog(QDialog):
    """A bug: say so plainly and give the traceback to copy into a report."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CrashDialog")
        self.setWindowTitle("Something went wrong")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        from crm import app_logging

        text = (
            "Interim CRM hit a bug. Your data is safe: the change in progress was not saved.\n"
            "Please copy the details below into a bug report."
        )
        self.log_file = app_logging.current_log_file()
        if self.log_file is not None:
            text += f"\nThe report is also in the log file: {self.log_file}"
        intro = QLabel(text)
        intro.setObjectName("CrashIntro")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setPlainText(
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        )
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self._copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        status("Error details copied.")


def show_crash(exc: BaseException, parent: QWidget | None = None) -> QDialog:
    log.error("Unexpected error", exc_info=exc)
    dialog = CrashDialog(exc, parent or _active_window())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def _active_window() -> QWidget | None:
    app = QApplication.instance()
    return QApplication.activeWindow() if app is not None else None


def install_excepthook() -> None:
    """Route exceptions escaping Qt slots to :func:`show_error` instead of a silent abort."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        try:
            show_error(exc)
        except Exception:  # showing the error failed too: fall back to stderr
            previous(kind, exc, tb)

    sys.excepthook = hook


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    yes_label: str,
    on_yes: Callable[[], None],
    *,
    destructive: bool = False,
    details: str = "",
) -> QMessageBox:
    """A non-blocking yes/no question; ``on_yes`` runs only if the user confirms."""
    box = QMessageBox(parent or _active_window())
    box.setObjectName("Confirm")
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if details:
        box.setInformativeText(details)
    yes = box.addButton(
        yes_label,
        QMessageBox.ButtonRole.DestructiveRole
        if destructive
        else QMessageBox.ButtonRole.AcceptRole,
    )
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else yes)
    box.setEscapeButton(cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box
