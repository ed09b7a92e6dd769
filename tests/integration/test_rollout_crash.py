"""Crash safety: controllers killed with SIGKILL at random points lose no rollout, repeat no step.

Controllers run as child processes on one SQLite database; sometimes two
run at once and compete for leases. Each is killed after a random delay,
and new ones start until every rollout is finished. The simulator target's
journal records every executed deploy and rollback: a step id that appears
twice would be a step executed twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter

from support import (
    JUNIT_PASS,
    MANIFEST,
    SARIF_CLEAN,
    STEADY_METRICS,
    Workspace,
    approve_all,
    attach,
    create,
    start_controller,
)

MIN_KILLS = 50


def _start(ws: Workspace, number: int) -> str:
    release = create(ws, MANIFEST.replace('version: "2.4.0"', f'version: "2.4.{number}"'))
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
        "--time-scale",
        "0",
        "--lease-seconds",
        "2",
    )
    assert result.exit_code == 0, result.output
    return status["id"]


def _statuses(ws: Workspace, rollouts: list[str]) -> dict[str, str]:
    return {r: ws.json("rollout", "status", r)[1]["status"] for r in rollouts}


def test_killed_controllers_repeat_no_step(ws):
    seed = int(os.environ.get("RELEASEGATE_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    ws.write("metrics.yaml", STEADY_METRICS)
    rollouts = [_start(ws, n) for n in range(3)]
    kills = 0
    names = 0

    # 1. Kill controllers at random points until enough kills happened and all finished.
    while True:
        statuses = _statuses(ws, rollouts)
        if kills >= MIN_KILLS and all(s == "succeeded" for s in statuses.values()):
            break
        assert not any(s in ("paused", "failed", "rolled_back") for s in statuses.values()), (
            f"seed {seed}: {statuses}"
        )
        if kills < MIN_KILLS and all(s == "succeeded" for s in statuses.values()):
            rollouts.append(_start(ws, len(rollouts)))
        if kills >= MIN_KILLS:
            controller = start_controller(ws, "final")
            assert controller.wait(timeout=240) == 0, f"seed {seed}"
            continue
        count = 2 if rng.random() < 0.3 else 1
        controllers = []
        for _ in range(count):
            names += 1
            controllers.append(start_controller(ws, f"c{names}"))
        time.sleep(rng.uniform(0.3, 4.0))
        for controller in controllers:
            controller.send_signal(signal.SIGKILL)
            controller.wait(timeout=30)
            kills += 1

    # 2. No step executed twice and every deploy step executed once.
    journal = [json.loads(line) for line in (ws.root / "journal.jsonl").read_text().splitlines()]
    repeated = [key for key, n in Counter(e["key"] for e in journal).items() if n > 1]
    assert repeated == [], f"seed {seed}: steps executed twice: {repeated}"
    executed = {e["key"] for e in journal}
    for rollout in rollouts:
        _, status = ws.json("rollout", "status", rollout)
        assert status["status"] == "succeeded", f"seed {seed}"
        deploys = {s["id"] for s in status["steps"] if s["kind"] == "deploy"}
        assert len(deploys) == 9
        assert deploys <= executed, f"seed {seed}: deploys never executed: {deploys - executed}"
    assert len(executed) == 9 * len(rollouts)
    assert kills >= MIN_KILLS

    # 3. Kills landed inside steps: some steps were claimed again after their lease expired.
    [(reclaimed,)] = ws.query(
        "select count(*) from ledger_entries where entry_type = 'rollout.step.reclaimed'"
    )
    assert reclaimed > 0, f"seed {seed}"

    # 4. The ledger still verifies.
    verify = ws.run("ledger", "verify")
    assert verify.exit_code == 0, verify.output
