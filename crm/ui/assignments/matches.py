"""The line under the main search naming the assignments a search finds: a word of the role or
of the client finds one ("finance", "northmoor"), open ones first, each a link to its page."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from crm.domain.enums import AssignmentStatus
from crm.services.assignments.records import search_assignments
from crm.services.assignments.views import AssignmentSummary
from crm.ui.kit.context import AppContext
from crm.ui.kit.formatting import esc
from crm.ui.kit.timeline_view import crm_link
from crm.ui.kit.widgets import link_label

#: How many assignments the line names.
SHOWN = 4


def matches_html(found: list[AssignmentSummary]) -> str:
    links = " · ".join(
        f'<a href="crm:assignment:{a.id}">{esc(a.role)}</a>'
        f" <span style='color:gray'>at {esc(a.organisation)}"
        f" ({AssignmentStatus(a.status).label.lower()})</span>"
        for a in found[:SHOWN]
    )
    more = f" and {len(found) - SHOWN:,} more" if len(found) > SHOWN else ""
    return f"Assignments: {links}{more}"


class AssignmentMatches:
    """The :attr:`label` a page puts under its search; :meth:`find` looks the words up on a
    worker and shows the links (hidden when nothing matches or under three letters typed)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.label: QLabel = link_label("", self._on_link)
        self.label.setObjectName("AssignmentMatches")
        self.label.setAccessibleName("Assignments matching the search")
        self.label.hide()
        self._text = ""

    def find(self, text: str) -> None:
        self._text = text
        if len(text.strip()) < 3:
            self.label.hide()
            return

        def show(found: list[AssignmentSummary]) -> None:
            if text != self._text:
                return  # a newer search was typed meanwhile
            self.label.setVisible(bool(found))
            if found:
                self.label.setText(matches_html(found))

        self.ctx.read(search_assignments, text, SHOWN + 1, on_done=show)

    def _on_link(self, href: str) -> None:
        target = crm_link(href)
        if target is not None:
            self.ctx.open(*target)
