"""Light and dark looks: the Fusion style with our palette, a small style sheet, and colours.

The app follows the system colour scheme (QStyleHints.colorScheme) and switches when it
changes; ``crm screenshot --dark`` forces the dark one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
)
from PySide6.QtWidgets import QApplication

from crm import resources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Colours:
    dark: bool
    window: str
    base: str
    alt_base: str
    panel: str
    sidebar: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    link: str
    danger: str
    danger_bg: str
    warning_bg: str
    client: str
    candidate: str
    success: str
    selection: str


LIGHT = Colours(
    dark=False,
    window="#f5f6f8",
    base="#ffffff",
    alt_base="#f8f9fb",
    panel="#ffffff",
    sidebar="#eceef2",
    text="#1f2328",
    muted="#646d78",
    border="#d8dce2",
    accent="#2f6fdf",
    accent_text="#ffffff",
    link="#1f5fc7",
    danger="#b42318",
    danger_bg="#fdecea",
    warning_bg="#fff4db",
    client="#1d6f5f",
    candidate="#6b3fb3",
    success="#1f7a3a",
    selection="#d6e4fb",
)

DARK = Colours(
    dark=True,
    window="#1d2025",
    base="#24282e",
    alt_base="#272b31",
    panel="#262a30",
    sidebar="#181a1e",
    text="#e6e8eb",
    muted="#9aa3ad",
    border="#3a3f47",
    accent="#5b8ff0",
    accent_text="#ffffff",
    link="#8ab4ff",
    danger="#ff8a80",
    danger_bg="#3d2423",
    warning_bg="#3b321c",
    client="#5fd1b9",
    candidate="#c7a4ff",
    success="#7ad597",
    selection="#2f4a78",
)

_current = LIGHT


def colours() -> Colours:
    """The colours in use now (delegates and rich text read them when they paint)."""
    return _current


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def palette_for(c: Colours) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base,
        QPalette.ColorRole.AlternateBase: c.alt_base,
        QPalette.ColorRole.ToolTipBase: c.panel,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.panel,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.BrightText: c.danger,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.Link: c.link,
        QPalette.ColorRole.LinkVisited: c.link,
        QPalette.ColorRole.Light: c.base,
        QPalette.ColorRole.Midlight: c.border,
        # Fusion draws check boxes and frames with these; in the dark they need more contrast.
        QPalette.ColorRole.Mid: "#6b7380" if c.dark else c.border,
        QPalette.ColorRole.Dark: "#6b7380" if c.dark else "#b9c0c8",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.muted))
    return p


def style_sheet(c: Colours) -> str:
    """Only what the palette cannot say: the sidebar, page headers, badges, form errors."""
    return f"""
    QWidget#Sidebar {{ background: {c.sidebar}; border-right: 1px solid {c.border}; }}
    QListWidget#NavList {{ background: transparent; border: none; outline: 0; }}
    QListWidget#NavList::item {{ padding: 8px 12px; border-radius: 6px; margin: 1px 6px; }}
    QListWidget#NavList::item:selected {{ background: {c.selection}; color: {c.text}; }}
    QListWidget#NavList::item:hover:!selected {{ background: {c.border}; }}
    QLabel#AppTitle {{ font-weight: 600; font-size: 13pt; padding: 14px 16px 10px 16px; }}
    QLabel#SidebarHint {{ color: {c.muted}; padding: 8px 16px; font-size: 8.5pt; }}
    QFrame#PageHeader {{ background: {c.panel}; border-bottom: 1px solid {c.border}; }}
    QLabel#PageTitle {{ font-size: 17pt; font-weight: 600; }}
    QLabel#PageSubtitle, QLabel#Muted {{ color: {c.muted}; }}
    QLabel#SectionTitle {{ font-weight: 600; font-size: 10.5pt; padding-top: 6px; }}
    QLabel#Badge {{ border-radius: 9px; padding: 2px 9px; font-size: 8.5pt; font-weight: 600; }}
    QLabel#Badge[tone="client"] {{ color: {c.client}; border: 1px solid {c.client}; }}
    QLabel#Badge[tone="candidate"] {{ color: {c.candidate}; border: 1px solid {c.candidate}; }}
    QLabel#Badge[tone="neutral"] {{ color: {c.muted}; border: 1px solid {c.border}; }}
    QLabel#Badge[tone="success"] {{ color: {c.success}; border: 1px solid {c.success}; }}
    QLabel#Badge[tone="danger"] {{ color: {c.danger}; border: 1px solid {c.danger}; }}
    QFrame#Warning {{ background: {c.danger_bg}; border: 1px solid {c.danger};
                      border-radius: 6px; }}
    QFrame#Warning QLabel {{ color: {c.danger}; font-weight: 600; }}
    QFrame#DemoBanner {{ background: {c.warning_bg}; border-bottom: 1px solid {c.border}; }}
    QFrame#DemoBanner QLabel {{ font-weight: 600; }}
    QFrame#ProblemBanner {{ background: {c.danger_bg}; border-bottom: 1px solid {c.danger}; }}
    QFrame#ProblemBanner QLabel {{ color: {c.danger}; font-weight: 600; }}
    QLabel#FieldError {{ color: {c.danger}; font-size: 8.5pt; }}
    QCheckBox::indicator {{ width: 14px; height: 14px; border: 1px solid {c.muted};
                            border-radius: 3px; background: {c.base}; }}
    QCheckBox::indicator:checked {{ background: {c.accent}; border-color: {c.accent};
                                    image: url("{tick_image().as_posix()}"); }}
    QCheckBox::indicator:disabled {{ border-color: {c.border}; }}
    QLineEdit, QPlainTextEdit {{ border: 1px solid {c.border}; border-radius: 4px;
                                 background: {c.base}; padding: 3px 5px; }}
    QLineEdit:focus, QPlainTextEdit:focus {{ border: 1px solid {c.accent}; }}
    QLineEdit:read-only {{ background: {c.alt_base}; }}
    QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 1px solid {c.danger}; }}
    QFrame#Card {{ background: {c.panel}; border: 1px solid {c.border}; border-radius: 8px; }}
    QLabel#EmptyTitle {{ font-size: 13pt; font-weight: 600; color: {c.muted}; }}
    QLabel#EmptyText {{ color: {c.muted}; }}
    QLabel#StatValue {{ font-size: 15pt; font-weight: 600; }}
    QLabel#StatLabel {{ color: {c.muted}; font-size: 8.5pt; }}
    QLineEdit#GlobalSearch {{ padding: 5px 8px; border-radius: 6px; border: 1px solid {c.border};
                              background: {c.base}; }}
    QLineEdit#GlobalSearch:focus {{ border: 1px solid {c.accent}; }}
    QPushButton {{ background: {c.panel}; border: 1px solid {c.border}; border-radius: 5px;
                   padding: 5px 12px; }}
    QPushButton:hover {{ border-color: {c.muted}; }}
    QPushButton:pressed {{ background: {c.selection}; }}
    QPushButton:disabled {{ color: {c.muted}; }}
    QPushButton::menu-indicator {{ subcontrol-position: right center; right: 6px; }}
    QPushButton#Primary {{ background: {c.accent}; color: {c.accent_text}; border: none;
                           border-radius: 5px; padding: 6px 14px; font-weight: 600; }}
    QPushButton#Primary:disabled {{ background: {c.border}; color: {c.muted}; }}
    /* A focus ring you can see from across the room, in both themes (the accent ring on
       ordinary buttons; on the accent-filled primary button, a ring in the text colour). */
    QPushButton:focus {{ border: 2px solid {c.accent}; padding: 4px 11px; }}
    QPushButton#Primary:focus {{ border: 2px solid {c.text}; padding: 4px 12px; }}
    QToolButton:focus {{ border: 2px solid {c.accent}; border-radius: 5px; }}
    QCheckBox:focus {{ color: {c.accent}; }}
    QToolButton#KindButton {{ padding: 4px 8px; border: 1px solid {c.border}; border-radius: 5px; }}
    QToolButton#KindButton:checked {{ background: {c.accent}; color: {c.accent_text};
                                      border-color: {c.accent}; }}
    QToolButton#FilterChip {{ padding: 3px 10px; border: 1px solid {c.border};
                              border-radius: 11px; }}
    QToolButton#FilterChip:checked {{ background: {c.selection}; border-color: {c.accent}; }}
    QTableView {{ gridline-color: transparent; selection-background-color: {c.selection};
                  selection-color: {c.text}; border: none; }}
    QHeaderView::section {{ padding: 5px 6px; border: none; border-bottom: 1px solid {c.border};
                            background: {c.panel}; font-weight: 600; color: {c.muted}; }}
    QTextBrowser#Timeline {{ border: none; background: {c.base}; }}
    QStatusBar {{ border-top: 1px solid {c.border}; }}
    QStatusBar QLabel {{ color: {c.muted}; padding: 0 6px; }}
    QTabWidget::pane {{ border: none; border-top: 1px solid {c.border}; }}
    QTabBar::tab {{ padding: 8px 16px; border: none; border-bottom: 2px solid transparent;
                    background: transparent; color: {c.muted}; }}
    QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent}; }}
    QTabBar::tab:hover:!selected {{ color: {c.text}; }}
    """


def tick_image() -> Path:
    """The check mark for the style sheet's check boxes: ``check.svg`` of the package
    (white, drawn at twice the indicator size so it stays sharp on HiDPI screens).

    Drawing check boxes through a Python QProxyStyle doubled the cost of painting every
    table cell; a style sheet with an image costs nothing extra.
    """
    return resources.path("check.svg")


def apply(app: QApplication, dark: bool | None = None) -> Colours:
    """Use the light or dark look (None: follow the system) and return its colours."""
    global _current
    forced = dark is not None
    if dark is None:
        dark = system_prefers_dark()
    c = DARK if dark else LIGHT
    _current = c
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    if forced:
        # Only a forced look is requested from Qt: a request would stop it following the system.
        hints = app.styleHints()
        if hasattr(hints, "setColorScheme"):  # Qt 6.8+; before that the palette alone applies
            hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    app.setPalette(palette_for(c))
    font = QFont(app.font())
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
    app.setFont(font)
    sheet = style_sheet(c)
    if app.styleSheet() != sheet:  # restyling every widget is slow; skip when unchanged
        app.setStyleSheet(sheet)
    return c


THEMES = (("system", "&System"), ("light", "&Light"), ("dark", "&Dark"))


def choose(app: QApplication, choice: str) -> Colours:
    """The look the user picked in View → Theme: "system" (follow the desktop), "light" or
    "dark" (a machine without a desktop cannot change the system's scheme)."""
    if choice in ("light", "dark"):
        return apply(app, choice == "dark")
    hints = app.styleHints()
    if hasattr(hints, "unsetColorScheme"):  # Qt 6.8+: stop forcing, follow the system again
        hints.unsetColorScheme()
    return apply(app, None)


def follow_system(app: QApplication, on_change: object = None) -> None:
    """Re-apply the look when the system switches between light and dark."""

    def changed(_scheme: Qt.ColorScheme) -> None:
        from crm import settings

        if settings.get("theme") in ("light", "dark"):
            return  # the user's choice holds whatever the system does
        apply(app, None)
        if callable(on_change):
            on_change()

    app.styleHints().colorSchemeChanged.connect(changed)
