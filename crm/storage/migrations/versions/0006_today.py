"""the Today page: keep-in-touch cadences, a last-looked marker, indexes for its lists

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-02 07:00:00

- ``person.contact_every_weeks`` and ``tag.contact_every_weeks``: a keep-in-touch cadence
  that overrides the default of the person's kind (clients 6 weeks, candidates 4);
- ``seen_marker``: when a recruiter last looked at a list (the X signals), per database, so
  a team shares nothing but each recruiter keeps their own;
- indexes: open follow-ups only (done ones are most of them), tweets and follower snapshots
  by time, and audit entries by kind of record and time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

# Plain ADD COLUMN and CREATE INDEX, not batch mode: a batch "move and copy" of person or
# interaction on SQLite would drop the triggers that keep the search indexes and the last
# contact in step (see 0004). Both statements behave the same on SQLite and PostgreSQL.


def upgrade() -> None:
    op.add_column("person", sa.Column("contact_every_weeks", sa.Integer(), nullable=True))
    op.add_column("tag", sa.Column("contact_every_weeks", sa.Integer(), nullable=True))
    op.create_table(
        "seen_marker",
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("what", sa.String(30), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("who", "what", name="pk_seen_marker"),
    )
    op.create_index(
        "ix_interaction_open_follow_up",
        "interaction",
        ["follow_up_due"],
        sqlite_where=sa.text("follow_up_done = 0"),
        postgresql_where=sa.text("follow_up_done = false"),
    )
    op.create_index("ix_tweet_created", "tweet", ["created_at"])
    op.create_index("ix_follower_snapshot_taken", "follower_snapshot", ["taken_at"])
    op.create_index("ix_audit_type_at", "audit_entry", ["entity_type", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_type_at", table_name="audit_entry")
    op.drop_index("ix_follower_snapshot_taken", table_name="follower_snapshot")
    op.drop_index("ix_tweet_created", table_name="tweet")
    op.drop_index("ix_interaction_open_follow_up", table_name="interaction")
    op.drop_table("seen_marker")
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN without batch mode (SQLite 3.35+), so the triggers survive.
        op.execute("ALTER TABLE tag DROP COLUMN contact_every_weeks")
        op.execute("ALTER TABLE person DROP COLUMN contact_every_weeks")
    else:
        op.drop_column("tag", "contact_every_weeks")
        op.drop_column("person", "contact_every_weeks")
