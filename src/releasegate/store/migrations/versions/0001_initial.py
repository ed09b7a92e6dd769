"""Initial schema: releases, evidence, approvals, exceptions, decisions, ledger.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("change_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("manifest_json", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_releases_service", "releases", ["service"])

    op.create_table(
        "evidence",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("facts_sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("summary_json", sa.Text, nullable=False),
        _ts("collected_at"),
    )
    op.create_index("ix_evidence_release_id", "evidence", ["release_id"])

    op.create_table(
        "approvals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("artifact_digests_json", sa.Text, nullable=False),
        sa.Column("policy_revision", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        _ts("created_at"),
        _ts("expires_at"),
    )
    op.create_index("ix_approvals_release_id", "approvals", ["release_id"])

    op.create_table(
        "exceptions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("control_id", sa.String(16), nullable=False),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=True),
        sa.Column("finding", sa.String(500), nullable=True),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("compensating_controls_json", sa.Text, nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        _ts("requested_at"),
        _ts("expires_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approver", sa.String(200), nullable=True),
        _ts("decided_at", nullable=True),
    )
    op.create_index("ix_exceptions_service", "exceptions", ["service"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("policy_revision", sa.String(64), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("decision_json", sa.Text, nullable=False),
        _ts("evaluated_at"),
    )
    op.create_index("ix_decisions_release_env", "decisions", ["release_id", "environment"])

    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entry_type", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        _ts("recorded_at"),
    )
    op.create_index("ix_ledger_entries_subject", "ledger_entries", ["subject"])

    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("frontier_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ledger_head",
        "ledger_entries",
        "decisions",
        "exceptions",
        "approvals",
        "evidence",
        "releases",
    ):
        op.drop_table(table)
