"""Rollouts: plans, steps claimed under a lease, measurements and resilience records.

Revision ID: 0004_rollouts
Revises: 0002
Create Date: 2026-12-04
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0004_rollouts"
down_revision = "0003_identities"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("plan_json", sa.Text, nullable=False),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("rehearsal", sa.Boolean, nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_rollouts_release", "rollouts", ["release_id"])
    op.create_index("ix_rollouts_status", "rollouts", ["status"])
    op.create_table(
        "rollout_steps",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rollout_id", sa.String(64), sa.ForeignKey("rollouts.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("wave", sa.Integer, nullable=True),
        sa.Column("regions_json", sa.Text, nullable=False),
        sa.Column("weight", sa.Integer, nullable=True),
        sa.Column("spec_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        _ts("lease_expires_at", nullable=True),
        _ts("not_before", nullable=True),
        sa.Column("result_json", sa.Text, nullable=True),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        sa.UniqueConstraint("rollout_id", "seq", name="uq_rollout_steps_seq"),
    )
    op.create_index("ix_rollout_steps_claim", "rollout_steps", ["status", "not_before"])
    op.create_table(
        "rollout_measurements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("step_id", sa.String(64), sa.ForeignKey("rollout_steps.id"), nullable=False),
        sa.Column("indicator", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("shadow", sa.Boolean, nullable=False),
        sa.Column("detail_json", sa.Text, nullable=False),
        _ts("measured_at"),
    )
    op.create_index("ix_rollout_measurements_step", "rollout_measurements", ["step_id"])
    op.create_table(
        "resilience_records",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("release_id", sa.String(64), nullable=True),
        sa.Column("environment", sa.String(32), nullable=True),
        sa.Column("body_json", sa.Text, nullable=False),
        _ts("recorded_at"),
    )
    op.create_index("ix_resilience_records_service", "resilience_records", ["service", "kind"])


def downgrade() -> None:
    op.drop_table("resilience_records")
    op.drop_table("rollout_measurements")
    op.drop_table("rollout_steps")
    op.drop_table("rollouts")
