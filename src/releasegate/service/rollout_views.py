"""Read-only views of rollouts: lists by release and state, counts, and stored measurements.

The CLI, the HTTP API, the web pages and the metrics endpoint read rollouts
through these functions, so each view has one implementation.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from releasegate.clock import rfc3339
from releasegate.errors import InputError, NotFoundError
from releasegate.service.app import Application
from releasegate.service.rollouts import (
    FAILED,
    PAUSED,
    ROLLED_BACK,
    ROLLING_BACK,
    RUNNING,
    SUCCEEDED,
)
from releasegate.store.tables import RolloutMeasurementRow, RolloutRow, RolloutStepRow

STATES = (RUNNING, PAUSED, ROLLING_BACK, SUCCEEDED, ROLLED_BACK, FAILED)


def _summary(row: RolloutRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "release_id": row.release_id,
        "service": row.service,
        "status": row.status,
        "reason": row.reason,
        "rehearsal": row.rehearsal,
        "started_by": row.started_by,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def find_rollouts(
    app: Application,
    *,
    release_id: str | None = None,
    state: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Return rollout summaries, oldest first, of one release and/or in one state."""
    if state is not None and state not in STATES:
        raise InputError(
            f"unknown rollout state {state!r}",
            source="state",
            hint=f"use one of: {', '.join(STATES)}",
        )
    query = select(RolloutRow).order_by(RolloutRow.created_at, RolloutRow.id)
    if release_id is not None:
        query = query.where(RolloutRow.release_id == release_id)
    if state is not None:
        query = query.where(RolloutRow.status == state)
    with app.database.transaction() as session:
        rows = session.scalars(query).all()
        return [_summary(row) for row in rows[-limit:]]


def rollout_counts(app: Application) -> dict[str, int]:
    """Return the number of rollouts in each state, every state present (one grouped query)."""
    counts = dict.fromkeys(STATES, 0)
    with app.database.transaction() as session:
        for status, count in session.execute(
            select(RolloutRow.status, func.count()).group_by(RolloutRow.status)
        ):
            counts[status] = int(count)
    return counts


def rollout_measurements(app: Application, rollout_id: str) -> list[dict[str, Any]]:
    """Return every stored measurement of the rollout's health gates, in the order taken.

    Each item names its step and indicator and carries the stored detail:
    baseline and canary means and sample counts, or the judge's score.
    """
    with app.database.transaction() as session:
        if session.get(RolloutRow, rollout_id) is None:
            raise NotFoundError(
                f"rollout {rollout_id} not found",
                hint="list the rollouts of a release with 'releasegate rollout list --release ID'",
            )
        rows = session.execute(
            select(RolloutMeasurementRow, RolloutStepRow.seq)
            .join(RolloutStepRow, RolloutStepRow.id == RolloutMeasurementRow.step_id)
            .where(RolloutStepRow.rollout_id == rollout_id)
            .order_by(RolloutMeasurementRow.id)
        ).all()
        measurements = []
        for row, seq in rows:
            detail = json.loads(row.detail_json)
            measurements.append(
                {
                    **detail,
                    "step_id": row.step_id,
                    "seq": seq,
                    "indicator": row.indicator,
                    "outcome": row.outcome,
                    "shadow": row.shadow,
                    "measured_at": rfc3339(row.measured_at),
                }
            )
        return measurements


def latest_rollout_id(app: Application, release_id: str) -> str | None:
    """Return the id of the release's newest rollout, or None."""
    with app.database.transaction() as session:
        return session.scalars(
            select(RolloutRow.id)
            .where(RolloutRow.release_id == release_id)
            .order_by(RolloutRow.created_at.desc(), RolloutRow.id.desc())
            .limit(1)
        ).first()
