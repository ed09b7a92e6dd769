"""Two controller processes share 50 rollouts on PostgreSQL; one is killed mid-way.

Both controllers run `releasegate rollout run` as child processes on one
real PostgreSQL database and compete for step leases. The simulator target
journals every deploy. One rollout has slow deploys, longer than its
lease, so the leases on them must be renewed while they run, or the other
controller would claim them again and deploy twice. When three of the
slow deploys are done, the first controller is killed with SIGKILL while
it runs the next one. The second must take that step over within two lease
periods and then finish every rollout alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool
from support import JUNIT_PASS, MANIFEST, SARIF_CLEAN, Workspace, approve_all, attach, create

from releasegate.store.tables import LedgerEntryRow, RolloutStepRow

ROLLOUTS = 50
LEASE_SECONDS = 2.0
SLOW_DEPLOY_SECONDS = 3.0  # longer than the lease: only renewal keeps the step
FAST_DEPLOY_SECONDS = 0.01
METRICS = """
seed: 11
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0.001}
    canary: {mean: 0.004, sd: 0.001}
    samples: 40
  settlement-completion-rate:
    baseline: {mean: 0.995, sd: 0.001}
    canary: {mean: 0.995, sd: 0.001}
    samples: 40
"""


def _start(ws: Workspace, number: int, deploy_seconds: float) -> str:
    release = create(ws, MANIFEST.replace('version: "2.4.0"', f'version: "3.0.{number}"'))
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)
    result, status = ws.json(
        "rollout",
        "start",
        release,
        "--metrics",
        f"synthetic:{ws.root / 'metrics.yaml'}",
        "--journal",
        str(ws.root / "journal.jsonl"),
        "--simulator-seconds",
        str(deploy_seconds),
        "--time-scale",
        "0",
        "--lease-seconds",
        str(LEASE_SECONDS),
    )
    assert result.exit_code == 0, result.output
    return str(status["id"])


def _controller(ws: Workspace, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from releasegate.cli.main import run; run()",
            "--home",
            str(ws.root),
            "rollout",
            "run",
            "--owner",
            name,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "RELEASEGATE_HOME": str(ws.root)},
    )


def _ledger(engine, entry_type: str) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(LedgerEntryRow.body).where(LedgerEntryRow.entry_type == entry_type)
        ).scalars()
        return [json.loads(body) for body in rows]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_controllers_one_killed_finish_fifty_rollouts_once(ws, database_url):
    engine = create_engine(database_url, poolclass=NullPool)
    ws.write("metrics.yaml", METRICS)
    slow = _start(ws, 0, SLOW_DEPLOY_SECONDS)
    rollouts = [slow] + [_start(ws, n, FAST_DEPLOY_SECONDS) for n in range(1, ROLLOUTS)]
    with engine.connect() as connection:
        total_steps = connection.execute(select(RolloutStepRow.id)).scalars().all()
    assert len(total_steps) > 9 * ROLLOUTS

    # 1. Both controllers run; kill the first mid-way, while it runs a slow deploy.
    first, second = _controller(ws, "first"), _controller(ws, "second")
    held: str | None = None
    started = time.monotonic()
    try:
        while time.monotonic() - started < 120:
            with engine.connect() as connection:
                steps = connection.execute(
                    select(
                        RolloutStepRow.id,
                        RolloutStepRow.rollout_id,
                        RolloutStepRow.kind,
                        RolloutStepRow.status,
                        RolloutStepRow.lease_owner,
                    )
                ).all()
            done = sum(1 for s in steps if s.status == "succeeded")
            slow_done = sum(
                1
                for s in steps
                if s.rollout_id == slow and s.kind == "deploy" and s.status == "succeeded"
            )
            holding = [
                s.id
                for s in steps
                if s.rollout_id == slow
                and s.kind == "deploy"
                and s.status == "running"
                and s.lease_owner == "first"
            ]
            if slow_done >= 3 and holding:
                held = holding[0]
                first.send_signal(signal.SIGKILL)
                killed_at = datetime.now(UTC)
                killed_after = time.monotonic() - started
                done_at_kill = done
                break
            assert first.poll() is None, "the first controller stopped early"
            assert second.poll() is None, "the second controller stopped early"
            time.sleep(0.05)
        assert held is not None, "the first controller never held a slow deploy mid-way"
        first.wait(timeout=10)
        assert second.wait(timeout=900) == 0, second.stderr.read().decode() if second.stderr else ""
        finished_after = time.monotonic() - started
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    # 2. The second controller took the held step over within two lease periods.
    reclaimed = _ledger(engine, "rollout.step.reclaimed")
    takeover = [e for e in reclaimed if e["data"]["step_id"] == held]
    assert len(takeover) == 1
    assert takeover[0]["data"]["owner"] == "second"
    taken_at = datetime.strptime(takeover[0]["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    )
    takeover_seconds = (taken_at - killed_at).total_seconds()
    assert 0 < takeover_seconds <= 2 * LEASE_SECONDS, takeover_seconds
    # Renewal kept every slow deploy with its live controller: only the killed step was
    # claimed again.
    assert [e["data"]["step_id"] for e in reclaimed] == [held]

    # 3. Every step finished exactly once, and every deploy ran exactly once.
    finished = Counter(e["data"]["step_id"] for e in _ledger(engine, "rollout.step.finished"))
    assert set(finished) == set(total_steps)
    assert [step for step, n in finished.items() if n != 1] == []
    journal = [json.loads(line) for line in (ws.root / "journal.jsonl").read_text().splitlines()]
    executed = Counter(e["key"] for e in journal)
    assert [key for key, n in executed.items() if n > 1] == []
    for rollout in rollouts:
        _, status = ws.json("rollout", "status", rollout)
        assert status["status"] == "succeeded", (rollout, status["status"])
        deploys = {s["id"] for s in status["steps"] if s["kind"] == "deploy"}
        assert len(deploys) == 9
        assert deploys <= set(executed)
    assert len(executed) == 9 * ROLLOUTS
    engine.dispose()
    print(
        f"{len(total_steps)} steps in {ROLLOUTS} rollouts; killed after {killed_after:.1f} s "
        f"with {done_at_kill} steps done, "
        f"taken over in {takeover_seconds:.2f} s (lease {LEASE_SECONDS} s), "
        f"all finished after {finished_after:.1f} s"
    )

    # 4. The ledger still verifies.
    verify = ws.run("ledger", "verify")
    assert verify.exit_code == 0, verify.output
