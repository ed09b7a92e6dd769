"""Persistence: the database, its tables and migrations, and the blob store."""
