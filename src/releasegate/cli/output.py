"""Rendering for people (rich tables) and for pipelines (`--output json`)."""

from __future__ import annotations

import enum
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class _LazyConsole:
    """A rich Console created on first use, so that `releasegate --help` does not import rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console: Console = _LazyConsole(highlight=False, soft_wrap=False)  # type: ignore[assignment]
error_console: Console = _LazyConsole(stderr=True, highlight=False)  # type: ignore[assignment]


class OutputFormat(enum.StrEnum):
    """Output format of a reporting command."""

    TABLE = "table"
    JSON = "json"


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    from rich.table import Table

    result = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    return result


OUTCOME_STYLE = {
    "allow": "bold green",
    "deny": "bold red",
    "pending": "bold yellow",
    "pass": "green",
    "fail": "red",
    "error": "bold red",
    "waived": "yellow",
    "not_applicable": "dim",
}


def styled(value: str) -> str:
    style = OUTCOME_STYLE.get(value)
    return f"[{style}]{value}[/{style}]" if style else value
