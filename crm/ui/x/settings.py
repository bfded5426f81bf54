"""The X settings page: where the token comes from (never the token itself), your own
account, the API URL, the watch list, the schedule, and this month's requests.

Keyring and network work runs through the app's TaskRunner; the page only shows results.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.domain.errors import CredentialsError
from crm.domain.social import CredentialSource, CredentialStatus, SyncSelection, XUsageView
from crm.domain.xcost import Cadence, ResourceKind, XPlan, XPricing
from crm.services import x_settings, x_usage, xlink
from crm.services.views import XAccountView
from crm.services.x_cadence import cadence_of, set_cadence
from crm.services.x_sync import optional_gateway
from crm.ui.kit import errors
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import fmt_ago, fmt_count, plain_tooltip
from crm.ui.kit.widgets import make_table, plain_label
from crm.ui.x.sync import XSyncRunner

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex


class WatchListModel(QAbstractTableModel):
    """Linked X accounts with a checkable "Watched" column (Vorta-style ``set_rows``)."""

    WATCHED, HANDLE, NAME, KIND, FOLLOWERS, STATUS, SYNCED, CADENCE = range(8)
    HEADERS = (
        "Watched",
        "Handle",
        "Linked to",
        "Kind",
        "Followers",
        "Status",
        "Last synced",
        "Read",
    )
    ROW_ROLE = Qt.ItemDataRole.UserRole
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1

    #: (account id, watched): the user ticked or unticked a row; the page saves it.
    watch_toggled = Signal(int, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[xlink.LinkedAccount] = []
        #: Why an account's last sync failed, by id (the window's AppContext keeps these).
        self.problems: dict[int, str] = {}
        #: Each account's refresh cadence ("daily", ...), by id; loaded after the rows.
        self.cadences: dict[int, str] = {}

    def set_cadences(self, cadences: dict[int, Any]) -> None:
        self.cadences = {i: str(c) for i, c in cadences.items()}
        if self._rows:
            self.dataChanged.emit(
                self.index(0, self.CADENCE), self.index(len(self._rows) - 1, self.CADENCE)
            )

    def set_rows(self, rows: list[xlink.LinkedAccount]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def update_account(self, view: XAccountView) -> None:
        for row, item in enumerate(self._rows):
            if item.account.id == view.id:
                self._rows[row] = xlink.LinkedAccount(view, item.kind, item.record_id, item.name)
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.WATCHED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        a = item.account
        column = index.column()
        if role == self.ROW_ROLE:
            return item
        if role == Qt.ItemDataRole.CheckStateRole and column == self.WATCHED:
            return Qt.CheckState.Checked if a.watched else Qt.CheckState.Unchecked
        if role == self.SORT_ROLE:
            return (
                a.watched,
                a.handle.lower(),
                item.name.lower(),
                item.kind,
                a.followers_count or 0,
                a.status,
                a.last_synced_at.timestamp() if a.last_synced_at else 0.0,
                self.cadences.get(a.id, ""),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STATUS:
            return plain_tooltip(self.problems.get(a.id) or a.status_detail)  # never markup
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == self.HANDLE:
            return "@" + a.handle
        if column == self.NAME:
            return item.name
        if column == self.KIND:
            return {"person": "Person", "organisation": "Organisation", "own": "You"}[item.kind]
        if column == self.FOLLOWERS:
            return fmt_count(a.followers_count, "—")
        if column == self.STATUS:
            return "last sync failed" if a.id in self.problems else a.status.replace("_", " ")
        if column == self.SYNCED:
            return fmt_ago(a.last_synced_at)
        if column == self.CADENCE:
            return self.cadences.get(a.id, "")
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            not index.isValid()
            or index.column() != self.WATCHED
            or role != Qt.ItemDataRole.CheckStateRole
        ):
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        item = self._rows[index.row()]
        self.watch_toggled.emit(item.account.id, checked)
        return True


class XSettingsPage(QWidget):
    """Everything about X in one page. Call :meth:`refresh` when it is shown."""

    #: The schedule changed (minutes, 0 = off): the window reloads its XSyncScheduler.
    schedule_changed = Signal(int)

    def __init__(
        self, ctx: AppContext, runner: XSyncRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sync_runner = runner
        self.setObjectName("XSettingsPage")
        self._build()
        self.refresh()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        # One scroll bar, the watch list's own: a scrolling page around a scrolling table
        # trapped the list at a few rows.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        # Credentials
        box = QGroupBox("API credentials")
        form = QVBoxLayout(box)
        self.credential_status = plain_label("", wrap=True)
        self.credential_status.setAccessibleName("Credentials status")
        self.credential_warning = plain_label("", "Warning", wrap=True)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("Paste a new bearer token to replace the stored one")
        self.token_edit.setAccessibleName("New bearer token")
        # A pasted secret must not linger in the system's undo history or be dragged out.
        self.token_edit.setDragEnabled(False)
        self.save_token = QPushButton("Save in keyring")
        self.this_run = QPushButton("Use for this run only")
        self.this_run.setToolTip("Keep the token in memory until the app closes; never stored")
        self.clear_token = QPushButton("Clear stored token")
        row = QHBoxLayout()
        for button in (self.save_token, self.this_run, self.clear_token):
            row.addWidget(button)
        row.addStretch(1)
        form.addWidget(self.credential_status)
        form.addWidget(self.credential_warning)
        form.addWidget(self.token_edit)
        form.addLayout(row)
        self.save_token.clicked.connect(self._save_token)
        self.this_run.clicked.connect(self._use_for_this_run)
        self.clear_token.clicked.connect(self._clear_token)
        self.token_edit.returnPressed.connect(self._save_token)
        layout.addWidget(box)

        # Own account and API URL
        box = QGroupBox("Your account and the API")
        grid = QFormLayout(box)
        self.own_edit = QLineEdit()
        self.own_edit.setPlaceholderText("@yourhandle")
        self.own_edit.setAccessibleName("Your own X handle")
        self.own_status = plain_label("", "Muted", wrap=True)
        self.own_save = QPushButton("Set")
        own_row = QHBoxLayout()
        own_row.addWidget(self.own_edit, 1)
        own_row.addWidget(self.own_save)
        grid.addRow("Your X account", own_row)
        grid.addRow("", self.own_status)
        self.own_save.clicked.connect(self._save_own)
        self.own_edit.returnPressed.connect(self._save_own)
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("X API URL")
        self.url_note = plain_label("", "Muted", wrap=True)
        self.url_save = QPushButton("Save")
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.url_save)
        grid.addRow("API URL", url_row)
        grid.addRow("", self.url_note)
        self.url_save.clicked.connect(self._save_url)
        self.url_edit.returnPressed.connect(self._save_url)
        layout.addWidget(box)

        # Watch list
        box = QGroupBox("Watch list")
        watch = QVBoxLayout(box)
        watch.addWidget(
            plain_label(
                "Watched accounts sync together, by the schedule or with 'Sync watched now'. "
                "Every sync costs X API reads.",
                "Muted",
                wrap=True,
            )
        )
        self.model = WatchListModel(self)
        self.model.problems = self.ctx.x_problems
        self.model.watch_toggled.connect(self._toggle_watch)
        self.table = make_table("XWatchList", "Linked X accounts")
        self.table.setModel(self.model)
        # Room for eight accounts whatever the font: the header, eight rows and the frame.
        rows = self.table.verticalHeader().defaultSectionSize() * 8
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setMinimumHeight(header + rows + 2 * self.table.frameWidth() + 4)
        watch.addWidget(self.table, 1)
        self.sync_watched = QPushButton("Sync watched now…")
        self.sync_watched.setEnabled(self.sync_runner is not None)
        self.sync_watched.clicked.connect(self._sync_watched)
        sync_row = QHBoxLayout()
        sync_row.addWidget(self.sync_watched)
        sync_row.addStretch(1)
        self.cadence = QComboBox()
        self.cadence.setAccessibleName("Refresh cadence of the selected account")
        self.cadence.setToolTip(
            "How often a scheduled sync reads the selected account; by default from its "
            "tags (clients weekly, your own account daily, others monthly)"
        )
        for text, value in (
            ("From tags", None),
            ("Daily", Cadence.DAILY),
            ("Weekly", Cadence.WEEKLY),
            ("Monthly", Cadence.MONTHLY),
        ):
            self.cadence.addItem(text, value)
        self.cadence_save = QPushButton("Set cadence")
        self.cadence_save.clicked.connect(self._save_cadence)
        sync_row.addWidget(plain_label("Read the selected account:"))
        sync_row.addWidget(self.cadence)
        sync_row.addWidget(self.cadence_save)
        watch.addLayout(sync_row)
        layout.addWidget(box, 1)  # the watch list takes the height there is

        # Schedule and usage
        box = QGroupBox("Schedule and usage")
        grid = QFormLayout(box)
        self.schedule = QSpinBox()
        self.schedule.setRange(0, 7 * 24 * 60)
        self.schedule.setSingleStep(15)
        self.schedule.setSpecialValueText("Never (sync only when asked)")
        self.schedule.setSuffix(" minutes")
        self.schedule.setAccessibleName("Sync the watch list every")
        self.schedule_save = QPushButton("Save")
        schedule_row = QHBoxLayout()
        schedule_row.addWidget(self.schedule, 1)
        schedule_row.addWidget(self.schedule_save)
        grid.addRow("Sync watch list every", schedule_row)
        self.schedule_save.clicked.connect(self._save_schedule)
        self.budget = QSpinBox()
        self.budget.setRange(0, 10_000_000)
        self.budget.setSingleStep(1000)
        self.budget.setSpecialValueText("No budget")
        self.budget.setAccessibleName("Monthly request budget")
        self.budget_save = QPushButton("Save")
        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budget, 1)
        budget_row.addWidget(self.budget_save)
        grid.addRow("Warn past (requests a month)", budget_row)
        self.budget_save.clicked.connect(self._save_budget)
        self.usage = plain_label("", wrap=True)
        self.usage.setAccessibleName("Requests this month")
        grid.addRow("This month", self.usage)
        # Side by side, so the watch list keeps its height.
        bottom = QHBoxLayout()
        bottom.addWidget(box, 2)
        bottom.addWidget(self._build_plan(), 3)
        layout.addLayout(bottom)

    def _build_plan(self) -> QGroupBox:
        """The X plan, its prices (USD), the pound rate and the monthly budget in USD, in as
        many rows as the schedule beside it."""
        box = QGroupBox("Plan and cost")
        grid = QFormLayout(box)
        self.plan = QComboBox()
        self.plan.setAccessibleName("X API plan")
        self.plan.addItem("Pay-per-use", XPlan.PAY_PER_USE)
        self.plan.addItem("Legacy Basic/Pro", XPlan.LEGACY)
        self.budget_usd = QLineEdit()
        self.budget_usd.setAccessibleName("Monthly budget in USD")
        self.budget_usd.setMaximumWidth(70)
        self.gbp_rate = QLineEdit()
        self.gbp_rate.setAccessibleName("Pounds to the dollar")
        self.gbp_rate.setMaximumWidth(70)
        self.pricing_save = QPushButton("Save")
        self.pricing_save.clicked.connect(self._save_pricing)
        row = QHBoxLayout()
        row.addWidget(self.plan, 1)
        row.addWidget(plain_label("budget $"))
        row.addWidget(self.budget_usd)
        row.addWidget(plain_label("£ per $"))
        row.addWidget(self.gbp_rate)
        row.addWidget(self.pricing_save)
        grid.addRow("Plan", row)
        self.prices: dict[ResourceKind, QLineEdit] = {}
        row = QHBoxLayout()
        for kind in ResourceKind:
            edit = QLineEdit()
            edit.setAccessibleName(f"USD per {kind.value} read")
            edit.setMaximumWidth(60)
            self.prices[kind] = edit
            row.addWidget(plain_label(kind.value))
            row.addWidget(edit)
        row.addStretch(1)
        grid.addRow("$ each", row)
        self.legacy_fee = QLineEdit()
        self.legacy_fee.setAccessibleName("Legacy monthly fee in USD")
        self.legacy_fee.setMaximumWidth(70)
        self.legacy_cap = QSpinBox()
        self.legacy_cap.setRange(0, 100_000_000)
        self.legacy_cap.setSingleStep(1000)
        self.legacy_cap.setAccessibleName("Legacy posts a month")
        row = QHBoxLayout()
        row.addWidget(plain_label("$"))
        row.addWidget(self.legacy_fee)
        row.addWidget(plain_label("a month, posts a month"))
        row.addWidget(self.legacy_cap, 1)
        grid.addRow("Legacy", row)
        # The plan in words (and what the budget does) is the group's tooltip: no extra row.
        self.pricing_note = box
        return box

    # -- loading ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload everything the page shows (credentials status, accounts, usage)."""
        self._show_status(x_settings.credential_status())
        url_env = x_settings.api_url_from_environment()
        self.url_edit.setText(x_settings.get_api_url())
        self.url_edit.setReadOnly(bool(url_env))
        self.url_save.setEnabled(not url_env)
        self.url_note.setText(
            "Set by the CRM_X_API_URL environment variable."
            if url_env
            else "A company proxy or a local test server can stand in for X."
        )
        self.schedule.setValue(x_settings.get_schedule_minutes())
        self.budget.setValue(x_settings.get_monthly_budget())
        self.ctx.read(
            xlink.linked_accounts, on_done=self._show_accounts, label="Loading X accounts"
        )
        self.ctx.read(x_usage.x_usage, on_done=self._show_usage, label="Loading X usage")
        self.ctx.read(xlink.get_own_account, on_done=self._show_own, label="Loading X account")

    def _show_pricing(self, pricing: XPricing) -> None:
        self.plan.setCurrentIndex(max(0, self.plan.findData(pricing.plan)))
        for kind, edit in self.prices.items():
            edit.setText(str(pricing.prices.get(kind, "")))
        self.legacy_fee.setText(str(pricing.legacy_monthly_usd))
        self.legacy_cap.setValue(pricing.legacy_post_cap)
        self.gbp_rate.setText(str(pricing.usd_to_gbp))
        self.budget_usd.setText(str(pricing.budget_usd))
        budget = pricing.budget_micros
        self.pricing_note.setToolTip(
            pricing.describe()
            + (
                f" A sync refuses to start, or stops, at {pricing.money(budget)} a month."
                if budget
                else " No budget: syncs are never stopped for cost."
            )
        )

    def _save_pricing(self) -> None:
        try:
            pricing = x_settings.set_pricing(
                plan=self.plan.currentData(),
                prices={kind: edit.text() for kind, edit in self.prices.items()},
                legacy_monthly_usd=self.legacy_fee.text(),
                legacy_post_cap=self.legacy_cap.value(),
                usd_to_gbp=self.gbp_rate.text(),
                budget_usd=self.budget_usd.text() or "0",
            )
        except Exception as exc:
            errors.show_error(exc, self)
            return
        self._show_pricing(pricing)
        self.ctx.message.emit("X plan and budget saved.")

    def _save_cadence(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            errors.status("Select an account in the watch list first.")
            return
        item = self.model.data(rows[0], WatchListModel.ROW_ROLE)
        value = self.cadence.currentData()
        self.ctx.write(
            set_cadence,
            item.account.id,
            value,
            on_done=lambda tier: self.model.set_cadences(
                {**self.model.cadences, item.account.id: tier}
            ),
            on_error=lambda exc: errors.show_error(exc, self),
            label="Saving the cadence",
        )

    def _show_accounts(self, rows: list[xlink.LinkedAccount]) -> None:
        self.model.set_rows(rows)
        self.ctx.read(cadence_of, [r.account.id for r in rows], on_done=self.model.set_cadences)
        self._show_pricing(x_settings.pricing())

    def _show_status(self, status: CredentialStatus) -> None:
        warning = status.warning
        text = status.text
        if warning:
            text = text.replace(warning, "").strip()  # the warning has its own, louder label
        self.credential_status.setText(text)
        self.credential_warning.setText(warning or "")
        self.credential_warning.setVisible(bool(warning))
        self.this_run.setVisible(not status.backend_usable)
        self.save_token.setEnabled(status.backend_usable)
        self.clear_token.setEnabled(status.source is not CredentialSource.NONE)

    def _show_usage(self, usage: XUsageView) -> None:
        self.usage.setText(usage.text)

    def _show_own(self, view: XAccountView | None) -> None:
        if view is None:
            self.own_edit.setText("")
            self.own_status.setText("Not set: mentions between you and contacts are not synced.")
            return
        self.own_edit.setText("@" + view.handle)
        detail = f" ({view.status_detail})" if view.status_detail else ""
        self.own_status.setText(f"@{view.handle}: {view.status.replace('_', ' ')}{detail}")

    # -- credentials --------------------------------------------------------------------------
    def _take_token(self) -> str:
        token = self.token_edit.text()
        self.token_edit.clear()  # the secret leaves the widget at once
        return token

    def _save_token(self) -> None:
        token = self._take_token()
        if not token.strip():
            errors.status("Paste a bearer token first.")
            return
        self.ctx.runner.run(
            lambda: x_settings.store_token(token),
            self._token_saved,
            self._credentials_failed,
            label="Saving the X token",
        )

    def _token_saved(self, status: CredentialStatus) -> None:
        self._show_status(status)
        self.ctx.message.emit("X token stored in the keyring.")

    def _credentials_failed(self, exc: BaseException) -> None:
        self._show_status(x_settings.credential_status())
        errors.show_error(exc, self)

    def _use_for_this_run(self) -> None:
        token = self._take_token()
        try:
            status = x_settings.use_token_for_this_run(token)
        except CredentialsError as exc:
            errors.show_error(exc, self)
            return
        self._show_status(status)
        self.ctx.message.emit("X token held in memory until the app closes.")

    def _clear_token(self) -> None:
        def clear() -> None:
            self.ctx.runner.run(
                x_settings.clear_token,
                self._show_status,
                self._credentials_failed,
                label="Clearing",
            )

        errors.ask(
            self,
            "Clear the X token",
            "Delete the stored X token (and user-context keys) from the keyring?",
            "Clear",
            clear,
            destructive=True,
        )

    # -- own account, URL, schedule, budget -------------------------------------------------------
    def _save_own(self) -> None:
        handle = self.own_edit.text().strip()
        db = self.ctx.db

        def work() -> XAccountView | None:
            if not handle:
                xlink.clear_own_account(db)
                return None
            # Without a token the handle is stored unverified; a sync verifies it.
            return xlink.set_own_account(db, handle, optional_gateway(db))

        self.ctx.runner.run(
            work, self._show_own, lambda exc: errors.show_error(exc, self), write=True
        )

    def _save_url(self) -> None:
        try:
            stored = x_settings.set_api_url(self.url_edit.text())
        except Exception as exc:
            errors.show_error(exc, self)
            return
        self.url_edit.setText(stored)
        self.ctx.message.emit(f"X API URL: {stored}")

    def _save_schedule(self) -> None:
        minutes = self.schedule.value()
        try:
            x_settings.set_schedule_minutes(minutes)
        except Exception as exc:
            errors.show_error(exc, self)
            return
        self.schedule_changed.emit(minutes)
        self.ctx.message.emit(
            f"The watch list syncs every {minutes} minutes." if minutes else "Schedule off."
        )

    def _save_budget(self) -> None:
        try:
            x_settings.set_monthly_budget(self.budget.value())
        except Exception as exc:
            errors.show_error(exc, self)
            return
        self.ctx.read(x_usage.x_usage, on_done=self._show_usage)

    # -- watch list -----------------------------------------------------------------------------
    def _toggle_watch(self, account_id: int, watched: bool) -> None:
        self.ctx.write(
            xlink.set_watched,
            account_id,
            watched,
            on_done=self.model.update_account,
            on_error=lambda exc: errors.show_error(exc, self),
            label="Saving the watch list",
        )

    def _sync_watched(self) -> None:
        if self.sync_runner is not None:
            self.sync_runner.confirm_and_sync(SyncSelection(watched=True), self)


class XSettingsDialog(QDialog):
    """The settings page in a window of its own (Settings → X…)."""

    def __init__(
        self, ctx: AppContext, runner: XSyncRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("X settings")
        self.setObjectName("XSettingsDialog")
        self.resize(1000, 820)
        layout = QVBoxLayout(self)
        self.page = XSettingsPage(ctx, runner, self)
        layout.addWidget(self.page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # As tall as the page asks (the watch list keeps room for eight accounts), not less.
        self.resize(1000, max(820, self.sizeHint().height()))
