"""Leases with SKIP LOCKED and expiry, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lease_tables import LeaseTestBase, TaskRow
from sqlalchemy import select

from releasegate.store.db import Database
from releasegate.store.leases import LeaseLostError, claim, release, renew

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WORKER = Path(__file__).resolve().parents[1] / "lease_worker.py"


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    db.initialise()
    LeaseTestBase.metadata.create_all(db.engine)
    with db.transaction() as session:
        session.add_all(TaskRow(id=n, runs=0) for n in range(10))
    yield db
    db.dispose()


def claim_ids(database, owner, now, limit=3):
    with database.transaction() as session:
        rows = claim(
            session, TaskRow, owner=owner, now=now, duration=MINUTE, order_by=[TaskRow.id],
            limit=limit,
        )
        return [row.id for row in rows]


def test_claimed_rows_not_claimed_again_until_expiry(database, caplog):
    assert claim_ids(database, "a", NOW) == [0, 1, 2]
    assert claim_ids(database, "b", NOW + 30 * timedelta(seconds=1)) == [3, 4, 5]
    with caplog.at_level(logging.WARNING, logger="releasegate.store.leases"):
        # a's lease ran out at NOW + 1 min; b's runs until NOW + 1 min 30 s.
        assert claim_ids(database, "c", NOW + MINUTE, limit=10) == [0, 1, 2, 6, 7, 8, 9]
    assert "lease on lease_test_tasks 0 taken over by c from a, whose lease expired" in [
        r.getMessage() for r in caplog.records
    ]
    with database.transaction() as session:
        owners = {row.id: row.lease_owner for row in session.scalars(select(TaskRow))}
    assert owners == {0: "c", 1: "c", 2: "c", 3: "b", 4: "b", 5: "b", 6: "c", 7: "c", 8: "c",
                      9: "c"}


def test_renew_keeps_lease_and_lost_lease_refused(database):
    claim_ids(database, "a", NOW, limit=1)
    with database.transaction() as session:
        row = session.get(TaskRow, 0)
        until = renew(session, row, owner="a", now=NOW + 50 * timedelta(seconds=1),
                      duration=MINUTE)
    assert until == NOW + 110 * timedelta(seconds=1)
    # The renewed lease still holds after the first minute.
    assert claim_ids(database, "b", NOW + 90 * timedelta(seconds=1), limit=1) == [1]
    # After it expires, b takes the row over, and a can neither renew nor release it.
    assert claim_ids(database, "b", NOW + 2 * MINUTE, limit=1) == [0]
    with (
        pytest.raises(LeaseLostError, match="the lease of a on lease_test_tasks 0 was lost"),
        database.transaction() as session,
    ):
        renew(session, session.get(TaskRow, 0), owner="a", now=NOW + 2 * MINUTE,
              duration=MINUTE)
    with pytest.raises(LeaseLostError, match=r"now held by b"), database.transaction() as s:
        release(s, s.get(TaskRow, 0), owner="a", now=NOW + 2 * MINUTE)
    with database.transaction() as session:
        row = session.get(TaskRow, 0)
        assert (row.lease_owner, row.lease_expires_at) == ("b", NOW + 3 * MINUTE)


def test_released_row_claimable_at_once(database):
    claim_ids(database, "a", NOW, limit=1)
    with database.transaction() as session:
        release(session, session.get(TaskRow, 0), owner="a", now=NOW)
    assert claim_ids(database, "b", NOW, limit=1) == [0]


def test_skip_locked_claims_other_rows_without_waiting(database, backend):
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time, so a second claim waits by design")
    holding = threading.Event()
    finish = threading.Event()
    first: list[int] = []

    def hold_claim():
        with database.transaction() as session:
            rows = claim(session, TaskRow, owner="a", now=NOW, duration=MINUTE,
                         order_by=[TaskRow.id], limit=3)
            first.extend(row.id for row in rows)
            holding.set()
            finish.wait(30)

    thread = threading.Thread(target=hold_claim)
    thread.start()
    try:
        assert holding.wait(30)
        started = time.monotonic()
        second = claim_ids(database, "b", NOW)  # a has not committed yet
        waited = time.monotonic() - started
    finally:
        finish.set()
        thread.join()
    assert first == [0, 1, 2]
    assert second == [3, 4, 5]
    assert waited < 5


def test_workers_in_processes_do_each_task_once(database):
    with database.transaction() as session:
        session.add_all(TaskRow(id=n, runs=0) for n in range(10, 120))
    start_at = time.time() + 3
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), database.url, f"w{n}", str(start_at)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(3)
    ]
    done: Counter[int] = Counter()
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        done.update(int(line) for line in out.split())
    with database.transaction() as session:
        rows = session.scalars(select(TaskRow)).all()
    assert sorted(done) == list(range(120))
    assert set(done.values()) == {1}
    assert all(row.runs == 1 and row.done_by is not None for row in rows)
    assert all(row.lease_owner is None for row in rows)
