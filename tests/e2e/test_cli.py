"""The `releasegate` command end to end on a real SQLite file, in process."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releasegate.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
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


def control(decision: dict, control_id: str) -> dict:
    return next(r for r in decision["results"] if r["control_id"] == control_id)


def test_cli_pending_without_approvals_exit_3(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    result, decision = ws.json("gate", release, "--env", "production")
    assert result.exit_code == 3
    assert decision["outcome"] == "pending"
    assert decision["risk"]["tier"] == "critical"
    assert control(decision, "SOD-3")["outcome"] == "fail"
    assert control(decision, "SOD-3")["pending"] is True
    assert control(decision, "TST-1")["outcome"] == "pass"
    assert control(decision, "VUL-1")["outcome"] == "pass"


def approve_all(ws: Workspace, release: str) -> None:
    for who in ("bob", "dana", "erin"):
        result = ws.run("approve", release, "--as", who)
        assert result.exit_code == 0, result.output


def test_cli_allowed_after_approvals_exit_0(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 0, result.output
    assert decision["outcome"] == "allow"
    assert {r["outcome"] for r in decision["results"]} <= {"pass", "not_applicable"}
    _, shown = ws.json("release", "show", release)
    assert shown["status"] == "allowed"


def test_cli_failing_tests_deny_exit_1(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_FAIL)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert decision["outcome"] == "deny"
    assert control(decision, "TST-1")["outcome"] == "fail"


def test_cli_missing_evidence_denies(ws):
    release = create(ws)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert control(decision, "TST-1")["outcome"] == "fail"
    assert control(decision, "VUL-1")["outcome"] == "fail"


def test_cli_finding_waived_by_exception(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_HIGH)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert control(decision, "VUL-1")["outcome"] == "fail"

    result, exception = ws.json(
        "exception", "request", "--control", "VUL-1", "--release", release, "--finding", "B602",
        "--justification", "input is a constant", "--compensating", "code review",
        "--expires-in", "7d", "--as", "alice",
    )
    assert result.exit_code == 0, result.output
    own = ws.run("exception", "approve", exception["id"], "--as", "alice")
    assert own.exit_code == 2
    assert "may not decide it (segregation of duties)" in own.output
    assert ws.run("exception", "approve", exception["id"], "--as", "farid").exit_code == 0

    result, decision = ws.json("gate", release)
    assert result.exit_code == 0, result.output
    vul = control(decision, "VUL-1")
    assert vul["outcome"] == "waived"
    assert vul["violations"][0]["waived_by"] == exception["id"]


def test_cli_author_cannot_approve(ws):
    release = create(ws)
    result = ws.run("approve", release, "--as", "Alice")
    assert result.exit_code == 2
    assert "alice is an author or the requester" in result.output


def test_cli_invalid_manifest_names_field_and_stores_nothing(ws):
    path = ws.write("bad.yaml", MANIFEST.replace('version: "2.4.0"', "version: [2, 4]"))
    before = ws.ledger_size()
    result = ws.run("release", "create", str(path))
    assert result.exit_code == 2
    assert "bad.yaml: version: Input should be a valid string" in result.output
    assert "Traceback" not in result.output
    assert ws.ledger_size() == before
    _, releases = ws.json("release", "list")
    assert releases == []


def test_cli_unknown_service_rejected(ws):
    result = ws.run("release", "create", str(ws.write("r.yaml", MANIFEST.replace("payments-api\n", "ghost\n", 1))))
    assert result.exit_code == 2
    assert "r.yaml: service: service 'ghost' is not in the catalog" in result.output


def test_cli_truncated_evidence_rejected_and_nothing_stored(ws):
    release = create(ws)
    before = ws.ledger_size()
    path = ws.write("junit.xml", JUNIT_PASS[: len(JUNIT_PASS) // 2])
    result = ws.run("evidence", "add", release, str(path))
    assert result.exit_code == 2
    assert "junit.xml" in result.output
    assert "Traceback" not in result.output
    assert ws.ledger_size() == before


def test_cli_empty_evidence_file_rejected(ws):
    release = create(ws)
    result = ws.run("evidence", "add", release, str(ws.write("empty.sarif", "")))
    assert result.exit_code == 2
    assert "empty.sarif" in result.output


def test_cli_unknown_release(ws):
    result = ws.run("gate", "rel-missing")
    assert result.exit_code == 2
    assert "release 'rel-missing' not found" in result.output


def test_cli_requires_init(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "release", "list"])
    assert result.exit_code == 2
    assert "run 'releasegate init'" in result.output


def test_cli_ledger_verify_and_tamper(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    result, report = ws.json("ledger", "verify")
    assert result.exit_code == 0
    assert report["ok"] is True
    assert report["entries"] == 2

    db = sqlite3.connect(ws.root / ".releasegate" / "releasegate.db")
    with db:
        body = db.execute("select body from ledger_entries where seq = 1").fetchone()[0]
        db.execute("update ledger_entries set body = ? where seq = 1", (body.replace("junit", "junIt", 1),))
    db.close()
    result, report = ws.json("ledger", "verify")
    assert result.exit_code == 1
    assert report["ok"] is False
    assert report["problems"][0].startswith("entry 1 (evidence.added): leaf hash")


def test_cli_ledger_show_chain(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    ws.run("gate", release)
    _, chain = ws.json("ledger", "show", release)
    assert [e["type"] for e in chain] == ["release.created", "evidence.added", "decision.recorded"]
    assert [e["index"] for e in chain] == [0, 1, 2]
