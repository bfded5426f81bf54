"""The Reports page: pick a report and a period; a bar chart of its main figure, the table,
and Export CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.domain.dates import parse_date
from crm.domain.errors import ValidationError
from crm.services import reports as service
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.theme import colours
from crm.ui.kit.widgets import PageHeader, plain_label
from crm.ui.kit.workers import LatestRequest

NAMES = {
    "placements-started": "Placements started per month",
    "margin-by-month": "Margin (fees) per month",
    "margin-by-client": "Margin (fees) per client",
    "time-to-fill": "Days from opened to filled",
    "conversion": "Conversion per stage",
}

#: The column each report charts.
CHARTED = {
    "placements-started": "placements",
    "margin-by-month": "margin",
    "margin-by-client": "margin",
    "time-to-fill": "median days",
    "conversion": "candidates",
}


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return 0.0


class ReportsPage(QWidget):
    """One report at a time, read off the GUI thread."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: service.Report | None = None
        self._loads = LatestRequest()
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader("Reports")
        row = QHBoxLayout()
        self.choice = QComboBox()
        self.choice.setAccessibleName("Report")
        for name, title in NAMES.items():
            self.choice.addItem(title, name)
        self.start = QLineEdit()
        self.start.setPlaceholderText("from: a year ago")
        self.start.setAccessibleName("From")
        self.end = QLineEdit()
        self.end.setPlaceholderText("to: end of this month")
        self.end.setAccessibleName("To")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.ask_export)
        row.addWidget(self.choice)
        row.addWidget(plain_label("From"))
        row.addWidget(self.start)
        row.addWidget(plain_label("to"))
        row.addWidget(self.end)
        row.addStretch(1)
        row.addWidget(self.export_button)
        self.header.body.addLayout(row)
        self.message = QLabel()
        self.message.setObjectName("Muted")
        self.header.body.addWidget(self.message)
        layout.addWidget(self.header)

        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(0, 0, 0, 0))
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setAccessibleName("Report chart")
        self.table = QTableWidget()
        self.table.setAccessibleName("Report table")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart_view)
        split.addWidget(self.table)
        split.setSizes([380, 320])
        body = QWidget()
        box = QVBoxLayout(body)
        box.setContentsMargins(24, 12, 24, 12)
        box.addWidget(split)
        layout.addWidget(body, 1)
        self.choice.currentIndexChanged.connect(self.refresh)
        self.start.returnPressed.connect(self.refresh)
        self.end.returnPressed.connect(self.refresh)
        ctx.changed.connect(self._on_changed)

    def _on_changed(self, kind: str, _id: int) -> None:
        if self._loaded and kind in ("placement", "assignment"):
            self.refresh()

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def _period(self) -> tuple[date | None, date | None]:
        start, end = self.start.text().strip(), self.end.text().strip()
        return (
            parse_date(start, field="from") if start else None,
            parse_date(end, field="to") if end else None,
        )

    def refresh(self) -> None:
        self._loaded = True
        try:
            start, end = self._period()
        except ValidationError as exc:
            self.message.setText(str(exc))
            return

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.message.setText(str(exc))
            else:
                show_error(exc, self)

        self.ctx.read(
            service.run_report,
            self.choice.currentData(),
            start,
            end,
            on_done=self._loads.start().guard(self.show_report),
            on_error=failed,
            label="Running the report",
        )

    def show_report(self, found: service.Report) -> None:
        self.report = found
        self.message.setText(found.note)
        self.table.clear()
        self.table.setColumnCount(len(found.columns))
        self.table.setRowCount(len(found.rows))
        self.table.setHorizontalHeaderLabels([c.capitalize() for c in found.columns])
        for r, row in enumerate(found.shown()):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self._chart(found)

    def _chart(self, found: service.Report) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        column = found.columns.index(CHARTED.get(found.name, found.columns[1]))
        rows = found.rows[:24]  # a readable number of bars
        bars = QBarSet(found.columns[column].capitalize())
        bars.setColor(QColor(colours().link))
        values = [_number(row[column]) for row in rows]
        bars.append(values)
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([row[0][:18] for row in found.shown()[: len(rows)]])  # Dec 2025
        categories.setLabelsColor(QColor(colours().text))
        values_axis = QValueAxis()
        values_axis.setRange(0, max([*values, 1.0]) * 1.1)
        values_axis.setLabelFormat("%.0f")
        values_axis.setLabelsColor(QColor(colours().text))
        grid = QColor(colours().muted)
        grid.setAlpha(70)  # quiet lines in light and dark alike
        for axis in (categories, values_axis):
            axis.setGridLineColor(grid)
            axis.setLinePenColor(grid)
        self.chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(values_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(values_axis)
        self.chart.setTitle(found.title)
        self.chart.setTitleBrush(QColor(colours().text))

    def ask_export(self) -> None:
        if self.report is None:
            return
        dialog = QFileDialog(self, "Export the report", f"{self.report.name}.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.export_csv)
        dialog.open()

    def export_csv(self, path: str) -> Path | None:
        if self.report is None:
            return None
        try:
            written = service.write_report_csv(self.report, path)
        except ValidationError as exc:
            show_error(exc, self)
            return None
        self.ctx.message.emit(f"Saved {written.name}")
        return written

    def save_state(self) -> None:
        """Nothing to keep (the main window asks every page)."""
