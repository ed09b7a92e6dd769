"""Ledger tiles, signed checkpoints and witness cosignatures.

Creates the tables and fills the tiles from the leaf hashes of the entries
that are already stored, after checking that they still hash to the root in
`ledger_head`. Signed checkpoints start when `releasegate init` creates the
log key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Leaf hashes read per query while filling the tiles.
_BATCH = 65536


def _ts(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ledger_tiles",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tile_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.Integer, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("key_ids", sa.String(200), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_ledger_checkpoints_tree_size", "ledger_checkpoints", ["tree_size"])
    op.create_table(
        "ledger_cosignatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "checkpoint_id", sa.Integer, sa.ForeignKey("ledger_checkpoints.id"), nullable=False
        ),
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("verifier_key", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        _ts("created_at"),
    )
    op.create_index(
        "ix_ledger_cosignatures_checkpoint_id", "ledger_cosignatures", ["checkpoint_id"]
    )
    _fill_tiles()


def _fill_tiles() -> None:
    # Imported here so that the migration module loads without the package's
    # dependencies when Alembic only lists revisions.
    from releasegate.ledger.tiles import TreeBuilder

    connection = op.get_bind()
    builder = TreeBuilder()
    tiles = sa.table(
        "ledger_tiles",
        sa.column("level", sa.Integer),
        sa.column("tile_index", sa.Integer),
        sa.column("hashes", sa.LargeBinary),
    )
    start = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT seq, leaf_hash FROM ledger_entries WHERE seq >= :start "
                "ORDER BY seq LIMIT :limit"
            ),
            {"start": start, "limit": _BATCH},
        ).all()
        if not rows:
            break
        for offset, (seq, _) in enumerate(rows):
            if seq != start + offset:
                raise RuntimeError(
                    f"ledger entry {start + offset} is missing (the next stored entry is {seq}); "
                    "restore the database from backup before upgrading"
                )
        full = builder.extend([bytes.fromhex(leaf) for _, leaf in rows])
        if full:
            connection.execute(
                tiles.insert(),
                [{"level": t.level, "tile_index": t.index, "hashes": t.hashes} for t in full],
            )
        start += len(rows)
    partial = builder.partial_tiles()
    if partial:
        connection.execute(
            tiles.insert(),
            [{"level": t.level, "tile_index": t.index, "hashes": t.hashes} for t in partial],
        )

    head = connection.execute(sa.text("SELECT size, root_hash FROM ledger_head")).first()
    expected_size, expected_root = (0, None) if head is None else (head[0], head[1])
    if builder.size != expected_size or (
        expected_root is not None and builder.root().hex() != expected_root
    ):
        raise RuntimeError(
            f"the stored ledger entries ({builder.size}, root {builder.root().hex()}) do not match "
            f"the ledger head ({expected_size}, root {expected_root}); "
            "run 'releasegate ledger verify' with the previous version and restore from backup"
        )


def downgrade() -> None:
    op.drop_index("ix_ledger_cosignatures_checkpoint_id", "ledger_cosignatures")
    op.drop_table("ledger_cosignatures")
    op.drop_index("ix_ledger_checkpoints_tree_size", "ledger_checkpoints")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_tiles")
