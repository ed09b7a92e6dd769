"""Database engine, sessions and schema migration, on SQLite or PostgreSQL.

SQLite is the embedded default: one file, WAL, and BEGIN IMMEDIATE so that
writers queue at the start of a transaction. A read-only unit of work
(`Database.read_transaction`) starts with a deferred BEGIN instead: in WAL
mode it reads a snapshot without taking the write lock, so reads run beside
each other and beside one writer. PostgreSQL
(`postgresql+psycopg://...`, psycopg 3) is the shared database of several
replicas. Its engine keeps a bounded connection pool, sets a statement
timeout on every connection, and `Database.run` retries a unit of work that
lost a serialization conflict or a deadlock. Each of these events is logged.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from releasegate.errors import ConfigurationError, ConflictError

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Execution option of the engine behind `Database.read_transaction`.
READ_ONLY_OPTION = "releasegate_read_only"


def _configure_sqlite(engine: Engine) -> None:
    """Enable WAL, foreign keys, and BEGIN IMMEDIATE so writers serialize at start."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (below) instead of the driver's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return Path(path) if path and path != ":memory:" else None


@dataclass(frozen=True)
class PoolOptions:
    """Connection pool, statement timeout and retry limits of a server database."""

    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout_seconds: float = 30.0
    statement_timeout_ms: int = 30_000
    retries: int = 5


def _configure_postgresql(engine: Engine, options: PoolOptions) -> None:
    """Log the pool's connections and set the statement timeout on each new one."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SET cannot take bind parameters; the value is an int from the settings.
        cursor.execute(f"SET statement_timeout = {int(options.statement_timeout_ms)}")
        cursor.close()
        dbapi_connection.commit()
        log.info(
            "database pool opened a connection (pool size %d, overflow %d, statement timeout "
            "%d ms)",
            options.pool_size,
            options.max_overflow,
            options.statement_timeout_ms,
        )

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection: Any, _record: Any) -> None:
        log.info("database pool closed a connection")


def make_engine(url: str, options: PoolOptions | None = None) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    options = options or PoolOptions()
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)
            _configure_sqlite(engine)
            return engine
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=options.pool_size,
            max_overflow=options.max_overflow,
            pool_timeout=options.pool_timeout_seconds,
        )
        if engine.dialect.name == "postgresql":
            _configure_postgresql(engine, options)
        return engine
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigurationError(
            f"invalid database URL {url!r}: {exc}",
            hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB with its driver "
            "installed",
        ) from exc


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass(frozen=True)
class SchemaStatus:
    """The revisions a database's schema is at, compared with the migrations of this version."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[str, ...] = ()
    unknown: tuple[str, ...] = field(default=())

    @property
    def initialised(self) -> bool:
        return bool(self.current)

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)


def schema_status(engine: Engine) -> SchemaStatus:
    """Read the applied revisions and list the migrations still to run, oldest first."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    heads = tuple(script.get_heads())
    with engine.connect() as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = tuple(revision for revision in current if revision not in known)
    if unknown:
        return SchemaStatus(current=current, heads=heads, unknown=unknown)
    applied = {
        revision.revision
        for head in current
        for revision in script.iterate_revisions(head, "base")
    }
    # walk_revisions lists the newest first; pending migrations run oldest first.
    pending = tuple(
        revision.revision
        for revision in reversed(list(script.walk_revisions()))
        if revision.revision not in applied
    )
    return SchemaStatus(current=current, heads=heads, pending=pending)


def schema_is_current(engine: Engine) -> bool:
    return schema_status(engine).at_head


_RETRYABLE_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock"}


def retryable_reason(error: BaseException) -> str | None:
    """Name the conflict if `error` is one that a new attempt of the transaction can win."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return _RETRYABLE_SQLSTATES[sqlstate]
    if getattr(error.orig, "sqlite_errorname", None) == "SQLITE_BUSY":
        return "database locked"
    return None


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, url: str, options: PoolOptions | None = None) -> None:
        self.url = url
        self.options = options or PoolOptions()
        self.engine = make_engine(url, self.options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        event.listen(self._read_sessions, "before_flush", _reject_flush)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return str(self.engine.dialect.name)

    def initialise(self) -> None:
        self._make_folder()
        self._guarded(lambda: upgrade_schema(self.engine))

    def _make_folder(self) -> None:
        path = sqlite_path(self.url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the folder {path.parent} for the database: {exc.strerror}",
                    hint="choose a writable working folder or database URL",
                ) from exc

    def _guarded(self, action: Callable[[], T]) -> T:
        from sqlalchemy.exc import OperationalError

        try:
            return action()
        except OperationalError as exc:
            raise ConfigurationError(
                f"cannot use the database at {self.safe_url}: {exc.orig}",
                hint="check that the database exists, is reachable and accepts the credentials",
            ) from exc

    def status(self) -> SchemaStatus:
        """Read the schema's revisions; raise ConfigurationError if the database is unreachable."""
        path = sqlite_path(self.url)
        if path is not None and not path.is_file():
            raise ConfigurationError(
                f"no releasegate database at {path}",
                hint="run 'releasegate init' in this folder first",
            )
        return self._guarded(lambda: schema_status(self.engine))

    def upgrade(self) -> SchemaStatus:
        """Run the pending migrations and return the status before them."""
        self._make_folder()
        before = self._guarded(lambda: schema_status(self.engine))
        if before.unknown:
            raise self._newer_schema_error(before)
        self._guarded(lambda: upgrade_schema(self.engine))
        for revision in before.pending:
            log.info("database migration %s applied to %s", revision, self.safe_url)
        return before

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return str(self.engine.url.render_as_string(hide_password=True))

    def _newer_schema_error(self, status: SchemaStatus) -> ConfigurationError:
        return ConfigurationError(
            f"the database at {self.safe_url} has schema revision "
            f"{', '.join(status.unknown)}, which this releasegate version does not know",
            hint="run the releasegate version that migrated this database, or a newer one",
        )

    def require_schema(self) -> None:
        """Refuse to work on a database that is missing, empty or not at the newest revision."""
        path = sqlite_path(self.url)
        if path is not None and not path.is_file():
            raise ConfigurationError(
                f"no releasegate database at {path}",
                hint="run 'releasegate init' in this folder first",
            )
        if not self._guarded(lambda: inspect(self.engine).has_table("alembic_version")):
            raise ConfigurationError(
                f"the database at {self.safe_url} is not initialised",
                hint="run 'releasegate init' in this folder first",
            )
        status = self.status()
        if status.unknown:
            raise self._newer_schema_error(status)
        if not status.at_head:
            raise ConfigurationError(
                f"the database schema at {self.safe_url} is at revision "
                f"{', '.join(status.current) or 'none'}, not at {', '.join(status.heads)}; "
                f"{len(status.pending)} migration(s) pending",
                hint="run 'releasegate db upgrade' to apply them (back up the database first)",
            )

    def run(self, work: Callable[[Session], T], *, name: str = "transaction") -> T:
        """Run `work` in a transaction, again on a serialization failure or deadlock.

        Each retry is logged with its reason. The whole unit of work runs
        again on a new transaction, so `work` must not have effects outside
        the session. After `options.retries` retries the last error is raised
        as a ConfigurationError naming the conflict.
        """
        attempt = 0
        while True:
            try:
                with self.transaction() as session:
                    return work(session)
            except ConflictError as conflict:
                cause = conflict.__cause__
                reason = retryable_reason(cause) if cause is not None else None
                if reason is None:
                    raise
                exc = cause
                attempt += 1
                if attempt > self.options.retries:
                    log.error("%s gave up after %d retries: %s", name, attempt - 1, reason)
                    raise ConfigurationError(
                        f"{name} lost {attempt} attempt{'s' if attempt > 1 else ''} to a "
                        f"{reason} with other writers",
                        hint="retry later; if it persists, look for long transactions on the "
                        "database",
                    ) from exc
                delay = min(0.5, 0.01 * 2**attempt) * (0.5 + random.random())  # noqa: S311
                log.warning(
                    "%s hit a %s; retry %d of %d in %.0f ms",
                    name,
                    reason,
                    attempt,
                    self.options.retries,
                    delay * 1000,
                )
                time.sleep(delay)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open one unit of work: commit on success, roll back on any error.

        A statement that runs past the statement timeout is logged and raised
        as a ConfigurationError, and a lost serialization conflict or deadlock
        as a ConflictError. `run` retries the latter instead.
        """
        from sqlalchemy.exc import DBAPIError

        session = self._sessions()
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            self._raise_database_error(exc)
        finally:
            session.close()

    def _raise_database_error(self, exc: Exception) -> NoReturn:
        """Raise a cancelled statement or a lost conflict as the error a user can act on."""
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "57014":
            log.error(
                "a statement ran past the statement timeout of %d ms and was cancelled",
                self.options.statement_timeout_ms,
            )
            raise ConfigurationError(
                f"a database statement ran past the timeout of "
                f"{self.options.statement_timeout_ms} ms and was cancelled",
                hint="raise database_statement_timeout_ms or look for locks held by other "
                "sessions",
            ) from exc
        reason = retryable_reason(exc)
        if reason is not None:
            log.warning("a transaction was rolled back after a %s", reason)
            raise ConflictError(
                f"the change was rolled back after a {reason} with another writer; "
                "nothing was stored",
                hint="run the command again",
            ) from exc
        raise exc

    @contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """Open a unit of work that only reads, and reject any write in it.

        On SQLite it starts with a deferred BEGIN, which reads a WAL snapshot
        without the write lock that `transaction` takes. On PostgreSQL it is
        an ordinary transaction. A flush of pending changes raises
        RuntimeError before anything reaches the database.

        A statement timeout is raised as in `transaction`.
        """
        from sqlalchemy.exc import DBAPIError

        session = self._read_sessions()
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            self._raise_database_error(exc)
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _reject_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only transaction may not write; use Database.transaction")
