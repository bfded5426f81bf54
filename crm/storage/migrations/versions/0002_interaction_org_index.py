"""index interactions by organisation and time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:00:13
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Plain create_index, not batch mode: a batch "move and copy" of the interaction table on
# SQLite would drop the triggers that keep interaction_fts in step.


def upgrade() -> None:
    op.create_index(
        "ix_interaction_org_occurred", "interaction", ["organisation_id", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_interaction_org_occurred", table_name="interaction")
