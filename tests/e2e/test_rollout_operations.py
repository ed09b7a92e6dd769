"""Operating rollouts: pauses, promote, resume, abort, rehearsals and resilience evidence."""

from __future__ import annotations

import json
import sys

import yaml
from support import DR_TEST, JUNIT_PASS, SARIF_CLEAN, approve_all, attach, create

HEALTHY = {
    "seed": 3,
    "indicators": {
        "http-error-rate": {
            "baseline": {"mean": 0.004, "sd": 0.001},
            "canary": {"mean": 0.004, "sd": 0.001},
            "samples": 60,
        },
        "settlement-completion-rate": {
            "baseline": {"mean": 0.995, "sd": 0.001},
            "canary": {"mean": 0.995, "sd": 0.001},
            "samples": 60,
        },
    },
}


def _metrics(ws, **changes: dict) -> str:
    document = json.loads(json.dumps(HEALTHY))
    for name, change in changes.items():
        document["indicators"][name].update(change)
    path = ws.write("metrics.yaml", yaml.safe_dump(document))
    return f"synthetic:{path}"


def _release(ws, *, approved: bool = True) -> str:
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    if approved:
        approve_all(ws, release)
    return release


def _start(ws, release: str, metrics: str, *extra: str):
    result, status = ws.json(
        "rollout",
        "start",
        release,
        "--metrics",
        metrics,
        "--journal",
        str(ws.root / "journal.jsonl"),
        "--time-scale",
        "0",
        "--wait",
        *extra,
    )
    return result, status


def _journal(ws) -> list[dict]:
    path = ws.root / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _input(ws, decision: dict) -> dict:
    """Return the policy input document the decision was evaluated on, from the blob store."""
    from releasegate.store.blobs import BlobStore

    blobs = BlobStore(ws.root / ".releasegate" / "blobs")
    return json.loads(blobs.get(decision["input_sha256"]))


def _current(status: dict) -> dict:
    return next(s for s in status["steps"] if s["status"] in ("pending", "running"))


def test_too_few_samples_pauses_then_resume_continues(ws):
    release = _release(ws)

    result, status = _start(
        ws,
        release,
        _metrics(ws, **{"settlement-completion-rate": {"samples": 5}}),
        "--from",
        "production",
    )

    assert result.exit_code == 3, result.output
    assert status["status"] == "paused"
    assert "inconclusive" in status["reason"]
    step = _current(status)
    assert (step["kind"], step["wave"], step["weight"]) == ("health", 1, 10)
    values = {m["indicator"]: m for m in step["result"]["measurements"]}
    assert values["settlement-completion-rate"]["outcome"] == "inconclusive"
    assert values["settlement-completion-rate"]["reason"] == (
        "5 samples, fewer than the minimum of 20"
    )
    assert [e["action"] for e in _journal(ws)] == ["deploy"]  # paused, not rolled back

    _metrics(ws)  # the late settlement results arrived
    resumed = ws.run("rollout", "resume", status["id"], "--as", "erin")
    assert resumed.exit_code == 0, resumed.output
    ran = ws.run("rollout", "run", status["id"])
    assert ran.exit_code == 0, ran.output

    _, final = ws.json("rollout", "status", status["id"])
    assert final["status"] == "succeeded"
    assert len(_journal(ws)) == 6


def test_promote_accepts_inconclusive_step(ws):
    release = _release(ws)
    _, status = _start(
        ws,
        release,
        _metrics(ws, **{"settlement-completion-rate": {"samples": 5}}),
        "--from",
        "production",
    )
    paused_step = _current(status)["id"]

    result, promoted = ws.json("rollout", "promote", status["id"], "--as", "erin")

    assert result.exit_code == 0, result.output
    step = next(s for s in promoted["steps"] if s["id"] == paused_step)
    assert step["status"] == "succeeded"
    assert step["result"]["promoted_by"] == "erin"
    assert promoted["status"] == "running"
    assert _current(promoted)["kind"] == "deploy"


def test_provider_down_pauses_after_error_limit(ws):
    release = _release(ws)

    down = {"staging": {"canary": {"mean": 0.004}, "down": True}}
    result, status = _start(
        ws,
        release,
        _metrics(ws, **{"http-error-rate": {"environments": down}}),
        "--from",
        "staging",
    )

    assert result.exit_code == 3, result.output
    assert status["status"] == "paused"
    assert "metrics provider failed" in status["reason"]
    step = _current(status)
    assessments = {a["indicator"]: a for a in step["result"]["assessments"]}
    assert assessments["http-error-rate"]["status"] == "error"
    assert assessments["http-error-rate"]["consecutive_errors"] == 5  # limit 4, compared with >
    assert [e["action"] for e in _journal(ws)] == ["deploy"]  # never rolled back on errors


def test_telemetry_check_pauses_before_production_without_data(ws):
    release = _release(ws)

    result, status = _start(
        ws, release, _metrics(ws, **{"http-error-rate": {"samples": 0}}), "--from", "production"
    )

    assert result.exit_code == 3
    assert status["status"] == "paused"
    assert "http-error-rate return no data" in status["reason"]
    assert _current(status)["kind"] == "telemetry"
    assert _journal(ws) == []


def test_gate_pending_pauses_rollout(ws):
    release = _release(ws, approved=False)

    result, status = _start(ws, release, _metrics(ws), "--from", "production")

    assert result.exit_code == 3
    assert status["status"] == "paused"
    assert "the gate returned pending for production" in status["reason"]
    assert _journal(ws) == []
    refused = ws.run("rollout", "promote", status["id"], "--as", "erin")
    assert refused.exit_code == 2
    assert "waits for the release gate" in refused.output


def test_shadow_indicator_is_recorded_but_never_decides(ws):
    catalog = yaml.safe_load((ws.root / "catalog.yaml").read_text())
    service = next(s for s in catalog["services"] if s["name"] == "payments-api")
    service["health_indicators"].append(
        {
            "name": "exception-queue-depth",
            "kind": "business",
            "query": 'queue{role="{role}"}',
            "gate": {"max": 10, "shadow": True},
        }
    )
    (ws.root / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    release = _release(ws)
    metrics = _metrics(ws)
    document = yaml.safe_load((ws.root / "metrics.yaml").read_text())
    document["indicators"]["exception-queue-depth"] = {"canary": {"mean": 50, "sd": 1}}
    (ws.root / "metrics.yaml").write_text(yaml.safe_dump(document))

    result, status = _start(ws, release, metrics, "--from", "production")

    assert result.exit_code == 0, result.output
    assert status["status"] == "succeeded"
    health = next(s for s in status["steps"] if s["kind"] == "health")
    shadow = next(
        m for m in health["result"]["measurements"] if m["indicator"] == "exception-queue-depth"
    )
    assert shadow["outcome"] == "fail"
    assert shadow["shadow"] is True


def test_aborted_rehearsal_records_rollback_for_res_1(ws):
    release = _release(ws)
    _, status = _start(
        ws,
        release,
        _metrics(ws, **{"settlement-completion-rate": {"samples": 5}}),
        "--from",
        "staging",
        "--rehearsal",
    )
    assert status["status"] == "paused"

    aborted = ws.run("rollout", "abort", status["id"], "--as", "bob", "--reason", "rehearsal")
    assert aborted.exit_code == 0, aborted.output
    ran = ws.run("rollout", "run", status["id"])
    assert ran.exit_code == 0

    _, final = ws.json("rollout", "status", status["id"])
    assert final["status"] == "rolled_back"
    assert [(e["action"], e["environment"]) for e in _journal(ws)] == [
        ("deploy", "staging"),
        ("rollback", "staging"),
    ]
    _, decision = ws.json("gate", release, "--env", "production")
    results = {r["control_id"]: r for r in decision["results"]}
    assert results["RES-1"]["outcome"] == "pass"
    rehearsals = _input(ws, decision)["evidence"]["rehearsals"]
    assert [(r["kind"], r["environment"], r["succeeded"]) for r in rehearsals] == [
        ("rollback", "staging", True)
    ]


def test_dr_test_result_feeds_res_2(ws):
    release = _release(ws)
    good = ws.write("dr.json", json.dumps(DR_TEST))
    recorded = ws.run("rollout", "dr-test", str(good))
    assert recorded.exit_code == 0, recorded.output

    _, decision = ws.json("gate", release, "--env", "production", "--at", "2026-12-01T09:00:00Z")
    results = {r["control_id"]: r for r in decision["results"]}
    assert results["RES-2"]["outcome"] == "pass"

    slow = ws.write(
        "dr-slow.json",
        good.read_text()
        .replace('"recovery_time_minutes": 22', '"recovery_time_minutes": 45')
        .replace("2026-11-20", "2026-11-25"),
    )
    assert ws.run("rollout", "dr-test", str(slow)).exit_code == 0
    _, decision = ws.json("gate", release, "--env", "production")
    results = {r["control_id"]: r for r in decision["results"]}
    assert results["RES-2"]["outcome"] == "fail"
    assert (
        "recovered in 45 minutes, more than the recovery time objective of 30 minutes"
        in (results["RES-2"]["violations"][0]["msg"])
    )


def test_dr_test_missing_field_is_input_error(ws):
    bad = ws.write(
        "dr.json",
        json.dumps(
            {
                "apiVersion": "releasegate/v1",
                "kind": "DisasterRecoveryTest",
                "service": "payments-api",
            }
        ),
    )

    result = ws.run("rollout", "dr-test", str(bad))

    assert result.exit_code == 2
    assert "dr.json" in result.output
    assert "date" in result.output


def test_production_gate_reads_plan_and_telemetry(ws):
    release = _release(ws)
    _, status = _start(ws, release, _metrics(ws), "--from", "production")
    assert status["status"] == "succeeded"

    _, decision = ws.json("gate", release, "--env", "production")

    evidence = _input(ws, decision)["evidence"]
    assert evidence["rollout_plans"][0]["strategy"] == "canary"
    assert evidence["rollout_plans"][0]["waves"] == [
        {"regions": ["eu-west-1"]},
        {"regions": ["eu-central-1"]},
    ]
    assert evidence["telemetry"][0]["indicators"] == [
        {"name": "http-error-rate", "returns_data": True},
        {"name": "settlement-completion-rate", "returns_data": True},
    ]
    deployments = evidence["deployments"]
    assert [(d["environment"], d["status"], d["triggered_by"]) for d in deployments] == [
        ("production", "succeeded", "pipeline")
    ]
    assert deployments[0]["artifacts"][0]["digest"].startswith("sha256:")
    results = {r["control_id"]: r for r in decision["results"]}
    assert results["RES-3"]["outcome"] == "pass"


def test_unknown_rollout_is_not_found(ws):
    result = ws.run("rollout", "status", "rol-missing")

    assert result.exit_code == 2
    assert "rollout rol-missing not found" in result.output


def test_second_rollout_of_release_conflicts(ws):
    release = _release(ws)
    _start(
        ws,
        release,
        _metrics(ws, **{"settlement-completion-rate": {"samples": 5}}),
        "--from",
        "production",
    )

    result = ws.run("rollout", "start", release, "--metrics", _metrics(ws))

    assert result.exit_code == 2
    assert "already has rollout" in result.output


def test_interrupted_command_step_pauses_instead_of_repeating(ws):
    import time

    from releasegate.service.app import Application
    from releasegate.service.rollouts import claim_next, run_controller, run_step
    from releasegate.settings import load_settings

    release = _release(ws)
    calls = ws.root / "calls.txt"
    command = f"{sys.executable} -c \"open({str(calls)!r}, 'a').write('x')\""
    result, status = ws.json(
        "rollout",
        "start",
        release,
        "--metrics",
        _metrics(ws),
        "--target",
        "command",
        "--target-command",
        command,
        "--time-scale",
        "0",
        "--lease-seconds",
        "1",
        "--from",
        "production",
    )
    assert result.exit_code == 0, result.output
    app = Application(load_settings(home=ws.root, overrides={"database_url": ws.database_url}))

    # 1. A controller claims steps and dies holding the first deploy step.
    while True:
        claim = claim_next(app, "doomed", rollout_id=status["id"])
        assert claim is not None
        if claim.kind == "deploy":
            break
        run_step(app, claim, "doomed")
    time.sleep(1.2)

    # 2. The next controller cannot tell whether the command ran, so it pauses.
    run_controller(app, rollout_id=status["id"])
    _, paused = ws.json("rollout", "status", status["id"])
    assert paused["status"] == "paused"
    assert "cannot report whether it took effect" in paused["reason"]
    assert not calls.exists()

    # 3. A person confirms the deploy happened; the rollout continues without running it.
    assert ws.run("rollout", "promote", status["id"], "--as", "erin").exit_code == 0
    run_controller(app, rollout_id=status["id"])
    app.close()
    _, final = ws.json("rollout", "status", status["id"])
    assert final["status"] == "succeeded"
    assert calls.read_text() == "x" * 5  # six deploy steps, the first confirmed by a person


def test_step_that_cannot_run_pauses_with_reason(ws):
    release = _release(ws)
    metrics = _metrics(ws)
    result, status = ws.json(
        "rollout",
        "start",
        release,
        "--metrics",
        metrics,
        "--time-scale",
        "0",
        "--journal",
        str(ws.root / "journal.jsonl"),
        "--from",
        "production",
    )
    assert result.exit_code == 0, result.output
    (ws.root / "metrics.yaml").unlink()

    ran = ws.run("rollout", "run", status["id"])

    assert ran.exit_code == 0, ran.output
    _, paused = ws.json("rollout", "status", status["id"])
    assert paused["status"] == "paused"
    assert "(telemetry) could not run" in paused["reason"]
    assert "metrics.yaml" in paused["reason"]
    assert _current(paused)["kind"] == "telemetry"
