"""The `releasegate` command end to end on a real SQLite file, in process."""

from __future__ import annotations

import json
import sqlite3

from typer.testing import CliRunner

from releasegate.cli.main import app
from support import (
    COMMIT,
    JUNIT_FAIL,
    JUNIT_PASS,
    MANIFEST,
    SARIF_CLEAN,
    SARIF_HIGH,
    approve_all,
    attach,
    control,
    create,
)


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


def test_cli_allowed_after_approvals_exit_0(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 0, result.output
    assert decision["outcome"] == "allow"
    blocking = [r for r in decision["results"] if r["blocking"]]
    assert {r["outcome"] for r in blocking} <= {"pass", "not_applicable"}
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
    assert report["entries"] == 3  # the log key's creation, the release and the evidence

    db = sqlite3.connect(ws.root / ".releasegate" / "releasegate.db")
    with db:
        body = db.execute("select body from ledger_entries where seq = 2").fetchone()[0]
        db.execute("update ledger_entries set body = ? where seq = 2", (body.replace("junit", "junIt", 1),))
    db.close()
    result, report = ws.json("ledger", "verify")
    assert result.exit_code == 1
    assert report["ok"] is False
    assert report["problems"][0].startswith("entry 2 (evidence.added): leaf hash")


def test_cli_ledger_show_chain(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    ws.run("gate", release)
    _, chain = ws.json("ledger", "show", release)
    assert [e["type"] for e in chain] == ["release.created", "evidence.added", "decision.recorded"]
    assert [e["index"] for e in chain] == [1, 2, 3]  # entry 0 records the log key


def db_execute(ws, statement, *args):
    connection = sqlite3.connect(ws.root / ".releasegate" / "releasegate.db")
    with connection:
        connection.execute(statement, args)
    connection.close()


def test_cli_forged_approval_row_detected(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    assert ws.run("approve", release, "--as", "bob").exit_code == 0
    db_execute(ws, "update approvals set approver = 'dana' where release_id = ?", release)
    result = ws.run("gate", release)
    assert result.exit_code == 1
    assert "stored approver 'dana' differs from the ledger's 'bob'" in result.output


def test_cli_widened_exception_scope_detected(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_HIGH)
    _, exception = ws.json(
        "exception", "request", "--control", "VUL-1", "--release", release, "--finding", "B999",
        "--justification", "j", "--compensating", "c", "--expires-in", "7d", "--as", "alice",
    )
    assert ws.run("exception", "approve", exception["id"], "--as", "dana").exit_code == 0
    db_execute(ws, "update exceptions set finding = 'B602' where id = ?", exception["id"])
    result = ws.run("gate", release)
    assert result.exit_code == 1
    assert f"exception {exception['id']}: stored scope" in result.output


def test_cli_swapped_evidence_facts_detected(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    db_execute(ws, "update evidence set facts_sha256 = ? where release_id = ?", "0" * 64, release)
    result = ws.run("gate", release)
    assert result.exit_code == 1
    assert "stored facts_sha256" in result.output


def test_cli_unknown_identity_cannot_approve(ws):
    release = create(ws)
    result = ws.run("approve", release, "--as", "mallory")
    assert result.exit_code == 2
    assert "mallory is not a member of any catalog group" in result.output


def test_cli_exception_approver_must_hold_role(ws):
    release = create(ws)
    _, exception = ws.json(
        "exception", "request", "--control", "VUL-1", "--release", release,
        "--justification", "j", "--compensating", "c", "--expires-in", "7d", "--as", "bob",
    )
    # chen is an engineer: not a control owner, CAB member or exception approver group member.
    result = ws.run("exception", "approve", exception["id"], "--as", "chen")
    assert result.exit_code == 2
    assert "chen may not approve exceptions for payments-api" in result.output
    # dana owns the controls of payments-api, so her approval is accepted.
    assert ws.run("exception", "approve", exception["id"], "--as", "dana").exit_code == 0


def test_cli_author_cannot_approve_waiver_of_own_release(ws):
    manifest = MANIFEST.replace("authors: [alice]", "authors: [alice, dana]")
    release = create(ws, manifest)
    _, exception = ws.json(
        "exception", "request", "--control", "VUL-1", "--release", release,
        "--justification", "j", "--compensating", "c", "--expires-in", "7d", "--as", "bob",
    )
    result = ws.run("exception", "approve", exception["id"], "--as", "dana")
    assert result.exit_code == 2
    assert "dana is an author or the requester of release" in result.output


def test_cli_exception_request_validated_against_policy(ws):
    release = create(ws)
    too_long = ws.run(
        "exception", "request", "--control", "VUL-1", "--release", release,
        "--justification", "j", "--compensating", "c", "--expires-in", "45d", "--as", "bob",
    )
    assert too_long.exit_code == 2
    assert "longer than the maximum of 30 days" in too_long.output
    non_waivable = ws.run(
        "exception", "request", "--control", "SOD-3", "--release", release,
        "--justification", "j", "--compensating", "c", "--expires-in", "7d", "--as", "bob",
    )
    assert non_waivable.exit_code == 2
    assert "control SOD-3 may not be waived by any exception" in non_waivable.output
    no_compensating = ws.run(
        "exception", "request", "--control", "VUL-1", "--release", release,
        "--justification", "j", "--expires-in", "7d", "--as", "bob",
    )
    assert no_compensating.exit_code == 2
    assert "needs at least one compensating control" in no_compensating.output


def test_cli_revoked_exception_stops_waiving(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_HIGH)
    approve_all(ws, release)
    _, exception = ws.json(
        "exception", "request", "--control", "VUL-1", "--release", release, "--finding", "B602",
        "--justification", "j", "--compensating", "c", "--expires-in", "7d", "--as", "alice",
    )
    assert ws.run("exception", "approve", exception["id"], "--as", "farid").exit_code == 0
    assert ws.json("gate", release)[0].exit_code == 0
    revoked = ws.run("exception", "revoke", exception["id"], "--as", "dana", "--reason", "fix shipped")
    assert revoked.exit_code == 0
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert control(decision, "VUL-1")["outcome"] == "fail"


def test_cli_latest_verdict_per_approver_counts(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    assert ws.run("approve", release, "--as", "dana", "--reject").exit_code == 0
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert any("rejected by dana" in v["msg"] for v in control(decision, "SOD-3")["violations"])
    assert ws.run("approve", release, "--as", "dana").exit_code == 0
    assert ws.json("gate", release)[0].exit_code == 0


def test_cli_scan_for_other_commit_fails(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN, commit="c" * 40)
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert "is for commit cccc" in control(decision, "VUL-1")["violations"][0]["msg"]


def test_cli_error_as_json(ws):
    result = ws.run("gate", "rel-missing", "--output", "json")
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["error"]["type"] == "NotFoundError"
    assert body["error"]["message"] == "release 'rel-missing' not found"


def test_cli_catalog_change_lapses_approvals(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    assert ws.json("gate", release)[0].exit_code == 0
    catalog = ws.root / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    criticality: 0", "    criticality: 1"))
    result, decision = ws.json("gate", release)
    assert result.exit_code == 3
    assert control(decision, "SOD-3")["pending"] is True
