"""Shared pieces of the end-to-end tests: a working folder and sample evidence."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releasegate.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMMIT = "a" * 40
DIGEST = "sha256:" + "b" * 64

MANIFEST = f"""
service: payments-api
version: "2.4.0"
description: Settlement batch rounding
change_type: normal
ticket: CHG-1
source_commit: "{COMMIT}"
pull_request: https://git.example.com/payments/payments-api/pull/1
artifacts:
  - name: payments-api
    digest: "{DIGEST}"
authors: [alice]
requester: alice
"""

JUNIT_PASS = """<?xml version="1.0"?>
<testsuite name="payments" tests="2">
  <testcase classname="t" name="a"/><testcase classname="t" name="b"/>
</testsuite>"""

JUNIT_FAIL = """<?xml version="1.0"?>
<testsuite name="payments" tests="2">
  <testcase classname="t" name="a"/>
  <testcase classname="t" name="b"><failure message="expected 10.02">trace</failure></testcase>
</testsuite>"""

SARIF_CLEAN = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Bandit", "rules": []}},
                "results": [],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
)

SARIF_HIGH = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Bandit", "rules": [{"id": "B602"}]}},
                "results": [
                    {
                        "ruleId": "B602",
                        "level": "error",
                        "message": {"text": "subprocess call with shell=True"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": "src/app.py"},
                                                  "region": {"startLine": 7}}}
                        ],
                    }
                ],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def run(self, *args: str):
        return self.runner.invoke(app, ["--home", str(self.root), *args], catch_exceptions=False)

    def json(self, *args: str):
        result = self.run(*args, "--output", "json")
        return result, json.loads(result.stdout) if result.stdout.strip() else None

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def ledger_size(self) -> int:
        connection = sqlite3.connect(self.root / ".releasegate" / "releasegate.db")
        try:
            return connection.execute("select count(*) from ledger_entries").fetchone()[0]
        finally:
            connection.close()


@pytest.fixture
def ws(tmp_path) -> Workspace:
    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    workspace = Workspace(tmp_path)
    assert workspace.run("init").exit_code == 0
    return workspace


def create(ws: Workspace, manifest: str = MANIFEST) -> str:
    result, body = ws.json("release", "create", str(ws.write("release.yaml", manifest)))
    assert result.exit_code == 0, result.output
    return body["id"]


def attach(ws: Workspace, release: str, name: str, text: str, commit: str | None = COMMIT):
    args = ["evidence", "add", release, str(ws.write(name, text))]
    if commit:
        args += ["--commit", commit]
    result = ws.run(*args)
    assert result.exit_code == 0, result.output


def approve_all(ws: Workspace, release: str) -> None:
    for who in ("bob", "dana", "erin"):
        result = ws.run("approve", release, "--as", who)
        assert result.exit_code == 0, result.output


def control(decision: dict, control_id: str) -> dict:
    return next(r for r in decision["results"] if r["control_id"] == control_id)
