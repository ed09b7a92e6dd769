"""Alembic environment: runs against the connection releasegate passes in."""

from alembic import context

from releasegate.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("releasegate runs migrations through releasegate.store.db.upgrade_schema")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
