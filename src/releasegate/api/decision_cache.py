"""The newest gate decision per release and environment, kept while the database is unchanged.

Pipelines poll `GET /releases/{id}/decisions/latest` many times a second.
`LatestDecisionCache` lets the route serve it from memory, without a worker
thread or a SQL query, for as long as no connection anywhere has committed
to the database since the decision was read.

The check is SQLite's `PRAGMA data_version` on a connection of the cache's
own that never writes. SQLite changes that value whenever another
connection, in this process or another, commits to the database file. So a
gate evaluation by this server, by another replica on the same file or by
the CLI makes every cached decision stale before the next request reads it.
Any commit counts, which over-invalidates but can never serve a decision
older than the newest committed one.

Ordering: the route reads the version before it reads the decision. A
commit between the two leaves a decision at least as new as the version
says, and the next request sees a new version and reads again.

NOTE: on PostgreSQL there is no equally cheap check, so `version` returns
None there and the route reads the database on every request.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict

from releasegate.store.db import Database, sqlite_path

DEFAULT_MAX_ENTRIES = 1024


class LatestDecisionCache:
    """Stored decision JSON per (release, environment), tagged with the database version."""

    def __init__(self, database: Database, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._path = sqlite_path(database.url)
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[int, str]] = OrderedDict()
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def version(self) -> int | None:
        """Return the database's data version, or None when the cache cannot check it."""
        if self._path is None:
            return None
        with self._lock:
            if self._connection is None:
                # An autocommit connection that any thread may use, because the
                # lock lets only one use it at a time.
                self._connection = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
            row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def get(self, release_id: str, environment: str, version: int) -> str | None:
        """Return the cached decision if it was read at `version`, else None."""
        entry = self._entries.get((release_id, environment))
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(self, release_id: str, environment: str, version: int, decision_json: str) -> None:
        """Keep a decision read after the database was at `version`."""
        with self._lock:
            key = (release_id, environment)
            self._entries[key] = (version, decision_json)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._entries.clear()
