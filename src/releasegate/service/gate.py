"""The gate: evaluate a release for an environment and record the decision."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from releasegate.calendar import gather_facts, load_calendars
from releasegate.clock import rfc3339
from releasegate.errors import InputError
from releasegate.ledger.canonical import canonical_json
from releasegate.model import (
    Decision,
    DecisionOutcome,
    Environment,
    ReleaseStatus,
)
from releasegate.policy.decide import decide
from releasegate.policy.engine import compile_policy, engine_version
from releasegate.policy.input import build_input
from releasegate.service.app import Application
from releasegate.service.approvals import list_approvals
from releasegate.service.audit import store_policy_files
from releasegate.service.emergency import (
    check_records,
    open_review,
    release_records,
    review_deadline,
)
from releasegate.service.evidence import load_evidence
from releasegate.service.exceptions import exceptions_in_scope
from releasegate.service.governance import check_governed_files
from releasegate.service.ids import new_id
from releasegate.service.integrity import check_release_facts
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.tables import DecisionRow, ReleaseRow

log = logging.getLogger(__name__)

_STATUS = {
    DecisionOutcome.ALLOW: ReleaseStatus.ALLOWED,
    DecisionOutcome.DENY: ReleaseStatus.DENIED,
    DecisionOutcome.PENDING: ReleaseStatus.PENDING,
}


def parse_environment(value: str) -> Environment:
    try:
        return Environment(value)
    except ValueError as exc:
        raise InputError(
            f"unknown environment {value!r}",
            source="--env",
            hint=f"use one of: {', '.join(e.value for e in Environment)}",
        ) from exc


def evaluate_gate(
    app: Application,
    release_id: str,
    environment: str,
    *,
    at: datetime | None = None,
    duration: timedelta | None = None,
) -> Decision:
    """Decide whether `release_id` may go to `environment`, and record the decision.

    `at` is the planned deployment time (default: now) and `duration` the
    expected rollout duration (default: the rollout_duration_minutes setting).

    Steps:
    1. Load the release, its evidence, approvals and the exceptions in scope.
    2. Load the policy layers for the service and compile them (cached by revision).
    3. Compute the calendar facts for the planned start and end of the rollout,
       build the input document and keep it in the blob store by its SHA-256.
    4. Evaluate every control; an undefined or failing control is an error.
    5. Derive the outcome: any blocking error or failure denies, unless every
       blocking failure only waits for approvals (pending); otherwise allow.
    6. Store the decision, update the release status and append the ledger
       entry in one transaction.
    """
    from releasegate.service.rollout_evidence import rollout_evidence

    env = parse_environment(environment)

    # 1. Facts about the release, each checked against the ledger entry that recorded it.
    release = get_release(app, release_id)
    with app.database.transaction() as session:
        check_release_facts(session, release.id)
    check_governed_files(app)
    check_records(app, release)
    evidence = load_evidence(app, release.id)
    approvals = list_approvals(app, release.id)
    exceptions = exceptions_in_scope(app, service=release.manifest.service, release_id=release.id)

    # 2. Policy.
    policy = app.policy(release.manifest.service)
    compiled = compile_policy(policy)
    policy_files_sha256 = store_policy_files(app, policy)

    # 3. Input document, with the calendar at the planned start and end of the rollout.
    now = app.clock()
    if at is not None and at.tzinfo is None:
        raise InputError(
            "the planned deployment time has no UTC offset",
            source="--at",
            hint="give the time with Z or an offset, e.g. 2026-06-30T08:00:00Z",
        )
    if duration is None:
        duration = timedelta(minutes=app.settings.rollout_duration_minutes)
    calendars = load_calendars(
        app.settings.resolved_calendar, required=app.settings.calendar is not None
    )
    if calendars is not None:
        app.blobs.put(calendars.content)  # the decision entry names it by calendar_sha256
    calendar = gather_facts(
        calendars,
        app.catalog.service(release.manifest.service),
        env.value,
        start=at or now,
        duration=duration,
    )
    document = build_input(
        release=release,
        catalog=app.catalog,
        environment=env.value,
        revision=policy.revision,
        now=now,
        evidence=evidence,
        approvals=approvals,
        exceptions=exceptions,
        deployment=calendar.deployment_document(),
        calendar=calendar.calendar_document(),
        directory=app.directory,
        records=release_records(app, release),
        extra_evidence=rollout_evidence(app, release.id, release.manifest.service),
    )
    input_sha256 = app.blobs.put(canonical_json(document))

    # 4. Evaluation.
    evaluation = compiled.evaluate(document)

    # 5. Outcome.
    verdict = decide(policy, evaluation, document)
    outcome, results, risk = verdict.outcome, list(verdict.results), verdict.risk

    decision = Decision(
        id=new_id("dec"),
        release_id=release.id,
        environment=env.value,
        outcome=outcome,
        policy_revision=policy.revision,
        input_sha256=input_sha256,
        risk=risk,
        results=tuple(results),
        warnings=verdict.warnings,
        engine=engine_version(),
        policy_files_sha256=policy_files_sha256,
        evaluated_at=now,
        input_document=document,
    )

    # 6. Record.
    calendar_record = calendar.ledger_record(
        tier=risk.tier.value if risk else None,
        change_type=release.manifest.change_type.value,
        emergency_reason=release.manifest.emergency_reason,
        outcomes={r.control_id: r.outcome.value for r in results},
    )
    if calendar_record["emergency_override"]:
        log.warning("release %s passed the change calendar on the emergency path", release.id)
    body = decision.model_dump(mode="json")
    decision_sha256 = app.blobs.put(canonical_json(body))
    with app.database.transaction() as session:
        session.add(
            DecisionRow(
                id=decision.id,
                release_id=release.id,
                environment=env.value,
                outcome=outcome.value,
                policy_revision=policy.revision,
                input_sha256=input_sha256,
                decision_json=json.dumps(body),
                evaluated_at=now,
            )
        )
        row = session.get(ReleaseRow, release.id, with_for_update=True)
        assert row is not None  # loaded in step 1 and releases are never deleted
        previous = row.status
        row.status = _STATUS[outcome].value
        row.updated_at = now
        if outcome is DecisionOutcome.ALLOW and env is Environment.PRODUCTION:
            open_review(
                session,
                release,
                deployed_at=now,
                deadline=review_deadline(app, release.manifest.service),
            )
        append_entry(
            session,
            entry_type="decision.recorded",
            subject=release.id,
            recorded_at=now,
            data={
                "decision_id": decision.id,
                "environment": env.value,
                "outcome": outcome.value,
                "policy_revision": policy.revision,
                "policy_files_sha256": policy_files_sha256,
                "engine": decision.engine,
                "input_sha256": input_sha256,
                "decision_sha256": decision_sha256,
                "risk_tier": risk.tier.value if risk else None,
                "controls": {r.control_id: r.outcome.value for r in results},
                "release_status": {"from": previous, "to": row.status},
                "evaluated_at": rfc3339(now),
                "calendar": calendar_record,
                "emergency_override": calendar_record["emergency_override"],
            },
        )
    log.info("release %s %s for %s", release.id, outcome.value, env.value)
    return decision


def list_decisions(app: Application, release_id: str) -> list[Decision]:
    with app.database.transaction() as session:
        rows = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.release_id == release_id)
            .order_by(DecisionRow.evaluated_at, DecisionRow.id)
        ).all()
        return [Decision.model_validate_json(r.decision_json) for r in rows]
