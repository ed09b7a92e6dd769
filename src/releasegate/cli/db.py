"""`releasegate db upgrade` and `db check`: schema migrations and connectivity for operators.

Every other command refuses to run on a schema that is not at the newest
revision (`Database.require_schema`); these two are how an operator gets
there. Run `db upgrade` from one place (a deploy job) before starting the
new version's replicas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json
from releasegate.errors import ReleasegateError

if TYPE_CHECKING:
    from releasegate.store.db import Database

db_app = typer.Typer(
    help="Migrate and check the database schema. Always runs in process on the configured "
    "database, also when RELEASEGATE_URL is set: an operator migrates where the database is.",
    no_args_is_help=True,
)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]


def _database() -> Database:
    from releasegate.cli import main
    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    settings = load_settings(home=main._State.home, overrides=main._State.overrides)
    return main._opened(Application(settings)).database


@db_app.command("upgrade")
def upgrade(output: OutputOption = OutputFormat.TABLE) -> None:
    """Apply the pending schema migrations (back up the database first)."""
    from releasegate.cli import main

    try:
        database = _database()
        before = database.upgrade()
        after = database.status()
    except ReleasegateError as error:
        main._fail(error, output)
    result = {
        "database": database.safe_url,
        "previous_revision": list(before.current),
        "revision": list(after.current),
        "applied": list(before.pending),
    }
    if output is OutputFormat.JSON:
        emit_json(result)
        return
    if before.pending:
        console.print(
            f"applied {len(before.pending)} migration(s) to {database.safe_url}: "
            f"{', '.join(before.pending)}; now at {', '.join(after.current)}"
        )
    else:
        console.print(
            f"{database.safe_url} is already at revision {', '.join(after.current)}"
        )


@db_app.command("check")
def check(output: OutputOption = OutputFormat.TABLE) -> None:
    """Check that the database is reachable and that its schema is at the newest revision.

    Exit 0 when it is, 1 when migrations are pending or the schema is newer
    than this version, 2 when the database cannot be reached.
    """
    from releasegate.cli import main

    try:
        database = _database()
        status = database.status()
    except ReleasegateError as error:
        main._fail(error, output)
    if status.unknown:
        problem = (
            f"schema revision {', '.join(status.unknown)} is newer than this releasegate version"
        )
    elif not status.initialised:
        problem = "the database has no releasegate schema; run 'releasegate init'"
    elif status.pending:
        problem = (
            f"{len(status.pending)} migration(s) pending ({', '.join(status.pending)}); "
            "run 'releasegate db upgrade'"
        )
    else:
        problem = None
    result: dict[str, Any] = {
        "database": database.safe_url,
        "dialect": database.dialect,
        "reachable": True,
        "revision": list(status.current),
        "head": list(status.heads),
        "pending": list(status.pending),
        "ok": problem is None,
        "problem": problem,
    }
    if output is OutputFormat.JSON:
        emit_json(result)
    elif problem is None:
        console.print(
            f"[green]ok[/green]: {database.safe_url} ({database.dialect}) answers; "
            f"schema at revision {', '.join(status.current)}"
        )
    else:
        console.print(f"[red]not ready[/red]: {database.safe_url}: {problem}")
    if problem is not None:
        raise typer.Exit(main.EXIT_DENIED)
