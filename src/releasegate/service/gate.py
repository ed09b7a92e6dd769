"""The gate: evaluate a release for an environment and record the decision."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from releasegate.clock import rfc3339
from releasegate.errors import InputError
from releasegate.ledger.canonical import canonical_json
from releasegate.model import (
    ControlOutcome,
    ControlResult,
    Decision,
    DecisionOutcome,
    Environment,
    ReleaseStatus,
    RiskAssessment,
    Violation,
)
from releasegate.policy.engine import Evaluation, compile_policy
from releasegate.policy.input import build_input
from releasegate.policy.layers import PolicySet
from releasegate.service.app import Application
from releasegate.service.approvals import list_approvals
from releasegate.service.evidence import load_evidence
from releasegate.service.exceptions import exceptions_in_scope
from releasegate.service.ids import new_id
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


def _control_results(policy: PolicySet, evaluation: Evaluation) -> list[ControlResult]:
    results: list[ControlResult] = []
    for meta in sorted(policy.controls.values(), key=lambda m: m.id):
        raw = evaluation.controls.get(meta.package)
        common = {
            "control_id": meta.id,
            "title": meta.title,
            "layer": meta.layer,
            "blocking": meta.blocking,
            "remediation": meta.solution,
            "frameworks": meta.frameworks,
        }
        if raw is None or raw.error is not None or raw.applicable is None:
            reason = raw.error if raw is not None and raw.error else "no result from the policy"
            results.append(
                ControlResult(
                    **common, outcome=ControlOutcome.ERROR, violations=(Violation(msg=reason),)
                )
            )
            continue
        if not raw.applicable:
            results.append(ControlResult(**common, outcome=ControlOutcome.NOT_APPLICABLE))
            continue
        violations = tuple(
            Violation(msg=v["msg"], key=v.get("key"), waived_by=v.get("waived_by"))
            for v in raw.violations
        )
        unwaived = [v for v in raw.violations if not v.get("waived_by")]
        if not violations:
            outcome = ControlOutcome.PASS
        elif not unwaived:
            outcome = ControlOutcome.WAIVED
        else:
            outcome = ControlOutcome.FAIL
        pending = bool(unwaived) and all(v.get("pending") is True for v in unwaived)
        results.append(
            ControlResult(**common, outcome=outcome, violations=violations, pending=pending)
        )
    for custom in evaluation.custom:
        violations = tuple(Violation(msg=_message(m)) for m in custom.deny)
        if custom.error:
            outcome, violations = ControlOutcome.ERROR, (Violation(msg=custom.error),)
        else:
            outcome = ControlOutcome.FAIL if violations else ControlOutcome.PASS
        results.append(
            ControlResult(
                control_id=custom.package,
                title=f"{custom.layer} rules in {custom.package}",
                layer=custom.layer,
                blocking=True,
                outcome=outcome,
                violations=violations,
                remediation=f"see the message; the rule belongs to the {custom.layer} policy layer",
            )
        )
    return results


def _message(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("msg"), str):
        return str(value["msg"])
    return json.dumps(value, sort_keys=True)


def _outcome(results: list[ControlResult], risk: RiskAssessment | None) -> DecisionOutcome:
    blocking_failures = [
        r
        for r in results
        if r.blocking and r.outcome in (ControlOutcome.FAIL, ControlOutcome.ERROR)
    ]
    if risk is None or any(
        r.outcome is ControlOutcome.ERROR or not r.pending for r in blocking_failures
    ):
        return DecisionOutcome.DENY
    if blocking_failures:
        return DecisionOutcome.PENDING
    return DecisionOutcome.ALLOW


def evaluate_gate(app: Application, release_id: str, environment: str) -> Decision:
    """Decide whether `release_id` may go to `environment`, and record the decision.

    Steps:
    1. Load the release, its evidence, approvals and the exceptions in scope.
    2. Load the policy layers for the service and compile them (cached by revision).
    3. Build the input document and keep it in the blob store by its SHA-256.
    4. Evaluate every control; an undefined or failing control is an error.
    5. Derive the outcome: any blocking error or failure denies, unless every
       blocking failure only waits for approvals (pending); otherwise allow.
    6. Store the decision, update the release status and append the ledger
       entry in one transaction.
    """
    env = parse_environment(environment)

    # 1. Facts about the release.
    release = get_release(app, release_id)
    evidence = load_evidence(app, release.id)
    approvals = list_approvals(app, release.id)
    exceptions = exceptions_in_scope(app, service=release.manifest.service, release_id=release.id)

    # 2. Policy.
    policy = app.policy(release.manifest.service)
    compiled = compile_policy(policy)

    # 3. Input document.
    now = app.clock()
    document = build_input(
        release=release,
        catalog=app.catalog,
        environment=env.value,
        revision=policy.revision,
        now=now,
        evidence=evidence,
        approvals=approvals,
        exceptions=exceptions,
    )
    input_sha256 = app.blobs.put(canonical_json(document))

    # 4. Evaluation.
    evaluation = compiled.evaluate(document)
    results = _control_results(policy, evaluation)
    risk = RiskAssessment.model_validate(evaluation.risk) if evaluation.risk else None

    # 5. Outcome.
    outcome = _outcome(results, risk)
    warnings = [
        f"{r.control_id}: {v.msg}"
        for r in results
        if not r.blocking and r.outcome is ControlOutcome.FAIL
        for v in r.violations
    ]
    warnings += [f"{c.package}: {_message(m)}" for c in evaluation.custom for m in c.warn]
    if evaluation.risk_error:
        warnings.append(evaluation.risk_error)

    decision = Decision(
        id=new_id("dec"),
        release_id=release.id,
        environment=env.value,
        outcome=outcome,
        policy_revision=policy.revision,
        input_sha256=input_sha256,
        risk=risk,
        results=tuple(results),
        warnings=tuple(warnings),
        evaluated_at=now,
        input_document=document,
    )

    # 6. Record.
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
                "input_sha256": input_sha256,
                "decision_sha256": decision_sha256,
                "risk_tier": risk.tier.value if risk else None,
                "controls": {r.control_id: r.outcome.value for r in results},
                "release_status": {"from": previous, "to": row.status},
                "evaluated_at": rfc3339(now),
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
