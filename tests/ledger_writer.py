"""A process that appends to a ledger, for the concurrency tests and benchmarks.

Usage: python ledger_writer.py DATABASE_URL WRITER TRANSACTIONS START_AT

Waits until the time START_AT (seconds since the epoch) so that all writers
start together, then commits TRANSACTIONS transactions of 1 to 3 entries
each through `Database.run`, which retries lost serialization conflicts.
Prints the number of entries it appended.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from releasegate.ledger.checkpoint import CheckpointSigner
from releasegate.ledger.note import TYPE_ED25519, SignerKey
from releasegate.store.db import Database
from releasegate.store.ledger import NewEntry, append_entries, register_checkpoint_signer

ORIGIN = "concurrency.example/ledger"
KEY = SignerKey(name=ORIGIN, signature_type=TYPE_ED25519, seed=bytes([5]) * 32)


def main(url: str, writer: int, transactions: int, start_at: float) -> int:
    database = Database(url)
    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))
    time.sleep(max(0.0, start_at - time.time()))
    appended = 0
    for number in range(transactions):
        size = 1 + (writer + number) % 3
        entries = [
            NewEntry(
                "test.concurrent",
                f"writer-{writer}",
                {"writer": writer, "transaction": number, "part": part},
                datetime.now(UTC),
            )
            for part in range(size)
        ]
        database.run(lambda session, e=entries: append_entries(session, e), name="append")
        appended += size
    database.dispose()
    return appended


if __name__ == "__main__":
    url, writer, transactions, start_at = sys.argv[1:5]
    print(main(url, int(writer), int(transactions), float(start_at)))
