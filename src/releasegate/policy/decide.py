"""Turn an engine evaluation into control results and a verdict.

The Rego library decides each control's violations and waivers. This module
applies the layer parameters of each control (shadow mode, a blocking
override, and the tiers, environments, change types and criticalities it
applies to), attributes team messages to controls, and derives the verdict.
The gate, `policy eval` and replay share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from releasegate.model import (
    ControlOutcome,
    ControlResult,
    DecisionOutcome,
    RiskAssessment,
    Violation,
)
from releasegate.policy.engine import CustomEvaluation, Evaluation
from releasegate.policy.layers import PolicySet

_FAILING = (ControlOutcome.FAIL, ControlOutcome.ERROR)


@dataclass(frozen=True)
class Verdict:
    """Control results, risk assessment, warnings and the outcome of one evaluation."""

    outcome: DecisionOutcome
    results: tuple[ControlResult, ...]
    risk: RiskAssessment | None
    warnings: tuple[str, ...]


def message_text(value: Any) -> str:
    """Return the text of a team message: a string, or an object's `msg`."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("msg"), str):
        return str(value["msg"])
    return json.dumps(value, sort_keys=True)


def _message_control(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("control"), str):
        return str(value["control"])
    return None


def _scope_mismatch(
    settings: dict[str, Any], document: dict[str, Any], tier: str | None
) -> str | None:
    """Return why `applies_to` excludes this release, or None when it applies."""
    scope = settings.get("applies_to") or {}
    release = document.get("release") or {}
    service = document.get("service") or {}
    checks = (
        ("tiers", tier, "risk tier"),
        ("environments", document.get("environment"), "environment"),
        ("change_types", release.get("change_type"), "change type"),
        ("criticality", service.get("criticality"), "criticality"),
    )
    for key, value, label in checks:
        allowed = scope.get(key)
        if allowed is None:
            continue
        if value is None:
            return None  # unknown value: the control applies (fail closed)
        if str(value) not in {str(a) for a in allowed}:
            return (
                f"applies to {label} {', '.join(str(a) for a in allowed)}; this release is {value}"
            )
    return None


def _team_results(
    custom: CustomEvaluation, extra: dict[str, list[Violation]]
) -> list[ControlResult]:
    """Build results of a team package; messages naming a built-in control go to `extra`."""
    declared = custom.controls or {}
    by_control: dict[str, list[Violation]] = {}
    for message in custom.deny:
        control = _message_control(message) or custom.package
        violation = Violation(msg=message_text(message))
        if control in extra:
            extra[control].append(violation)
        else:
            by_control.setdefault(control, []).append(violation)
    for control in declared:
        if control not in extra:  # a team cannot redeclare a built-in control
            by_control.setdefault(control, [])
    if not by_control:
        by_control[custom.package] = []

    results = []
    for control, violations in sorted(by_control.items()):
        meta = declared.get(control) if isinstance(declared.get(control), dict) else {}
        assert isinstance(meta, dict)
        if custom.error:
            outcome, violations = ControlOutcome.ERROR, [Violation(msg=custom.error)]
        else:
            outcome = ControlOutcome.FAIL if violations else ControlOutcome.PASS
        results.append(
            ControlResult(
                control_id=control,
                title=str(meta.get("title") or f"{custom.layer} rules in {custom.package}"),
                layer=custom.layer,
                blocking=meta.get("blocking") is not False,
                outcome=outcome,
                violations=tuple(violations),
                remediation=str(
                    meta.get("solution")
                    or f"see the message; the rule belongs to the {custom.layer} policy layer"
                ),
                frameworks=tuple(str(f) for f in meta.get("frameworks") or ()),
            )
        )
    return results


def decide(policy: PolicySet, evaluation: Evaluation, document: dict[str, Any]) -> Verdict:
    """Derive control results and the verdict.

    Steps:
    1. Read the risk assessment; without one nothing can be allowed.
    2. Collect team messages that name built-in controls (they add violations).
    3. For each built-in control: error, not applicable (by Rego or by its
       `applies_to` parameters), pass, waived or fail. Shadow mode and the
       blocking override come from `controls.<ID>` parameters.
    4. Add the team packages' own controls.
    5. Verdict: any blocking error or failure denies unless every blocking
       failure only waits for approvals (pending); otherwise allow.
    """
    # 1. Risk.
    risk = RiskAssessment.model_validate(evaluation.risk) if evaluation.risk else None
    tier = risk.tier.value if risk else None
    parameters = policy.params.get("controls") or {}

    # 2. Team messages that name built-in controls.
    extra: dict[str, list[Violation]] = {cid: [] for cid in policy.controls}
    team: list[ControlResult] = []
    for custom in evaluation.custom:
        team.extend(_team_results(custom, extra))

    # 3. Built-in controls.
    results: list[ControlResult] = []
    for meta in sorted(policy.controls.values(), key=lambda m: m.id):
        settings = parameters.get(meta.id) or {}
        mode = str(settings.get("mode", "enforce"))
        blocking = bool(settings.get("blocking", meta.blocking)) and mode == "enforce"
        common: dict[str, Any] = {
            "control_id": meta.id,
            "title": meta.title,
            "layer": meta.layer,
            "blocking": blocking,
            "mode": mode,
            "remediation": meta.solution,
            "frameworks": meta.frameworks,
        }
        raw = evaluation.controls.get(meta.package)
        if raw is None or raw.error is not None or raw.applicable is None:
            reason = raw.error if raw is not None and raw.error else "no result from the policy"
            results.append(
                ControlResult(
                    **common, outcome=ControlOutcome.ERROR, violations=(Violation(msg=reason),)
                )
            )
            continue
        mismatch = _scope_mismatch(settings, document, tier)
        if not raw.applicable or mismatch:
            reasons = (Violation(msg=mismatch),) if mismatch else ()
            results.append(
                ControlResult(**common, outcome=ControlOutcome.NOT_APPLICABLE, violations=reasons)
            )
            continue
        violations = tuple(
            Violation(msg=v["msg"], key=v.get("key"), waived_by=v.get("waived_by"))
            for v in raw.violations
        ) + tuple(extra[meta.id])
        unwaived = [v for v in violations if not v.waived_by]
        if not violations:
            outcome = ControlOutcome.PASS
        elif not unwaived:
            outcome = ControlOutcome.WAIVED
        else:
            outcome = ControlOutcome.FAIL
        pending_flags = [v.get("pending") is True for v in raw.violations if not v.get("waived_by")]
        pending = bool(unwaived) and not extra[meta.id] and all(pending_flags)
        results.append(
            ControlResult(**common, outcome=outcome, violations=violations, pending=pending)
        )

    # 4. Team controls.
    results.extend(team)

    # 5. Verdict.
    blocking_failures = [r for r in results if r.blocking and r.outcome in _FAILING]
    if risk is None or any(
        r.outcome is ControlOutcome.ERROR or not r.pending for r in blocking_failures
    ):
        outcome_value = DecisionOutcome.DENY
    elif blocking_failures:
        outcome_value = DecisionOutcome.PENDING
    else:
        outcome_value = DecisionOutcome.ALLOW

    warnings = [
        f"{r.control_id}: {v.msg}"
        for r in results
        if not r.blocking and r.outcome in _FAILING
        for v in r.violations
    ]
    warnings += [f"{c.package}: {message_text(m)}" for c in evaluation.custom for m in c.warn]
    if evaluation.risk_error:
        warnings.append(evaluation.risk_error)
    return Verdict(outcome_value, tuple(results), risk, tuple(warnings))
