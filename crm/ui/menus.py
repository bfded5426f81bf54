"""The main window's menus: every command with its keys, in the menu bar and on the window
(so shortcuts work with the menu bar hidden), and the New… button's menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QMainWindow, QMenu, QToolButton, QWidget

from crm.ui.kit.theme_menu import add_theme_menu

if TYPE_CHECKING:
    from crm.ui.x.bluesky_sync import BlueskySyncRunner
    from crm.ui.x.sync import XSyncRunner

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


@dataclass(frozen=True)
class MenuActions:
    """The menus' actions that the window, its pages and tests use again."""

    new_person: QAction
    new_org: QAction
    new_placement: QAction
    new_assignment: QAction
    import_contacts: QAction
    export: QAction
    sample: QAction
    back_to_mine: QAction
    find: QAction
    find_in_list: QAction
    log: QAction
    back: QAction
    forward: QAction
    themes: dict[str, QAction]
    duplicates: QAction
    retention: QAction
    sync_current: QAction
    sync_watched: QAction
    cancel_sync: QAction
    cancel_bluesky: QAction
    about: QAction


class WindowCommands(Protocol):
    """What the menus run, and the window's buttons that name their keys: the main window,
    seen from here (so this module needs no import of it)."""

    search: QLineEdit
    new_button: QToolButton
    log_button: QToolButton
    back_button: QToolButton
    forward_button: QToolButton
    x_sync: XSyncRunner
    bluesky_sync: BlueskySyncRunner

    def new_person(self) -> object: ...
    def new_organisation(self) -> object: ...
    def new_placement(self) -> object: ...
    def new_assignment(self) -> object: ...
    def import_contacts(self) -> object: ...
    def export(self) -> object: ...
    def back_up(self) -> object: ...
    def restore_backup(self) -> object: ...
    def open_sample_data(self) -> object: ...
    def back_to_my_database(self) -> object: ...
    def focus_search(self) -> object: ...
    def find_in_list(self) -> object: ...
    def quick_log(self) -> object: ...
    def show_list(self, key: str) -> object: ...
    def go_back(self) -> object: ...
    def go_forward(self) -> object: ...
    def refresh(self) -> object: ...
    def rerender_timelines(self) -> None: ...
    def find_duplicates(self, kind: str) -> object: ...
    def retention_review(self) -> object: ...
    def sync_current(self) -> object: ...
    def sync_watched(self) -> object: ...
    def x_settings(self) -> object: ...
    def x_usage(self) -> object: ...
    def link_bluesky(self) -> object: ...
    def sync_current_bluesky(self) -> object: ...
    def find_on_bluesky(self) -> object: ...
    def show_shortcuts(self) -> object: ...
    def show_about(self) -> object: ...


def shortcut_text(keys: QKeySequence | QKeySequence.StandardKey | str) -> str:
    seq = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def add_action(
    window: QWidget,
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


def build_menus(window: QMainWindow, commands: WindowCommands) -> MenuActions:
    """The menu bar and the New… button's menu; the actions tests and pages use are kept on
    the window (``new_person`` ...)."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    new_person = add_action(
        window,
        file,
        "New &person…",
        commands.new_person,
        QKeySequence.StandardKey.New,
        "Add a person",
    )
    new_org = add_action(
        window, file, "New &organisation…", commands.new_organisation, "Ctrl+Shift+N"
    )
    new_placement = add_action(
        window, file, "New p&lacement…", commands.new_placement, "Ctrl+Shift+P"
    )
    new_assignment = add_action(
        window, file, "New &assignment…", commands.new_assignment, "Ctrl+Shift+A"
    )
    file.addSeparator()
    import_contacts = add_action(
        window,
        file,
        "&Import contacts…",
        commands.import_contacts,
        "Ctrl+Shift+I",
        "Import people or organisations from a CSV or vCard file",
    )
    export = add_action(
        window,
        file,
        "&Export…",
        commands.export,
        "Ctrl+Shift+E",
        "Export people, organisations or interactions (or the list on screen)",
    )
    file.addSeparator()
    add_action(window, file, "&Back up the database…", commands.back_up, None, "Copy the database")
    add_action(
        window,
        file,
        "&Restore from a backup…",
        commands.restore_backup,
        None,
        "Replace the database with a backup (checked first; a copy is kept)",
    )
    sample = add_action(
        window,
        file,
        "Explore &sample data…",
        commands.open_sample_data,
        None,
        "Open the separate demo database with sample data",
    )
    back_to_mine = add_action(
        window,
        file,
        "Back to &my database",
        commands.back_to_my_database,
        None,
        "Close the sample data and open your own database again",
    )
    file.addSeparator()
    add_action(window, file, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    find = add_action(
        window,
        edit,
        "&Search everything",
        commands.focus_search,
        "Ctrl+K",
        "Search people, organisations and assignments",
    )
    find_in_list = add_action(
        window, edit, "&Find in list", commands.find_in_list, QKeySequence.StandardKey.Find
    )
    edit.addSeparator()
    log = add_action(
        window,
        edit,
        "&Log interaction…",
        commands.quick_log,
        "Ctrl+L",
        "Log a call, meeting or note",
    )
    commands.log_button.setToolTip(log.toolTip())
    commands.search.setToolTip(find.toolTip())

    view = bar.addMenu("&View")
    for i, (key, label) in enumerate(NAV):
        add_action(
            window, view, f"&{label}", lambda _c=False, k=key: commands.show_list(k), f"Ctrl+{i}"
        )
    view.addSeparator()
    back = add_action(window, view, "&Back", commands.go_back, QKeySequence.StandardKey.Back)
    forward = add_action(
        window, view, "&Forward", commands.go_forward, QKeySequence.StandardKey.Forward
    )
    add_action(window, view, "&Refresh", commands.refresh, QKeySequence.StandardKey.Refresh)
    view.addSeparator()
    themes = add_theme_menu(view, window, commands.rerender_timelines)
    commands.back_button.setToolTip(back.toolTip())
    commands.forward_button.setToolTip(forward.toolTip())

    data = bar.addMenu("&Data")
    duplicates = add_action(
        window, data, "Find duplicate &people…", lambda: commands.find_duplicates("person")
    )
    add_action(
        window,
        data,
        "Find duplicate &organisations…",
        lambda: commands.find_duplicates("organisation"),
    )
    data.addSeparator()
    retention = add_action(
        window,
        data,
        "&Retention review…",
        commands.retention_review,
        None,
        "People with no interaction for a long time: keep or erase (UK GDPR)",
    )

    x_menu = bar.addMenu("&X")
    sync_current = add_action(
        window,
        x_menu,
        "Sync &this record",
        commands.sync_current,
        "Ctrl+Shift+Y",
        "Fetch new tweets and follower counts for the person or organisation shown",
    )
    sync_watched = add_action(
        window,
        x_menu,
        "Sync &watched accounts…",
        commands.sync_watched,
        "Ctrl+Shift+W",
        "Fetch new tweets for every watched account (asks first, with the request count)",
    )
    cancel_sync = add_action(
        window, x_menu, "&Cancel sync", commands.x_sync.cancel, None, "Stop the X sync in progress"
    )
    cancel_sync.setEnabled(False)
    commands.x_sync.running_changed.connect(cancel_sync.setEnabled)
    x_menu.addSeparator()
    add_action(
        window, x_menu, "X &settings…", commands.x_settings, None, "Token, own account, watch list"
    )
    add_action(
        window,
        x_menu,
        "&Usage and cost…",
        commands.x_usage,
        None,
        "This month's X reads and their cost, by kind and by day, against the budget",
    )

    bsky_menu = bar.addMenu("&Bluesky")
    add_action(
        window,
        bsky_menu,
        "&Link this record to Bluesky…",
        commands.link_bluesky,
        None,
        "Link the person or organisation shown to a Bluesky account",
    )
    add_action(
        window,
        bsky_menu,
        "Sync &this record",
        commands.sync_current_bluesky,
        None,
        "Fetch new posts and follower counts from Bluesky for the record shown",
    )
    add_action(
        window,
        bsky_menu,
        "Sync &all linked accounts",
        lambda: commands.bluesky_sync.sync(all_linked=True),
        None,
        "Fetch new posts and follower counts for every linked Bluesky account (free)",
    )
    add_action(
        window,
        bsky_menu,
        "&Find people from X on Bluesky…",
        commands.find_on_bluesky,
        None,
        "Search Bluesky by name for people on X with no Bluesky link (offers matches)",
    )
    cancel_bluesky = add_action(
        window,
        bsky_menu,
        "&Cancel sync",
        commands.bluesky_sync.cancel,
        None,
        "Stop the Bluesky sync",
    )
    cancel_bluesky.setEnabled(False)
    commands.bluesky_sync.running_changed.connect(cancel_bluesky.setEnabled)

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "&Keyboard shortcuts", commands.show_shortcuts, "F1")
    about = add_action(window, help_menu, "&About Interim CRM", commands.show_about)
    about.setMenuRole(QAction.MenuRole.AboutRole)

    new_menu = QMenu(commands.new_button)
    new_menu.addAction(new_person)
    new_menu.addAction(new_org)
    new_menu.addAction(new_placement)
    new_menu.addAction(new_assignment)
    commands.new_button.setMenu(new_menu)
    commands.new_button.setToolTip("Add a person, organisation, placement or assignment")
    return MenuActions(
        new_person=new_person,
        new_org=new_org,
        new_placement=new_placement,
        new_assignment=new_assignment,
        import_contacts=import_contacts,
        export=export,
        sample=sample,
        back_to_mine=back_to_mine,
        find=find,
        find_in_list=find_in_list,
        log=log,
        back=back,
        forward=forward,
        themes=themes,
        duplicates=duplicates,
        retention=retention,
        sync_current=sync_current,
        sync_watched=sync_watched,
        cancel_sync=cancel_sync,
        cancel_bluesky=cancel_bluesky,
        about=about,
    )
