"""Policy authoring and replay commands end to end on a real SQLite working folder."""

from __future__ import annotations

import json

from support import (
    JUNIT_PASS,
    SARIF_CLEAN,
    SARIF_HIGH,
    approve_all,
    attach,
    control,
    create,
)


def allowed_release(ws, sarif: str = SARIF_CLEAN) -> str:
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", sarif)
    approve_all(ws, release)
    return release


def test_policy_replay_same_verdict(ws):
    release = allowed_release(ws)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 0
    assert decision["engine"].startswith("regopy ")
    result, replay = ws.json("decision", "replay", decision["id"])
    assert result.exit_code == 0, result.output
    assert replay["same"] is True
    assert replay["recorded"] == replay["replayed"] == "allow"


def test_policy_edit_changes_revision_and_replay_stays_pinned(ws):
    release = allowed_release(ws)
    _, first = ws.json("gate", release)
    rules = ws.root / "policies" / "platform" / "extra.rego"
    rules.write_text(
        "package platform.extra\n\nimport rego.v1\n\n"
        'deny contains "production releases are paused" if input.environment == "production"\n'
    )
    result, second = ws.json("gate", release)
    assert result.exit_code == 1
    assert second["policy_revision"] != first["policy_revision"]
    assert control(second, "platform.extra")["violations"][0]["msg"] == "production releases are paused"
    # The first decision replays under its own pinned revision, without the new rule.
    result, replay = ws.json("decision", "replay", first["id"])
    assert result.exit_code == 0
    assert replay["replayed"] == "allow"


def test_policy_tightening_application_layer_changes_decision(ws):
    medium = SARIF_HIGH.replace('"level": "error"', '"level": "warning"')
    release = allowed_release(ws, sarif=medium)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 0
    assert control(decision, "VUL-1")["outcome"] == "pass"
    (ws.root / "policies" / "application" / "payments-api" / "data.yaml").write_text(
        'vulnerabilities:\n  blocking_severity: {"0": medium}\n'
    )
    # Approvals are bound to the policy revision, so they lapse with the change.
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1
    assert control(decision, "VUL-1")["outcome"] == "fail"
    assert "blocking severity medium" in control(decision, "VUL-1")["violations"][0]["msg"]


def test_policy_loosening_application_layer_rejected(ws):
    release = allowed_release(ws)
    (ws.root / "policies" / "application" / "payments-api" / "data.yaml").write_text(
        'vulnerabilities:\n  blocking_severity: {"0": critical}\n'
    )
    result = ws.run("gate", release)
    assert result.exit_code == 2
    assert (
        "application/payments-api: parameter vulnerabilities.blocking_severity.0 loosened "
        "from 'high' (set by builtin) to 'critical' (set by application/payments-api)"
    ) in result.output
    assert "may only make this blocking severity less severe" in result.output
    check = ws.run("policy", "check", "--service", "payments-api")
    assert check.exit_code == 2


def test_policy_check_lists_revisions(ws):
    result, rows = ws.json("policy", "check")
    assert result.exit_code == 0
    assert [r["service"] for r in rows] == ["payments-api", "reporting-portal"]
    assert all(len(r["revision"]) == 64 for r in rows)
    assert rows[0]["revision"] != rows[1]["revision"]


def test_policy_test_runs_layer_tests(ws):
    result, tests = ws.json("policy", "test", str(ws.root / "policies"))
    assert result.exit_code == 0, result.output
    assert {t["rule"] for t in tests} >= {"test_missing_ticket_denies", "test_ticket_present_passes"}
    assert all(t["status"] == "pass" for t in tests)


def test_policy_test_failing_rule_exit_1(ws):
    (ws.root / "policies" / "platform" / "broken_test.rego").write_text(
        "package platform.broken_test\n\nimport rego.v1\n\ntest_wrong if {\n\t1 == 2\n}\n"
    )
    result, tests = ws.json("policy", "test", str(ws.root / "policies"))
    assert result.exit_code == 1
    failing = [t for t in tests if t["status"] != "pass"]
    assert [(t["rule"], t["status"]) for t in failing] == [("test_wrong", "fail")]
    assert failing[0]["message"] == "the test rule is undefined (one of its conditions is false)"


def test_policy_eval_stored_input(ws):
    release = allowed_release(ws)
    _, decision = ws.json("gate", release)
    blob = ws.root / ".releasegate" / "blobs" / decision["input_sha256"][:2] / decision["input_sha256"]
    result, evaluated = ws.json("policy", "eval", "--input", str(blob))
    assert result.exit_code == 0
    assert evaluated["outcome"] == "allow"
    assert evaluated["policy_revision"] == decision["policy_revision"]


def test_policy_eval_rejects_non_document(ws):
    path = ws.write("input.json", json.dumps([1, 2]))
    result = ws.run("policy", "eval", "--input", str(path))
    assert result.exit_code == 2
    assert "input.json: release: the document has no 'release' object" in result.output


def test_controls_list_filters_by_framework(ws):
    _, everything = ws.json("controls", "list")
    _, dora = ws.json("controls", "list", "--framework", "dora")
    assert {c["id"] for c in dora} < {c["id"] for c in everything}
    assert all(any("DORA" in f for f in c["frameworks"]) for c in dora)
    assert "CHG-2" in {c["id"] for c in dora}
    result = ws.run("controls", "list", "--framework", "hipaa")
    assert result.exit_code == 2


def test_controls_show_and_unknown(ws):
    result, shown = ws.json("controls", "show", "sod-1")
    assert result.exit_code == 0
    assert shown["id"] == "SOD-1"
    assert shown["solution"]
    result = ws.run("controls", "show", "XYZ-9")
    assert result.exit_code == 2
    assert "control 'XYZ-9' not found" in result.output
