"""Stored text in tooltips is shown as text (issue 11 item 13): Qt takes a tooltip that looks
like markup for rich text, so a name such as ``<img src=...>`` must reach it escaped."""

from __future__ import annotations

import pytest

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from crm.services.views import PersonSummary
from crm.ui.kit.formatting import plain_tooltip
from crm.ui.kit.models import PEOPLE_COLUMNS, Column, PeopleTableModel, RecordTableModel

HOSTILE = [
    "<b>Bold</b> Okafor",
    "<img src='file:///etc/passwd'>Evil",
    '<a href="https://phish.example">Click</a>',
    "a < b & c > d",
    "<table><tr><td>x",
    "Zoë 최유림 &amp; co",
    "Plain name",
]


def shown(tooltip: str | None) -> str:
    """What a tooltip shows, the way QToolTip decides: rich text if it looks like it."""
    assert tooltip is not None
    if not QtGui.Qt.mightBeRichText(tooltip):
        return tooltip
    doc = QTextDocument()
    doc.setHtml(tooltip)
    return doc.toPlainText().replace("\u2028", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_tooltip_shows_the_text_exactly(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    assert shown(plain_tooltip(text)) == text
    assert shown(plain_tooltip(text + "\nsecond line")) == text + "\nsecond line"
    assert plain_tooltip("") is None and plain_tooltip(None) is None


def _person(person_id: int, name: str) -> PersonSummary:
    return PersonSummary(
        id=person_id,
        name=name,
        job_title=name,
        organisation_id=None,
        organisation=name,
        is_client_contact=True,
        is_candidate=False,
        x_handle=None,
        followers=None,
        last_interaction_at=None,
        available_from=None,
        do_not_contact=person_id == 1,
    )


def test_people_and_record_tables_give_tooltips_as_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    rows = {i: _person(i, text) for i, text in enumerate(HOSTILE, start=1)}
    people = PeopleTableModel(lambda ids: [rows[i] for i in ids])
    people.set_ids(list(rows))
    columns = {c.key: i for i, c in enumerate(PEOPLE_COLUMNS)}
    for row, (person_id, person) in enumerate(rows.items()):
        for key in ("job_title", "organisation"):
            tip = people.data(people.index(row, columns[key]), Qt.ItemDataRole.ToolTipRole)
            assert shown(tip) == person.name
        name_tip = people.data(people.index(row, columns["name"]), Qt.ItemDataRole.ToolTipRole)
        expected = f"{person.name} asked not to be contacted" if person_id == 1 else person.name
        assert shown(name_tip) == expected

    records: RecordTableModel[PersonSummary] = RecordTableModel(
        [Column("Name", lambda p: p.name), Column("Org", lambda p: "", tooltip=lambda p: p.name)]
    )
    records.set_rows(list(rows.values()))
    for row, person in enumerate(rows.values()):
        for column in (0, 1):
            tip = records.data(records.index(row, column), Qt.ItemDataRole.ToolTipRole)
            assert shown(tip) == person.name
