"""Indexes that serve the release list, newest first, from millions of releases.

`release list` orders by (created_at, id) descending, over all services or
for one service. Without these indexes the database sorts every matching
release to return the newest 50.

Revision ID: 3f9b2c7d41e8
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

revision = "3f9b2c7d41e8"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_releases_created", "releases", ["created_at", "id"])
    op.create_index("ix_releases_service_created", "releases", ["service", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_releases_service_created", "releases")
    op.drop_index("ix_releases_created", "releases")
