"""The person page: header with badges and X stats, an editable details form, and the timeline."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.domain.enums import IR35Preference, LawfulBasis
from crm.domain.errors import NotFoundError, ValidationError
from crm.domain.values import XHandle, format_phone
from crm.services import people as people_service
from crm.services import xlink
from crm.services.bluesky import BlueskyAccountView, SocialActivity
from crm.services.timeline import person_timeline
from crm.services.views import EmploymentView, PersonDetail
from crm.storage.db import Database
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import (
    esc,
    fmt_ago,
    fmt_date,
)
from crm.ui.kit.forms import (
    confirm_delete,
    date_or_none,
    handle_save_error,
    open_dialog,
    split_list,
)
from crm.ui.kit.timeline_view import TimelineView, follow_link
from crm.ui.kit.widgets import (
    FieldErrors,
    PageHeader,
    add_field,
    clear_layout,
    line_edit,
    link_label,
    plain_edit,
    plain_label,
)
from crm.ui.kit.workers import LatestRequest
from crm.ui.people.dialogs import EmploymentDialog, InteractionDialog, confirm_delete_person
from crm.ui.people.facts import Followers, Shown, header_facts, person_and_followers
from crm.ui.placements.dialogs import PlacementDialog
from crm.ui.today.cadence import edit_person_cadence
from crm.ui.transfer.gdpr import ErasureDialog, SubjectAccessDialog
from crm.ui.x.chart import FollowerChart

log = logging.getLogger(__name__)


def link_x_handle(db: Database, person_id: int, handle: str) -> None:
    """Link (or, with an empty handle, unlink) a person's X account. Stored unverified: the
    next sync looks it up, so saving needs no network."""
    if handle:
        xlink.link_x_account(db, person_id=person_id, handle=handle)
    else:
        xlink.unlink_x_account(db, person_id=person_id)


class PersonPage(QWidget):
    """Everything about one person. ``open(id)`` loads it in the background (``loaded`` says
    when it is shown)."""

    loaded = Signal(int)
    quick_log_requested = Signal()
    sync_requested = Signal()
    bluesky_sync_requested = Signal()
    bluesky_link_requested = Signal()

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self.detail: PersonDetail | None = None
        self.bluesky: BlueskyAccountView | None = None
        self._jobs_shown: list[EmploymentView] | None = None
        self._loads = LatestRequest()
        self._refill = False
        self._after_save: Callable[[], None] | None = None
        self._build()
        ctx.changed.connect(self._on_changed)

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader()
        self.title_line = link_label("", self._on_link)
        self.title_line.setAccessibleName("Job and organisation")
        self.header.meta_extra.addWidget(self.title_line)
        self.facts_line = link_label("", self._on_link)
        self.facts_line.setObjectName("PageSubtitle")
        # Both networks' handles, counts and last posts can pass the window's width: wrap
        # rather than widen the window.
        self.facts_line.setWordWrap(True)
        self.facts_line.setAccessibleName("Availability and X account")
        self.header.body.addWidget(self.facts_line)
        self.contact_line = plain_label("", "PageSubtitle")
        self.contact_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.body.addWidget(self.contact_line)
        self.warning = QFrame()
        self.warning.setObjectName("Warning")
        warning_row = QHBoxLayout(self.warning)
        warning_row.setContentsMargins(10, 6, 10, 6)
        self.warning_label = plain_label("", wrap=True)
        self.warning_label.setAccessibleName("Do not contact warning")
        warning_row.addWidget(self.warning_label)
        self.warning.hide()
        self.header.body.addWidget(self.warning)

        self.log_button = QPushButton("Log…")
        self.log_button.setObjectName("Primary")
        self.log_button.setToolTip("Log a call, meeting or note (Ctrl+L)")
        self.log_button.setAccessibleName("Log an interaction")
        self.log_button.clicked.connect(self.quick_log_requested.emit)
        self.more_button = QPushButton("More")
        self.more_button.setAccessibleName("More actions")
        menu = QMenu(self.more_button)
        menu.addAction("Add job…", self.add_job)
        self.placement_action = menu.addAction("New placement…", self.new_placement)
        menu.addAction("Link a Bluesky account…", self.bluesky_link_requested.emit)
        menu.addAction("Find them on Bluesky…", self.find_on_bluesky)
        menu.addAction("Keep in touch every…", self.edit_cadence)
        menu.addSeparator()
        menu.addAction("Subject access export (UK GDPR)…", self.subject_access)
        menu.addAction("Erase everything about them (UK GDPR)…", self.erase)
        menu.addSeparator()
        menu.addAction("Delete person…", self.delete)
        self.more_button.setMenu(menu)
        self.header.action_row.addWidget(self.log_button)
        self.header.action_row.addWidget(self.more_button)
        layout.addWidget(self.header)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("PersonSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_details())
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(16, 12, 16, 8)
        self.timeline = TimelineView(self.ctx, person_timeline)
        self.timeline.tweet_logging = True
        self.timeline.link_activated.connect(self._timeline_link)
        right_layout.addWidget(self.timeline)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([440, 900])
        if self._settings is not None:
            state = self._settings.value("splitters/person")
            if state is not None:
                self.splitter.restoreState(state)
        layout.addWidget(self.splitter, 1)

    def _build_details(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(300)
        box = QWidget()
        box.setObjectName("DetailsForm")
        column = QVBoxLayout(box)
        column.setContentsMargins(20, 12, 12, 12)
        column.setSpacing(8)

        top = QHBoxLayout()
        top.addWidget(plain_label("Details", "SectionTitle"))
        top.addStretch(1)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Undo your unsaved edits")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("Primary")
        self.save_button.setToolTip("Save the details (Ctrl+S)")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setAccessibleName("Save details")
        self.save_button.clicked.connect(lambda: self.save())
        self.revert_button.clicked.connect(self.revert)
        top.addWidget(self.revert_button)
        top.addWidget(self.save_button)
        column.addLayout(top)
        general = QLabel()
        column.addWidget(general)
        self.errors = FieldErrors(general)

        # One form for every section, so labels line up down the whole column.
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(3)
        self.fields: dict[str, Any] = {}

        def add(name: str, label: str, widget: QWidget, hint: str = "") -> Any:
            add_field(form, self.errors, name, label, widget, hint=hint)
            self.fields[name] = widget
            return widget

        def section(title: str) -> None:
            label = plain_label(title, "SectionTitle")
            label.setContentsMargins(0, 8, 0, 0)
            form.addRow(label)

        add("first_name", "First name", line_edit())
        add("last_name", "Last name", line_edit())
        add("preferred_name", "Known as", line_edit())
        add("job_title", "Job title", line_edit())
        add("emails", "Emails", line_edit(placeholder="comma between several"))
        add("phones", "Phones", line_edit())
        add("location", "Location", line_edit())
        add("linkedin_url", "LinkedIn", line_edit())
        x_edit = line_edit(placeholder="@handle or x.com/handle")
        x_edit.setToolTip("Link their X account; the next sync checks it with X")
        add("x_handle", "X handle", x_edit)
        add("tags", "Tags", line_edit(placeholder="comma between tags"))
        kinds = QWidget()
        row = QHBoxLayout(kinds)
        row.setContentsMargins(0, 0, 0, 0)
        self.fields["is_client_contact"] = QCheckBox("Client contact")
        self.fields["is_candidate"] = QCheckBox("Candidate")
        row.addWidget(self.fields["is_client_contact"])
        row.addWidget(self.fields["is_candidate"])
        row.addStretch(1)
        form.addRow("Kind", kinds)

        section("Candidate")
        first_candidate_row = form.rowCount() - 1
        add("available_from", "Available from", line_edit(placeholder="dd/mm/yyyy"))
        add("day_rate_expectation", "Day rate", line_edit(placeholder="£ per day"))
        add("specialisms", "Specialisms", line_edit())
        ir35 = QComboBox()
        ir35.addItem("—", None)
        for p in IR35Preference:
            ir35.addItem(
                f"{p.value.capitalize()} IR35" if p.value != "either" else "Either", p.value
            )
        add("ir35_preference", "IR35", ir35)
        candidate_rows = range(first_candidate_row, form.rowCount())

        def show_candidate_rows(on: bool) -> None:
            # Client contacts don't need availability and rates in their way.
            for row in candidate_rows:
                form.setRowVisible(row, on)

        self.fields["is_candidate"].toggled.connect(show_candidate_rows)
        show_candidate_rows(False)

        section("Privacy")
        basis = QComboBox()
        basis.addItem("—", None)
        for b in LawfulBasis:
            basis.addItem(b.label, b.value)
        add("lawful_basis", "Lawful basis", basis)
        dnc = QCheckBox("Do not contact")
        dnc.setAccessibleName("Do not contact")
        form.addRow("", dnc)
        self.fields["do_not_contact"] = dnc
        column.addLayout(form)

        self.followers_title = plain_label("X followers", "SectionTitle")
        self.followers_chart = FollowerChart()
        self.followers_chart.setMaximumHeight(190)
        column.addWidget(self.followers_title)
        column.addWidget(self.followers_chart)

        column.addWidget(plain_label("Notes", "SectionTitle"))
        notes = plain_edit("", 110)
        notes.setAccessibleName("Notes")
        self.errors.add("notes", notes, QLabel())
        self.fields["notes"] = notes
        column.addWidget(notes)

        column.addWidget(plain_label("Jobs", "SectionTitle"))
        self.jobs_box = QVBoxLayout()
        self.jobs_box.setSpacing(2)
        column.addLayout(self.jobs_box)
        add_job = QPushButton("Add job…")
        add_job.setAccessibleName("Add job")
        add_job.clicked.connect(self.add_job)
        job_row = QHBoxLayout()
        job_row.addWidget(add_job)
        job_row.addStretch(1)
        column.addLayout(job_row)
        self.meta_line = plain_label("", "Muted", wrap=True)
        column.addWidget(self.meta_line)
        column.addStretch(1)
        self.errors.alias("email", "emails")
        self.errors.alias("phone", "phones")
        scroll.setWidget(box)
        return scroll

    # -- loading ----------------------------------------------------------------------------
    @property
    def person_id(self) -> int | None:
        return self.detail.id if self.detail else None

    def open(self, person_id: int) -> None:
        """Load in the background (the window stays responsive on a slow database)."""
        request = self._loads.start()
        if self.detail is None or self.detail.id != person_id:
            self.timeline.clear()

        @request.guard
        def done(found: Shown) -> None:
            self._show(*found)
            self.loaded.emit(person_id)

        @request.guard
        def failed(exc: BaseException) -> None:
            if isinstance(exc, NotFoundError) and self.detail is not None:
                # Deleted (here or by a colleague) while shown: say so, don't raise a box.
                self.detail = None
                self.ctx.message.emit(str(exc))
                return
            show_error(exc, self)

        self.ctx.read(
            person_and_followers,
            person_id,
            on_done=done,
            on_error=failed,
            label="Opening person",
        )
        self.timeline.load(person_id)

    def reload(self) -> None:
        if self.detail is not None:
            self.open(self.detail.id)

    def _show(
        self,
        p: PersonDetail,
        followers: Followers | None = None,
        bsky: BlueskyAccountView | None = None,
        activity: SocialActivity | None = None,
    ) -> None:
        """Show a person; ``followers`` is their follower history when it came with them."""
        # A refresh of the same person (a sync, a logged call) leaves what is typed in the
        # form alone; a save or another person fills it afresh.
        keep = (
            not self._refill
            and self.detail is not None
            and self.detail.id == p.id
            and self.has_unsaved_edits()
        )
        self._refill = False
        if keep:
            # Keep the version too: saving over a colleague's newer change is then refused
            # with their name, as any stale save is.
            return
        self.detail = p
        self.bluesky = bsky
        self.header.title.setText(p.name)
        badges = []
        if p.is_client_contact:
            badges.append(("Client", "client"))
        if p.is_candidate:
            badges.append(("Candidate", "candidate"))
        if p.do_not_contact:
            badges.append(("Do not contact", "danger"))
        self.header.set_badges(badges)
        job = p.current_employment
        title = esc(p.job_title or (job.title if job else "") or "")
        if job is not None:
            org = f'<a href="crm:organisation:{job.organisation_id}">{esc(job.organisation)}</a>'
            self.title_line.setText(f"{title} at {org}" if title else org)
        else:
            self.title_line.setText(title or "<i>No current organisation</i>")
        facts = header_facts(p, bsky, activity, self.ctx.x_problems)
        self.facts_line.setText(" · ".join(facts))
        self.facts_line.setVisible(bool(facts))
        contact = [*p.emails, *(format_phone(n) for n in p.phones)]
        if p.location:
            contact.append(p.location)
        self.contact_line.setText("  ·  ".join(contact))
        self.contact_line.setVisible(bool(contact))
        if p.do_not_contact:
            self.warning_label.setText(
                f"⊘  {p.name} asked not to be contacted. Logging an outbound call or email "
                "asks you to confirm."
            )
        self.warning.setVisible(p.do_not_contact)
        self.placement_action.setText(
            "New placement for this candidate…"
            if p.is_candidate or not p.is_client_contact
            else "New placement with them as client contact…"
        )
        self._fill_form(p)
        self._fill_jobs(p.employments)
        self._show_followers(p, followers)

    def _show_followers(self, p: PersonDetail, followers: Followers | None) -> None:
        has_account = p.x_account is not None
        self.followers_title.setVisible(has_account)
        self.followers_chart.setVisible(has_account)
        if p.x_account is None:
            self.followers_chart.clear()
            return
        if followers is not None:
            self.followers_chart.set_snapshots(followers)
            return
        self.ctx.read(
            xlink.follower_history,
            p.x_account.id,
            on_done=self._loads.current.guard(self.followers_chart.set_snapshots),
            label="Loading follower history",
        )

    def _fill_form(self, p: PersonDetail) -> None:
        self.errors.clear()
        f = self.fields
        f["first_name"].setText(p.first_name)
        f["last_name"].setText(p.last_name)
        f["preferred_name"].setText(p.preferred_name or "")
        f["job_title"].setText(p.job_title or "")
        f["emails"].setText(", ".join(p.emails))
        f["phones"].setText(", ".join(format_phone(n) for n in p.phones))
        f["location"].setText(p.location or "")
        f["linkedin_url"].setText(p.linkedin_url or "")
        f["x_handle"].setText(f"@{p.x_account.handle}" if p.x_account else "")
        f["tags"].setText(", ".join(p.tags))
        f["is_client_contact"].setChecked(p.is_client_contact)
        f["is_candidate"].setChecked(p.is_candidate)
        f["available_from"].setText(fmt_date(p.available_from))
        f["day_rate_expectation"].setText(
            str(p.day_rate_expectation) if p.day_rate_expectation is not None else ""
        )
        f["specialisms"].setText(p.specialisms or "")
        f["ir35_preference"].setCurrentIndex(
            max(f["ir35_preference"].findData(p.ir35_preference), 0)
        )
        f["lawful_basis"].setCurrentIndex(max(f["lawful_basis"].findData(p.lawful_basis), 0))
        f["do_not_contact"].setChecked(p.do_not_contact)
        f["notes"].setPlainText(p.notes or "")
        for widget in f.values():
            if isinstance(widget, QLineEdit):
                widget.setCursorPosition(0)  # show the start of long values
        self.meta_line.setText(
            f"Added {fmt_date(p.created_at.date())} · last changed {fmt_ago(p.updated_at)}"
            + (f" · owner {p.owner}" if p.owner else "")
        )

    def _fill_jobs(self, jobs: list[EmploymentView]) -> None:
        if jobs == self._jobs_shown:
            return  # the same person again, jobs unchanged: keep their rows
        self._jobs_shown = list(jobs)
        clear_layout(self.jobs_box)
        if not jobs:
            self.jobs_box.addWidget(plain_label("No jobs recorded.", "Muted"))
        for job in jobs:
            row = QHBoxLayout()
            when = (
                f"{fmt_date(job.start_date, '?')} – {fmt_date(job.end_date, 'now')}"
                if job.start_date or job.end_date
                else ("current" if job.is_current else "")
            )
            text = link_label(
                f"{esc(job.title or 'Job')} at "
                f'<a href="crm:organisation:{job.organisation_id}">{esc(job.organisation)}</a>'
                f" <span style='color:gray'>{esc(when)}</span>",
                self._on_link,
            )
            text.setWordWrap(True)
            row.addWidget(text, 1)
            edit = QPushButton("Edit…")
            edit.setAccessibleName(f"Edit job at {job.organisation}")
            edit.clicked.connect(lambda _c=False, j=job: self.edit_job(j))
            delete = QPushButton("Delete")
            delete.setAccessibleName(f"Delete job at {job.organisation}")
            delete.clicked.connect(lambda _c=False, j=job: self.delete_job(j))
            row.addWidget(edit)
            row.addWidget(delete)
            self.jobs_box.addLayout(row)

    # -- editing -----------------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        """What the user changed in the form, cleaned enough to send (dates parsed)."""
        p = self.detail
        if p is None:
            return {}
        f = self.fields
        text = {
            k: f[k].text().strip()
            for k in (
                "first_name",
                "last_name",
                "preferred_name",
                "job_title",
                "location",
                "linkedin_url",
                "specialisms",
            )
        }
        values: dict[str, Any] = dict(text)
        values["emails"] = split_list(f["emails"].text())
        values["phones"] = split_list(f["phones"].text())
        values["tags"] = split_list(f["tags"].text())
        values["is_client_contact"] = f["is_client_contact"].isChecked()
        values["is_candidate"] = f["is_candidate"].isChecked()
        values["do_not_contact"] = f["do_not_contact"].isChecked()
        values["available_from"] = date_or_none(f["available_from"].text(), "available_from")
        values["day_rate_expectation"] = f["day_rate_expectation"].text().strip().lstrip("£")
        values["ir35_preference"] = f["ir35_preference"].currentData()
        values["lawful_basis"] = f["lawful_basis"].currentData()
        values["notes"] = f["notes"].toPlainText()
        current: dict[str, Any] = {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "preferred_name": p.preferred_name or "",
            "job_title": p.job_title or "",
            "location": p.location or "",
            "linkedin_url": p.linkedin_url or "",
            "specialisms": p.specialisms or "",
            "emails": p.emails,
            "phones": [format_phone(n) for n in p.phones],
            "tags": p.tags,
            "is_client_contact": p.is_client_contact,
            "is_candidate": p.is_candidate,
            "do_not_contact": p.do_not_contact,
            "available_from": p.available_from,
            "day_rate_expectation": str(p.day_rate_expectation)
            if p.day_rate_expectation is not None
            else "",
            "ir35_preference": p.ir35_preference,
            "lawful_basis": p.lawful_basis,
            "notes": p.notes or "",
        }
        return {k: v for k, v in values.items() if v != current[k]}

    def x_handle_change(self) -> str | None:
        """The new X handle typed (validated), '' to unlink, or None if unchanged."""
        p = self.detail
        typed = self.fields["x_handle"].text().strip()
        old = f"@{p.x_account.handle}" if p and p.x_account else ""
        if typed.lstrip("@").lower() == old.lstrip("@").lower():
            return None
        if not typed:
            return ""
        return XHandle.parse(typed).value

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save the details form (one transaction); errors show next to their field.
        ``then`` runs once the save succeeded (navigating on after "Save changes?")."""
        self._after_save = then
        p = self.detail
        if p is None:
            return
        self.errors.clear()
        try:
            changes = self.changes()
            handle = self.x_handle_change()
        except ValidationError as exc:
            self.errors.show(exc)
            return
        if not changes and handle is None:
            self.ctx.message.emit("Nothing to save.")
            self._run_after_save()
            return
        person_id, version = p.id, p.version

        def work(db: Database) -> None:
            if changes:
                people_service.update_person(db, person_id, changes, version)
            if handle is not None:
                link_x_handle(db, person_id, handle)

        self.save_button.setEnabled(False)
        db = self.ctx.db
        self.ctx.runner.run(
            lambda: work(db), self._saved, self._save_failed, write=True, label="Saving person"
        )

    def _saved(self, _result: Any) -> None:
        self.save_button.setEnabled(True)
        self._refill = True  # show what was saved, as the database now holds it
        if self.detail is not None:
            self.ctx.message.emit(f"Saved {self.detail.name}.")
            self.ctx.notify("person", self.detail.id)
        self._run_after_save()

    def _run_after_save(self) -> None:
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._after_save = None  # stay on the page: the error is next to its field
        handle_save_error(exc, self.errors, self.reload_theirs, self)

    def reload_theirs(self) -> None:
        """After a conflict the user asked for the saved version: the form shows it."""
        self._refill = True
        self.reload()

    def revert(self) -> None:
        if self.detail is not None:
            self._fill_form(self.detail)

    def has_unsaved_edits(self) -> bool:
        if self.detail is None:
            return False
        try:
            return bool(self.changes()) or self.x_handle_change() is not None
        except ValidationError:
            return True

    # What the main window asks before leaving the page (see crm.ui.kit.unsaved).
    def unsaved_what(self) -> str:
        return f"your changes to {self.detail.name}" if self.detail else "your changes"

    def save_edits(self, then: Callable[[], None]) -> None:
        self.save(then)

    def discard_edits(self) -> None:
        self.revert()

    # -- jobs, placements, deletion -----------------------------------------------------------
    def add_job(self) -> None:
        if self.detail is not None:
            open_dialog(EmploymentDialog(self.ctx, self.detail.id, None, self))

    def edit_job(self, job: EmploymentView) -> None:
        if self.detail is not None:
            open_dialog(EmploymentDialog(self.ctx, self.detail.id, job, self))

    def delete_job(self, job: EmploymentView) -> None:
        if self.detail is None:
            return
        confirm_delete(
            self.ctx,
            self,
            "job",
            f"Delete the job record “{job.title or 'job'} at {job.organisation}”?",
            "To record that they moved on, edit the job and give an end date instead.",
            people_service.delete_employment,
            job.id,
            ("person", self.detail.id),
        )

    def new_placement(self) -> None:
        """A candidate is placed; a client contact is the contact of a placement at their
        organisation."""
        p = self.detail
        if p is None:
            return
        if p.is_candidate or not p.is_client_contact:
            open_dialog(
                PlacementDialog(
                    self.ctx, None, self, candidate=(p.id, p.name), organisation_id=None
                )
            )
            return
        job = p.current_employment
        dialog = PlacementDialog(
            self.ctx, None, self, organisation_id=job.organisation_id if job else None
        )
        dialog.contact.set_person(p.id, p.name)
        open_dialog(dialog)

    def subject_access(self) -> None:
        if self.detail is not None:
            dialog = SubjectAccessDialog(self.ctx, self.detail.id, self)
            open_dialog(dialog)

    def erase(self) -> None:
        if self.detail is None:
            return
        person_id = self.detail.id
        dialog = ErasureDialog(self.ctx, person_id, self)

        def erased(_id: int) -> None:
            self.detail = None
            self.ctx.open("people", 0)
            self.ctx.notify("person", person_id)

        dialog.erased.connect(erased)
        open_dialog(dialog)

    def delete(self) -> None:
        if self.detail is None:
            return
        confirm_delete_person(
            self.ctx, self, self.detail.id, self.detail.name, lambda: self.ctx.open("people", 0)
        )

    # -- links and changes ----------------------------------------------------------------------
    def _on_link(self, href: str) -> None:
        if href == "crm:sync":
            self.sync_requested.emit()
            return
        if href == "crm:bsky-sync":
            self.bluesky_sync_requested.emit()
            return
        follow_link(href, self.ctx.open)

    def _timeline_link(self, kind: str, entity_id: int) -> None:
        if kind == "interaction":
            self.edit_interaction(entity_id)
        elif kind == "logtweet":
            self.log_tweet(entity_id)
        else:
            self.ctx.open(kind, entity_id)

    def edit_cadence(self) -> None:
        """Their keep-in-touch cadence (the Today page's list): default, every N weeks, never."""
        if self.detail is not None:
            edit_person_cadence(self.ctx, self.detail.id, self.detail.name, self)

    def find_on_bluesky(self) -> None:
        """Search Bluesky for this person by name and offer the matches to link."""
        from crm.ui.x.bluesky_find import BlueskyFindDialog

        if self.detail is None:
            return
        dialog = BlueskyFindDialog(self.ctx, [self.detail.id], self)
        dialog.open()
        dialog.search()

    def log_tweet(self, tweet_id: int) -> None:
        """Keep a tweet in the record as a logged interaction with this person."""
        if self.detail is None:
            return
        self.ctx.write(
            xlink.log_tweet_as_interaction,
            tweet_id,
            self.detail.id,
            on_done=lambda new_id: self.ctx.notify("interaction", int(new_id)),
            on_error=lambda e: show_error(e, self),
            label="Logging tweet",
        )

    def edit_interaction(self, interaction_id: int) -> None:
        from crm.services.interactions import get_interaction

        self.ctx.read(
            get_interaction,
            interaction_id,
            on_done=lambda view: open_dialog(InteractionDialog(self.ctx, view, self)),
        )

    def _on_changed(self, kind: str, entity_id: int) -> None:
        if self.detail is None:
            return
        if kind == "person" and entity_id == self.detail.id:
            self.reload()
        elif kind in ("interaction", "placement", "employment"):
            if kind == "employment":
                self.reload()
            else:
                self.timeline.reveal(kind)  # what was just logged or changed must show
                self.timeline.load(self.detail.id)

    def save_state(self) -> None:
        if self._settings is not None:
            self._settings.setValue("splitters/person", self.splitter.saveState())
