"""A rollout followed live on the release page, in the system Chromium, against a real server.

`releasegate serve` runs the rollout controller in its background thread;
the simulator target and synthetic metrics keep the rollout to seconds.
The page must follow the rollout through server-sent events, without a
reload, until it reads succeeded. The screenshot goes to
test-artifacts/screenshots/release-rollout.png.
"""

from __future__ import annotations

import httpx
import pytest
from browser.test_pages import ARTIFACTS, CHROMIUM, _log_in, browser  # noqa: F401 - fixture
from http_support import Server, make_workspace, person_token
from support import JUNIT_PASS, SARIF_CLEAN, approve_all, attach, create

from releasegate.api.auth import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no system Chromium at {CHROMIUM}; install it with 'apt-get install -y chromium'",
    ),
]

HEALTHY = """
seed: 7
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0.0005}
    canary: {mean: 0.004, sd: 0.0005}
    samples: 40
  settlement-completion-rate:
    baseline: {mean: 0.995, sd: 0.001}
    canary: {mean: 0.995, sd: 0.001}
    samples: 40
"""


@pytest.fixture
def rollout_world(tmp_path):
    home = tmp_path / "work"
    home.mkdir()
    workspace = make_workspace(home)
    tokens = {
        who: person_token(home, who, role, name=who)
        for who, role in (("alice", Role.SUBMITTER), ("hugo", Role.VIEWER))
    }
    release = create(workspace)
    attach(workspace, release, "junit.xml", JUNIT_PASS)
    attach(workspace, release, "scan.sarif", SARIF_CLEAN)
    approve_all(workspace, release)
    workspace.write("metrics.yaml", HEALTHY)
    server = Server(home, tmp_path / "server.log")
    try:
        yield server, tokens, release
    finally:
        server.stop()


def test_browser_follows_a_rollout_live(browser, rollout_world):  # noqa: F811 - fixture
    server, tokens, release = rollout_world
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _log_in(page, server, tokens["hugo"])
    page.goto(f"{server.url}/releases/{release}")
    assert page.locator("#rollout").inner_text() == "No rollout recorded for this release."
    page.evaluate("window.notReloaded = true")

    with httpx.Client(
        base_url=server.url + "/api/v1",
        headers={"Authorization": f"Bearer {tokens['alice']}"},
        timeout=30,
    ) as alice:
        started = alice.post(
            "/rollouts",
            json={
                "release_id": release,
                "target": {"kind": "simulator", "journal": "journal.jsonl", "seconds": 0.4},
                "metrics": {"kind": "synthetic", "path": "metrics.yaml"},
                "time_scale": 0,
            },
        )
    assert started.status_code == 201, started.text
    steps = len(started.json()["steps"])

    # Part way: some steps done, the rollout still in progress, on the same page.
    page.wait_for_function(
        "document.querySelector('#rollout tr.step.succeeded') !== null"
        " && document.getElementById('rollout-state').textContent === 'In progress'",
        timeout=60000,
    )
    early = page.locator("#rollout-progress").inner_text()
    assert early.startswith("Rollout in progress: ")
    done_early = page.locator("#rollout tr.step.succeeded").count()
    assert 0 < done_early < steps

    page.wait_for_function(
        "document.getElementById('rollout-state').textContent === 'Succeeded'",
        timeout=120000,
    )
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#rollout-progress").inner_text() == (
        f"Rollout succeeded: {steps} of {steps} steps done."
    )
    assert page.locator("#rollout tr.step.succeeded").count() == steps
    assert (
        page.locator("#rollout-traffic").inner_text() == "100% in production, wave 2 (eu-central-1)"
    )
    charts = page.locator("#rollout svg.chart")
    assert charts.count() == 3
    assert (
        page.get_by_role(
            "img", name="http-error-rate: baseline and canary mean of each measurement"
        ).count()
        == 1
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "release-rollout.png"), full_page=True)
