"""The league table page: who is visible and growing, on X, on Bluesky or both.

The table comes from :func:`crm.services.league.league_table` off the GUI thread (stored
snapshots and posts only, so the same data gives the same table); each row has a sparkline of
its followers over 12 weeks, drawn by a delegate. CSV export writes exactly the rows shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSettings, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from crm.domain.enums import OrganisationType, Sector
from crm.services.league import (
    MEASURES,
    LeagueQuery,
    LeagueRow,
    LeagueRows,
    LeagueTable,
    NetworkFigures,
    league_details,
    league_table,
    moved_to_bluesky_count,
)
from crm.services.league.export import complete, export_csv
from crm.ui.kit import theme
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import fmt_count, fmt_date
from crm.ui.kit.list_page import record_table, selected_id
from crm.ui.kit.models import Column, RecordRole, RecordTableModel
from crm.ui.kit.widgets import EmptyState, PageHeader, plain_label, restore_header, save_header
from crm.ui.kit.workers import LatestRequest

Index = QModelIndex | QPersistentModelIndex

NETWORK_ITEMS = (("X and Bluesky", "combined"), ("X", "x"), ("Bluesky", "bluesky"))
TYPE_ITEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Any type", ()),
    ("NHS trusts only", ("nhs",)),
    *(
        (t.label[:1].upper() + t.label[1:] + "s only", (t.value,))
        for t in OrganisationType
        if t not in (OrganisationType.NHS_TRUST, OrganisationType.NHS_FOUNDATION_TRUST)
    ),
)


def _signed(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:+,}{suffix}"
    return f"{value:+.1f}{suffix}"


def _change(row: LeagueRow) -> str:
    if row.rank is None:
        return ""
    if row.rank_change is None:
        return "new"
    if row.rank_change == 0:
        return "="
    return ("▲" if row.rank_change > 0 else "▼") + str(abs(row.rank_change))


def _change_tone(row: LeagueRow) -> str | None:
    if not row.rank_change:
        return "muted"
    return "success" if row.rank_change > 0 else "danger"


def _chief(row: LeagueRow) -> str:
    if not row.chief_executive:
        return ""
    if row.chief_executive_followers is None:
        return row.chief_executive
    return f"{row.chief_executive} ({fmt_count(row.chief_executive_followers)})"


def _networks(row: LeagueRow) -> str:
    # Someone silent on X for 90 days but active on Bluesky shows as moving across.
    return "X → Bluesky" if row.moved_to_bluesky else row.networks


def _networks_tip(row: LeagueRow) -> str:
    text = _last_posts(row)
    if row.moved_to_bluesky:
        text = "Silent on X for 90 days, active on Bluesky. " + text
    return text


def _last_posts(row: LeagueRow) -> str:
    parts = []
    if row.x_handle:
        parts.append(f"X: {fmt_date(row.last_x_post) if row.last_x_post else 'no tweets stored'}")
    if row.bluesky_handle:
        when = fmt_date(row.last_bluesky_post) if row.last_bluesky_post else "no posts stored"
        parts.append(f"Bluesky: {when}")
    return "Last post · " + " · ".join(parts)


def columns(entity: str) -> list[Column[LeagueRow]]:
    right = Qt.AlignmentFlag.AlignRight

    def f(r: LeagueRow) -> NetworkFigures:
        return r.figures

    cols: list[Column[LeagueRow]] = [
        Column("#", lambda r: str(r.rank or ""), lambda r: r.rank or 10**9, right, 44),
        Column("±", _change, lambda r: r.rank_change or 0, right, 52, tone=_change_tone),
        Column("Name", lambda r: r.name, width=240, tooltip=_last_posts),
        Column(
            "Networks",
            _networks,
            width=100,
            tooltip=_networks_tip,
            tone=lambda r: "danger" if r.moved_to_bluesky else "muted",
        ),
        Column(
            "Followers",
            lambda r: fmt_count(f(r).followers) if f(r).followers is not None else "",
            lambda r: f(r).followers,
            right,
            84,
        ),
        Column("Trend", lambda _r: "", lambda r: f(r).growth_12w, width=92),
        Column("4 weeks", lambda r: _signed(f(r).growth_4w), lambda r: f(r).growth_4w, right, 80),
        Column(
            "4 wk %",
            lambda r: _signed(f(r).growth_4w_pct, "%"),
            lambda r: f(r).growth_4w_pct,
            right,
            70,
        ),
        Column(
            "12 weeks", lambda r: _signed(f(r).growth_12w), lambda r: f(r).growth_12w, right, 80
        ),
        Column(
            "12 wk %",
            lambda r: _signed(f(r).growth_12w_pct, "%"),
            lambda r: f(r).growth_12w_pct,
            right,
            70,
        ),
        Column(
            "Posts/wk",
            lambda r: f"{f(r).posts_per_week:.2f}",
            lambda r: f(r).posts_per_week,
            right,
            78,
        ),
        Column(
            "Eng/post",
            lambda r: f"{f(r).engagement:.1f}" if f(r).engagement is not None else "",
            lambda r: f(r).engagement,
            right,
            78,
        ),
    ]
    if entity == "organisation":
        cols.append(Column("Chief executive", _chief, width=210))
    else:
        cols.append(Column("Organisation", lambda r: r.organisation or "", width=210))
    return cols


TREND_COLUMN = 5
FIRST_ROWS = 80  # rows filled with every column at once: more than a screenful


class LeagueModel(RecordTableModel[LeagueRow]):
    """The league rows; rows filled later (scrolled into view) replace their placeholders.

    Holds the service's rows as they are (:class:`LeagueRows` builds a row when the view
    first asks for it), not a list of all of them: 10,000 row objects for a screenful."""

    def set_rows(self, rows: Sequence[LeagueRow]) -> None:
        self.beginResetModel()
        self._rows = rows.copy() if isinstance(rows, LeagueRows) else list(rows)
        self.endResetModel()

    def replace(self, filled: list[LeagueRow]) -> None:
        rows = self._rows if isinstance(self._rows, LeagueRows) else list(self._rows)
        self._rows = rows
        for new in filled:
            i = (
                rows.position(new.entity_id)
                if isinstance(rows, LeagueRows)
                else next((n for n, r in enumerate(rows) if r.entity_id == new.entity_id), None)
            )
            if i is not None:
                rows[i] = new
                self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))

    def filled_rows(self) -> list[LeagueRow]:
        """The rows built so far (all of them for a plain list)."""
        rows = self._rows
        return rows.built() if isinstance(rows, LeagueRows) else list(rows)


class SparklineDelegate(QStyledItemDelegate):
    """Draws a row's weekly followers as a small line (rising green, falling red)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            # The row's background and selection, without text.
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
        row = index.data(RecordRole)
        if not isinstance(row, LeagueRow):
            return
        points = [v for v in row.figures.spark if v is not None]
        if len(points) < 2:
            return
        rect = QRectF(option.rect).adjusted(6, 5, -6, -5)
        low, high = min(points), max(points)
        span = (high - low) or 1
        step = rect.width() / (len(points) - 1)
        path = QPainterPath()
        for i, value in enumerate(points):
            point = QPointF(
                rect.left() + i * step, rect.bottom() - (value - low) / span * rect.height()
            )
            if i == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        colours = theme.colours()
        tone = (
            colours.success
            if points[-1] > points[0]
            else colours.danger
            if points[-1] < points[0]
            else colours.muted
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(tone), 1.6))
        painter.drawPath(path)
        painter.restore()


class LeaguePage(QWidget):
    """The league table with its filters, a sparkline per row and CSV export."""

    def __init__(
        self, ctx: AppContext, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self.table_data: LeagueTable | None = None
        self._loads = LatestRequest()
        self._loaded = False
        from PySide6.QtWidgets import QVBoxLayout

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = PageHeader("League table")
        self.count_label = plain_label("", "PageSubtitle")
        self.header.beside_title.addWidget(self.count_label)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the rows shown as a CSV file")
        self.export_button.clicked.connect(self.export)
        self.header.action_row.addWidget(self.export_button)
        row = QHBoxLayout()
        self.entity = self._combo("Rank", (("Organisations", "organisation"), ("People", "person")))
        self.network = self._combo("Network", NETWORK_ITEMS)
        self.measure = self._combo(
            "Rank by", tuple((label, key) for key, label in MEASURES.items())
        )
        sectors: list[tuple[str, str | None]] = [("Any sector", None)]
        sectors += [(s.label, s.value) for s in Sector]
        self.sector = self._combo("Sector", tuple(sectors))
        self.org_type = self._combo("Organisation type", TYPE_ITEMS)
        for combo in (self.entity, self.network, self.measure, self.sector, self.org_type):
            row.addWidget(combo)
        row.addStretch(1)
        self.header.body.addLayout(row)
        self.as_of_label = plain_label("", "PageSubtitle", wrap=True)
        self.header.body.addWidget(self.as_of_label)
        layout.addWidget(self.header)
        self.model = LeagueModel(columns("organisation"), id_of=lambda r: r.entity_id, parent=self)
        self.view, self.proxy = record_table("LeagueTable", "League table", self.model, self)
        # The measure chooser ranks; header sorting would order rows not yet filled in.
        self.view.setSortingEnabled(False)
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self.fill_visible())
        self._filling = False
        self.view.setItemDelegateForColumn(TREND_COLUMN, SparklineDelegate(self.view))
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        restore_header(settings, "league", self.view)
        self.stack = QStackedWidget()
        self.empty = EmptyState(
            "No linked accounts to rank",
            "Link organisations or people to X or Bluesky and sync them; the table ranks "
            "them from their stored follower counts and posts.",
        )
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        ctx.changed.connect(self._on_changed)
        ctx.database_changed.connect(lambda: setattr(self, "_loaded", False))

    def _combo(self, name: str, items: tuple[tuple[str, object], ...]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setToolTip(name)
        for label, value in items:
            combo.addItem(label, value)
        combo.currentIndexChanged.connect(lambda _i: self.refresh())
        return combo

    def query(self) -> LeagueQuery:
        return LeagueQuery(
            entity=str(self.entity.currentData()),
            network=str(self.network.currentData()),
            measure=str(self.measure.currentData()),
            sector=self.sector.currentData(),
            org_types=tuple(self.org_type.currentData() or ()),
        )

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        """Compute the table for the chosen filters off the GUI thread."""
        self._loaded = True
        query = self.query()
        self.org_type.setEnabled(True)
        self.ctx.read(
            league_table,
            query,
            detail_rows=FIRST_ROWS,
            on_done=self._loads.start().guard(self._show),
            on_error=lambda exc: show_error(exc, self),
            label="Ranking the league table",
        )

    def fill_visible(self) -> None:
        """Fill the rows in view that only have their rank yet (off the GUI thread)."""
        table = self.table_data
        if table is None or self._filling:
            return
        top = max(0, self.view.rowAt(0))
        bottom = self.view.rowAt(self.view.viewport().height() - 1)
        bottom = self.model.rowCount() - 1 if bottom < 0 else bottom
        wanted = [
            row.entity_id
            for i in range(top, min(bottom + 20, self.model.rowCount()))
            if (row := self.model.record(i)) is not None and not row.detailed
        ]
        if not wanted:
            return
        self._filling = True
        request = self._loads.current

        def done(rows: list[LeagueRow]) -> None:
            self._filling = False
            if request.is_current:
                self.model.replace(rows)
                self.fill_visible()  # the view may have moved on meanwhile

        def failed(exc: BaseException) -> None:
            self._filling = False
            show_error(exc, self)

        self.ctx.read(
            league_details, table, wanted, on_done=done, on_error=failed, label="Filling rows"
        )

    def _show(self, table: LeagueTable) -> None:
        self.table_data = table
        cols = columns(table.query.entity)
        if [c.title for c in cols] != [c.title for c in self.model.columns]:
            self.model.beginResetModel()
            self.model.columns = cols
            self.model.endResetModel()
        self.model.set_rows(table.rows)
        ranked = table.ranked
        noun = "organisation" if table.query.entity == "organisation" else "person"
        plural = "organisations" if noun == "organisation" else "people"
        n = len(table.rows)
        self.count_label.setText(f"{n:,} {noun if n == 1 else plural}")
        text = (
            f"Ranked by {table.measure_label.lower()}: {ranked:,} with a figure. From stored "
            f"snapshots and posts as of {table.as_of.astimezone():%d/%m/%Y %H:%M}; "
            "± is the change of place since a week before."
        )
        self.as_of_label.setText(text)
        self.stack.setCurrentWidget(self.view if n else self.empty)
        self.fill_visible()

        def moved(count: int) -> None:
            # Counted for the whole table (its rows are filled only as they are shown).
            if count:
                self.as_of_label.setText(
                    f"{text} {count:,} silent on X for 90 days but active on Bluesky."
                )

        on_done = self._loads.current.guard(moved)
        self.ctx.read(moved_to_bluesky_count, table, on_done=on_done, label="Counting moves")

    def open_current(self) -> None:
        entity_id = selected_id(self.view)
        if entity_id is not None and self.table_data is not None:
            self.ctx.open(self.table_data.query.entity, entity_id)

    def export(self) -> None:
        if self.table_data is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the league table", "league-table.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the table shown (same rows, same order as the service) to ``path``."""
        if self.table_data is None:
            return
        shown = self.table_data
        self.ctx.read(
            lambda db: export_csv(complete(db, shown), path),
            on_done=lambda p: self.ctx.message.emit(f"League table saved to {p}."),
            on_error=lambda exc: show_error(exc, self),
            label="Exporting the league table",
        )

    def _on_changed(self, kind: str, _id: int) -> None:
        if self._loaded and kind in ("person", "organisation"):
            if self.isVisible():
                self.refresh()
            else:
                self._loaded = False  # recomputed when the page is shown again

    def save_state(self) -> None:
        save_header(self._settings, "league", self.view)
