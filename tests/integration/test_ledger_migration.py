"""Migration 0002 on a database of revision 0001 fills the tiles from the stored entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import CheckpointSigner
from releasegate.ledger.merkle import leaf_hash, root
from releasegate.ledger.note import TYPE_ED25519, SignerKey
from releasegate.store.db import MIGRATIONS_DIR, Database
from releasegate.store.ledger import (
    append_entry,
    register_checkpoint_signer,
    verify_ledger,
    write_checkpoint,
)

KEY = SignerKey(name="migrated.example/log", signature_type=TYPE_ED25519, seed=bytes([3]) * 32)
AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def upgrade(database: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def write_old_entries(database: Database, count: int, *, head_root: str | None = None) -> str:
    """Write entries and the head the way revision 0001 stored them; return the root."""
    leaves = []
    with database.engine.begin() as connection:
        for index in range(count):
            body = canonical_json(
                {
                    "index": index,
                    "type": "old.entry",
                    "subject": "rel-1",
                    "recorded_at": "2026-12-04T12:00:00.000000Z",
                    "data": {"n": index},
                }
            )
            leaves.append(leaf_hash(body))
            connection.execute(
                text(
                    "INSERT INTO ledger_entries "
                    "(seq, entry_type, subject, body, leaf_hash, recorded_at) "
                    "VALUES (:s, 'old.entry', 'rel-1', :b, :h, :t)"
                ),
                {
                    "s": index,
                    "b": body.decode(),
                    "h": leaves[-1].hex(),
                    "t": AT.replace(tzinfo=None),
                },
            )
        computed = root(leaves).hex()
        connection.execute(
            text(
                "INSERT INTO ledger_head (id, size, root_hash, frontier_json) "
                "VALUES (1, :n, :r, :f)"
            ),
            {"n": count, "r": head_root or computed, "f": json.dumps([])},
        )
    return computed


def test_migration_fills_tiles_and_ledger_verifies(new_database_url):
    database = Database(new_database_url("old", empty=True))
    upgrade(database, "0001")
    expected_root = write_old_entries(database, 700)
    upgrade(database, "head")

    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))
    with database.transaction() as session:
        checkpoint = write_checkpoint(session)
        append_entry(session, entry_type="new.entry", subject=None, data={}, recorded_at=AT)
    with database.transaction() as session:
        report = verify_ledger(session, log_keys=[KEY.verifier], origin=KEY.name)
    assert checkpoint.root_hash.hex() == expected_root
    assert report.ok, report.problems
    assert report.size == 701
    database.dispose()


def test_migration_rejects_ledger_that_does_not_match_head(new_database_url):
    database = Database(new_database_url("bad", empty=True))
    upgrade(database, "0001")
    write_old_entries(database, 10, head_root="00" * 32)
    with pytest.raises(
        RuntimeError, match=r"the stored ledger entries \(10, root [0-9a-f]{64}\) do not match"
    ):
        upgrade(database, "head")
    database.dispose()
