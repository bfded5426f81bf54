"""assignments and shortlists; placements get a charge rate, a pay rate and their assignment

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 07:00:00

``placement.day_rate`` becomes ``placement.charge_rate``: in every database written so far it
is what the client is billed per day (the demo, the imports and the placement form all put the
client's rate there), so each value is kept as the charge rate. ``pay_rate`` (what the interim
is paid) starts empty.

On SQLite the placement table is altered in place (batch mode with ``recreate="never"``): a
"move and copy" of it would delete its extensions and notes (ON DELETE CASCADE fires on the
implicit delete of DROP TABLE while foreign keys are on) and unlink its interactions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

_STATUSES = "'open', 'on_hold', 'filled', 'lost', 'cancelled'"
_STAGES = (
    "'identified', 'approached', 'interested', 'submitted', 'interview', 'offered', 'placed', "
    "'declined', 'rejected', 'withdrawn'"
)
_SECTORS = "'health_social_care', 'housing', 'local_government', 'education', 'other'"
_IR35 = "'inside', 'outside', 'undetermined'"


def _versioned() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.Integer(),
            sa.ForeignKey(
                "organisation.id",
                ondelete="RESTRICT",
                name="fk_assignment_organisation_id_organisation",
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="SET NULL", name="fk_assignment_contact_id_person"),
            nullable=True,
        ),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(30), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("working_pattern", sa.String(10), nullable=True),
        sa.Column("days_per_week", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_asap", sa.Boolean(), nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=True),
        sa.Column("charge_rate_min", sa.Numeric(10, 2), nullable=True),
        sa.Column("charge_rate_max", sa.Numeric(10, 2), nullable=True),
        sa.Column("pay_rate", sa.Numeric(10, 2), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("ir35", sa.String(20), nullable=False),
        sa.Column("ir35_determined_on", sa.Date(), nullable=True),
        sa.Column("ir35_determined_by", sa.String(200), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *_versioned(),
        sa.PrimaryKeyConstraint("id", name="pk_assignment"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_assignment_status_valid"),
        sa.CheckConstraint(
            f"sector IS NULL OR sector IN ({_SECTORS})", name="ck_assignment_sector_valid"
        ),
        sa.CheckConstraint(
            "working_pattern IS NULL OR working_pattern IN ('on_site', 'hybrid', 'remote')",
            name="ck_assignment_working_pattern_valid",
        ),
        sa.CheckConstraint(f"ir35 IN ({_IR35})", name="ck_assignment_ir35_valid"),
        sa.CheckConstraint(
            "days_per_week IS NULL OR (days_per_week >= 1 AND days_per_week <= 7)",
            name="ck_assignment_days_per_week_range",
        ),
        sa.CheckConstraint(
            "duration_weeks IS NULL OR duration_weeks > 0", name="ck_assignment_duration_positive"
        ),
        sa.CheckConstraint(
            "charge_rate_min IS NULL OR charge_rate_max IS NULL "
            "OR charge_rate_min <= charge_rate_max",
            name="ck_assignment_charge_range_ordered",
        ),
    )
    op.create_index("ix_assignment_organisation_id", "assignment", ["organisation_id"])
    op.create_index("ix_assignment_contact_id", "assignment", ["contact_id"])
    op.create_index("ix_assignment_owner", "assignment", ["owner"])
    op.create_index("ix_assignment_status_opened", "assignment", ["status", "opened_on"])
    op.create_index("ix_assignment_role_ci", "assignment", [sa.text("lower(role)")])

    op.create_table(
        "shortlist_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "assignment_id",
            sa.Integer(),
            sa.ForeignKey(
                "assignment.id",
                ondelete="CASCADE",
                name="fk_shortlist_entry_assignment_id_assignment",
            ),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey(
                "person.id", ondelete="CASCADE", name="fk_shortlist_entry_person_id_person"
            ),
            nullable=False,
        ),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=False),
        *_versioned(),
        sa.PrimaryKeyConstraint("id", name="pk_shortlist_entry"),
        sa.CheckConstraint(f"stage IN ({_STAGES})", name="ck_shortlist_entry_stage_valid"),
    )
    op.create_index(
        "uq_shortlist_entry_assignment_person",
        "shortlist_entry",
        ["assignment_id", "person_id"],
        unique=True,
    )
    op.create_index("ix_shortlist_entry_person_id", "shortlist_entry", ["person_id"])

    op.create_table(
        "shortlist_stage_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey(
                "shortlist_entry.id",
                ondelete="CASCADE",
                name="fk_shortlist_stage_change_entry_id_shortlist_entry",
            ),
            nullable=False,
        ),
        sa.Column("from_stage", sa.String(20), nullable=True),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_shortlist_stage_change"),
        sa.CheckConstraint(
            f"to_stage IN ({_STAGES})", name="ck_shortlist_stage_change_to_stage_valid"
        ),
        sa.CheckConstraint(
            f"from_stage IS NULL OR from_stage IN ({_STAGES})",
            name="ck_shortlist_stage_change_from_stage_valid",
        ),
    )
    op.create_index(
        "ix_shortlist_stage_change_entry_at", "shortlist_stage_change", ["entry_id", "at"]
    )

    if op.get_bind().dialect.name == "sqlite":
        # In place (see the module docstring). RENAME COLUMN rewrites the check constraint's
        # text too; only its name keeps saying day_rate on SQLite.
        with op.batch_alter_table("placement", recreate="never") as batch:
            batch.alter_column("day_rate", new_column_name="charge_rate")
        op.execute(
            "ALTER TABLE placement ADD COLUMN pay_rate NUMERIC(10, 2) "
            "CONSTRAINT ck_placement_pay_rate_positive CHECK (pay_rate IS NULL OR pay_rate > 0)"
        )
        op.execute(
            "ALTER TABLE placement ADD COLUMN assignment_id INTEGER "
            "CONSTRAINT fk_placement_assignment_id_assignment "
            "REFERENCES assignment (id) ON DELETE SET NULL"
        )
    else:
        op.alter_column("placement", "day_rate", new_column_name="charge_rate")
        op.execute(
            "ALTER TABLE placement RENAME CONSTRAINT ck_placement_day_rate_positive "
            "TO ck_placement_charge_rate_positive"
        )
        op.add_column("placement", sa.Column("pay_rate", sa.Numeric(10, 2), nullable=True))
        op.create_check_constraint(
            "ck_placement_pay_rate_positive", "placement", "pay_rate IS NULL OR pay_rate > 0"
        )
        op.add_column("placement", sa.Column("assignment_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_placement_assignment_id_assignment",
            "placement",
            "assignment",
            ["assignment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index("ix_placement_assignment_id", "placement", ["assignment_id"])
    # Every column candidate matching reads: it ranks on the index alone.
    op.create_index(
        "ix_person_candidate_match",
        "person",
        [
            "is_candidate",
            "available_from",
            "do_not_contact",
            "last_interaction_at",
            "day_rate_expectation",
            "ir35_preference",
            "willing_to_travel",
            "candidate_sectors",
            "location",
            "specialisms",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_person_candidate_match", table_name="person")
    op.drop_index("ix_placement_assignment_id", table_name="placement")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE placement DROP COLUMN assignment_id")
        op.execute("ALTER TABLE placement DROP COLUMN pay_rate")
        with op.batch_alter_table("placement", recreate="never") as batch:
            batch.alter_column("charge_rate", new_column_name="day_rate")
    else:
        op.drop_constraint("fk_placement_assignment_id_assignment", "placement")
        op.drop_column("placement", "assignment_id")
        op.drop_column("placement", "pay_rate")
        op.execute(
            "ALTER TABLE placement RENAME CONSTRAINT ck_placement_charge_rate_positive "
            "TO ck_placement_day_rate_positive"
        )
        op.alter_column("placement", "charge_rate", new_column_name="day_rate")
    op.drop_table("shortlist_stage_change")
    op.drop_table("shortlist_entry")
    op.drop_table("assignment")
