"""Identities: approval bindings, exception digest scope, tokens, reviews, governance.

Adds the role and source commits an approval is bound to, the artifact digest
scope of exceptions, and the tables of personal API tokens, release
attestations (compensating controls and deployments), emergency post-release
reviews and governance proposals.

Revision ID: 0003_identities
Revises: 0002
Create Date: 2026-12-04
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003_identities"
down_revision = "3f9b2c7d41e8"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("role", sa.String(32), nullable=True))
        batch.add_column(sa.Column("source_commit", sa.String(64), nullable=True))
        batch.add_column(sa.Column("commit_shas_json", sa.Text, nullable=True))
        batch.add_column(sa.Column("authenticated_as", sa.String(200), nullable=True))
    with op.batch_alter_table("exceptions") as batch:
        batch.add_column(sa.Column("artifact_digest", sa.String(200), nullable=True))

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(200), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("revoked_at", nullable=True),
    )
    op.create_table(
        "release_attestations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("identity", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(32), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        _ts("recorded_at"),
    )
    op.create_table(
        "emergency_reviews",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "release_id", sa.String(64), sa.ForeignKey("releases.id"), nullable=False, unique=True
        ),
        sa.Column("service", sa.String(63), nullable=False, index=True),
        sa.Column("requester", sa.String(200), nullable=False),
        _ts("deployed_at"),
        _ts("due_at"),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("findings", sa.Text, nullable=True),
        _ts("completed_at", nullable=True),
    )
    op.create_table(
        "governance_proposals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("target", sa.String(500), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("base_sha256", sa.String(64), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposer", sa.String(200), nullable=False),
        _ts("proposed_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approver", sa.String(200), nullable=True),
        _ts("decided_at", nullable=True),
    )


def downgrade() -> None:
    op.drop_table("governance_proposals")
    op.drop_table("emergency_reviews")
    op.drop_table("release_attestations")
    op.drop_table("api_tokens")
    with op.batch_alter_table("exceptions") as batch:
        batch.drop_column("artifact_digest")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("authenticated_as")
        batch.drop_column("commit_shas_json")
        batch.drop_column("source_commit")
        batch.drop_column("role")
