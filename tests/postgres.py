"""A real PostgreSQL server for the test session, and a fresh database per test.

The server is either the one named by RELEASEGATE_TEST_POSTGRESQL_URL (CI
starts it, see `.ci/run`) or a private cluster that this module creates with
the Debian binaries: `initdb` as the `postgres` user in a temporary folder,
listening on 127.0.0.1 on a free port, stopped by process id at the end of
the session. Each test gets its own database, copied from a template that is
already migrated to head, and dropped afterwards.

Without the binaries the PostgreSQL parameter is skipped with the reason,
unless RELEASEGATE_TEST_REQUIRE_POSTGRESQL=1, which makes it fail instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN_DIRS = [Path(os.environ["PG_BIN"])] if os.environ.get("PG_BIN") else []
BIN_DIRS += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
TEMPLATE = "releasegate_template"
_counter = itertools.count()


def _binaries() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root: initdb and postgres refuse root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class LocalCluster:
    """A PostgreSQL cluster in a temporary folder, owned by this test session."""

    root: Path
    port: int
    bin_dir: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, bin_dir: Path, *, durable: bool = False) -> LocalCluster:
        """Start a cluster; without `durable` it skips fsync, which tests do not need."""
        root = Path(tempfile.mkdtemp(prefix="releasegate-pg-"))
        root.chmod(0o755)
        cluster = cls(root=root, port=_free_port(), bin_dir=bin_dir)
        cluster.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(cluster.data, "postgres", "postgres")
            shutil.chown(root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1"
        if durable:
            options += " -c shared_buffers=1GB -c max_wal_size=4GB"
        else:
            options += (
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "pg_ctl"), "-D", str(cluster.data), "-l", str(root / "server.log"),
                 "-w", "-t", "60", "-o", options, "start"]
            ),
            check=True,
            capture_output=True,
        )
        return cluster

    def stop(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.is_file():
            pid = int(pid_file.read_text().splitlines()[0])
            subprocess.run(
                _as_postgres(
                    [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                     "stop"]
                ),
                check=False,
                capture_output=True,
            )
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                pass
            else:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresServer:
    """Creates and drops test databases on one server."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.admin_url = admin_url
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._prefix = f"rg_{os.getpid()}_"
        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE}_{os.getpid()} WITH (FORCE)")
        self.template = f"{TEMPLATE}_{os.getpid()}"
        self._execute(f"CREATE DATABASE {self.template}")
        from releasegate.store.db import Database

        migrated = Database(self.url(self.template))
        try:
            migrated.initialise()
        finally:
            migrated.dispose()

    def url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def _execute(self, statement: str) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(statement))

    def create_database(self, *, empty: bool = False) -> str:
        """Create a database migrated to head (or an empty one) and return its URL."""
        name = f"{self._prefix}{next(_counter)}"
        template = "template0" if empty else self.template
        self._execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        self._admin.dispose()


def postgres_server() -> Iterator[PostgresServer]:
    """Session fixture body: yield a server, skipping with the reason if none can run."""
    required = os.environ.get("RELEASEGATE_TEST_REQUIRE_POSTGRESQL") == "1"
    given = os.environ.get("RELEASEGATE_TEST_POSTGRESQL_URL")
    cluster: LocalCluster | None = None
    if given:
        admin_url = given
    else:
        bin_dir = _binaries()
        if bin_dir is None:
            reason = (
                "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin; "
                "install the postgresql package or set RELEASEGATE_TEST_POSTGRESQL_URL"
            )
            if required:
                pytest.fail(reason)
            pytest.skip(reason)
        cluster = LocalCluster.start(bin_dir)
        admin_url = cluster.admin_url
    try:
        server = PostgresServer(admin_url)
    except Exception:
        if cluster is not None:
            cluster.stop()
        raise
    try:
        yield server
    finally:
        server.close()
        if cluster is not None:
            cluster.stop()
