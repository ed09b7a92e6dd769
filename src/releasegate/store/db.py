"""Database engine, sessions and schema migration."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from releasegate.errors import ConfigurationError

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)
            _configure_sqlite(engine)
            return engine
        return create_engine(url, pool_pre_ping=True)
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


def schema_is_current(engine: Engine) -> bool:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


class Database:
    """Owns the engine and hands out transactional sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def initialise(self) -> None:
        path = sqlite_path(self.url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the folder {path.parent} for the database: {exc.strerror}",
                    hint="choose a writable working folder or database URL",
                ) from exc
        self._guarded(lambda: upgrade_schema(self.engine))

    def _guarded(self, action: Callable[[], T]) -> T:
        from sqlalchemy.exc import OperationalError

        try:
            return action()
        except OperationalError as exc:
            raise ConfigurationError(
                f"cannot use the database at {self.url}: {exc.orig}",
                hint="check that the database exists, is reachable and accepts the credentials",
            ) from exc

    def require_schema(self) -> None:
        path = sqlite_path(self.url)
        if path is not None and not path.is_file():
            raise ConfigurationError(
                f"no releasegate database at {path}",
                hint="run 'releasegate init' in this folder first",
            )
        if not self._guarded(
            lambda: (
                inspect(self.engine).has_table("alembic_version") and schema_is_current(self.engine)
            )
        ):
            raise ConfigurationError(
                f"the database at {self.url} is not initialised or its schema is outdated",
                hint="run 'releasegate init' in this folder first",
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open one unit of work: commit on success, roll back on any error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
