"""Run the change controls on one analysis, before any release exists.

`releasegate analyze plan` evaluates the infrastructure guardrails (IAC-1 to
IAC-9) on a single plan with the same Rego library the gate uses, so that a
team gets the gate's verdict while it still writes the change. The input
document holds the plan, the service from the catalog when one is named, and
placeholders for everything else; only the results of the requested controls
are returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from releasegate.clock import rfc3339
from releasegate.model.decision import ControlResult
from releasegate.model.service import Service
from releasegate.policy.decide import decide
from releasegate.policy.engine import compile_policy
from releasegate.policy.layers import (
    BUILTIN_DIR,
    PARAMS_LABEL,
    SCHEMA_LABEL,
    PolicySet,
    build_policy_set,
    load_policy_set,
)


def builtin_policy() -> PolicySet:
    """Load the built-in control library with its default parameters and no layers."""
    files = [
        (f"builtin/{path.relative_to(BUILTIN_DIR).as_posix()}", path.read_bytes())
        for path in sorted(BUILTIN_DIR.rglob("*.rego"))
        if not path.name.endswith("_test.rego")
    ]
    files.append((PARAMS_LABEL, (BUILTIN_DIR / "params.yaml").read_bytes()))
    files.append((SCHEMA_LABEL, (BUILTIN_DIR / "params.schema.yaml").read_bytes()))
    return build_policy_set(files)


def policy_for(policy_dir: Path | None, service: str | None, catalog: Path | None) -> PolicySet:
    """Load the layers of the working folder when it has them, else the built-in library."""
    if policy_dir is not None and policy_dir.is_dir():
        return load_policy_set(
            policy_dir, service, catalog=catalog if catalog and catalog.is_file() else None
        )
    return builtin_policy()


@dataclass(frozen=True)
class ControlAnalysis:
    """Results of the matching controls, and their violations with every field Rego gave them.

    The guardrails add `attribute`, `expected` and `actual` to a violation
    about one resource; control results keep only the message and the key.
    """

    results: list[ControlResult]
    findings: list[dict[str, Any]]


def evaluate_controls(
    policy: PolicySet,
    *,
    evidence: dict[str, list[dict[str, Any]]],
    service: Service | None,
    environment: str,
    now: datetime,
    prefix: str,
) -> ControlAnalysis:
    """Evaluate `policy` on the evidence lists, keeping the controls whose id starts with `prefix`."""
    document = _document(
        policy, evidence=evidence, service=service, environment=environment, now=now
    )
    evaluation = compile_policy(policy).evaluate(document)
    verdict = decide(policy, evaluation, document)
    results = [result for result in verdict.results if result.control_id.startswith(prefix)]

    findings = []
    for meta in sorted(policy.controls.values(), key=lambda m: m.id):
        raw = evaluation.controls.get(meta.package)
        if not meta.id.startswith(prefix) or raw is None or raw.applicable is False:
            continue
        for violation in raw.violations:
            findings.append({"control_id": meta.id, **violation})
    return ControlAnalysis(results=results, findings=findings)


def _document(
    policy: PolicySet,
    *,
    evidence: dict[str, list[dict[str, Any]]],
    service: Service | None,
    environment: str,
    now: datetime,
) -> dict[str, Any]:
    """Build an input document around the evidence, with placeholders for the release."""
    document: dict[str, Any] = {
        "now": rfc3339(now),
        "environment": environment,
        "policy": {"revision": policy.revision},
        "release": {
            "id": "analysis",
            "service": service.name if service else None,
            "version": "analysis",
            "description": "change analysis",
            "change_type": "normal",
            "source_commit": None,
            "source_repository": None,
            "pull_request": None,
            "ticket": None,
            "linked_changes": [],
            "affected_services": [],
            "emergency_reason": None,
            "artifacts": [],
            "authors": [],
            "requester": None,
        },
        "service": None if service is None else service.model_dump(mode="json"),
        "catalog": {"cab_group": None},
        "evidence": {"test_reports": [], "scans": [], "findings": [], **evidence},
        "approvals": [],
        "exceptions": [],
        "deployment": None,
        "calendar": None,
    }
    return document
