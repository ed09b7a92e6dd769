"""Rollouts: start, the durable controller, and the operator's pause, resume, abort and promote.

The controller is a state machine kept in the database. A controller claims
the next step of a running rollout by setting a lease (owner and expiry) in
one transaction and then carries the step out. A second transaction records
the result, the new statuses of the step and the rollout, and the ledger
entry.
The rollout row is locked with `SELECT ... FOR UPDATE SKIP LOCKED`, so
several controllers can share a PostgreSQL database; on SQLite `BEGIN
IMMEDIATE` serialises the writers.

At most once: a step whose lease expired while it ran (its controller
crashed) is claimed again only after the deploy target reports whether the
action took effect. A target that cannot tell pauses the rollout for a
person instead of repeating the action.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import ConflictError, InputError, NotFoundError, ReleasegateError
from releasegate.model import ReleaseStatus
from releasegate.model.service import HealthIndicator
from releasegate.rollout.health import (
    SCORE_INDICATOR,
    Outcome,
    assess,
    gate_status,
    measure_round,
    score_gate,
)
from releasegate.rollout.plan import PRODUCTION, derive_plan
from releasegate.rollout.providers.interface import ProviderError, load_provider
from releasegate.rollout.targets.interface import StepAction, TargetError, load_target
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.tables import (
    DecisionRow,
    ReleaseRow,
    ResilienceRecordRow,
    RolloutMeasurementRow,
    RolloutRow,
    RolloutStepRow,
)

log = logging.getLogger(__name__)

# Rollout statuses.
RUNNING = "running"
PAUSED = "paused"
SUCCEEDED = "succeeded"
ROLLING_BACK = "rolling_back"
ROLLED_BACK = "rolled_back"
FAILED = "failed"
ACTIVE = (RUNNING, ROLLING_BACK)
TERMINAL = (SUCCEEDED, ROLLED_BACK, FAILED)

# Step statuses.
PENDING = "pending"
STEP_RUNNING = "running"
DONE = "succeeded"
STEP_FAILED = "failed"
SKIPPED = "skipped"
UNFINISHED = (PENDING, STEP_RUNNING)

DEFAULT_LEASE_SECONDS = 300.0
_TIERS = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class RolloutConfig:
    """Controller settings stored with the rollout, so a restarted controller uses the same."""

    target: dict[str, Any]
    metrics: dict[str, Any]
    time_scale: float = 1.0
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    planned_start: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "metrics": self.metrics,
            "time_scale": self.time_scale,
            "lease_seconds": self.lease_seconds,
            "planned_start": rfc3339(self.planned_start) if self.planned_start else None,
        }


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# Start ------------------------------------------------------------------------


def _risk_tier(session: Session, release_id: str) -> str:
    """Return the risk tier of the release's latest decision; critical when none is known."""
    row = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.release_id == release_id)
        .order_by(DecisionRow.evaluated_at.desc(), DecisionRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "critical"
    risk = json.loads(row.decision_json).get("risk") or {}
    tier = risk.get("tier")
    return tier if tier in _TIERS else "critical"


def start_rollout(
    app: Application,
    release_id: str,
    *,
    config: RolloutConfig,
    started_by: str,
    start_environment: str | None = None,
    rehearsal: bool = False,
) -> dict[str, Any]:
    """Derive the plan, store the rollout with its steps and record it in the ledger.

    Steps:
    1. Load the release, its service and the policy params for the service.
    2. Check the target and provider settings by building both.
    3. Derive the plan from the risk tier of the latest decision.
    4. Store the rollout and its steps and append the ledger entry in one transaction.
    """
    # 1. Release, service and params.
    release = get_release(app, release_id)
    service = app.catalog.service(release.manifest.service)
    if service is None:
        raise NotFoundError(
            f"service {release.manifest.service} of release {release.id} is not in the catalog",
            hint="add the service to the catalog before rolling it out",
        )
    params = app.policy(service.name).params

    # 2. Target and provider.
    load_target(config.target)
    load_provider(config.metrics)

    now = app.clock()
    with app.database.transaction() as session:
        active = session.scalars(
            select(RolloutRow).where(
                RolloutRow.release_id == release.id,
                RolloutRow.status.in_((RUNNING, PAUSED, ROLLING_BACK)),
            )
        ).first()
        if active is not None:
            raise ConflictError(
                f"release {release.id} already has rollout {active.id} ({active.status})",
                hint=f"watch it with 'releasegate rollout status {active.id}' or abort it first",
            )

        # 3. Plan.
        plan = derive_plan(
            service,
            risk_tier=_risk_tier(session, release.id),
            params=params,
            start_environment=start_environment,
        )

        # 4. Record.
        rollout_id = new_id("rol")
        session.add(
            RolloutRow(
                id=rollout_id,
                release_id=release.id,
                service=service.name,
                status=RUNNING,
                reason=None,
                plan_json=json.dumps(plan),
                config_json=json.dumps(config.as_dict()),
                rehearsal=rehearsal,
                started_by=started_by,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        for step in plan["steps"]:
            session.add(_step_row(rollout_id, step, now))
        append_entry(
            session,
            entry_type="rollout.started",
            subject=release.id,
            recorded_at=now,
            data={
                "rollout_id": rollout_id,
                "started_by": started_by,
                "rehearsal": rehearsal,
                "risk_tier": plan["risk_tier"],
                "strategy": plan["strategy"],
                "environments": plan["environments"],
                "waves": plan["waves"],
                "canary_weights": plan["canary_weights"],
                "steps": len(plan["steps"]),
                "target": config.target.get("kind"),
                "metrics": config.metrics.get("kind"),
            },
        )
    log.info("rollout %s of release %s started", rollout_id, release.id)
    return rollout_status(app, rollout_id)


def _step_row(rollout_id: str, step: dict[str, Any], now: datetime) -> RolloutStepRow:
    return RolloutStepRow(
        id=f"{rollout_id}-{step['seq']:03d}",
        rollout_id=rollout_id,
        seq=step["seq"],
        kind=step["kind"],
        environment=step["environment"],
        wave=step.get("wave"),
        regions_json=json.dumps(step.get("regions", [])),
        weight=step.get("weight"),
        spec_json=json.dumps(step),
        status=PENDING,
        attempts=0,
        not_before=now,
    )


# Claiming ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A step claimed by this controller: ids and what it needs to run the step."""

    rollout_id: str
    step_id: str
    release_id: str
    kind: str
    attempts: int
    reclaimed: bool


def claim_next(app: Application, owner: str, *, rollout_id: str | None = None) -> Claim | None:
    """Claim the first unfinished step of a running rollout whose time has come, or None."""
    now = app.clock()
    with app.database.transaction() as session:
        # 1. Find candidates without locking: locking every active rollout row would
        #    make the other controllers skip them all and the operators wait.
        candidates = _candidates(session, now, rollout_id)
        # 2. Lock one candidate at a time, skipping those another controller holds,
        #    and check it again under the lock.
        for candidate in candidates:
            rollout = session.scalars(
                select(RolloutRow)
                .where(RolloutRow.id == candidate, RolloutRow.status.in_(ACTIVE))
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).first()
            if rollout is None:
                continue
            step = _claimable(session, rollout.id, now)
            if step is None:
                continue
            reclaimed = step.status == STEP_RUNNING
            lease = json.loads(rollout.config_json).get("lease_seconds", DEFAULT_LEASE_SECONDS)
            step.status = STEP_RUNNING
            step.lease_owner = owner
            step.lease_expires_at = now + timedelta(seconds=float(lease))
            step.attempts += 1
            if step.started_at is None:
                step.started_at = now
            if reclaimed or step.attempts == 1:
                append_entry(
                    session,
                    entry_type="rollout.step.reclaimed" if reclaimed else "rollout.step.started",
                    subject=rollout.release_id,
                    recorded_at=now,
                    data={
                        "rollout_id": rollout.id,
                        "step_id": step.id,
                        "kind": step.kind,
                        "environment": step.environment,
                        "wave": step.wave,
                        "weight": step.weight,
                        "owner": owner,
                        "attempt": step.attempts,
                    },
                )
            return Claim(
                rollout.id, step.id, rollout.release_id, step.kind, step.attempts, reclaimed
            )
    return None


def _candidates(session: Session, now: datetime, rollout_id: str | None) -> list[str]:
    """Return the active rollouts whose next step looks claimable, oldest first.

    One query for all rollouts, so a claim runs as many queries with five as
    with five hundred rollouts in flight. The query reads without locks, so the caller
    checks each candidate again under its row lock.
    """
    first = (
        select(RolloutStepRow.rollout_id, func.min(RolloutStepRow.seq).label("seq"))
        .join(RolloutRow, RolloutRow.id == RolloutStepRow.rollout_id)
        .where(RolloutRow.status.in_(ACTIVE), RolloutStepRow.status.in_(UNFINISHED))
        .group_by(RolloutStepRow.rollout_id)
    )
    if rollout_id is not None:
        first = first.where(RolloutStepRow.rollout_id == rollout_id)
    next_step = first.subquery()
    query = (
        select(RolloutRow.id)
        .join(RolloutStepRow, RolloutStepRow.rollout_id == RolloutRow.id)
        .join(
            next_step,
            and_(
                next_step.c.rollout_id == RolloutStepRow.rollout_id,
                next_step.c.seq == RolloutStepRow.seq,
            ),
        )
        .where(or_(RolloutStepRow.not_before.is_(None), RolloutStepRow.not_before <= now))
        .where(
            or_(
                RolloutStepRow.status == PENDING,
                and_(
                    RolloutStepRow.lease_expires_at.is_not(None),
                    RolloutStepRow.lease_expires_at <= now,
                ),
            )
        )
        .order_by(RolloutRow.created_at, RolloutRow.id)
    )
    return list(session.scalars(query).all())


def _claimable(session: Session, rollout_id: str, now: datetime) -> RolloutStepRow | None:
    """Return the rollout's next step if its time has come and no live lease holds it."""
    step = _first_unfinished(session, rollout_id)
    if step is None:
        return None
    session.refresh(step)
    if step.not_before is not None and step.not_before > now:
        return None
    if step.status == PENDING:
        return step
    if step.lease_expires_at is not None and step.lease_expires_at <= now:
        return step
    return None


def _first_unfinished(session: Session, rollout_id: str) -> RolloutStepRow | None:
    return session.scalars(
        select(RolloutStepRow)
        .where(RolloutStepRow.rollout_id == rollout_id, RolloutStepRow.status.in_(UNFINISHED))
        .order_by(RolloutStepRow.seq)
        .limit(1)
    ).first()


def _owned_step(session: Session, claim: Claim, owner: str) -> RolloutStepRow | None:
    """Return the claimed step if this controller still holds its lease."""
    step = session.get(RolloutStepRow, claim.step_id, with_for_update=True)
    if step is None or step.status != STEP_RUNNING or step.lease_owner != owner:
        return None
    if step.attempts != claim.attempts:
        return None
    return step


# Running one step ---------------------------------------------------------------


ProgressCallback = Callable[[dict[str, Any]], None]


def renew_lease(app: Application, claim: Claim, owner: str) -> bool:
    """Extend the lease on a claimed step that this controller still holds; False if lost.

    Takes the rollout row lock first, as claiming and recording do, so a renewal
    and a claim of the same step never interleave. An expired lease is not
    renewed: another controller may already be entitled to claim the step.
    """
    now = app.clock()
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step = _owned_step(session, claim, owner)
        if rollout is None or step is None:
            return False
        if step.lease_expires_at is None or step.lease_expires_at <= now:
            return False
        lease = json.loads(rollout.config_json).get("lease_seconds", DEFAULT_LEASE_SECONDS)
        step.lease_expires_at = now + timedelta(seconds=float(lease))
        return True


class _LeaseKeeper:
    """Renew a step's lease from a background thread every third of the lease period.

    A deploy that takes longer than the lease keeps its step: without renewal
    another controller would claim it while it still runs.
    """

    def __init__(self, app: Application, claim: Claim, owner: str) -> None:
        self._app = app
        self._claim = claim
        self._owner = owner
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _LeaseKeeper:
        with self._app.database.transaction() as session:
            rollout = session.get(RolloutRow, self._claim.rollout_id)
            assert rollout is not None  # claimed rows are never deleted
            lease = json.loads(rollout.config_json).get("lease_seconds", DEFAULT_LEASE_SECONDS)
        self._interval = float(lease) / 3
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{self._claim.step_id}", daemon=True
        )
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not renew_lease(self._app, self._claim, self._owner):
                    return
            except Exception as error:  # the step goes on; the next renewal retries
                # If the lease runs out meanwhile, recording the result finds it lost.
                log.warning("could not renew the lease on step %s: %s", self._claim.step_id, error)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def run_step(app: Application, claim: Claim, owner: str) -> None:
    """Carry out a claimed step and record its result."""
    handler = {
        "gate": _run_gate,
        "telemetry": _run_telemetry,
        "deploy": _run_action,
        "rollback": _run_action,
        "health": _run_health,
    }[claim.kind]
    try:
        with _LeaseKeeper(app, claim, owner):
            handler(app, claim, owner)
    except ReleasegateError as error:
        # A step that cannot run (a broken policy, catalog or metrics file) pauses the
        # rollout with the reason, instead of failing the same way on every claim.
        log.warning(
            "step %s of rollout %s failed to run: %s",
            claim.step_id,
            claim.rollout_id,
            error.message,
        )
        _pause_failed(app, claim, owner, error)


def _pause_failed(app: Application, claim: Claim, owner: str, error: ReleasegateError) -> None:
    now = app.clock()
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step = _owned_step(session, claim, owner)
        if rollout is None or step is None:
            return
        if step.kind not in ("deploy", "rollback"):
            step.status = PENDING  # a read-only step simply runs again after resume
        step.lease_owner = None
        step.lease_expires_at = now
        hint = f" ({error.hint})" if error.hint else ""
        _set_rollout_status(
            session,
            rollout,
            PAUSED,
            f"step {step.id} ({step.kind}) could not run: {error.message}{hint}; fix it, then "
            "run 'releasegate rollout resume'",
            now,
            step_id=step.id,
        )


def _load(app: Application, claim: Claim) -> tuple[RolloutRow, RolloutStepRow]:
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, claim.rollout_id)
        step = session.get(RolloutStepRow, claim.step_id)
        assert rollout is not None and step is not None  # claimed rows are never deleted
        return rollout, step


def _finish_step(
    session: Session,
    app: Application,
    rollout: RolloutRow,
    step: RolloutStepRow,
    status: str,
    result: dict[str, Any],
    now: datetime,
) -> None:
    step.status = status
    step.result_json = json.dumps(result, default=str)
    step.finished_at = now
    step.lease_owner = None
    step.lease_expires_at = None
    append_entry(
        session,
        entry_type="rollout.step.finished",
        subject=rollout.release_id,
        recorded_at=now,
        data={
            "rollout_id": rollout.id,
            "step_id": step.id,
            "kind": step.kind,
            "environment": step.environment,
            "wave": step.wave,
            "weight": step.weight,
            "status": status,
            "result": json.loads(step.result_json),
        },
    )


def _set_rollout_status(
    session: Session,
    rollout: RolloutRow,
    status: str,
    reason: str | None,
    now: datetime,
    **data: Any,
) -> None:
    previous = rollout.status
    rollout.status = status
    rollout.reason = reason
    rollout.updated_at = now
    append_entry(
        session,
        entry_type="rollout.status",
        subject=rollout.release_id,
        recorded_at=now,
        data={"rollout_id": rollout.id, "from": previous, "to": status, "reason": reason, **data},
    )


def _release_status(
    session: Session, release_id: str, status: ReleaseStatus, now: datetime
) -> None:
    row = session.get(ReleaseRow, release_id, with_for_update=True)
    assert row is not None  # a rollout names a stored release
    previous = row.status
    row.status = status.value
    row.updated_at = now
    append_entry(
        session,
        entry_type="release.status",
        subject=release_id,
        recorded_at=now,
        data={"release_status": {"from": previous, "to": status.value}},
    )


def _advance(session: Session, app: Application, rollout: RolloutRow, now: datetime) -> None:
    """After a step succeeded: schedule the next step, or complete the rollout."""
    following = _first_unfinished(session, rollout.id)
    if following is None:
        if rollout.status == ROLLING_BACK:
            _complete_rollback(session, app, rollout, now)
        else:
            _set_rollout_status(session, rollout, SUCCEEDED, "every step succeeded", now)
            _release_status(session, rollout.release_id, ReleaseStatus.DEPLOYED, now)
        return
    if following.kind == "health":
        spec = json.loads(following.spec_json)
        scale = json.loads(rollout.config_json).get("time_scale", 1.0)
        ready_at = now + timedelta(seconds=float(spec.get("bake_seconds", 0)) * scale)
        spec["ready_at"] = rfc3339(ready_at)
        following.spec_json = json.dumps(spec)
        following.not_before = ready_at
    else:
        following.not_before = now


def _run_gate(app: Application, claim: Claim, owner: str) -> None:
    from releasegate.service.gate import evaluate_gate

    rollout, step = _load(app, claim)
    # A rollout planned for later checks the calendar at the planned start plus the time
    # that has passed since the rollout started. Everything else is checked now.
    planned = json.loads(rollout.config_json).get("planned_start")
    at = None
    if planned:
        at = datetime.fromisoformat(planned) + (app.clock() - rollout.created_at)
    decision = evaluate_gate(app, claim.release_id, step.environment, at=at)
    now = app.clock()
    with app.database.transaction() as session:
        rollout_row = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step_row = _owned_step(session, claim, owner)
        if rollout_row is None or step_row is None:
            return
        result = {"decision_id": decision.id, "outcome": decision.outcome.value}
        if decision.outcome.value == "allow":
            _finish_step(session, app, rollout_row, step_row, DONE, result, now)
            _advance(session, app, rollout_row, now)
            return
        step_row.status = PENDING
        step_row.lease_owner = None
        step_row.lease_expires_at = None
        step_row.result_json = json.dumps(result)
        failing = [r.control_id for r in decision.results if r.outcome.value in ("fail", "error")]
        _set_rollout_status(
            session,
            rollout_row,
            PAUSED,
            f"the gate returned {decision.outcome.value} for {step_row.environment} "
            f"(decision {decision.id}; controls {', '.join(failing) or 'none'}); "
            "resolve it, then run 'releasegate rollout resume'",
            now,
            step_id=step_row.id,
            decision_id=decision.id,
        )


def _indicators(rollout: RolloutRow) -> list[HealthIndicator]:
    plan = json.loads(rollout.plan_json)
    return [HealthIndicator.model_validate(i) for i in plan["indicators"]]


def _context(app: Application, rollout: RolloutRow, step: RolloutStepRow) -> dict[str, str]:
    release = get_release(app, rollout.release_id)
    return {
        "service": rollout.service,
        "environment": step.environment,
        "region": ",".join(json.loads(step.regions_json)),
        "version": release.manifest.version,
    }


def _run_telemetry(app: Application, claim: Claim, owner: str) -> None:
    """OBS-1: check that every gated indicator returns data before production."""
    rollout, step = _load(app, claim)
    provider = load_provider(json.loads(rollout.config_json)["metrics"])
    context = _context(app, rollout, step)
    now = app.clock()
    checks = []
    for indicator in _indicators(rollout):
        gate = indicator.gate
        window = timedelta(minutes=gate.window_minutes if gate else 5)
        query = indicator.query
        for key, value in {**context, "role": "baseline"}.items():
            query = query.replace("{" + key + "}", value)
        try:
            values = provider.samples(
                query,
                indicator=indicator.name,
                role="baseline",
                start=now - window,
                end=now,
                step_seconds=max(window.total_seconds() / 60, 1),
                environment=PRODUCTION,
            )
            checks.append(
                {"name": indicator.name, "returns_data": bool(values), "samples": len(values)}
            )
        except ProviderError as exc:
            checks.append({"name": indicator.name, "returns_data": False, "error": exc.message})
    missing = [str(c["name"]) for c in checks if not c["returns_data"]]
    record = {
        "environment": PRODUCTION,
        "checked_at": rfc3339(now),
        "signals": [{"kind": "metrics", "declared": True, "returns_data": not missing}],
        "indicators": [{"name": c["name"], "returns_data": c["returns_data"]} for c in checks],
    }
    with app.database.transaction() as session:
        rollout_row = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step_row = _owned_step(session, claim, owner)
        if rollout_row is None or step_row is None:
            return
        record_id = new_id("tel")
        session.add(
            ResilienceRecordRow(
                id=record_id,
                kind="telemetry",
                service=rollout_row.service,
                release_id=rollout_row.release_id,
                environment=PRODUCTION,
                body_json=json.dumps(record),
                recorded_at=now,
            )
        )
        result = {"telemetry_id": record_id, "indicators": checks}
        if not missing:
            _finish_step(session, app, rollout_row, step_row, DONE, result, now)
            _advance(session, app, rollout_row, now)
            return
        step_row.status = PENDING
        step_row.lease_owner = None
        step_row.lease_expires_at = None
        step_row.result_json = json.dumps(result)
        _set_rollout_status(
            session,
            rollout_row,
            PAUSED,
            f"indicators {', '.join(missing)} return no data from the metrics provider, so "
            "production health cannot be judged; fix the queries or the provider, then resume",
            now,
            step_id=step_row.id,
            telemetry_id=record_id,
        )


def _action(app: Application, rollout: RolloutRow, step: RolloutStepRow) -> StepAction:
    release = get_release(app, rollout.release_id)
    manifest = release.manifest
    return StepAction(
        key=step.id,
        action="rollback" if step.kind == "rollback" else "deploy",
        rollout_id=rollout.id,
        release_id=release.id,
        service=manifest.service,
        version=manifest.version,
        environment=step.environment,
        regions=tuple(json.loads(step.regions_json)),
        weight=step.weight if step.weight is not None else 100,
        artifacts=tuple((a.name, a.digest, a.uri) for a in manifest.artifacts),
        plan_weights=tuple(json.loads(rollout.plan_json)["canary_weights"]),
    )


def _run_action(app: Application, claim: Claim, owner: str) -> None:
    """Deploy or roll back through the target; a reclaimed step runs only if it took no effect."""
    rollout, step = _load(app, claim)
    target = load_target(json.loads(rollout.config_json)["target"])
    action = _action(app, rollout, step)

    # 1. A reclaimed step may have taken effect before its controller died.
    if claim.reclaimed:
        applied = target.applied(action)
        if applied is None:
            _pause_unknown(app, claim, owner, target.name)
            return
        if applied:
            _record_action(app, claim, owner, {"recovered": True, "target": target.name}, None)
            return

    # 2. Carry the action out.
    try:
        facts = target.apply(action)
    except TargetError as exc:
        _record_action(app, claim, owner, {"target": target.name}, exc.message)
        return
    _record_action(app, claim, owner, {"target": target.name, **facts}, None)


def _pause_unknown(app: Application, claim: Claim, owner: str, target: str) -> None:
    now = app.clock()
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step = _owned_step(session, claim, owner)
        if rollout is None or step is None:
            return
        # An expired lease: after 'resume' the step is claimed again and the target asked again.
        step.lease_owner = None
        step.lease_expires_at = now
        _set_rollout_status(
            session,
            rollout,
            PAUSED,
            f"step {step.id} was interrupted and the {target} target cannot report whether it "
            "took effect; check the platform, then run 'releasegate rollout promote' if it did "
            "or 'releasegate rollout abort' to roll back",
            now,
            step_id=step.id,
        )


def _record_action(
    app: Application, claim: Claim, owner: str, facts: dict[str, Any], error: str | None
) -> None:
    now = app.clock()
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step = _owned_step(session, claim, owner)
        if rollout is None or step is None:
            log.warning("step %s lost its lease before its result was recorded", claim.step_id)
            return
        if error is None:
            _finish_step(session, app, rollout, step, DONE, facts, now)
            _advance(session, app, rollout, now)
            return
        _finish_step(session, app, rollout, step, STEP_FAILED, {**facts, "error": error}, now)
        if step.kind == "rollback":
            _set_rollout_status(
                session,
                rollout,
                FAILED,
                f"the rollback failed: {error}; restore the previous version by hand",
                now,
                step_id=step.id,
            )
            return
        _begin_rollback(session, app, rollout, step, f"deploy failed: {error}", now)


def _begin_rollback(
    session: Session,
    app: Application,
    rollout: RolloutRow,
    failed_step: RolloutStepRow,
    reason: str,
    now: datetime,
    *,
    evidence: dict[str, Any] | None = None,
) -> None:
    """Skip the remaining steps and add one rollback step for the environment being rolled."""
    remaining = session.scalars(
        select(RolloutStepRow).where(
            RolloutStepRow.rollout_id == rollout.id,
            RolloutStepRow.status.in_(UNFINISHED),
        )
    ).all()
    for row in remaining:
        row.status = SKIPPED
        row.lease_owner = None
        row.lease_expires_at = None
    environment = failed_step.environment
    deployed = session.scalars(
        select(RolloutStepRow).where(
            RolloutStepRow.rollout_id == rollout.id,
            RolloutStepRow.environment == environment,
            RolloutStepRow.kind == "deploy",
            RolloutStepRow.status == DONE,
        )
    ).all()
    regions = sorted({r for row in deployed for r in json.loads(row.regions_json)})
    last_seq = max(
        session.scalars(
            select(RolloutStepRow.seq).where(RolloutStepRow.rollout_id == rollout.id)
        ).all()
    )
    step = {
        "seq": last_seq + 1,
        "kind": "rollback",
        "environment": environment,
        "regions": regions,
        "weight": 0,
        "reason": reason,
    }
    session.add(_step_row(rollout.id, step, now))
    _set_rollout_status(
        session,
        rollout,
        ROLLING_BACK,
        reason,
        now,
        step_id=failed_step.id,
        rollback_step=f"{rollout.id}-{last_seq + 1:03d}",
        evidence=evidence or {},
    )


def _complete_rollback(
    session: Session, app: Application, rollout: RolloutRow, now: datetime
) -> None:
    """Mark the rollout and release rolled back, open a review, record a rehearsal if planned."""
    reason = rollout.reason
    _set_rollout_status(session, rollout, ROLLED_BACK, reason, now)
    _release_status(session, rollout.release_id, ReleaseStatus.ROLLED_BACK, now)
    rollback = session.scalars(
        select(RolloutStepRow)
        .where(RolloutStepRow.rollout_id == rollout.id, RolloutStepRow.kind == "rollback")
        .order_by(RolloutStepRow.seq.desc())
    ).first()
    environment = rollback.environment if rollback is not None else None
    if rollout.rehearsal and environment != PRODUCTION:
        body = {
            "service": rollout.service,
            "kind": "rollback",
            "environment": environment,
            "performed_at": rfc3339(now),
            "succeeded": True,
            "rollout_id": rollout.id,
        }
        _add_record(
            session, "rehearsal", rollout.service, rollout.release_id, environment, body, now
        )
        return
    review = {
        "release_id": rollout.release_id,
        "rollout_id": rollout.id,
        "state": "open",
        "opened_at": rfc3339(now),
        "reason": reason,
    }
    _add_record(session, "review", rollout.service, rollout.release_id, environment, review, now)


def _add_record(
    session: Session,
    kind: str,
    service: str,
    release_id: str | None,
    environment: str | None,
    body: dict[str, Any],
    now: datetime,
) -> str:
    record_id = new_id({"rehearsal": "reh", "review": "rev", "dr_test": "drt"}.get(kind, "rec"))
    session.add(
        ResilienceRecordRow(
            id=record_id,
            kind=kind,
            service=service,
            release_id=release_id,
            environment=environment,
            body_json=json.dumps(body),
            recorded_at=now,
        )
    )
    append_entry(
        session,
        entry_type=f"{kind.replace('_', '-')}.recorded",
        subject=release_id or service,
        recorded_at=now,
        data={"record_id": record_id, **body},
    )
    return record_id


def _run_health(app: Application, claim: Claim, owner: str) -> None:
    """Take one round of measurements; finish, roll back, pause or schedule the next round."""
    rollout, step = _load(app, claim)
    config = json.loads(rollout.config_json)
    plan = json.loads(rollout.plan_json)
    spec = json.loads(step.spec_json)
    scale = float(config.get("time_scale", 1.0))
    indicators = [i for i in _indicators(rollout) if i.gate is not None]
    now = app.clock()
    ready_at = datetime.fromisoformat(spec["ready_at"]) if "ready_at" in spec else now
    context = {**_context(app, rollout, step)}

    # 1. Which indicators are due: late data waits after the bake.
    history = _measurements(app, step)
    due, next_times = [], []
    for indicator in indicators:
        gate = indicator.gate
        assert gate is not None
        outcomes = [o for o in history.get(indicator.name, [])]
        state = assess(indicator.name, gate, outcomes, shadow=gate.shadow)
        if state.status is not Outcome.RUNNING:
            continue
        due_at = ready_at + timedelta(seconds=gate.late_data_minutes * 60 * scale)
        last = history.get(f"{indicator.name}#at", [])
        if last:
            pause = (
                gate.error_retry_seconds if outcomes[-1] is Outcome.ERROR else gate.interval_seconds
            )
            due_at = max(due_at, last[-1] + timedelta(seconds=pause * scale))
        if due_at <= now:
            due.append(indicator)
        else:
            next_times.append(due_at)

    # 2. Measure the due indicators, windows ending at the end of the bake or now.
    measurements = []
    if due:
        provider = load_provider(config["metrics"])
        context["window"] = str(int(max(i.gate.window_minutes for i in due if i.gate) * 60))
        window_end = (
            min(now, ready_at)
            if any(i.gate is not None and i.gate.late_data_minutes > 0 for i in due)
            else now
        )
        measurements = measure_round(
            due,
            provider,
            context,
            window_end=window_end,
            pass_score=plan["judge"]["pass_score"],
            marginal_score=plan["judge"]["marginal_score"],
        )

    # 3. Record and assess.
    with app.database.transaction() as session:
        rollout_row = session.get(RolloutRow, claim.rollout_id, with_for_update=True)
        step_row = _owned_step(session, claim, owner)
        if rollout_row is None or step_row is None:
            return
        for measurement in measurements:
            session.add(
                RolloutMeasurementRow(
                    step_id=step_row.id,
                    indicator=measurement.indicator,
                    outcome=measurement.outcome.value,
                    shadow=measurement.shadow,
                    detail_json=json.dumps(measurement.as_dict(), default=str),
                    measured_at=now,
                )
            )
        session.flush()
        history = _measurements_in(session, step_row)
        assessments = []
        for indicator in indicators:
            gate = indicator.gate
            assert gate is not None
            assessments.append(
                assess(indicator.name, gate, history.get(indicator.name, []), shadow=gate.shadow)
            )
        judged = [i for i in indicators if i.gate is not None and i.gate.judge]
        if judged:
            score_shadow = all(i.gate is not None and i.gate.shadow for i in judged)
            assessments.append(
                assess(
                    SCORE_INDICATOR,
                    score_gate(judged),
                    history.get(SCORE_INDICATOR, []),
                    shadow=score_shadow,
                )
            )
        status = gate_status(assessments)
        latest = _latest_details(session, step_row)
        result = {
            "status": status.value,
            "assessments": [a.as_dict() for a in assessments],
            "measurements": latest,
        }
        if status is Outcome.RUNNING:
            step_row.status = PENDING
            step_row.lease_owner = None
            step_row.lease_expires_at = None
            step_row.result_json = json.dumps(result, default=str)
            retry = min(
                next_times,
                default=now
                + timedelta(
                    seconds=min((i.gate.interval_seconds for i in indicators if i.gate), default=1)
                    * scale
                ),
            )
            step_row.not_before = max(retry, now)
            return
        if status is Outcome.PASS:
            _finish_step(session, app, rollout_row, step_row, DONE, result, now)
            _advance(session, app, rollout_row, now)
            return
        if status is Outcome.FAIL:
            _finish_step(session, app, rollout_row, step_row, STEP_FAILED, result, now)
            failing = [m for m in latest if m["outcome"] == "fail" and not m["shadow"]]
            reason = "health gate failed: " + "; ".join(
                f"{m['indicator']}: {m['reason']}" for m in failing
            )
            _begin_rollback(
                session, app, rollout_row, step_row, reason, now, evidence={"failing": failing}
            )
            return
        # Inconclusive or provider error: a person decides.
        step_row.status = PENDING
        step_row.lease_owner = None
        step_row.lease_expires_at = None
        step_row.result_json = json.dumps(result, default=str)
        what = (
            "inconclusive (not enough data)"
            if status is Outcome.INCONCLUSIVE
            else ("unavailable: the metrics provider failed too many times in a row")
        )
        _set_rollout_status(
            session,
            rollout_row,
            PAUSED,
            f"health gate {what} at {step_row.environment}"
            + (f" wave {step_row.wave} weight {step_row.weight}%" if step_row.wave else "")
            + "; run 'releasegate rollout resume' to measure again, 'promote' to accept the "
            "step or 'abort' to roll back",
            now,
            step_id=step_row.id,
            health=status.value,
        )


def _measurements(app: Application, step: RolloutStepRow) -> dict[str, Any]:
    with app.database.transaction() as session:
        row = session.get(RolloutStepRow, step.id)
        assert row is not None
        return _measurements_in(session, row, with_times=True)


def _measurements_in(
    session: Session, step: RolloutStepRow, *, with_times: bool = False
) -> dict[str, Any]:
    """Return the outcomes per indicator since the step (re)started, oldest first."""
    rows = session.scalars(
        select(RolloutMeasurementRow)
        .where(RolloutMeasurementRow.step_id == step.id)
        .order_by(RolloutMeasurementRow.id)
    ).all()
    history: dict[str, Any] = {}
    since = step.started_at
    for row in rows:
        if since is not None and row.measured_at < since:
            continue
        history.setdefault(row.indicator, []).append(Outcome(row.outcome))
        if with_times:
            history.setdefault(f"{row.indicator}#at", []).append(row.measured_at)
    return history


def _latest_details(session: Session, step: RolloutStepRow) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(RolloutMeasurementRow)
        .where(RolloutMeasurementRow.step_id == step.id)
        .order_by(RolloutMeasurementRow.id)
    ).all()
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest[row.indicator] = json.loads(row.detail_json)
    return list(latest.values())


# The controller loop ---------------------------------------------------------------


def run_controller(
    app: Application,
    *,
    owner: str | None = None,
    rollout_id: str | None = None,
    until_idle: bool = True,
    max_seconds: float | None = None,
    poll_seconds: float = 0.2,
    progress: ProgressCallback | None = None,
) -> int:
    """Claim and run steps until nothing is left to do (or for `max_seconds`); return the count.

    With `until_idle`, the loop stops when no watched rollout is running or
    rolling back; a step that waits for its bake time keeps it looping.
    """
    owner = owner or default_owner()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    executed = 0
    while deadline is None or time.monotonic() < deadline:
        claim = claim_next(app, owner, rollout_id=rollout_id)
        if claim is not None:
            run_step(app, claim, owner)
            executed += 1
            if progress is not None and rollout_id is not None:
                progress(rollout_status(app, rollout_id))
            continue
        if until_idle and not _has_active(app, rollout_id):
            break
        time.sleep(poll_seconds)
    return executed


def _has_active(app: Application, rollout_id: str | None) -> bool:
    with app.database.transaction() as session:
        query = select(RolloutRow.id).where(RolloutRow.status.in_(ACTIVE))
        if rollout_id is not None:
            query = query.where(RolloutRow.id == rollout_id)
        return session.scalars(query).first() is not None


# Operator commands ---------------------------------------------------------------


def _get_rollout(session: Session, rollout_id: str) -> RolloutRow:
    rollout = session.get(RolloutRow, rollout_id, with_for_update=True)
    if rollout is None:
        raise NotFoundError(
            f"rollout {rollout_id} not found",
            hint="list the rollouts of a release with 'releasegate rollout status --release ID'",
        )
    return rollout


def pause_rollout(
    app: Application, rollout_id: str, *, by: str, reason: str | None = None
) -> dict[str, Any]:
    now = app.clock()
    with app.database.transaction() as session:
        rollout = _get_rollout(session, rollout_id)
        if rollout.status != RUNNING:
            raise ConflictError(
                f"rollout {rollout_id} is {rollout.status}, only a running rollout can pause",
                hint="see 'releasegate rollout status'",
            )
        _set_rollout_status(session, rollout, PAUSED, reason or f"paused by {by}", now, by=by)
    return rollout_status(app, rollout_id)


def resume_rollout(app: Application, rollout_id: str, *, by: str) -> dict[str, Any]:
    """Continue a paused rollout; its current step runs again from a fresh start."""
    now = app.clock()
    with app.database.transaction() as session:
        rollout = _get_rollout(session, rollout_id)
        if rollout.status != PAUSED:
            raise ConflictError(
                f"rollout {rollout_id} is {rollout.status}, only a paused rollout can resume",
                hint="see 'releasegate rollout status'",
            )
        step = _first_unfinished(session, rollout_id)
        if step is not None and step.status == PENDING:
            step.started_at = None
            step.not_before = now
        _set_rollout_status(session, rollout, RUNNING, f"resumed by {by}", now, by=by)
    return rollout_status(app, rollout_id)


def promote_rollout(app: Application, rollout_id: str, *, by: str) -> dict[str, Any]:
    """Accept the current step of a paused rollout as succeeded and continue."""
    now = app.clock()
    with app.database.transaction() as session:
        rollout = _get_rollout(session, rollout_id)
        if rollout.status != PAUSED:
            raise ConflictError(
                f"rollout {rollout_id} is {rollout.status}; promote accepts the step a paused "
                "rollout waits on",
                hint="pause the rollout first or wait until a health gate pauses it",
            )
        step = _first_unfinished(session, rollout_id)
        if step is None:
            raise ConflictError(f"rollout {rollout_id} has no step left to promote")
        if step.kind == "gate":
            raise ConflictError(
                f"step {step.id} waits for the release gate, which a person cannot skip",
                hint="resolve the gate's findings (approvals, calendar, exceptions), then resume",
            )
        previous = json.loads(step.result_json) if step.result_json else {}
        _finish_step(
            session, app, rollout, step, DONE, {"promoted_by": by, "previous": previous}, now
        )
        _set_rollout_status(
            session,
            rollout,
            RUNNING,
            f"step {step.id} promoted by {by}",
            now,
            by=by,
            step_id=step.id,
        )
        _advance(session, app, rollout, now)
    return rollout_status(app, rollout_id)


def abort_rollout(
    app: Application, rollout_id: str, *, by: str, reason: str | None = None
) -> dict[str, Any]:
    """Stop the rollout and roll back the environment being rolled out."""
    now = app.clock()
    with app.database.transaction() as session:
        rollout = _get_rollout(session, rollout_id)
        if rollout.status in TERMINAL or rollout.status == ROLLING_BACK:
            raise ConflictError(
                f"rollout {rollout_id} is {rollout.status} and cannot be aborted",
                hint="see 'releasegate rollout status'",
            )
        step = _first_unfinished(session, rollout_id)
        if step is None:
            raise ConflictError(f"rollout {rollout_id} has no step left to abort")
        if step.status == STEP_RUNNING and step.lease_expires_at and step.lease_expires_at > now:
            raise ConflictError(
                f"step {step.id} is running under a lease of {step.lease_owner}",
                hint="pause the rollout, wait for the step to finish, then abort",
            )
        text = reason or f"aborted by {by}"
        _begin_rollback(session, app, rollout, step, text, now)
    return rollout_status(app, rollout_id)


# Evidence for the gate and status ---------------------------------------------------


def record_dr_test(app: Application, document: dict[str, Any], *, source: str) -> dict[str, Any]:
    """Store a disaster recovery test result (RES-2) and record it in the ledger."""
    from releasegate.documents import validate
    from releasegate.rollout.resilience import DisasterRecoveryTest

    test = validate(DisasterRecoveryTest, document, source=source)
    if app.catalog.service(test.service) is None:
        raise InputError(
            f"service {test.service!r} is not in the catalog",
            source=source,
            field="service",
            hint="name a service of the catalog",
        )
    body = test.evidence()
    now = app.clock()
    with app.database.transaction() as session:
        record_id = _add_record(session, "dr_test", test.service, None, test.environment, body, now)
    return {"id": record_id, **body}


def rollout_status(app: Application, rollout_id: str) -> dict[str, Any]:
    with app.database.transaction() as session:
        rollout = session.get(RolloutRow, rollout_id)
        if rollout is None:
            raise NotFoundError(
                f"rollout {rollout_id} not found",
                hint="show the latest rollout of a release with "
                "'releasegate rollout status --release ID'",
            )
        steps = session.scalars(
            select(RolloutStepRow)
            .where(RolloutStepRow.rollout_id == rollout_id)
            .order_by(RolloutStepRow.seq)
        ).all()
        plan = json.loads(rollout.plan_json)
        return {
            "id": rollout.id,
            "release_id": rollout.release_id,
            "service": rollout.service,
            "status": rollout.status,
            "reason": rollout.reason,
            "rehearsal": rollout.rehearsal,
            "risk_tier": plan["risk_tier"],
            "strategy": plan["strategy"],
            "waves": plan["waves"],
            "created_at": rfc3339(rollout.created_at),
            "updated_at": rfc3339(rollout.updated_at),
            "steps": [
                {
                    "id": s.id,
                    "seq": s.seq,
                    "kind": s.kind,
                    "environment": s.environment,
                    "wave": s.wave,
                    "regions": json.loads(s.regions_json),
                    "weight": s.weight,
                    "status": s.status,
                    "attempts": s.attempts,
                    "result": json.loads(s.result_json) if s.result_json else None,
                }
                for s in steps
            ],
        }


def list_rollouts(app: Application, release_id: str) -> list[str]:
    with app.database.transaction() as session:
        return list(
            session.scalars(
                select(RolloutRow.id)
                .where(RolloutRow.release_id == release_id)
                .order_by(RolloutRow.created_at)
            ).all()
        )
