"""The application's identity in the UI: its icon and the About box (Help ▸ About)."""

from __future__ import annotations

import platform
import sys
from html import escape

import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from crm import app_identity, app_logging, resources
from crm.storage.db import Database


def app_icon() -> QIcon:
    """The application icon with every rendered size (Qt picks the nearest for each use)."""
    icon = QIcon()
    for png in resources.icon_pngs():
        icon.addFile(str(png))
    return icon


def details(db: Database | None) -> list[tuple[str, str]]:
    """What the About box lists, as (label, text) pairs: also what "Copy details" copies."""
    rows = [("Version", app_identity.version())]
    rows.append(("Database", db.describe() if db is not None else "none open"))
    for label, folder in app_identity.folders().items():
        rows.append((label, str(folder)))
    log_file = app_logging.current_log_file()
    if log_file is not None:
        rows.append(("Log file", str(log_file)))
    rows.append(
        (
            "Built with",
            f"Python {platform.python_version()}, PySide6 {PySide6.__version__} "
            f"(Qt {qVersion()}), {sys.platform}",
        )
    )
    rows.append(("Licence", app_identity.LICENCE))
    return rows


class AboutDialog(QDialog):
    """Version, database in use, where data, settings and logs live, and the licence."""

    def __init__(self, db: Database | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle(f"About {app_identity.DISPLAY_NAME}")
        self.rows = details(db)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(QPixmap(str(resources.path(f"icons/{resources.ICON_NAME}-64.png"))))
        head.addWidget(logo)
        title = QLabel(
            f"<b style='font-size:17pt'>{app_identity.DISPLAY_NAME}</b><br>"
            f"Version {app_identity.version()}<br>{app_identity.COPYRIGHT}"
        )
        title.setObjectName("AboutTitle")
        head.addWidget(title, 1)
        layout.addLayout(head)
        layout.addSpacing(8)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        folders = {str(p) for p in app_identity.folders().values()}
        for label, text in self.rows[1:]:
            value = QLabel()
            value.setObjectName(f"About{label.replace(' ', '')}")
            value.setWordWrap(label == "Licence")  # paths are easier to read on one line
            if text in folders:
                # A link opens the folder in the file manager.
                url = QUrl.fromLocalFile(text).toString()
                value.setTextFormat(Qt.TextFormat.RichText)
                value.setText(f"<a href='{escape(url)}'>{escape(text)}</a>")
                value.linkActivated.connect(lambda href: QDesktopServices.openUrl(QUrl(href)))
            else:
                value.setTextFormat(Qt.TextFormat.PlainText)
                value.setText(text)
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByMouse
            )
            form.addRow(f"{label}:", value)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # As big as the contents, no bigger: wrapped lines get their height, nothing stretches.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)

    def copy_details(self) -> None:
        """Put the details on the clipboard, for a support request."""
        lines = [f"{app_identity.DISPLAY_NAME} {app_identity.version()}"]
        lines += [f"{label}: {text}" for label, text in self.rows[1:]]
        QGuiApplication.clipboard().setText("\n".join(lines))


def show_about(db: Database | None, parent: QWidget | None = None) -> AboutDialog:
    dialog = AboutDialog(db, parent)
    dialog.open()
    return dialog
