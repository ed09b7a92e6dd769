"""Operating the database: `db upgrade`, `db check`, the schema head check at
start, the connection pool, the statement timeout and retries on conflicts."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from releasegate.cli.main import app
from releasegate.errors import ConfigurationError, ConflictError
from releasegate.store.db import MIGRATIONS_DIR, Database, PoolOptions



def _migration_chain() -> list[str]:
    """Revision ids from the first migration to head, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


CHAIN = _migration_chain()
HEAD = CHAIN[-1]
AFTER_FIRST = CHAIN[1:]


def cli(tmp_path, url, *args):
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "--database-url", url, *args], catch_exceptions=False
    )
    return result


def at_revision(url: str, revision: str) -> None:
    """Migrate a new database only up to `revision`, as an older version left it."""
    database = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    database.dispose()


def execute(url: str, statement: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def test_db_check_reports_database_at_head(tmp_path, database_url):
    assert cli(tmp_path, database_url, "db", "upgrade").exit_code == 0
    result = cli(tmp_path, database_url, "db", "check", "--output", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["reachable"] is True
    assert report["dialect"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert report["revision"] == report["head"] == [HEAD]
    assert report["pending"] == []


def test_outdated_schema_refused_until_db_upgrade(tmp_path, new_database_url):
    url = new_database_url("old", empty=True)
    at_revision(url, "0001")

    refused = cli(tmp_path, url, "release", "list")
    assert refused.exit_code == 2
    assert f"is at revision 0001, not at {HEAD}; {len(AFTER_FIRST)} migration(s) pending" in refused.output
    assert "run 'releasegate db upgrade'" in refused.output

    check = cli(tmp_path, url, "db", "check", "--output", "json")
    assert check.exit_code == 1
    report = json.loads(check.stdout)
    assert report["pending"] == AFTER_FIRST
    assert report["ok"] is False
    assert "run 'releasegate db upgrade'" in report["problem"]

    upgraded = cli(tmp_path, url, "db", "upgrade", "--output", "json")
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.stdout) == {
        "database": json.loads(upgraded.stdout)["database"],
        "previous_revision": ["0001"],
        "revision": [HEAD],
        "applied": AFTER_FIRST,
    }
    assert cli(tmp_path, url, "db", "check").exit_code == 0
    listed = cli(tmp_path, url, "release", "list", "--output", "json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_schema_from_newer_version_refused(tmp_path, database_url):
    assert cli(tmp_path, database_url, "db", "upgrade").exit_code == 0
    execute(database_url, "update alembic_version set version_num = '0099'")
    refused = cli(tmp_path, database_url, "release", "list")
    assert refused.exit_code == 2
    assert "has schema revision 0099, which this releasegate version does not know" in (
        refused.output
    )
    assert cli(tmp_path, database_url, "db", "check").exit_code == 1
    upgrade = cli(tmp_path, database_url, "db", "upgrade")
    assert upgrade.exit_code == 2
    assert "does not know" in upgrade.output


def test_empty_database_refused_with_init_hint(tmp_path, new_database_url):
    url = new_database_url("empty", empty=True)
    if url.startswith("sqlite"):
        execute(url, "create table unrelated (id integer)")
    refused = cli(tmp_path, url, "release", "list")
    assert refused.exit_code == 2
    assert "is not initialised" in refused.output
    assert "run 'releasegate init'" in refused.output


def test_unreachable_database_named_without_password(tmp_path):
    url = "postgresql+psycopg://releasegate:s3cret@127.0.0.1:9/releasegate"
    result = cli(tmp_path, url, "db", "check")
    assert result.exit_code == 2
    assert "cannot use the database at postgresql+psycopg://releasegate:***@127.0.0.1:9" in (
        result.output
    )
    assert "s3cret" not in result.output


# PostgreSQL only: pool, statement timeout and serialization retries.


@pytest.fixture
def pg_url(postgres):
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


def test_pool_connections_logged_with_limits(pg_url, caplog):
    database = Database(pg_url, PoolOptions(pool_size=2, max_overflow=1, statement_timeout_ms=1234))
    with caplog.at_level(logging.INFO, logger="releasegate.store.db"):
        with database.transaction() as session:
            timeout = session.execute(text("show statement_timeout")).scalar_one()
        database.dispose()
    assert timeout == "1234ms"
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "database pool opened a connection (pool size 2, overflow 1, statement timeout 1234 ms)"
        in messages
    )
    assert "database pool closed a connection" in messages


@pytest.mark.parametrize("unit", ["transaction", "read_transaction"])
def test_statement_timeout_cancels_and_logs(pg_url, caplog, unit):
    database = Database(pg_url, PoolOptions(statement_timeout_ms=200))
    with (
        caplog.at_level(logging.ERROR, logger="releasegate.store.db"),
        pytest.raises(ConfigurationError, match="ran past the timeout of 200 ms"),
        getattr(database, unit)() as session,
    ):
        session.execute(text("select pg_sleep(5)"))
    database.dispose()
    assert [r.getMessage() for r in caplog.records] == [
        "a statement ran past the statement timeout of 200 ms and was cancelled"
    ]


def conflicting_update(pg_url: str, attempts: list[int]):
    """A unit of work that loses a serialization conflict on its first attempt.

    It reads a counter under REPEATABLE READ, then, on the first attempt only,
    another connection changes the same row and commits before this
    transaction writes, so PostgreSQL raises a serialization failure.
    """

    def work(session):
        attempts.append(len(attempts) + 1)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        value = session.execute(text("select value from counter where id = 1")).scalar_one()
        if len(attempts) == 1:
            other = threading.Thread(
                target=execute, args=(pg_url, "update counter set value = value + 100")
            )
            other.start()
            other.join()
        session.execute(text("update counter set value = :v where id = 1"), {"v": value + 1})
        return value + 1

    return work


def test_serialization_failure_retried_and_logged(pg_url, caplog):
    execute(pg_url, "create table counter (id int primary key, value int not null)")
    execute(pg_url, "insert into counter values (1, 0)")
    database = Database(pg_url, PoolOptions(retries=3))
    attempts: list[int] = []
    with caplog.at_level(logging.WARNING, logger="releasegate.store.db"):
        result = database.run(conflicting_update(pg_url, attempts), name="counter update")
    with database.transaction() as session:
        stored = session.execute(text("select value from counter")).scalar_one()
    database.dispose()
    # The first attempt read 0 and lost; the retry read the other writer's 100.
    assert attempts == [1, 2]
    assert result == stored == 101
    rolled_back, retry = [r.getMessage() for r in caplog.records]
    assert rolled_back == "a transaction was rolled back after a serialization failure"
    assert retry.startswith("counter update hit a serialization failure; retry 1 of 3 in ")


def test_serialization_failure_gives_up_after_retries(pg_url, caplog):
    execute(pg_url, "create table counter (id int primary key, value int not null)")
    execute(pg_url, "insert into counter values (1, 0)")
    database = Database(pg_url, PoolOptions(retries=0))
    attempts: list[int] = []
    with (
        caplog.at_level(logging.ERROR, logger="releasegate.store.db"),
        pytest.raises(
            ConfigurationError, match="counter update lost 1 attempt to a serialization failure"
        ),
    ):
        database.run(conflicting_update(pg_url, attempts), name="counter update")
    with database.transaction() as session:
        stored = session.execute(text("select value from counter")).scalar_one()
    database.dispose()
    assert attempts == [1]
    assert stored == 100  # only the other writer's change committed
    assert [r.getMessage() for r in caplog.records] == [
        "counter update gave up after 0 retries: serialization failure"
    ]


def test_lost_conflict_without_retry_is_clear_error(pg_url):
    execute(pg_url, "create table counter (id int primary key, value int not null)")
    execute(pg_url, "insert into counter values (1, 0)")
    database = Database(pg_url)
    work = conflicting_update(pg_url, [])
    with pytest.raises(
        ConflictError,
        match="the change was rolled back after a serialization failure with another writer",
    ), database.transaction() as session:
        work(session)
    database.dispose()
