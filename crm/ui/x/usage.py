"""The X usage page: this month's resources read and what they cost, by kind and by UTC day,
against the monthly budget (X menu → Usage and cost). Counted by the CRM as it reads (the
``x_read`` table): the developer console's figures are the bill itself."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from crm.domain.xcost import KIND_LABELS, ResourceKind, XPlan, XUsageMonth
from crm.services import x_settings
from crm.services.x_usage import usage_month
from crm.ui.kit.context import AppContext
from crm.ui.kit.widgets import make_table, plain_label
from crm.ui.x.cost_table import CostTableModel, fit_first_column


class XUsagePage(QWidget):
    """This month's X reads and cost. Call :meth:`refresh` to load it again."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.usage: XUsageMonth | None = None
        self.setObjectName("XUsagePage")
        layout = QVBoxLayout(self)
        self.summary = plain_label("", "Heading", wrap=True)
        self.summary.setAccessibleName("This month's X cost")
        layout.addWidget(self.summary)
        self.budget_bar = QProgressBar()
        self.budget_bar.setAccessibleName("Budget spent")
        self.budget_bar.setRange(0, 1000)
        layout.addWidget(self.budget_bar)
        self.plan = plain_label("", "Muted", wrap=True)
        layout.addWidget(self.plan)

        box = QGroupBox("By kind")
        inner = QVBoxLayout(box)
        self.kinds = CostTableModel(("Resource", "Read", "Price each", "Cost"), self)
        self.kind_table = make_table("XUsageKinds", "X reads this month by kind")
        self.kind_table.setModel(self.kinds)
        fit_first_column(self.kind_table)
        self.kind_table.setMinimumHeight(150)
        inner.addWidget(self.kind_table)
        layout.addWidget(box)

        box = QGroupBox("By day (UTC)")
        inner = QVBoxLayout(box)
        self.days = CostTableModel(
            ("Day", "Posts", "Profiles", "Follow entries", "Owned", "Cost"), self
        )
        self.day_table = make_table("XUsageDays", "X reads this month by day")
        self.day_table.setModel(self.days)
        fit_first_column(self.day_table)
        inner.addWidget(self.day_table)
        layout.addWidget(box, 1)
        layout.addWidget(
            plain_label(
                "Counted by the CRM as it reads: each post, profile and follower entry once "
                "per UTC day, at the prices in the X settings. The X developer console has "
                "the bill itself.",
                "Muted",
                wrap=True,
            )
        )
        self.refresh()

    def refresh(self) -> None:
        pricing = x_settings.pricing()
        self.ctx.read(usage_month, pricing, on_done=self.show_usage, label="Loading X usage")

    def show_usage(self, usage: XUsageMonth) -> None:
        self.usage = usage
        pricing = usage.pricing
        self.summary.setText(usage.summary())
        self.plan.setText(pricing.describe())
        if pricing.plan is XPlan.LEGACY:
            used = usage.counts.get(ResourceKind.POST, 0)
            cap = max(pricing.legacy_post_cap, 1)
            self.budget_bar.setFormat(f"{used:,} of {pricing.legacy_post_cap:,} posts")
            self.budget_bar.setValue(min(1000, round(1000 * used / cap)))
        elif usage.budget_share is None:
            self.budget_bar.setFormat("No monthly budget set")
            self.budget_bar.setValue(0)
        else:
            self.budget_bar.setFormat(
                f"{pricing.money(usage.micros)} of {pricing.money(pricing.budget_micros)}"
            )
            self.budget_bar.setValue(min(1000, round(1000 * usage.budget_share)))
        self.budget_bar.setTextVisible(True)
        self.kinds.set_rows(
            [
                (
                    (
                        KIND_LABELS[k],
                        f"{usage.counts.get(k, 0):,}",
                        pricing.price_text(k)
                        if pricing.plan is XPlan.PAY_PER_USE
                        else "in the plan",
                        pricing.money(usage.micros_by_kind.get(k, 0)),
                    ),
                    (k.value, usage.counts.get(k, 0), pricing.price_micros(k)),
                )
                for k in ResourceKind
            ]
        )
        self.days.set_rows(
            [
                (
                    (
                        d.day.strftime("%a %d %b"),
                        *(f"{d.counts.get(k, 0):,}" for k in ResourceKind),
                        pricing.money(d.micros),
                    ),
                    (d.day, *(d.counts.get(k, 0) for k in ResourceKind), d.micros),
                )
                for d in reversed(usage.days)
            ]
        )


class XUsageDialog(QDialog):
    """The usage page in a window of its own (X → Usage and cost…)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("X usage and cost")
        self.setObjectName("XUsageDialog")
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.page = XUsagePage(ctx, self)
        layout.addWidget(self.page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
