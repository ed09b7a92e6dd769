"""Read-only units of work on SQLite: a WAL snapshot without the write lock, and no writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from releasegate.store.db import Database
from releasegate.store.tables import ApiTokenRow

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _token(token_id: str) -> ApiTokenRow:
    return ApiTokenRow(
        id=token_id,
        person="dana",
        name=token_id,
        secret_sha256=token_id.ljust(64, "0"),
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'releasegate.db'}")
    db.initialise()
    with db.transaction() as session:
        session.add(_token("tok_committed"))
    yield db
    db.dispose()


def _count(db: Database) -> int:
    with db.read_transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ApiTokenRow)) or 0)


def test_read_runs_beside_an_open_writer(database):
    """A read while a writer holds the write lock sees the last commit and does not wait."""
    counts: list[int] = []
    with database.transaction() as writer:
        writer.add(_token("tok_uncommitted"))
        writer.flush()
        reader = threading.Thread(target=lambda: counts.append(_count(database)))
        reader.start()
        # A BEGIN IMMEDIATE would wait up to the 30 s busy timeout for the writer.
        reader.join(timeout=5)
        assert not reader.is_alive()
    assert counts == [1]
    assert _count(database) == 2


def test_read_transaction_rejects_writes(database):
    with (
        pytest.raises(RuntimeError, match="read-only transaction may not write"),
        database.read_transaction() as session,
    ):
        session.add(_token("tok_sneaked"))
        session.flush()
    assert _count(database) == 1


def test_write_transaction_still_takes_the_lock_first(database):
    """Two writers queue: the second's first statement waits until the first commits."""
    order: list[str] = []
    first_open = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with database.transaction() as session:
            session.add(_token("tok_first"))
            session.flush()
            first_open.set()
            release_first.wait(timeout=10)
            order.append("first committed")

    def second() -> None:
        first_open.wait(timeout=10)
        with database.transaction() as session:
            session.add(_token("tok_second"))
            session.flush()  # the connection, and so BEGIN IMMEDIATE, starts here
            order.append("second flushed")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_open.wait(timeout=10)
    threading.Event().wait(0.3)
    assert order == []
    release_first.set()
    for thread in threads:
        thread.join(timeout=15)
    assert order == ["first committed", "second flushed"]
    assert _count(database) == 3
