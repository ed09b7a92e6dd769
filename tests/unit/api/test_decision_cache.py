"""The decision cache's version check: SQLite's data_version after commits elsewhere."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from releasegate.api.decision_cache import LatestDecisionCache
from releasegate.store.db import Database


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "releasegate.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE facts (value TEXT)")
    db = Database(f"sqlite:///{path}")
    yield db, path
    db.dispose()


def test_version_changes_after_commit_in_this_process(database):
    db, path = database
    cache = LatestDecisionCache(db)
    before = cache.version()
    with sqlite3.connect(path) as writer:
        writer.execute("INSERT INTO facts VALUES ('gate')")
    assert cache.version() != before
    cache.close()


def test_version_changes_after_commit_in_another_process(database):
    db, path = database
    cache = LatestDecisionCache(db)
    before = cache.version()
    script = (
        "import sqlite3, sys\n"
        "with sqlite3.connect(sys.argv[1]) as c:\n"
        "    c.execute(\"INSERT INTO facts VALUES ('replica')\")\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert cache.version() != before
    cache.close()


def test_version_stays_after_reads_and_rollbacks(database):
    db, path = database
    cache = LatestDecisionCache(db)
    before = cache.version()
    with sqlite3.connect(path) as reader:
        reader.execute("SELECT count(*) FROM facts").fetchone()
    rolled_back = sqlite3.connect(path)
    rolled_back.execute("INSERT INTO facts VALUES ('abandoned')")
    rolled_back.rollback()
    rolled_back.close()
    assert cache.version() == before
    cache.close()


def test_entry_valid_only_at_its_version(database):
    db, _ = database
    cache = LatestDecisionCache(db)
    cache.put("rel_1", "production", 7, '{"id": "dec_1"}')
    assert cache.get("rel_1", "production", 7) == '{"id": "dec_1"}'
    assert cache.get("rel_1", "production", 8) is None
    assert cache.get("rel_1", "staging", 7) is None
    assert cache.get("rel_2", "production", 7) is None


def test_oldest_entries_leave_first(database):
    db, _ = database
    cache = LatestDecisionCache(db, max_entries=2)
    for release in ("rel_1", "rel_2", "rel_3"):
        cache.put(release, "production", 1, release)
    assert cache.get("rel_1", "production", 1) is None
    assert cache.get("rel_2", "production", 1) == "rel_2"
    assert cache.get("rel_3", "production", 1) == "rel_3"


def test_postgresql_has_no_version():
    pytest.importorskip("psycopg")
    # The engine connects lazily: nothing listens at this address, and nothing is asked.
    db = Database("postgresql+psycopg://releasegate@127.0.0.1:9/releasegate")
    cache = LatestDecisionCache(db)
    assert cache.version() is None
    db.dispose()
