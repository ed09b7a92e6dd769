"""Shared fixtures: paths to the repository, the examples and the shared corpus,
and the database backends every database test runs on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from postgres import PostgresServer, postgres_server

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CORPUS = REPO.parent / "shared" / "corpus"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus of real tool output not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (see tests/postgres.py)."""
    yield from postgres_server()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: every database test runs on both."""
    return str(request.param)


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh database for this test, also set as RELEASEGATE_DATABASE_URL.

    SQLite is the default file in the working folder `tmp_path`; PostgreSQL is
    a new database copied from a template already migrated to head.
    """
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / '.releasegate' / 'releasegate.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(url))
    monkeypatch.setenv("RELEASEGATE_DATABASE_URL", url)
    return url


def fresh_database_url(
    request: pytest.FixtureRequest, backend: str, folder: Path, name: str, *, empty: bool = False
) -> str:
    """Another database on `backend`, dropped when the requesting fixture ends.

    With `empty`, a PostgreSQL database has no tables yet (a SQLite file is
    always new, so always empty).
    """
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(empty=empty)
    request.addfinalizer(lambda: server.drop_database(url))
    return url


@pytest.fixture
def new_database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Callable[..., str]:
    """Make further databases on this test's backend: `new_database_url("name", empty=...)`."""

    def make(name: str, *, empty: bool = False) -> str:
        return fresh_database_url(request, backend, tmp_path, name, empty=empty)

    return make
