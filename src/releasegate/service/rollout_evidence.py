"""Evidence that rollouts produce, for the gate's policy input.

Kept apart from the controller so that a gate decision loads neither numpy
nor scipy.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.model import ReleaseManifest
from releasegate.service.app import Application
from releasegate.store.tables import ReleaseRow, ResilienceRecordRow, RolloutRow, RolloutStepRow

PRODUCTION = "production"
_DONE = "succeeded"
_FAILED = "failed"


def rollout_evidence(
    app: Application, release_id: str, service: str
) -> dict[str, list[dict[str, Any]]]:
    """Return the evidence kinds that rollouts produce, for the gate's policy input.

    `rehearsals`, `dr_tests` and `telemetry` (this release's checks only)
    come from the resilience records. `rollout_plans` come from this
    release's rollouts that reach production. `deployments` summarise the
    deploy steps of every rollout of the service, one record per rollout and
    environment.
    """
    with app.database.transaction() as session:
        records = session.scalars(
            select(ResilienceRecordRow)
            .where(ResilienceRecordRow.service == service)
            .order_by(ResilienceRecordRow.recorded_at, ResilienceRecordRow.id)
        ).all()
        rollouts = session.scalars(
            select(RolloutRow)
            .where(RolloutRow.service == service)
            .order_by(RolloutRow.created_at, RolloutRow.id)
        ).all()
        evidence: dict[str, list[dict[str, Any]]] = {
            "rehearsals": [],
            "dr_tests": [],
            "telemetry": [],
            "rollout_plans": [],
            "deployments": [],
        }
        kinds = {"rehearsal": "rehearsals", "dr_test": "dr_tests", "telemetry": "telemetry"}
        for record in records:
            kind = kinds.get(record.kind)
            if kind is None:
                continue
            if kind == "telemetry" and record.release_id != release_id:
                continue
            evidence[kind].append({"id": record.id, **json.loads(record.body_json)})
        for rollout in rollouts:
            plan = json.loads(rollout.plan_json)
            if rollout.release_id == release_id and PRODUCTION in plan["environments"]:
                evidence["rollout_plans"].append(
                    {
                        "id": rollout.id,
                        "release_id": release_id,
                        "environment": PRODUCTION,
                        "strategy": plan["strategy"],
                        "automated_rollback": plan["automated_rollback"],
                        "waves": plan["waves"],
                    }
                )
            evidence["deployments"].extend(_deployments(session, rollout))
        return evidence


def _deployments(session: Session, rollout: RolloutRow) -> list[dict[str, Any]]:
    """Summarise a rollout's deploy and rollback steps per environment as deployment records."""
    steps = session.scalars(
        select(RolloutStepRow)
        .where(
            RolloutStepRow.rollout_id == rollout.id,
            RolloutStepRow.kind.in_(("deploy", "rollback")),
        )
        .order_by(RolloutStepRow.seq)
    ).all()
    by_environment: dict[str, list[RolloutStepRow]] = {}
    for step in steps:
        by_environment.setdefault(step.environment, []).append(step)
    release = session.get(ReleaseRow, rollout.release_id)
    assert release is not None  # a rollout names a stored release
    manifest = ReleaseManifest.model_validate_json(release.manifest_json)
    artifacts = [{"name": a.name, "digest": a.digest} for a in manifest.artifacts]
    records = []
    for environment, rows in by_environment.items():
        deploys = [r for r in rows if r.kind == "deploy"]
        started = [r.started_at for r in deploys if r.started_at is not None]
        if not started:
            continue  # planned only
        if any(r.kind == "rollback" and r.status == _DONE for r in rows):
            status = "rolled_back"
        elif any(r.status == _FAILED for r in rows):
            status = "failed"
        elif all(r.status == _DONE for r in deploys):
            status = "succeeded"
        else:
            status = "in_progress"
        finished = [r.finished_at for r in rows if r.finished_at is not None]
        records.append(
            {
                "id": f"{rollout.id}-{environment}",
                "release_id": rollout.release_id,
                "service": rollout.service,
                "environment": environment,
                "artifacts": artifacts,
                "status": status,
                "triggered_by": rollout.started_by,
                "started_at": rfc3339(min(started)),
                "finished_at": rfc3339(max(finished))
                if finished and status != "in_progress"
                else None,
            }
        )
    return records
