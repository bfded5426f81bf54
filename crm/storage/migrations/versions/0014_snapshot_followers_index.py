"""The snapshot indexes hold the follower count: the league table's seeks read the index alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:20:00

The league table (issue 17) reads each account's followers at the moments a measure
compares: the newest snapshot in a fortnight before each, one backward seek on
``(account_id, taken_at)`` per account and moment (28,000 for the default view at 10,000
organisations, 56,000 for 12-week growth). Without ``followers`` in the index each seek
then read the snapshot's row from the table. With it the seek ends in the index: an
index-only scan on PostgreSQL, a covering index on SQLite (a fifth less time for the
follower measures there). The index keeps its name and leading columns, so every query that
used it still does.

Two drops and two creates, in the one transaction the database opener gives every migration.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_INDEXES = {
    "follower_snapshot": "ix_follower_snapshot_account_taken",
    "bluesky_snapshot": "ix_bluesky_snapshot_account_taken",
}


def upgrade() -> None:
    for table, name in _INDEXES.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["account_id", "taken_at", "followers"])


def downgrade() -> None:
    for table, name in _INDEXES.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["account_id", "taken_at"])
