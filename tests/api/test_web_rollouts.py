"""The release page's rollout part and the dashboard's overdue reviews, without a browser."""

from __future__ import annotations

import re
from datetime import timedelta

from support import JUNIT_PASS, MANIFEST, SARIF_CLEAN, approve_all, attach, create

from releasegate.api.auth import Role
from releasegate.service.rollouts import run_controller

HEALTHY = """
seed: 11
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


def _login(api, role: Role) -> None:
    api.client.cookies.clear()
    response = api.client.post(
        "/login", data={"token": api.tokens[role], "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _rolled_out(api) -> tuple[str, dict]:
    ws = api.workspace
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    ws.write("metrics.yaml", HEALTHY)
    started = api.client.post(
        "/api/v1/rollouts",
        json={
            "release_id": release,
            "target": {"kind": "simulator", "journal": "journal.jsonl"},
            "metrics": {"kind": "synthetic", "path": "metrics.yaml"},
            "time_scale": 0,
        },
        headers=api.headers(Role.SUBMITTER),
    )
    assert started.status_code == 201, started.text
    run_controller(api.application, rollout_id=started.json()["id"])
    status = api.client.get(
        f"/api/v1/rollouts/{started.json()['id']}", headers=api.headers(Role.VIEWER)
    ).json()
    assert status["status"] == "succeeded", status["reason"]
    return release, status


def test_release_page_shows_rollout_progress_and_charts(api):
    release, status = _rolled_out(api)
    _login(api, Role.VIEWER)

    page = api.client.get(f"/releases/{release}").text
    steps = len(status["steps"])
    assert f"Rollout succeeded: {steps} of {steps} steps done." in page
    assert '<dd id="rollout-traffic">100% in production, wave 2 (eu-central-1)</dd>' in page
    assert page.count('<tr class="step succeeded"') == steps
    health = [s for s in status["steps"] if s["kind"] == "health"]
    gates_table = page.split('id="gates-h"')[1].split("</table>")[0]
    assert gates_table.count("<td>healthy</td>") == len(health)

    # One chart per indicator, with a title, a text description and a table of the values.
    titles = re.findall(r'<svg class="chart" role="img"[^>]*><title>([^<]+)</title>', page)
    assert sorted(titles) == [
        "canary-score: canary score of each measurement (0 to 100)",
        "http-error-rate: baseline and canary mean of each measurement",
        "settlement-completion-rate: baseline and canary mean of each measurement",
    ]
    description = re.search(
        r"<title>settlement-completion-rate[^<]*</title><desc>([^<]+)</desc>", page
    ).group(1)
    values = [float(v) for v in re.findall(r"canary (0\.\d+)", description)]
    assert values and all(abs(v - 0.995) < 0.001 for v in values)
    assert description.count("step ") == sum(
        1
        for m in api.client.get(
            f"/api/v1/rollouts/{status['id']}/measurements", headers=api.headers(Role.VIEWER)
        ).json()
        if m["indicator"] == "settlement-completion-rate"
    )
    scores = re.search(r"<title>canary-score[^<]*</title><desc>([^<]+)</desc>", page).group(1)
    assert [float(v) for v in re.findall(r"score (\d+(?:\.\d+)?)", scores)] == [
        m["score"]
        for m in api.client.get(
            f"/api/v1/rollouts/{status['id']}/measurements", headers=api.headers(Role.VIEWER)
        ).json()
        if m["indicator"] == "canary-score"
    ]
    assert page.count("<summary>The values as a table</summary>") == 3


def test_release_page_without_rollout_says_so(api):
    release = api.create_release()
    _login(api, Role.VIEWER)
    page = api.client.get(f"/releases/{release}").text
    assert "No rollout recorded for this release." in page
    assert '<p id="rollout-progress" role="status" aria-live="polite"></p>' in page


def test_dashboard_lists_overdue_reviews(api):
    from releasegate.model import ReleaseManifest
    from releasegate.service.emergency import open_review
    from releasegate.service.releases import create_release

    application = api.application
    manifest = MANIFEST.replace("change_type: normal", "change_type: emergency").replace(
        "requester: alice", "requester: alice\nemergency_reason: INC-OUTAGE"
    )
    import yaml

    release = create_release(
        application, ReleaseManifest.model_validate(yaml.safe_load(manifest)), source="test"
    )
    now = application.clock()
    with application.database.transaction() as session:
        late = open_review(
            session, release, deployed_at=now - timedelta(days=5), deadline=timedelta(hours=48)
        )
        assert late is not None
    due = (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M UTC")

    _login(api, Role.VIEWER)
    page = api.client.get("/").text
    section = page.split('id="reviews-h"')[1].split("</section>")[0]
    rows = re.findall(r'<tr class="overdue">(.*?)</tr>', section, re.S)
    assert len(rows) == 1
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", rows[0])]
    assert cells == [release.id, "payments-api", "payments-engineering", "alice", due]


def test_dashboard_without_overdue_reviews(api):
    _login(api, Role.VIEWER)
    page = api.client.get("/").text
    assert "No post-release review of an emergency change is overdue." in page
