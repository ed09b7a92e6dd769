"""Personal API tokens limited to some API roles.

Revision ID: 0005_cli_transport
Revises: 0004_rollouts
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_cli_transport"
down_revision = "0004_rollouts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("roles", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("roles")
