"""Bluesky accounts, their posts and follower snapshots

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:10:00

New tables (and an index on follower_snapshot.taken_at) only: the link to a person or organisation lives on ``bluesky_account``, so the
person and organisation tables are not copied (a SQLite batch copy would drop the triggers
that keep the search tables in step). Plain CREATE TABLE works the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm.storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bluesky_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("did", sa.String(2048), nullable=False),
        sa.Column("handle", sa.String(253), nullable=False),
        sa.Column("display_name", sa.String(640)),
        sa.Column("bio", sa.Text()),
        sa.Column("followers_count", sa.Integer()),
        sa.Column("follows_count", sa.Integer()),
        sa.Column("posts_count", sa.Integer()),
        sa.Column("bsky_created_at", UTCDateTime()),
        sa.Column("last_synced_at", UTCDateTime()),
        sa.Column("newest_post_at", UTCDateTime()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_detail", sa.String(500)),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey(
                "person.id", ondelete="SET NULL", name="fk_bluesky_account_person_id_person"
            ),
        ),
        sa.Column(
            "organisation_id",
            sa.Integer(),
            sa.ForeignKey(
                "organisation.id",
                ondelete="SET NULL",
                name="fk_bluesky_account_organisation_id_organisation",
            ),
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bluesky_account"),
        sa.UniqueConstraint("did", name="uq_bluesky_account_did"),
        sa.UniqueConstraint("person_id", name="uq_bluesky_account_person_id"),
        sa.UniqueConstraint("organisation_id", name="uq_bluesky_account_organisation_id"),
        sa.CheckConstraint(
            "person_id IS NULL OR organisation_id IS NULL", name="ck_bluesky_account_one_owner"
        ),
    )
    op.create_index("ix_bluesky_account_handle", "bluesky_account", ["handle"])
    op.create_table(
        "bluesky_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uri", sa.String(500), nullable=False),
        sa.Column("cid", sa.String(100), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey(
                "bluesky_account.id",
                ondelete="CASCADE",
                name="fk_bluesky_post_account_id_bluesky_account",
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reply_parent_uri", sa.String(500)),
        sa.Column("reply_root_uri", sa.String(500)),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("repost_count", sa.Integer(), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("quote_count", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bluesky_post"),
        sa.UniqueConstraint("uri", name="uq_bluesky_post_uri"),
    )
    op.create_index("ix_bluesky_post_account_created", "bluesky_post", ["account_id", "created_at"])
    op.create_table(
        "bluesky_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey(
                "bluesky_account.id",
                ondelete="CASCADE",
                name="fk_bluesky_snapshot_account_id_bluesky_account",
            ),
            nullable=False,
        ),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("follows", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bluesky_snapshot"),
    )
    op.create_index(
        "ix_bluesky_snapshot_account_taken", "bluesky_snapshot", ["account_id", "taken_at"]
    )
    op.create_index("ix_bluesky_snapshot_taken", "bluesky_snapshot", ["taken_at"])
    # The league table is as of the newest snapshot: ix_follower_snapshot_taken (0006) finds it.


def downgrade() -> None:
    op.drop_index("ix_bluesky_snapshot_taken", table_name="bluesky_snapshot")
    op.drop_index("ix_bluesky_snapshot_account_taken", table_name="bluesky_snapshot")
    op.drop_table("bluesky_snapshot")
    op.drop_index("ix_bluesky_post_account_created", table_name="bluesky_post")
    op.drop_table("bluesky_post")
    op.drop_index("ix_bluesky_account_handle", table_name="bluesky_account")
    op.drop_table("bluesky_account")
