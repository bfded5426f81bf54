"""A timeline of interactions, tweets, Bluesky posts, placement events and notes, newest first.

Rendered as escaped HTML in a QTextBrowser that never follows links itself: every piece of
data text goes through :func:`crm.ui.kit.formatting.linkify` (escape first, then link), internal
``crm:`` links open records, and only http(s) links leave the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.domain.errors import NotFoundError
from crm.services.timeline import ALL_KINDS, TimelineQuery
from crm.services.views import TimelineEntry
from crm.storage.db import Database
from crm.ui.kit import theme
from crm.ui.kit.context import AppContext
from crm.ui.kit.errors import show_error
from crm.ui.kit.formatting import esc, fmt_date, is_web_url, linkify, local
from crm.ui.kit.workers import LatestRequest, Request

log = logging.getLogger(__name__)

Fetch = Callable[[Database, int, TimelineQuery], list[TimelineEntry]]

# The underlined letter is the filter's shortcut (Alt+A, Alt+C, Alt+T, Alt+K, Alt+P).
FILTERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("&All", ALL_KINDS),
    ("&Conversations", frozenset({"interaction"})),
    ("&Tweets", frozenset({"tweet"})),
    ("Blues&ky", frozenset({"post"})),
    ("&Placements", frozenset({"placement", "placement_note", "assignment"})),
)

_SUBTYPE_ICON = {
    "call": "☎",
    "video_call": "▶",
    "meeting": "◆",
    "email": "✉",
    "dm": "✉",
    "tweet": "✦",
    "twitter_chat": "✦",
    "event": "★",
    "note": "✎",
}


NETWORK_LABELS = {"x": "X", "bluesky": "Bluesky"}


def open_web_link(href: str) -> bool:
    """Open an http(s) link in the browser; anything else is refused (and logged)."""
    if is_web_url(href):
        QDesktopServices.openUrl(QUrl(href))
        return True
    log.info("Refused to open a non-web link: %r", href)
    return False


def crm_link(href: str) -> tuple[str, int] | None:
    """``("person", 12)`` for our own link ``crm:person:12``; None for anything else."""
    parts = href.split(":")
    if len(parts) == 3 and parts[0] == "crm" and parts[2].isdigit():
        return parts[1], int(parts[2])
    return None


def follow_link(href: str, open_record: Callable[[str, int], object]) -> None:
    """What a click on a link in our rich text does: ``open_record(kind, id)`` for a
    ``crm:kind:id`` link, the browser for an http(s) one; other links are refused."""
    if href.startswith("crm:"):
        target = crm_link(href)
        if target is not None:
            open_record(*target)
        return
    open_web_link(href)


def _colour_for(entry: TimelineEntry) -> str:
    c = theme.colours()
    if entry.kind in ("tweet", "post"):
        return c.link
    if entry.kind in ("placement", "placement_note", "assignment"):
        return c.candidate
    return c.client


def _day_heading(day: datetime) -> str:
    today = datetime.now().astimezone().date()
    d = day.date()
    if d > today:
        return f"Coming up · {d:%A} {d.day} {d:%B %Y}"
    if d == today:
        return "Today"
    if (today - d).days == 1:
        return "Yesterday"
    if d.year == today.year:
        return f"{d:%A} {d.day} {d:%B}"
    return f"{d:%A} {d.day} {d:%B %Y}"


def entry_anchor(kind: str, ref_id: int) -> str:
    """The name of an entry's anchor in the timeline's HTML (to scroll to it)."""
    return f"entry-{kind}-{ref_id}"


def _social_meta(entry: TimelineEntry, counted: tuple[str, ...], network: str) -> list[str]:
    """A tweet's or a post's counts that are not zero, and a link to it on its network."""
    meta = [esc(f"{entry.extra.get(k, 0) or 0} {k}") for k in counted if entry.extra.get(k)]
    url = str(entry.extra.get("url") or "")
    if is_web_url(url):
        meta.append(f'<a href="{esc(url)}">Open on {network}</a>')
    return meta


def entry_html(entry: TimelineEntry, tweet_logging: bool = False) -> str:
    """One entry as HTML; every data string is escaped here."""
    c = theme.colours()
    when = local(entry.at)
    icon = _SUBTYPE_ICON.get(entry.subtype or "", "●")
    if entry.kind == "placement":
        icon = "■"
    elif entry.kind == "assignment":
        icon = "◆"
    elif entry.kind == "placement_note":
        icon = "✎"
    elif entry.kind == "post":
        icon = "☁"
    meta: list[str] = []
    network = NETWORK_LABELS.get(str(entry.extra.get("network") or ""))
    if network:
        # Which network a post came from, first on its line: tweets and posts sit side by side.
        meta.append(f"<b>{esc(network)}</b>")
    if entry.author:
        meta.append(("@" if entry.kind in ("tweet", "post") else "by ") + esc(entry.author))
    if entry.kind == "interaction":
        due = entry.extra.get("follow_up_due")
        if due:
            done = entry.extra.get("follow_up_done")
            meta.append(
                f"<span style='color:{c.success if done else c.danger}'>"
                f"follow-up {'done' if done else 'due'} {esc(fmt_date(due))}</span>"
            )
        meta.append(f'<a href="crm:interaction:{entry.ref_id}">Edit</a>')
    if entry.kind == "tweet":
        meta += _social_meta(entry, ("likes", "retweets", "replies"), "X")
        if tweet_logging:
            meta.append(f'<a href="crm:logtweet:{entry.ref_id}">Log as interaction</a>')
    if entry.kind == "post":
        meta += _social_meta(entry, ("likes", "reposts", "replies"), "Bluesky")
    if entry.placement_id is not None:
        meta.append(f'<a href="crm:placement:{entry.placement_id}">Open placement</a>')
    assignment_id = entry.extra.get("assignment_id") if entry.kind == "assignment" else None
    if isinstance(assignment_id, int):
        meta.append(f'<a href="crm:assignment:{assignment_id}">Open assignment</a>')
    text = linkify(entry.text)
    # Paragraphs, not tables: QTextDocument lays tables out several times slower, and the
    # person page must paint its first screen in a few tens of milliseconds.
    html = (
        "<p style='margin-top:0; margin-bottom:2px'>"
        f"<a name='{entry_anchor(entry.kind, entry.ref_id)}'></a>"
        f"<span style='color:{_colour_for(entry)}'>{icon}</span>&nbsp;&nbsp;"
        f"<b>{esc(entry.title)}</b>&nbsp;&nbsp;"
        f"<span style='color:{c.muted}'>{when:%H:%M}</span></p>"
        f"<p style='margin-top:0; margin-bottom:{2 if meta else 14}px; margin-left:22px'>{text}</p>"
    )
    if meta:
        html += (
            f"<p style='margin-top:0; margin-bottom:14px; margin-left:22px; color:{c.muted};"
            f" font-size:8.5pt'>{' · '.join(meta)}</p>"
        )
    return html


def timeline_html(
    entries: list[TimelineEntry],
    more: bool,
    empty_text: str,
    tweet_logging: bool = False,
    after: TimelineEntry | None = None,
) -> str:
    """The entries as HTML; ``after`` is the entry already shown before them (so a day's
    heading is not repeated when a timeline is painted in two parts)."""
    c = theme.colours()
    parts: list[str] = []
    if not entries and after is None:
        parts.append(
            f"<p style='color:{c.muted}; margin-top:24px' align='center'>{esc(empty_text)}</p>"
        )
    day = local(after.at).date() if after is not None else None
    for entry in entries:
        when = local(entry.at)
        if when.date() != day:
            day = when.date()
            parts.append(
                f"<p style='color:{c.muted}; font-weight:600; margin-top:8px;"
                f" margin-bottom:6px'>{esc(_day_heading(when))}</p>"
            )
        parts.append(entry_html(entry, tweet_logging))
    if more:
        parts.append("<p align='center'><a href='crm:more'>Load older entries</a></p>")
    return "".join(parts)


class TimelineView(QWidget):
    """Filter chips over a timeline; ``load(entity_id)`` shows the newest page."""

    #: ("interaction" | "placement" | "person" | "organisation", id) the user clicked.
    link_activated = Signal(str, int)
    loaded = Signal(int)

    PAGE = 100
    #: Entries painted at once at least; more if a screenful of the browser holds more (see
    #: :meth:`first_screen`). The rest of the page follows a moment later.
    FIRST_PAINT = 10

    def __init__(self, ctx: AppContext, fetch: Fetch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._fetch = fetch
        self._entity_id: int | None = None
        self._filtered_for: int | None = None  # whose timeline the chosen filter belongs to
        self._kinds = ALL_KINDS
        self._entries: list[TimelineEntry] = []
        self._more = False
        self._loads = LatestRequest()
        self.empty_text = "Nothing here yet. Log a call with Ctrl+L."
        #: Offer "Log as interaction" under tweets (the person page does).
        self.tweet_logging = False
        #: The entry last scrolled to for ``AppContext.open_entry`` (tests read it).
        self.revealed: tuple[str, int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.title = QLabel("Timeline")
        self.title.setObjectName("SectionTitle")
        bar.addWidget(self.title)
        bar.addSpacing(8)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        for i, (label, _kinds) in enumerate(FILTERS):
            button = QToolButton()
            button.setText(label)
            button.setCheckable(True)
            button.setObjectName("FilterChip")
            plain = label.replace("&", "")
            button.setAccessibleName(f"Show {plain.lower()}")
            button.setToolTip(f"Show {plain.lower()} (Alt+{plain[0]})")
            button.setChecked(i == 0)
            self.filter_group.addButton(button, i)
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.filter_group.idClicked.connect(self._filter_chosen)
        self.browser = QTextBrowser()
        self.browser.setObjectName("Timeline")
        self.browser.setAccessibleName("Timeline")
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._on_anchor)
        self.browser.document().setDocumentMargin(12)
        layout.addWidget(self.browser, 1)

    @property
    def entries(self) -> list[TimelineEntry]:
        return list(self._entries)

    def set_kinds(self, kinds: frozenset[str]) -> None:
        self._kinds = kinds
        self._check_filter(kinds)
        if self._entity_id is not None:
            self.load(self._entity_id)

    def _filter_chosen(self, i: int) -> None:
        self.set_kinds(FILTERS[i][1])

    def clear(self) -> None:
        self._entity_id = None
        self._entries = []
        self.browser.clear()

    def reveal(self, kind: str) -> None:
        """Make sure entries of ``kind`` show (a call just logged must not hide behind the
        Tweets filter): back to All if the filter leaves them out."""
        if kind not in self._kinds:
            self._check_filter(ALL_KINDS)
            self._kinds = ALL_KINDS

    def _check_filter(self, kinds: frozenset[str]) -> None:
        for i, (_label, k) in enumerate(FILTERS):
            button = self.filter_group.button(i)
            if button is not None and k == kinds:
                button.setChecked(True)

    @property
    def filtered(self) -> bool:
        return self._kinds != ALL_KINDS

    def shown_empty_text(self) -> str:
        """What an empty timeline says: with a filter on, that the filter hides the rest."""
        if not self.filtered:
            return self.empty_text
        label = next((lbl for lbl, k in FILTERS if k == self._kinds), "this filter")
        return f"Nothing under “{label.replace('&', '')}”. All (Alt+A) shows everything."

    def load(self, entity_id: int) -> None:
        """Show the newest page for ``entity_id`` (in the background).
        Another person or organisation starts with everything shown: a filter chosen for
        one would hide the next one's entries without a word."""
        if entity_id != self._filtered_for:
            self._filtered_for = entity_id
            if self.filtered:
                self._kinds = ALL_KINDS
                self._check_filter(ALL_KINDS)
        self._entity_id = entity_id
        query = TimelineQuery(kinds=self._kinds, limit=self.PAGE)
        request = self._loads.start()
        db, fetch = self.ctx.db, self._fetch
        self.ctx.runner.run(
            lambda: fetch(db, entity_id, query),
            lambda entries: self._show(request, False, entries),
            self._failed,
            label="Loading timeline",
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFoundError):
            self.clear()  # the record was deleted; its page says so
            return
        show_error(exc, self)

    def load_more(self) -> None:
        if self._entity_id is None or not self._entries:
            return
        request = self._loads.start()
        query = TimelineQuery(kinds=self._kinds, before=self._entries[-1].at, limit=self.PAGE)
        db, fetch, entity_id = self.ctx.db, self._fetch, self._entity_id
        self.ctx.runner.run(
            lambda: fetch(db, entity_id, query),
            lambda entries: self._show(request, True, entries),
            label="Loading older entries",
        )

    def _show(self, request: Request, append: bool, entries: list[TimelineEntry]) -> None:
        if not request.is_current:
            return
        self._entries = (self._entries + entries) if append else list(entries)
        self._more = len(entries) >= self.PAGE
        scroll = self.browser.verticalScrollBar().value() if append else 0
        shown = self.first_screen()
        first = self._entries if append else self._entries[:shown]
        rest = [] if append else self._entries[shown:]
        self.browser.setHtml(
            timeline_html(
                first, self._more and not rest, self.shown_empty_text(), self.tweet_logging
            )
        )
        self.browser.verticalScrollBar().setValue(scroll)
        if not append:
            self._reveal_pending(first, rest)
        self.loaded.emit(len(self._entries))
        if rest:
            # The first screen is painted; the rest follows once the window has drawn it.
            @request.guard
            def paint_rest() -> None:
                self._append(first[-1], rest)

            QTimer.singleShot(0, paint_rest)

    def first_screen(self) -> int:
        """How many entries can be on the browser's first screen: every entry takes at least
        a title line and a line of text, then a gap (a day's heading or a meta line adds more,
        so this errs on the side of a full screen). Laying out fewer entries first is what
        makes a long timeline appear quickly."""
        line = self.browser.fontMetrics().lineSpacing()
        height = self.browser.viewport().height()
        if not self.browser.isVisible():  # perhaps not laid out yet: the window bounds it
            height = max(height, self.window().height())
        return max(self.FIRST_PAINT, height // (2 * line + 14) + 1)

    def _append(self, after: TimelineEntry, rest: list[TimelineEntry]) -> None:
        html = timeline_html(rest, self._more, self.shown_empty_text(), self.tweet_logging, after)
        cursor = QTextCursor(self.browser.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(html)
        self._reveal_pending(rest, [])

    def _reveal_pending(self, painted: list[TimelineEntry], rest: list[TimelineEntry]) -> None:
        """Scroll to the entry the page was opened for (``AppContext.open_entry``) once it
        is painted; forget it when this timeline does not have it."""
        target = self.ctx.pending_entry
        if target is None:
            return
        if any((e.kind, e.ref_id) == target for e in painted):
            self.ctx.pending_entry = None
            self.revealed = target
            self.browser.scrollToAnchor(entry_anchor(*target))
        elif not any((e.kind, e.ref_id) == target for e in rest):
            self.ctx.pending_entry = None

    def finish_painting(self) -> None:
        """Paint any entries still waiting (tests and screenshots want the whole page)."""
        QCoreApplication.processEvents()

    def rerender(self) -> None:
        """Paint again (after a light/dark switch)."""
        self.browser.setHtml(
            timeline_html(self._entries, self._more, self.shown_empty_text(), self.tweet_logging)
        )

    def _on_anchor(self, url: QUrl) -> None:
        href = url.toString()
        if href == "crm:more":
            self.load_more()
            return
        follow_link(href, self.link_activated.emit)


def plain_text_of(view: TimelineView) -> str:
    """What the user reads (tests compare this with the data)."""
    return view.browser.toPlainText()


__all__ = [
    "FILTERS",
    "TimelineView",
    "crm_link",
    "entry_html",
    "follow_link",
    "open_web_link",
    "plain_text_of",
]
