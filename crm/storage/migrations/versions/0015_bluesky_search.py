"""search documents hold the person's Bluesky handle

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:40:00

People are found by their Bluesky handle as by their X handle: a person's search document
(``person_search.contact``) now holds it, written whenever the document is refreshed. This
adds it to the documents of the people linked before, in one statement (the FTS5 triggers on
SQLite and the generated columns on PostgreSQL follow). Handles are stored lower case, as
the documents are folded.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE person_search SET contact = TRIM(contact || ' ' || ("
        "SELECT handle || ' @' || handle FROM bluesky_account "
        "WHERE bluesky_account.person_id = person_search.person_id)) "
        "WHERE person_id IN "
        "(SELECT person_id FROM bluesky_account WHERE person_id IS NOT NULL)"
    )


def downgrade() -> None:
    # The extra words are harmless to the older program, which rewrites a document whenever
    # the person changes: nothing to undo.
    pass
