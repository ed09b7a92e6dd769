"""Two controller processes share 50 rollouts on PostgreSQL; one is killed mid-way.

Both controllers run `releasegate rollout run` as child processes on one
real PostgreSQL database and compete for step leases. The simulator target
journals every deploy. One rollout has slow deploys, longer than its lease,
so their leases must be renewed while they run, or the other
controller would claim them again and deploy twice. When two slow deploys
are done, the controller running the third is killed with SIGKILL. The
other must take that step over within two lease periods and then finish
every rollout alone.

The releases, their evidence, approvals and rollouts are created in the
test's process through the service use cases, with one application, so the
set-up costs seconds rather than minutes. The rollouts start at production:
each has a telemetry step, a gate step that evaluates the full policy, and a
deploy and a health step per region and canary weight.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool
from support import (
    COMMIT,
    JUNIT_PASS,
    MANIFEST,
    SARIF_CLEAN,
    STEADY_METRICS,
    Workspace,
    integrity_files,
    start_controller,
)

from releasegate.evidence.interface import VerificationContext, load_public_key
from releasegate.model import ApprovalDecision
from releasegate.service.app import Application
from releasegate.service.approvals import record_approval
from releasegate.service.evidence import add_evidence
from releasegate.service.releases import create_release, load_manifest
from releasegate.service.rollouts import RolloutConfig, start_rollout
from releasegate.settings import load_settings
from releasegate.store.tables import LedgerEntryRow, RolloutRow, RolloutStepRow

ROLLOUTS = 50
LEASE_SECONDS = 2.0
SLOW_DEPLOY_SECONDS = 3.0  # longer than the lease: only renewal keeps the step
FAST_DEPLOY_SECONDS = 0.01
DEPLOYS_PER_ROLLOUT = 6  # two regions, one per wave, canary weights 10, 50 and 100


def _releases(ws: Workspace) -> list[str]:
    """Create the releases with passing evidence and approvals; return their rollout ids."""
    ws.write("metrics.yaml", STEADY_METRICS)
    # (file, commit) pairs, as the CLI's --commit option would give them.
    files = [
        (ws.write(name, text), COMMIT if "--commit" in extra else None)
        for name, text, extra in integrity_files(ws)
    ]
    files += [
        (ws.write("junit.xml", JUNIT_PASS), COMMIT),
        (ws.write("scan.sarif", SARIF_CLEAN), COMMIT),
    ]
    context = VerificationContext(keys=(load_public_key(ws.root / "signing.pub.pem"),))
    app = Application(load_settings(home=ws.root, overrides={"database_url": ws.database_url}))
    try:
        rollouts = []
        for number in range(ROLLOUTS):
            manifest_path = ws.write(
                f"release-{number}.yaml",
                MANIFEST.replace('version: "2.4.0"', f'version: "3.0.{number}"'),
            )
            release = create_release(app, load_manifest(manifest_path), source=str(manifest_path))
            for path, commit in files:
                add_evidence(app, release.id, path, commit=commit, context=context)
            for approver in ("bob", "dana", "erin"):
                record_approval(
                    app, release.id, approver=approver, decision=ApprovalDecision.APPROVE
                )
            seconds = SLOW_DEPLOY_SECONDS if number == 0 else FAST_DEPLOY_SECONDS
            config = RolloutConfig(
                target={
                    "kind": "simulator",
                    "journal": str(ws.root / "journal.jsonl"),
                    "seconds": seconds,
                },
                metrics={"kind": "synthetic", "path": str(ws.root / "metrics.yaml")},
                time_scale=0.0,
                lease_seconds=LEASE_SECONDS,
                planned_start=None,
            )
            status = start_rollout(
                app,
                release.id,
                config=config,
                started_by="pipeline",
                start_environment="production",
            )
            rollouts.append(str(status["id"]))
        return rollouts
    finally:
        app.close()


def _ledger(engine, entry_type: str) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(LedgerEntryRow.body).where(LedgerEntryRow.entry_type == entry_type)
        ).scalars()
        return [json.loads(body) for body in rows]


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]


def _states(engine) -> Counter:
    with engine.connect() as connection:
        return Counter(connection.execute(select(RolloutRow.status)).scalars())


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_controllers_one_killed_finish_fifty_rollouts_once(ws, database_url):
    engine = create_engine(database_url, poolclass=NullPool)
    set_up = time.monotonic()
    rollouts = _releases(ws)
    set_up_seconds = time.monotonic() - set_up
    print(f"set-up {set_up_seconds:.1f} s")
    slow = rollouts[0]
    with engine.connect() as connection:
        total_steps = connection.execute(select(RolloutStepRow.id)).scalars().all()
    assert len(total_steps) == ROLLOUTS * (2 + 2 * DEPLOYS_PER_ROLLOUT)

    # 1. Both controllers run; once two slow deploys are done, the one running the
    #    third is killed.
    names = ("first", "second")
    logs = {name: (ws.root / f"{name}.log").open("wb") for name in names}
    controllers = {name: start_controller(ws, name, stderr=logs[name]) for name in names}
    killed_step: str | None = None
    started = time.monotonic()
    try:
        while time.monotonic() - started < 240:
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
            slow_deploys = Counter(
                s.status for s in steps if s.rollout_id == slow and s.kind == "deploy"
            )
            running = [
                s
                for s in steps
                if s.rollout_id == slow and s.kind == "deploy" and s.status == "running"
            ]
            if slow_deploys["succeeded"] >= 2 and running:
                killed_step, victim = running[0].id, running[0].lease_owner
                controllers[victim].send_signal(signal.SIGKILL)
                killed_at = datetime.now(UTC)
                killed_after = time.monotonic() - started
                done_at_kill = done
                break
            for name, process in controllers.items():
                assert process.poll() is None, (
                    f"the {name} controller stopped early with rollouts {_states(engine)}: "
                    + _tail(ws.root / f"{name}.log")
                )
            time.sleep(0.05)
        assert killed_step is not None, (
            f"no controller ran the third slow deploy; rollouts {_states(engine)}"
        )
        survivor = next(name for name in names if name != victim)
        controllers[victim].wait(timeout=10)
        assert controllers[survivor].wait(timeout=300) == 0, _tail(ws.root / f"{survivor}.log")
        finished_after = time.monotonic() - started
    finally:
        for process in controllers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        for log in logs.values():
            log.close()

    # The kill came mid-way: most steps were still to run.
    assert 0 < done_at_kill < len(total_steps) / 2, done_at_kill

    # 2. The survivor took the killed step over within two lease periods.
    reclaimed = _ledger(engine, "rollout.step.reclaimed")
    takeover = [e for e in reclaimed if e["data"]["step_id"] == killed_step]
    assert len(takeover) == 1
    assert takeover[0]["data"]["owner"] == survivor
    taken_at = datetime.strptime(takeover[0]["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    )
    takeover_seconds = (taken_at - killed_at).total_seconds()
    assert 0 < takeover_seconds <= 2 * LEASE_SECONDS, takeover_seconds
    # Renewal kept every slow deploy with its live controller: only the killed step was
    # claimed again.
    assert [e["data"]["step_id"] for e in reclaimed] == [killed_step]

    # 3. Every step finished exactly once, and every deploy ran exactly once.
    finished = Counter(e["data"]["step_id"] for e in _ledger(engine, "rollout.step.finished"))
    assert set(finished) == set(total_steps)
    assert [step for step, n in finished.items() if n != 1] == []
    journal = [json.loads(line) for line in (ws.root / "journal.jsonl").read_text().splitlines()]
    executed = Counter(e["key"] for e in journal)
    assert [key for key, n in executed.items() if n > 1] == []
    assert _states(engine) == Counter({"succeeded": ROLLOUTS})
    with engine.connect() as connection:
        deploys = set(
            connection.execute(
                select(RolloutStepRow.id).where(RolloutStepRow.kind == "deploy")
            ).scalars()
        )
    assert set(executed) == deploys
    assert len(executed) == DEPLOYS_PER_ROLLOUT * ROLLOUTS
    # Both controllers did part of the work before the kill.
    owners = Counter(e["data"]["owner"] for e in _ledger(engine, "rollout.step.started"))
    assert owners["first"] > 0, owners
    assert owners["second"] > 0, owners
    engine.dispose()
    print(
        f"killed {victim}, {survivor} took over; set-up {set_up_seconds:.1f} s; "
        f"{len(total_steps)} steps in {ROLLOUTS} rollouts; "
        f"killed after {killed_after:.1f} s with {done_at_kill} steps done, "
        f"taken over in {takeover_seconds:.2f} s (lease {LEASE_SECONDS} s), "
        f"all finished after {finished_after:.1f} s; steps started by {dict(owners)}"
    )

    # 4. The ledger still verifies.
    verify = ws.run("ledger", "verify")
    assert verify.exit_code == 0, verify.output
