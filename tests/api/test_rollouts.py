"""Rollouts through the API: start, list, status, measurements, operator commands, metrics.

The rollout runs on the simulator target with synthetic metrics, driven by
the same background controller `releasegate serve` runs, on the API's
own SQLite database.
"""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from support import JUNIT_PASS, SARIF_CLEAN, approve_all, attach, create

from releasegate.api.app import create_app
from releasegate.api.auth import Role
from releasegate.api.identity_auth import IdentityTokenVerifier
from releasegate.service.rollout_controller import BackgroundController

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


def _body(release: str, **extra) -> dict:
    return {
        "release_id": release,
        "target": {"kind": "simulator", "journal": "journal.jsonl"},
        "metrics": {"kind": "synthetic", "path": "metrics.yaml"},
        "time_scale": 0,
        **extra,
    }


def _allowed_release(api) -> str:
    ws = api.workspace
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    ws.write("metrics.yaml", HEALTHY)
    return release


def _gauge(api) -> dict[str, float]:
    text = api.client.get("/metrics").text
    return {
        state: float(value)
        for state, value in re.findall(r'^releasegate_rollouts\{state="(\w+)"\} (\S+)$', text, re.M)
    }


def _wait_for(api, rollout_id: str, states: tuple[str, ...], seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        status = api.client.get(
            f"/api/v1/rollouts/{rollout_id}", headers=api.headers(Role.VIEWER)
        ).json()
        if status["status"] in states or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_rollout_started_over_the_api_runs_to_success(api):
    release = _allowed_release(api)
    started = api.client.post(
        "/api/v1/rollouts", json=_body(release), headers=api.headers(Role.SUBMITTER)
    )
    assert started.status_code == 201, started.text
    rollout = started.json()
    assert rollout["status"] == "running"
    assert rollout["release_id"] == release
    assert [w["regions"] for w in rollout["waves"]] == [["eu-west-1"], ["eu-central-1"]]
    assert _gauge(api)["running"] == 1.0

    controller = BackgroundController(api.application, owner="test-host:1", poll_seconds=0.05)
    controller.start()
    try:
        status = _wait_for(api, rollout["id"], ("succeeded", "rolled_back", "paused", "failed"))
    finally:
        assert controller.stop()
    assert status["status"] == "succeeded", status["reason"]
    assert controller.report() == {
        "state": "stopped",
        "owner": "test-host:1",
        "steps_run": controller.steps_run,
        "last_error": None,
    }
    assert controller.steps_run >= len(status["steps"])
    assert {s["status"] for s in status["steps"]} == {"succeeded"}

    gauge = _gauge(api)
    assert gauge["succeeded"] == 1.0
    assert gauge["running"] == 0.0
    assert set(gauge) == {"running", "paused", "rolling_back", "succeeded", "rolled_back", "failed"}

    viewer = api.headers(Role.VIEWER)
    by_release = api.client.get(f"/api/v1/rollouts?release_id={release}", headers=viewer).json()
    assert [(r["id"], r["status"], r["started_by"]) for r in by_release] == [
        (rollout["id"], "succeeded", "alice")
    ]
    assert api.client.get("/api/v1/rollouts?state=running", headers=viewer).json() == []
    assert [
        r["id"] for r in api.client.get("/api/v1/rollouts?state=succeeded", headers=viewer).json()
    ] == [rollout["id"]]

    measurements = api.client.get(
        f"/api/v1/rollouts/{rollout['id']}/measurements", headers=viewer
    ).json()
    health_steps = {s["seq"] for s in status["steps"] if s["kind"] == "health"}
    assert {m["seq"] for m in measurements} == health_steps
    errors = [m for m in measurements if m["indicator"] == "http-error-rate"]
    assert errors and all(m["outcome"] == "pass" for m in errors)
    for m in errors:
        assert abs(m["canary_mean"] - 0.004) < 0.001
        assert abs(m["baseline_mean"] - 0.004) < 0.001 or m["baseline_mean"] is None
    settlement = [m for m in measurements if m["indicator"] == "settlement-completion-rate"]
    assert all(abs(m["canary_mean"] - 0.995) < 0.001 for m in settlement)


def test_operator_routes_give_the_cli_messages(api):
    release = _allowed_release(api)
    rollout = api.client.post(
        "/api/v1/rollouts", json=_body(release), headers=api.headers(Role.SUBMITTER)
    ).json()
    manager = api.headers(Role.RELEASE_MANAGER)
    base = f"/api/v1/rollouts/{rollout['id']}"

    resumed = api.client.post(f"{base}/resume", headers=manager)
    assert resumed.status_code == 409
    assert resumed.json()["detail"] == (
        f"rollout {rollout['id']} is running, only a paused rollout can resume"
    )
    assert resumed.json()["hint"] == "see 'releasegate rollout status'"

    paused = api.client.post(f"{base}/pause", json={"reason": "look first"}, headers=manager)
    assert paused.status_code == 200, paused.text
    assert (paused.json()["status"], paused.json()["reason"]) == ("paused", "look first")
    assert _gauge(api)["paused"] == 1.0

    promoted = api.client.post(f"{base}/promote", headers=manager)
    assert promoted.status_code == 409
    assert "waits for the release gate, which a person cannot skip" in promoted.json()["detail"]

    aborted = api.client.post(f"{base}/abort", json={"reason": "wrong build"}, headers=manager)
    assert aborted.status_code == 200, aborted.text
    assert aborted.json()["status"] == "rolling_back"
    again = api.client.post(f"{base}/abort", headers=manager)
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"rollout {rollout['id']} is rolling_back and cannot be aborted"
    )

    ledger = api.client.get(f"/api/v1/releases/{release}/ledger", headers=manager).json()
    transitions = [e["data"] for e in ledger if e["type"] == "rollout.status"]
    assert [(t["to"], t.get("by"), t["reason"]) for t in transitions] == [
        ("paused", "erin", "look first"),
        ("rolling_back", None, "wrong build"),
    ]
    missing = api.client.get("/api/v1/rollouts/rol-missing", headers=manager)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "rollout rol-missing not found"


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        (
            {"target": {"kind": "command", "command": ["touch", "/tmp/x"]}},
            "target.kind",
            "the command target runs a program on the server and cannot be started over HTTP",
        ),
        (
            {"target": {"kind": "simulator", "journal": "../outside.jsonl"}},
            "target.journal",
            "lies outside the server's working folder",
        ),
        (
            {"target": {"kind": "simulator", "journal": "a\u0000b"}},
            "target.journal",
            "invalid path 'a\\x00b'",
        ),
        (
            {"metrics": {"kind": "synthetic", "path": "/etc/hostname"}},
            "metrics.path",
            "/etc/hostname lies outside the server's working folder",
        ),
        (
            {"target": {"kind": "kubernetes", "url": "http://127.0.0.1:1"}},
            "target.namespace",
            "the kubernetes target needs a namespace and a name",
        ),
    ],
)
def test_start_refuses_what_would_act_outside_the_server(api, change, field, detail):
    release = _allowed_release(api)
    response = api.client.post(
        "/api/v1/rollouts", json=_body(release, **change), headers=api.headers(Role.SUBMITTER)
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert detail in problem["detail"]
    assert problem["field"] == field
    assert not api.workspace.query("select id from rollouts")
    assert api.workspace.query(
        "select count(*) from ledger_entries where entry_type = 'rollout.started'"
    ) == [(0,)]


def test_list_refuses_an_unknown_state(api):
    response = api.client.get("/api/v1/rollouts?state=done", headers=api.headers(Role.VIEWER))
    assert response.status_code == 422
    assert response.json()["detail"] == "state: unknown rollout state 'done'"
    assert "running, paused, rolling_back" in response.json()["hint"]


def test_readiness_reports_the_controller(api):
    controller = BackgroundController(api.application, owner="ready-host:7", poll_seconds=0.05)
    server = create_app(
        api.application,
        IdentityTokenVerifier(api.application),
        controller=controller,
    )
    controller.start()
    with TestClient(server) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["rollout_controller"]["state"] == "running"
        assert ready.json()["rollout_controller"]["owner"] == "ready-host:7"
        assert controller.stop()
        stopped = client.get("/readyz")
        assert stopped.status_code == 503
        assert stopped.json()["rollout_controller"]["state"] == "stopped"
        assert stopped.json()["reason"] == "the rollout controller thread is not running"
