"""Organisations: the list (filter as you type) and the organisation page (people there now and
formerly, placements, interactions with anyone there, the X account's stats and the Bluesky
account beside it)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm.domain.enums import ClientStatus, Sector
from crm.services import bluesky as bluesky_service
from crm.services import organisations as org_service
from crm.services import people as people_service
from crm.services import placements as placement_service
from crm.services import xlink
from crm.services.bluesky import BlueskyAccountView, SocialActivity
from crm.services.timeline import organisation_timeline
from crm.services.views import (
    OrganisationDetail,
    OrganisationSummary,
    PersonSummary,
    PlacementSummary,
    XAccountView,
)
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import (
    esc,
    fmt_ago,
    fmt_count,
    fmt_date,
    fmt_money,
    is_web_url,
    label_of,
)
from crm.ui.kit.forms import open_dialog
from crm.ui.kit.list_page import ListPage, open_on_enter, record_table, selected_id
from crm.ui.kit.models import Column, RecordTableModel
from crm.ui.kit.timeline_view import TimelineView, follow_link
from crm.ui.kit.widgets import PageHeader, enum_combo, link_label, plain_label
from crm.ui.kit.workers import LatestRequest
from crm.ui.organisations.dialogs import OrganisationDialog, confirm_delete_organisation
from crm.ui.people.facts import activity_facts, bluesky_facts
from crm.ui.x.chart import FollowerChart

log = logging.getLogger(__name__)

STATUS_TONE = {"client": "success", "prospect": "neutral", "former_client": "neutral"}
STATUS_COLOUR = {
    "active": "success",
    "extended": "success",
    "confirmed": "client",
    "proposed": "muted",
    "ended": "muted",
    "cancelled": "danger",
}


def organisation_columns() -> list[Column[OrganisationSummary]]:
    return [
        Column("Name", lambda o: o.name, width=300),
        Column("Type", lambda o: label_of(o.org_type), width=155),
        Column("Sector", lambda o: label_of(o.sector), width=155),
        Column("Region", lambda o: o.region or "", width=140),
        Column(
            "Status",
            lambda o: label_of(o.client_status),
            width=110,
            tone=lambda o: "success" if o.client_status == "client" else "muted",
        ),
        Column(
            "People",
            lambda o: str(o.people_count),
            sort=lambda o: o.people_count,
            align=Qt.AlignmentFlag.AlignRight,
            width=70,
        ),
        Column("X", lambda o: f"@{o.x_handle}" if o.x_handle else "", width=150, muted=True),
        Column(
            "Followers",
            lambda o: fmt_count(o.followers),
            sort=lambda o: o.followers,
            align=Qt.AlignmentFlag.AlignRight,
            width=90,
        ),
    ]


def people_columns(current: bool) -> list[Column[PersonSummary]]:
    return [
        Column("Name", lambda p: p.name + ("  ⊘" if p.do_not_contact else ""), width=170),
        Column("Title", lambda p: p.job_title or "", width=210),
        Column(
            "Kind",
            lambda p: " · ".join(
                t
                for t, on in (("Client", p.is_client_contact), ("Candidate", p.is_candidate))
                if on
            ),
            width=80,
        ),
        Column(
            "Followers",
            lambda p: fmt_count(p.followers),
            sort=lambda p: p.followers,
            align=Qt.AlignmentFlag.AlignRight,
            width=80,
            tooltip=lambda p: f"@{p.x_handle}" if p.x_handle else "No X account linked",
        ),
        Column(
            "Last contact",
            lambda p: fmt_ago(p.last_interaction_at, empty=""),
            sort=lambda p: p.last_interaction_at,
            width=100,
            muted=True,
        ),
    ]


def placement_columns(show_org: bool = True) -> list[Column[PlacementSummary]]:
    """The placements list's columns; without the organisation (its own page's tab, about
    700 pixels wide at the usual window size) narrower, so End and Day rate stay in view."""
    wide = show_org
    columns: list[Column[PlacementSummary]] = [
        Column("Candidate", lambda p: p.candidate, width=190 if wide else 150),
        Column("Role", lambda p: p.role, width=280 if wide else 190),
    ]
    if show_org:
        columns.append(Column("Organisation", lambda p: p.organisation, width=320))
    columns += [
        Column(
            "Status",
            lambda p: label_of(p.status),
            width=95 if wide else 80,
            tone=lambda p: STATUS_COLOUR.get(p.status),
        ),
        Column(
            "Start",
            lambda p: fmt_date(p.start_date),
            sort=lambda p: p.start_date,
            width=100 if wide else 88,
        ),
        Column(
            "End",
            lambda p: fmt_date(p.end_date),
            sort=lambda p: p.end_date,
            width=100 if wide else 88,
        ),
        Column(
            "Charge rate",
            lambda p: fmt_money(p.charge_rate, p.currency, per_day=False),
            sort=lambda p: p.charge_rate,
            align=Qt.AlignmentFlag.AlignRight,
            width=90 if wide else 76,
        ),
    ]
    return columns


class OrganisationsPage(ListPage[OrganisationSummary]):
    """Every organisation, filtered by name/code as you type, sector and client status."""

    noun = "organisation"
    new_shortcut = "Ctrl+Shift+N"
    # The text is searched for in the database, by name or code.
    no_match_hint = "Try fewer letters or clear the filters."
    refresh_on = ("organisation", "person", "employment")

    def setup_filters(self) -> list[QComboBox | QCheckBox]:
        # The search runs in the database: wait for a pause in the typing.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        self.filter_edit.textChanged.connect(lambda _t: self._timer.start())
        self.filter_edit.setPlaceholderText("Filter by name or ODS/GSS code (Ctrl+F)")
        self.filter_edit.setMinimumWidth(300)
        self.sector_combo = enum_combo(Sector, blank="All sectors", accessible="Sector filter")
        self.status_combo = enum_combo(
            ClientStatus, blank="Any status", accessible="Client status filter"
        )
        return [self.sector_combo, self.status_combo]

    def refresh(self) -> None:
        self.load(
            org_service.list_organisations,
            self.filter_edit.text(),
            self.sector_combo.currentData(),
            self.status_combo.currentData(),
        )

    def columns(self) -> list[Column[OrganisationSummary]]:
        return organisation_columns()

    def new_record(self) -> None:
        open_dialog(OrganisationDialog(self.ctx, None, self))


class StatCard(QFrame):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.setObjectName("Card")
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 10, 14, 10)
        column.setSpacing(0)
        self.value = plain_label("—", "StatValue")
        self.label = plain_label(label, "StatLabel")
        column.addWidget(self.value)
        column.addWidget(self.label)


class XStats(QWidget):
    """An X account's numbers in cards: followers, following, tweets, last synced."""

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        self.cards = {
            key: StatCard(label)
            for key, label in (
                ("followers", "followers"),
                ("following", "following"),
                ("tweets", "tweets"),
                ("synced", "last synced"),
            )
        }
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, i)
        grid.setColumnStretch(len(self.cards), 1)

    def show_account(self, x: XAccountView | None) -> None:
        self.setVisible(x is not None)
        if x is None:
            return
        self.cards["followers"].value.setText(fmt_count(x.followers_count, "—"))
        self.cards["following"].value.setText(fmt_count(x.following_count, "—"))
        self.cards["tweets"].value.setText(fmt_count(x.tweet_count, "—"))
        self.cards["synced"].value.setText(fmt_ago(x.last_synced_at))


class OrganisationPage(QWidget):
    """One organisation: header, X stats, and tabs for its people, placements and activity."""

    sync_requested = Signal()
    bluesky_sync_requested = Signal()

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self.detail: OrganisationDetail | None = None
        self.bluesky: BlueskyAccountView | None = None
        self._loads = LatestRequest()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader()
        self.facts = link_label("", self._on_link)
        self.facts.setObjectName("PageSubtitle")
        self.header.meta_extra.addWidget(self.facts)
        # The X handle and the Bluesky handle beside it, each with its sync link.
        self.x_line = link_label("", self._on_link)
        self.x_line.setAccessibleName("Social accounts")
        # Wraps, so two handles with their counts never widen the window.
        self.x_line.setWordWrap(True)
        self.header.body.addWidget(self.x_line)
        self.stats = XStats()
        self.header.body.addSpacing(4)
        self.header.body.addWidget(self.stats)
        self.chart = FollowerChart()
        edit = QPushButton("Edit…")
        edit.setAccessibleName("Edit organisation")
        edit.clicked.connect(self.edit)
        add_person = QPushButton("New person here…")
        add_person.clicked.connect(self.new_person)
        delete = QPushButton("Delete…")
        delete.setAccessibleName("Delete organisation")
        delete.clicked.connect(self.delete)
        for b in (add_person, edit, delete):
            self.header.action_row.addWidget(b)
        layout.addWidget(self.header)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.current_model: RecordTableModel[PersonSummary] = RecordTableModel(
            people_columns(True), parent=self
        )
        self.former_model: RecordTableModel[PersonSummary] = RecordTableModel(
            people_columns(False), parent=self
        )
        self.placements_model: RecordTableModel[PlacementSummary] = RecordTableModel(
            placement_columns(show_org=False), parent=self
        )
        self.current_table, _ = record_table(
            "OrgPeopleNow", "People there now", self.current_model, self
        )
        self.former_table, _ = record_table(
            "OrgPeopleFormer", "People formerly there", self.former_model, self
        )
        self.placements_table, _ = record_table(
            "OrgPlacements", "Placements there", self.placements_model, self
        )
        self._enters = [
            open_on_enter(
                self.current_table, lambda: self._open_from(self.current_table, "person")
            ),
            open_on_enter(self.former_table, lambda: self._open_from(self.former_table, "person")),
            open_on_enter(
                self.placements_table, lambda: self._open_from(self.placements_table, "placement")
            ),
        ]
        self.timeline = TimelineView(ctx, organisation_timeline)
        self.timeline.title.setText("Activity")
        self.timeline.empty_text = "No interactions, tweets or placements here yet."
        self.timeline.link_activated.connect(self._timeline_link)
        activity = QWidget()
        activity_layout = QVBoxLayout(activity)
        activity_layout.setContentsMargins(16, 10, 16, 8)
        activity_layout.addWidget(self.timeline)
        self.notes = plain_label("", wrap=True)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        notes_box = QWidget()
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setContentsMargins(24, 16, 24, 16)
        notes_layout.addWidget(self.notes)
        notes_layout.addStretch(1)
        self.tabs.addTab(self.current_table, "People now")
        self.tabs.addTab(self.former_table, "Formerly")
        self.tabs.addTab(self.placements_table, "Placements")
        self.tabs.addTab(notes_box, "Notes")
        chart_box = QWidget()
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(24, 16, 24, 16)
        chart_layout.addWidget(self.chart)
        self.x_tab = self.tabs.addTab(chart_box, "X followers")
        # Who is there on the left, what happened there on the right (like the person page).
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("OrganisationSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(activity)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 460])
        if settings is not None:
            state = settings.value("splitters/organisation")
            if state is not None:
                self.splitter.restoreState(state)
        layout.addWidget(self.splitter, 1)
        ctx.changed.connect(self._on_changed)

    @property
    def organisation_id(self) -> int | None:
        return self.detail.id if self.detail else None

    def open(self, org_id: int) -> None:
        request = self._loads.start()
        db = self.ctx.db

        def work() -> tuple[Any, ...]:
            detail = org_service.get_organisation(db, org_id)
            bsky = bluesky_service.bluesky_account_of(db, organisation_id=org_id)
            activity = (
                bluesky_service.social_activity(db, organisation_id=org_id)
                if detail.x_account is not None or bsky is not None
                else None
            )
            return (
                detail,
                people_service.people_at(db, org_id, True),
                people_service.people_at(db, org_id, False),
                placement_service.list_placements(db, organisation_id=org_id),
                bsky,
                activity,
            )

        def done(result: tuple[Any, ...]) -> None:
            detail, now, former, placements, bsky, activity = result
            self._show(detail, bsky, activity)
            self.current_model.set_rows(now)
            self.former_model.set_rows(former)
            self.placements_model.set_rows(placements)
            self._update_tab_titles()

        self.ctx.runner.run(work, request.guard(done), label="Opening organisation")
        self.timeline.load(org_id)

    def _update_tab_titles(self) -> None:
        self.tabs.setTabText(0, f"People now ({self.current_model.rowCount()})")
        self.tabs.setTabText(1, f"Formerly ({self.former_model.rowCount()})")
        self.tabs.setTabText(2, f"Placements ({self.placements_model.rowCount()})")

    def _show(
        self,
        d: OrganisationDetail,
        bsky: BlueskyAccountView | None = None,
        activity: SocialActivity | None = None,
    ) -> None:
        self.detail = d
        self.bluesky = bsky
        self.header.title.setText(d.name)
        badges = [(label_of(d.client_status), STATUS_TONE.get(d.client_status, "neutral"))]
        if d.sector:
            badges.append((label_of(d.sector), "neutral"))
        badges.append((label_of(d.org_type), "neutral"))
        self.header.set_badges(badges)
        facts = []
        if d.region:
            facts.append(esc(d.region))
        if d.website and is_web_url(d.website):
            facts.append(
                f'<a href="{esc(d.website)}">{esc(d.website.split("//", 1)[-1].rstrip("/"))}</a>'
            )
        if d.ods_code:
            facts.append(f"ODS {esc(d.ods_code)}")
        if d.gss_code:
            facts.append(f"GSS {esc(d.gss_code)}")
        if d.parent_id:
            facts.append(
                f'part of <a href="crm:organisation:{d.parent_id}">{esc(d.parent_name)}</a>'
            )
        if d.tags:
            facts.append("tags: " + esc(", ".join(d.tags)))
        self.facts.setText(" · ".join(facts))
        social = []
        if d.x_account is not None:
            handle = esc(d.x_account.handle)
            name = esc(d.x_account.display_name or "")
            social.append(f'X <a href="https://x.com/{handle}">@{handle}</a> {name}'.rstrip())
            social.append('<a href="crm:sync">sync now</a>')
        if bsky is not None:
            social.extend(bluesky_facts(bsky))
        if activity is not None:  # last post on each, or the "moved to Bluesky?" flag
            social.extend(activity_facts(activity))
        self.x_line.setText(" · ".join(social))
        self.x_line.setVisible(bool(social))
        self.stats.show_account(d.x_account)
        self.tabs.setTabVisible(self.x_tab, d.x_account is not None)
        if d.x_account is not None:
            self.ctx.read(
                xlink.follower_history,
                d.x_account.id,
                on_done=self.chart.set_snapshots,
                label="Loading follower history",
            )
        self.notes.setText(d.notes or "No notes.")

    def _open_from(self, view: QTableView, kind: str) -> None:
        entity_id = selected_id(view)
        if entity_id is not None:
            self.ctx.open(kind, entity_id)

    def _timeline_link(self, kind: str, entity_id: int) -> None:
        if kind == "interaction":
            from crm.services.interactions import get_interaction
            from crm.ui.people.dialogs import InteractionDialog

            self.ctx.read(
                get_interaction,
                entity_id,
                on_done=lambda view: open_dialog(InteractionDialog(self.ctx, view, self)),
            )
        else:
            self.ctx.open(kind, entity_id)

    def _on_link(self, href: str) -> None:
        if href == "crm:sync":
            self.sync_requested.emit()
            return
        if href == "crm:bsky-sync":
            self.bluesky_sync_requested.emit()
            return
        follow_link(href, self.ctx.open)

    def edit(self) -> None:
        if self.detail is not None:
            open_dialog(OrganisationDialog(self.ctx, self.detail, self))

    def new_person(self) -> None:
        from crm.ui.people.dialogs import PersonDialog

        if self.detail is not None:
            open_dialog(PersonDialog(self.ctx, self, self.detail.id))

    def delete(self) -> None:
        if self.detail is not None:
            confirm_delete_organisation(
                self.ctx,
                self,
                self.detail.id,
                self.detail.name,
                lambda: self.ctx.open("organisations", 0),
            )

    def _on_changed(self, kind: str, entity_id: int) -> None:
        if self.detail is None:
            return
        if (kind == "organisation" and entity_id == self.detail.id) or (
            kind in ("person", "employment", "placement", "interaction") and self.isVisible()
        ):
            self.open(self.detail.id)

    def save_state(self) -> None:
        if self._settings is not None:
            self._settings.setValue("splitters/organisation", self.splitter.saveState())
