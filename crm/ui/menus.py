"""The main window's menus: every command with its keys, in the menu bar and on the window
(so shortcuts work with the menu bar hidden), and the New… button's menu."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from crm.ui.kit.theme_menu import add_theme_menu

if TYPE_CHECKING:
    from crm.ui.main_window import MainWindow

# Ctrl+0 to Ctrl+6, in this order.
NAV = (
    ("today", "Today"),
    ("people", "People"),
    ("organisations", "Organisations"),
    ("assignments", "Assignments"),
    ("placements", "Placements"),
    ("reports", "Reports"),
    ("league", "League table"),
)


def shortcut_text(keys: QKeySequence | QKeySequence.StandardKey | str) -> str:
    seq = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def add_action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    slot: Any,
    keys: QKeySequence.StandardKey | str | None = None,
    tip: str = "",
) -> QAction:
    """An action in ``menu`` and on the window (its keys work with the menu bar hidden too),
    its tooltip naming the keys."""
    action = QAction(text, window)
    if keys is not None:
        seq = QKeySequence(keys)
        action.setShortcut(seq)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    shown = text.replace("&", "").rstrip("…")
    action.setToolTip(
        f"{tip or shown} ({shortcut_text(action.shortcut())})" if keys else tip or shown
    )
    action.setStatusTip(tip or shown)
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)  # shortcuts work with the menu bar hidden too
    return action


def build_menus(window: MainWindow) -> None:
    """The menu bar and the New… button's menu; the actions tests and pages use are kept on
    the window (``window.new_person_action`` ...)."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    window.new_person_action = add_action(
        window,
        file,
        "New &person…",
        window.new_person,
        QKeySequence.StandardKey.New,
        "Add a person",
    )
    window.new_org_action = add_action(
        window, file, "New &organisation…", window.new_organisation, "Ctrl+Shift+N"
    )
    window.new_placement_action = add_action(
        window, file, "New p&lacement…", window.new_placement, "Ctrl+Shift+P"
    )
    window.new_assignment_action = add_action(
        window, file, "New &assignment…", window.new_assignment, "Ctrl+Shift+A"
    )
    file.addSeparator()
    window.import_action = add_action(
        window,
        file,
        "&Import contacts…",
        window.import_contacts,
        "Ctrl+Shift+I",
        "Import people or organisations from a CSV or vCard file",
    )
    window.export_action = add_action(
        window,
        file,
        "&Export…",
        window.export,
        "Ctrl+Shift+E",
        "Export people, organisations or interactions (or the list on screen)",
    )
    file.addSeparator()
    add_action(window, file, "&Back up the database…", window.back_up, None, "Copy the database")
    add_action(
        window,
        file,
        "&Restore from a backup…",
        window.restore_backup,
        None,
        "Replace the database with a backup (checked first; a copy is kept)",
    )
    window.sample_action = add_action(
        window,
        file,
        "Explore &sample data…",
        window.open_sample_data,
        None,
        "Open the separate demo database with sample data",
    )
    window.back_to_mine_action = add_action(
        window,
        file,
        "Back to &my database",
        window.back_to_my_database,
        None,
        "Close the sample data and open your own database again",
    )
    file.addSeparator()
    add_action(window, file, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    window.find_action = add_action(
        window,
        edit,
        "&Search everything",
        window.focus_search,
        "Ctrl+K",
        "Search people, organisations and assignments",
    )
    window.find_in_list_action = add_action(
        window, edit, "&Find in list", window.find_in_list, QKeySequence.StandardKey.Find
    )
    edit.addSeparator()
    window.log_action = add_action(
        window, edit, "&Log interaction…", window.quick_log, "Ctrl+L", "Log a call, meeting or note"
    )
    window.log_button.setToolTip(window.log_action.toolTip())
    window.search.setToolTip(window.find_action.toolTip())

    view = bar.addMenu("&View")
    for i, (key, label) in enumerate(NAV):
        add_action(
            window, view, f"&{label}", lambda _c=False, k=key: window.show_list(k), f"Ctrl+{i}"
        )
    view.addSeparator()
    window.back_action = add_action(
        window, view, "&Back", window.go_back, QKeySequence.StandardKey.Back
    )
    window.forward_action = add_action(
        window, view, "&Forward", window.go_forward, QKeySequence.StandardKey.Forward
    )
    add_action(window, view, "&Refresh", window.refresh, QKeySequence.StandardKey.Refresh)
    view.addSeparator()
    window.theme_actions = add_theme_menu(view, window, window.rerender_timelines)
    window.back_button.setToolTip(window.back_action.toolTip())
    window.forward_button.setToolTip(window.forward_action.toolTip())

    data = bar.addMenu("&Data")
    window.duplicates_action = add_action(
        window, data, "Find duplicate &people…", lambda: window.find_duplicates("person")
    )
    add_action(
        window,
        data,
        "Find duplicate &organisations…",
        lambda: window.find_duplicates("organisation"),
    )
    data.addSeparator()
    window.retention_action = add_action(
        window,
        data,
        "&Retention review…",
        window.retention_review,
        None,
        "People with no interaction for a long time: keep or erase (UK GDPR)",
    )

    x_menu = bar.addMenu("&X")
    window.sync_current_action = add_action(
        window,
        x_menu,
        "Sync &this record",
        window.sync_current,
        "Ctrl+Shift+Y",
        "Fetch new tweets and follower counts for the person or organisation shown",
    )
    window.sync_watched_action = add_action(
        window,
        x_menu,
        "Sync &watched accounts…",
        window.sync_watched,
        "Ctrl+Shift+W",
        "Fetch new tweets for every watched account (asks first, with the request count)",
    )
    window.cancel_sync_action = add_action(
        window, x_menu, "&Cancel sync", window.x_sync.cancel, None, "Stop the X sync in progress"
    )
    window.cancel_sync_action.setEnabled(False)
    window.x_sync.running_changed.connect(window.cancel_sync_action.setEnabled)
    x_menu.addSeparator()
    add_action(
        window, x_menu, "X &settings…", window.x_settings, None, "Token, own account, watch list"
    )
    add_action(
        window,
        x_menu,
        "&Usage and cost…",
        window.x_usage,
        None,
        "This month's X reads and their cost, by kind and by day, against the budget",
    )

    bsky_menu = bar.addMenu("&Bluesky")
    add_action(
        window,
        bsky_menu,
        "&Link this record to Bluesky…",
        window.link_bluesky,
        None,
        "Link the person or organisation shown to a Bluesky account",
    )
    add_action(
        window,
        bsky_menu,
        "Sync &this record",
        window.sync_current_bluesky,
        None,
        "Fetch new posts and follower counts from Bluesky for the record shown",
    )
    add_action(
        window,
        bsky_menu,
        "Sync &all linked accounts",
        lambda: window.bluesky_sync.sync(all_linked=True),
        None,
        "Fetch new posts and follower counts for every linked Bluesky account (free)",
    )
    add_action(
        window,
        bsky_menu,
        "&Find people from X on Bluesky…",
        window.find_on_bluesky,
        None,
        "Search Bluesky by name for people on X with no Bluesky link (offers matches)",
    )
    window.cancel_bluesky_action = add_action(
        window, bsky_menu, "&Cancel sync", window.bluesky_sync.cancel, None, "Stop the Bluesky sync"
    )
    window.cancel_bluesky_action.setEnabled(False)
    window.bluesky_sync.running_changed.connect(window.cancel_bluesky_action.setEnabled)

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "&Keyboard shortcuts", window.show_shortcuts, "F1")
    window.about_action = add_action(window, help_menu, "&About Interim CRM", window.show_about)
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    new_menu = QMenu(window.new_button)
    new_menu.addAction(window.new_person_action)
    new_menu.addAction(window.new_org_action)
    new_menu.addAction(window.new_placement_action)
    new_menu.addAction(window.new_assignment_action)
    window.new_button.setMenu(new_menu)
    window.new_button.setToolTip("Add a person, organisation, placement or assignment")
