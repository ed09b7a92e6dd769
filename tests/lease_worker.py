"""A worker process that claims tasks through leases until none is left.

Usage: python lease_worker.py DATABASE_URL WORKER START_AT

Each claimed task is marked done by this worker, in the same transaction as
the claim's release. Prints the ids of the tasks it did, one per line.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from lease_tables import TaskRow

from releasegate.store.db import Database
from releasegate.store.leases import claim, release


def main(url: str, worker: str, start_at: float) -> list[int]:
    database = Database(url)
    time.sleep(max(0.0, start_at - time.time()))
    done: list[int] = []
    while True:

        def work(session):
            now = datetime.now(UTC)
            rows = claim(
                session,
                TaskRow,
                owner=worker,
                now=now,
                duration=timedelta(minutes=5),
                where=[TaskRow.done_by.is_(None)],
                order_by=[TaskRow.id],
                limit=2,
            )
            for row in rows:
                row.done_by = worker
                row.runs += 1
                release(session, row, owner=worker, now=now)
            return [row.id for row in rows]

        claimed = database.run(work, name="claim")
        if not claimed:
            break
        done.extend(claimed)
    database.dispose()
    return done


if __name__ == "__main__":
    url, worker, start_at = sys.argv[1:4]
    print("\n".join(str(task) for task in main(url, worker, float(start_at))))
