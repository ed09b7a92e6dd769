"""Several processes append to one ledger at once: one consistent, signed log.

Each writer is a separate operating-system process with its own connection
pool, as replicas of the service are. On PostgreSQL they queue on the lock of
the ledger's head row; on SQLite on BEGIN IMMEDIATE.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from ledger_writer import KEY, ORIGIN
from sqlalchemy import select

from releasegate.ledger.checkpoint import CheckpointSigner, open_checkpoint
from releasegate.store.db import Database
from releasegate.store.ledger import (
    all_checkpoints,
    ledger_head,
    register_checkpoint_signer,
    root_at,
    verify_ledger,
)
from releasegate.store.tables import LedgerEntryRow

WRITER = Path(__file__).resolve().parents[1] / "ledger_writer.py"
WRITERS = 4
TRANSACTIONS = 40


def run_writers(url: str) -> int:
    start_at = time.time() + 3.0
    processes = [
        subprocess.Popen(
            [sys.executable, str(WRITER), url, str(writer), str(TRANSACTIONS), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for writer in range(WRITERS)
    ]
    total = 0
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        total += int(out.strip())
    return total


def test_concurrent_appends_make_one_consistent_log(database_url):
    database = Database(database_url)
    database.initialise()
    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))

    total = run_writers(database_url)

    expected = sum(1 + (w + n) % 3 for w in range(WRITERS) for n in range(TRANSACTIONS))
    assert total == expected
    with database.transaction() as session:
        size, _ = ledger_head(session)
        seqs = session.scalars(select(LedgerEntryRow.seq).order_by(LedgerEntryRow.seq)).all()
        bodies = session.scalars(select(LedgerEntryRow.body).order_by(LedgerEntryRow.seq)).all()
        report = verify_ledger(session, log_keys=[KEY.verifier], origin=ORIGIN, deep=True)
        checkpoints = all_checkpoints(session)
        roots = {c.size: root_at(session, c.size) for c in checkpoints}
    database.dispose()

    # No gaps and no duplicates: the indexes are exactly 0 .. size - 1.
    assert size == expected
    assert list(seqs) == list(range(expected))
    assert report.ok, report.problems

    # Each transaction's entries are contiguous and each writer's transactions in order.
    by_writer: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for seq, body in zip(seqs, bodies, strict=True):
        data = json.loads(body)["data"]
        by_writer[data["writer"]].append((seq, data["transaction"], data["part"]))
    for writer, rows in by_writer.items():
        assert [t for _, t, _ in rows] == sorted(t for _, t, _ in rows), writer
        for number in range(TRANSACTIONS):
            parts = [(seq, part) for seq, t, part in rows if t == number]
            assert [part for _, part in parts] == list(range(1 + (writer + number) % 3))
            assert [seq for seq, _ in parts] == list(range(parts[0][0], parts[0][0] + len(parts)))

    # One checkpoint per transaction, written in tree order, each signed and
    # matching the tree at its size: one signer at a time held the head.
    assert len(checkpoints) == WRITERS * TRANSACTIONS
    sizes = [c.size for c in checkpoints]
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == len(sizes)
    assert sizes[-1] == expected
    for checkpoint in checkpoints:
        opened = open_checkpoint(checkpoint.note, [KEY.verifier], origin=ORIGIN)
        assert opened.checkpoint.size == checkpoint.size
        assert opened.checkpoint.root_hash == roots[checkpoint.size]
