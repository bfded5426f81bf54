"""Focus you can see: a ring on the focused button in both themes, and Enter presses the
focused button on the welcome page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLineEdit, QPushButton, QWidget

from crm.ui.kit import theme


def luminance(c: QColor) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def themed() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = (app.styleSheet(), app.palette(), theme.colours())
    yield app
    hints = app.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()
    app.setStyleSheet(saved[0])
    app.setPalette(saved[1])
    theme._current = saved[2]


def ring_pixels(before: QImage, after: QImage, depth: int = 3) -> list[QColor]:
    """Pixels near the edge that changed when the button took the focus."""
    changed = []
    w, h = after.width(), after.height()
    for y in range(h):
        for x in range(w):
            if min(x, y, w - 1 - x, h - 1 - y) >= depth:
                continue
            a, b = before.pixelColor(x, y), after.pixelColor(x, y)
            if abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) > 60:
                changed.append(b)
    return changed


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("primary", [False, True], ids=["button", "primary"])
def test_the_focused_button_has_a_ring_you_can_see(
    qtbot, themed: QApplication, dark: bool, primary: bool
) -> None:  # type: ignore[no-untyped-def]
    colours = theme.apply(themed, dark)
    box = QWidget()
    row = QHBoxLayout(box)
    field = QLineEdit()
    button = QPushButton("Back to my database")
    if primary:
        button.setObjectName("Primary")
    row.addWidget(field)
    row.addWidget(button)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    box.activateWindow()
    qtbot.waitUntil(box.isActiveWindow, timeout=2000)
    field.setFocus()
    before = button.grab().toImage()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    after = button.grab().toImage()
    ring = ring_pixels(before, after)
    perimeter = 2 * (after.width() + after.height())
    assert len(ring) >= perimeter, f"only {len(ring)} pixels changed around {perimeter}"
    background = QColor(colours.window)
    strong = [c for c in ring if contrast(c, background) >= 3.0]
    assert len(strong) >= 0.8 * len(ring)


def test_enter_presses_the_focused_button_on_the_welcome_page(qtbot, empty_window) -> None:  # type: ignore[no-untyped-def]
    w = empty_window
    page = w.welcome_page
    assert w.stack.currentWidget() is page
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    page.empty.button.setFocus()
    qtbot.keyClick(page.empty.button, Qt.Key.Key_Return)
    assert w.stack.currentWidget() is w.people_page


def test_view_menu_switches_the_theme_and_remembers_it(qtbot, window, themed: QApplication) -> None:  # type: ignore[no-untyped-def]
    from crm import settings

    actions = window.menu_actions.themes
    assert set(actions) == {"system", "light", "dark"}
    assert actions["system"].isChecked()  # the default
    actions["dark"].trigger()
    assert theme.colours().dark
    assert themed.palette().window().color() == QColor(theme.DARK.window)
    assert settings.get("theme") == "dark"
    assert actions["dark"].isChecked() and not actions["system"].isChecked()
    actions["light"].trigger()
    assert not theme.colours().dark
    assert themed.palette().window().color() == QColor(theme.LIGHT.window)
    assert settings.get("theme") == "light"
    actions["system"].trigger()
    assert settings.get("theme") == "system"
    assert theme.colours().dark == theme.system_prefers_dark()


def test_the_window_opens_ready_to_search(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    # A database with records opens on Today, its first list ready for D, T, W and Enter;
    # Ctrl+K reaches the search from there.
    assert window.stack.currentWidget() is window.today_page
    assert QApplication.focusWidget() is window.today_page.current_panel.view
    window.menu_actions.find.trigger()
    assert QApplication.focusWidget() is window.search


def test_an_empty_database_opens_ready_to_search(qtbot, empty_window) -> None:  # type: ignore[no-untyped-def]
    empty_window.activateWindow()
    qtbot.waitUntil(empty_window.isActiveWindow, timeout=2000)
    assert QApplication.focusWidget() is empty_window.search
