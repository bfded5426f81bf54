"""A small chart of an X account's follower count over time (QtCharts), for the person and
organisation pages. Feed it ``crm.services.xlink.follower_history(db, account_id)``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import (
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QStackedLayout, QToolTip, QVBoxLayout, QWidget

from crm.ui.kit.formatting import fmt_count, local
from crm.ui.kit.theme import colours
from crm.ui.kit.widgets import plain_label

_DAY_MS = 86_400_000


def _ms(moment: datetime) -> float:
    return moment.timestamp() * 1000.0


class FollowerChart(QWidget):
    """Followers over time as a line, with a one-line summary under it for screen readers and
    a tooltip on hover. Shows a hint instead when there is no history yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FollowerChart")
        self.setAccessibleName("Follower history")
        self._points: list[tuple[datetime, int]] = []

        self.series = QLineSeries()
        self.series.setName("Followers")
        self.dots = QScatterSeries()  # shows a lone snapshot, which a line cannot
        self.dots.setMarkerSize(7)
        self.chart = QChart()
        self.chart.addSeries(self.series)
        self.chart.addSeries(self.dots)
        self.chart.legend().hide()
        self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(0, 0, 0, 0))
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.x_axis = QDateTimeAxis()
        self.x_axis.setFormat("d MMM yy")
        self.x_axis.setTickCount(4)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%.0f")
        self.y_axis.setTickCount(4)
        for axis in (self.x_axis, self.y_axis):
            # Laid out first at a narrow width, QtCharts would cut the labels to "…" and keep
            # them so; the tick counts are few enough for full labels to fit.
            axis.setTruncateLabels(False)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.series, self.dots):
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.series.hovered.connect(self._hovered)
        self.dots.hovered.connect(self._hovered)

        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(150)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.empty = plain_label(
            "No follower history yet: each X sync adds a point.", "Muted", wrap=True
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary: QLabel = plain_label("", "Muted")

        chart_page = QWidget()
        chart_layout = QVBoxLayout(chart_page)
        chart_layout.setContentsMargins(4, 0, 4, 0)
        chart_layout.addWidget(self.view, 1)
        chart_layout.addWidget(self.summary)
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(chart_page)
        self.apply_theme()
        self.set_snapshots([])

    # -- data -----------------------------------------------------------------------------
    def set_snapshots(self, points: Sequence[tuple[datetime, int]]) -> None:
        """Show ``(taken_at, followers)`` points (any order; aware datetimes)."""
        self._points = sorted(points, key=lambda p: p[0])
        self.series.clear()
        self.dots.clear()
        if not self._points:
            self.stack.setCurrentIndex(0)
            self.summary.setText("")
            self.setAccessibleDescription("No follower history yet.")
            return
        for moment, followers in self._points:
            self.series.append(_ms(moment), followers)
        if len(self._points) <= 31:
            for moment, followers in self._points:
                self.dots.append(_ms(moment), followers)
        first_at, first = self._points[0]
        last_at, last = self._points[-1]
        start, end = _ms(first_at), _ms(last_at)
        if end - start < _DAY_MS:
            start, end = start - _DAY_MS, end + _DAY_MS
        self.x_axis.setRange(
            QDateTime.fromMSecsSinceEpoch(int(start)), QDateTime.fromMSecsSinceEpoch(int(end))
        )
        self.x_axis.setFormat("d MMM" if end - start < 300 * _DAY_MS else "MMM yy")
        low = min(n for _, n in self._points)
        high = max(n for _, n in self._points)
        pad = max(1.0, (high - low) * 0.1)
        self.y_axis.setRange(max(0.0, low - pad), high + pad)
        self.y_axis.applyNiceNumbers()  # round ticks (8,000, not 7,913)
        self.stack.setCurrentIndex(1)
        text = f"{fmt_count(last)} followers on {local(last_at):%d %b %Y}"
        if len(self._points) > 1:
            change = last - first
            sign = "+" if change >= 0 else "−"
            text += f" ({sign}{fmt_count(abs(change))} since {local(first_at):%d %b %Y})"
        self.summary.setText(text)
        self.setAccessibleDescription(text)

    def point_count(self) -> int:
        return self.series.count()

    def clear(self) -> None:
        self.set_snapshots([])

    # -- looks ----------------------------------------------------------------------------
    def apply_theme(self) -> None:
        """Take the current palette's colours (call again when the theme changes)."""
        c = colours()
        accent = QColor(c.accent)
        pen = QPen(accent)
        pen.setWidthF(2.0)
        self.series.setPen(pen)
        self.dots.setColor(accent)
        self.dots.setBorderColor(accent)
        for axis in (self.x_axis, self.y_axis):
            axis.setLabelsColor(QColor(c.muted))
            axis.setGridLineColor(QColor(c.border))
            axis.setLinePenColor(QColor(c.border))

    def _hovered(self, point: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        moment = QDateTime.fromMSecsSinceEpoch(int(point.x())).toPython()
        assert isinstance(moment, datetime)
        QToolTip.showText(
            self.cursor().pos(), f"{moment:%d %b %Y}: {fmt_count(round(point.y()))} followers"
        )
