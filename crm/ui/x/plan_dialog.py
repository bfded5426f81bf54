"""The question before an X sync: which accounts, how many requests, and what the resources
it reads are expected to cost (and at most) in dollars and pounds, against this month's
spend and budget. Sync is disabled when the budget is reached."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from crm.domain.social import SyncPlan
from crm.domain.xcost import KIND_LABELS, ResourceKind
from crm.ui.kit.widgets import make_table, plain_label
from crm.ui.x.cost_table import CostTableModel, fit_first_column


class SyncPlanDialog(QDialog):
    """Shows ``plan`` and runs ``on_sync`` if the user agrees (non-blocking: ``open()``)."""

    def __init__(
        self, plan: SyncPlan, on_sync: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setObjectName("SyncPlanDialog")
        self.setWindowTitle("Sync with X")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        n = len(plan.targets)
        names = ", ".join(t.label for t in plan.targets[:6]) + (" …" if n > 6 else "")
        layout.addWidget(
            plain_label(f"{n} account{'' if n == 1 else 's'}: {names}", "Heading", wrap=True)
        )
        requests, _, cost = plan.describe().partition("\n")
        self.requests_label = plain_label(requests, "Muted", wrap=True)
        layout.addWidget(self.requests_label)
        self.model = CostTableModel(("Resource", "Expected", "At most", "Expected cost"), self)
        self.table = make_table("SyncPlanCost", "What this sync reads and costs")
        self.table.setModel(self.model)
        fit_first_column(self.table)
        layout.addWidget(self.table, 1)
        self.cost_label = plain_label(cost, wrap=True)
        self.cost_label.setAccessibleName("Estimated cost")
        layout.addWidget(self.cost_label)
        estimate = plan.cost
        if estimate is not None:
            pricing = estimate.pricing
            self.model.set_rows(
                [
                    (
                        (
                            KIND_LABELS[k],
                            f"{estimate.expected.get(k, 0):,}",
                            f"{estimate.at_most.get(k, 0):,}",
                            pricing.money(pricing.cost_micros({k: estimate.expected.get(k, 0)})),
                        ),
                        (k.value, estimate.expected.get(k, 0), estimate.at_most.get(k, 0)),
                    )
                    for k in ResourceKind
                    if estimate.expected.get(k, 0) or estimate.at_most.get(k, 0)
                ]
            )
        self.buttons = QDialogButtonBox()
        self.sync_button = self.buttons.addButton("Sync", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        refused = plan.refusal is not None
        self.sync_button.setEnabled(not refused)
        self.sync_button.setDefault(not refused and not plan.may_pass_budget)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.accepted.connect(on_sync)
