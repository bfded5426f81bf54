"""View → Theme: System, Light or Dark, remembered in the settings file."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from crm import settings
from crm.ui.kit import theme


def add_theme_menu(
    menu: QMenu, owner: QWidget, on_changed: Callable[[], None]
) -> dict[str, QAction]:
    """Add the Theme submenu to ``menu``; ``on_changed`` runs after a switch (to repaint
    what draws its own colours). Returns the actions by choice ("system", "light", "dark")."""
    sub = menu.addMenu("T&heme")
    group = QActionGroup(owner)
    group.setExclusive(True)
    current = str(settings.get("theme"))
    actions: dict[str, QAction] = {}
    for choice, label in theme.THEMES:
        action = QAction(label, owner)
        action.setCheckable(True)
        action.setChecked(choice == current)
        action.setStatusTip(
            "Follow the desktop's light or dark setting"
            if choice == "system"
            else f"Always use the {choice} look"
        )

        def picked(_checked: bool = False, choice: str = choice) -> None:
            settings.set("theme", choice)
            app = QApplication.instance()
            if isinstance(app, QApplication):
                theme.choose(app, choice)
            on_changed()

        action.triggered.connect(picked)
        group.addAction(action)
        sub.addAction(action)
        actions[choice] = action
    return actions
