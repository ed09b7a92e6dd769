"""End to end: `releasegate rollout` with the simulator target and synthetic metrics."""

from __future__ import annotations

import json

from support import JUNIT_PASS, SARIF_CLEAN, approve_all, attach, create

# Equal constant samples: with random ones the judge fails a healthy step
# about one time in 500, and these rollouts run many health steps.
HEALTHY = """
seed: 3
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0}
    canary: {mean: 0.004, sd: 0}
    samples: 60
  settlement-completion-rate:
    baseline: {mean: 0.995, sd: 0}
    canary: {mean: 0.995, sd: 0}
    samples: 60
"""

DEGRADED = HEALTHY.replace("canary: {mean: 0.995, sd: 0}", "canary: {mean: 0.970, sd: 0.002}")


def _allowed_release(ws) -> str:
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    return release


def _journal(ws) -> list[dict]:
    path = ws.root / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _start(ws, release: str, metrics: str, *extra: str):
    path = ws.write("metrics.yaml", metrics)
    return ws.json(
        "rollout",
        "start",
        release,
        "--metrics",
        f"synthetic:{path}",
        "--journal",
        str(ws.root / "journal.jsonl"),
        "--time-scale",
        "0",
        "--wait",
        *extra,
    )


def test_healthy_rollout_promotes_through_regions(ws):
    release = _allowed_release(ws)

    result, status = _start(ws, release, HEALTHY)

    assert result.exit_code == 0, result.output
    assert status["status"] == "succeeded"
    assert status["strategy"] == "canary"
    assert status["waves"] == [{"regions": ["eu-west-1"]}, {"regions": ["eu-central-1"]}]
    deploys = [(e["environment"], tuple(e["regions"]), e["weight"]) for e in _journal(ws)]
    assert deploys == [
        ("development", (), 100),
        ("test", (), 100),
        ("staging", (), 100),
        ("production", ("eu-west-1",), 10),
        ("production", ("eu-west-1",), 50),
        ("production", ("eu-west-1",), 100),
        ("production", ("eu-central-1",), 10),
        ("production", ("eu-central-1",), 50),
        ("production", ("eu-central-1",), 100),
    ]
    _shown, release_body = ws.json("release", "show", release)
    assert release_body["status"] == "deployed"
    # Each environment's gate saw the same digest succeed in the environment before it.
    [row] = ws.query(
        "select decision_json from decisions where environment = 'production' "
        "order by evaluated_at desc limit 1"
    )
    results = {r["control_id"]: r["outcome"] for r in json.loads(row[0])["results"]}
    assert results["CHG-3"] == "pass"


def test_degraded_business_indicator_rolls_back(ws):
    release = _allowed_release(ws)

    result, status = _start(ws, release, DEGRADED)

    assert result.exit_code == 1, result.output
    assert status["status"] == "rolled_back"
    assert "settlement-completion-rate" in status["reason"]
    journal = _journal(ws)
    assert journal[-1]["action"] == "rollback"
    assert journal[-1]["environment"] == "development"
    assert [e["action"] for e in journal].count("deploy") == 1
    failed = next(s for s in status["steps"] if s["status"] == "failed")
    values = {m["indicator"]: m for m in failed["result"]["measurements"]}
    assert values["settlement-completion-rate"]["outcome"] == "fail"
    assert abs(values["settlement-completion-rate"]["canary_mean"] - 0.970) < 0.002
    assert values["http-error-rate"]["outcome"] == "pass"
    _shown, release_body = ws.json("release", "show", release)
    assert release_body["status"] == "rolled_back"
