"""`releasegate --help` must not load the server, the database, the HTTP client or rich."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "httpx",
    "sqlalchemy",
    "prometheus_client",
    "rich",
)


def test_cli_help_imports_stay_light():
    code = (
        "import sys\n"
        "from releasegate.cli.main import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
