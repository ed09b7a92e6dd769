"""`releasegate rollout` against a real `releasegate serve` gives the same outputs as in process.

The server runs the rollout controller in its background thread, so a
rollout started over HTTP advances without any controller in the test.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from http_support import Server, make_workspace, person_token, remote_cli
from support import JUNIT_PASS, SARIF_CLEAN, STEADY_METRICS, approve_all, attach, create

from releasegate.api.auth import Role


def _world(tmp_path, *options: str):
    workspace = make_workspace(tmp_path)
    tokens = {
        person: person_token(tmp_path, person, role, name=person)
        for person, role in {
            "alice": Role.SUBMITTER,
            "erin": Role.RELEASE_MANAGER,
            "hugo": Role.VIEWER,
        }.items()
    }
    release = create(workspace)
    attach(workspace, release, "junit.xml", JUNIT_PASS)
    attach(workspace, release, "scan.sarif", SARIF_CLEAN)
    approve_all(workspace, release)
    workspace.write("metrics.yaml", STEADY_METRICS)
    server = Server(tmp_path, tmp_path / "server.log", *options)
    return workspace, server, tokens, release


@pytest.fixture
def served(tmp_path):
    workspace, server, tokens, release = _world(tmp_path)
    try:
        yield workspace, server, tokens, release
    finally:
        server.stop()


@pytest.fixture
def served_idle(tmp_path):
    workspace, server, tokens, release = _world(tmp_path, "--no-controller")
    try:
        yield workspace, server, tokens, release
    finally:
        server.stop()


def _start_args(workspace, release: str, *extra: str) -> list[str]:
    return [
        "rollout",
        "start",
        release,
        "--metrics",
        f"synthetic:{workspace.root / 'metrics.yaml'}",
        "--journal",
        str(workspace.root / "journal.jsonl"),
        "--time-scale",
        "0",
        *extra,
    ]


def test_rollout_over_http_same_output(served):
    workspace, server, tokens, release = served
    alice = remote_cli(server, tokens["alice"])
    hugo = remote_cli(server, tokens["hugo"])

    ready = httpx.get(server.url + "/readyz", timeout=5).json()
    assert ready["rollout_controller"]["state"] == "running"
    assert re.fullmatch(r".+:\d+", ready["rollout_controller"]["owner"])

    started = alice(*_start_args(workspace, release, "--wait", "--output", "json"))
    assert started.exit_code == 0, started.output
    status = json.loads(started.stdout)
    assert status["status"] == "succeeded"
    journal = [
        json.loads(line) for line in (workspace.root / "journal.jsonl").read_text().splitlines()
    ]
    assert [(e["environment"], e["weight"]) for e in journal][-1] == ("production", 100)
    assert len(journal) == 9

    # The same reads print the same bytes in process and over HTTP.
    for args in (
        ("rollout", "status", status["id"], "--output", "json"),
        ("rollout", "status", status["id"]),
        ("rollout", "status", "--release", release),
        ("rollout", "list", "--release", release, "--output", "json"),
        ("rollout", "list", "--state", "succeeded"),
        ("rollout", "status", "rol-missing"),
        ("rollout", "list", "--state", "finished"),
    ):
        local = workspace.run(*args)
        remote = hugo(*args)
        assert (remote.exit_code, remote.output) == (local.exit_code, local.output), args
    listed = json.loads(hugo("rollout", "list", "--output", "json").stdout)
    assert [(r["id"], r["status"], r["started_by"]) for r in listed] == [
        (status["id"], "succeeded", "alice")
    ]

    metrics = httpx.get(server.url + "/metrics", timeout=5).text
    assert 'releasegate_rollouts{state="succeeded"} 1.0' in metrics
    assert 'releasegate_rollouts{state="running"} 0.0' in metrics

    # The release page's event stream sends the rendered rollout part.
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login = browser.post("/login", data={"token": tokens["hugo"], "next": "/"})
        assert login.status_code in (200, 303)
        event = _first_event(browser, f"/releases/{release}/events?rollout=", "rollout")
    steps = len(status["steps"])
    assert event["progress"] == f"Rollout succeeded: {steps} of {steps} steps done."
    assert event["html"].count('<tr class="step succeeded"') == steps

    server.stop()
    assert server.process.returncode == 0
    log = (workspace.root / "server.log").read_text()
    stopped = re.search(r"rollout controller \S+ stopped after (\d+) steps", log)
    assert stopped, log[-2000:]
    assert int(stopped.group(1)) >= len(status["steps"])


def _first_event(client: httpx.Client, path: str, name: str) -> dict:
    """Read server-sent events until the first one called `name` (at most 50 lines)."""
    with client.stream("GET", path) as response:
        assert response.status_code == 200
        current = None
        for number, line in enumerate(response.iter_lines()):
            assert number < 50, "no such event"
            if line.startswith("event: "):
                current = line.removeprefix("event: ")
            elif line.startswith("data: ") and current == name:
                return dict(json.loads(line.removeprefix("data: ")))
    raise AssertionError(f"the stream ended before a {name} event")


def test_rollout_operator_commands_over_http(served_idle):
    workspace, server, tokens, release = served_idle
    alice = remote_cli(server, tokens["alice"])
    erin = remote_cli(server, tokens["erin"])
    assert "rollout_controller" not in httpx.get(server.url + "/readyz", timeout=5).json()

    started = alice(*_start_args(workspace, release, "--output", "json"))
    assert started.exit_code == 0, started.output
    rollout = json.loads(started.stdout)["id"]

    # Errors read the same either way: a running rollout cannot resume.
    local = workspace.run("rollout", "resume", rollout, "--as", "erin")
    remote = erin("rollout", "resume", rollout, "--as", "erin")
    assert (remote.exit_code, remote.output) == (local.exit_code, local.output)
    assert "only a paused rollout can resume" in remote.output

    rejected_run = alice("rollout", "pause", rollout, "--as", "alice")
    assert rejected_run.exit_code != 0
    assert "this action needs one of: release-manager" in " ".join(rejected_run.output.split())

    mismatch = erin("rollout", "pause", rollout, "--as", "dana")
    assert mismatch.exit_code == 2
    assert "does not match the identity of RELEASEGATE_TOKEN (erin)" in " ".join(
        mismatch.output.split()
    )

    paused = erin("rollout", "pause", rollout, "--as", "erin", "--reason", "hold for the CAB")
    assert paused.exit_code == 0, paused.output
    assert "hold for the CAB" in paused.output
    assert workspace.run("rollout", "status", rollout).output == paused.output

    resumed = erin("rollout", "resume", rollout, "--as", "erin", "--output", "json")
    assert json.loads(resumed.stdout)["status"] == "running"
    aborted = erin("rollout", "abort", rollout, "--as", "erin", "--output", "json")
    assert json.loads(aborted.stdout)["status"] == "rolling_back"

    run = erin("rollout", "run")
    assert run.exit_code == 2
    text = " ".join(run.output.split())
    assert "'rollout run' is the controller loop and runs only in process" in text
    assert "'releasegate serve' runs a controller of its own" in text
