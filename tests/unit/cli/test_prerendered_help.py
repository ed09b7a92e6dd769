"""`releasegate --help` from pre-rendered text prints exactly what Typer renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasegate.cli.help_text import MAIN_HELP
from releasegate.cli.launcher import prerendered_help_applies, render_help

RELEASEGATE = str(Path(sys.executable).with_name("releasegate"))
REGENERATE = "regenerate it with 'python -m releasegate.cli.launcher --write-help'"


def _console_script(*args: str, columns: int) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [RELEASEGATE, *args], capture_output=True, text=True, env=environment, check=False
    )


@pytest.mark.parametrize("columns", [80, 132])
def test_stored_help_equals_typer_rendering(columns):
    assert render_help(columns) == MAIN_HELP, f"the stored help text is stale: {REGENERATE}"


def test_console_script_prints_stored_help():
    completed = _console_script("--help", columns=100)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == MAIN_HELP
    assert completed.stderr == ""


def test_narrow_terminal_gets_typer_rendering():
    narrow = render_help(60)
    assert narrow != MAIN_HELP
    completed = _console_script("--help", columns=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == narrow


@pytest.mark.parametrize(
    "argv",
    [
        ["releasegate"],
        ["releasegate", "gate", "--help"],
        ["releasegate", "--help", "--home", "x"],
        ["releasegate", "-v", "--help"],
        ["python -m releasegate", "--help"],
    ],
)
def test_other_command_lines_go_through_typer(argv, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert not prerendered_help_applies(argv)


def test_help_command_line_uses_stored_text(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert prerendered_help_applies(["/usr/local/bin/releasegate", "--help"])
    monkeypatch.setenv("COLUMNS", "79")
    assert not prerendered_help_applies(["/usr/local/bin/releasegate", "--help"])


def test_subcommand_help_still_rendered_by_typer():
    completed = _console_script("release", "--help", columns=100)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Usage: releasegate release [OPTIONS] COMMAND")


def test_stored_help_loads_neither_typer_nor_commands():
    code = (
        "import sys\n"
        "sys.argv = ['releasegate', '--help']\n"
        "from releasegate.cli.launcher import run\n"
        "run()\n"
        "loaded = [m for m in ('typer', 'click', 'releasegate.cli.main') if m in sys.modules]\n"
        "sys.stderr.write(','.join(loaded))\n"
    )
    environment = {**os.environ, "COLUMNS": "100"}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    assert completed.stdout == MAIN_HELP
    assert completed.stderr == ""
