"""Build the policy input document from the vocabulary models.

The document's shape is the contract described in docs/policy-input.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from releasegate.clock import rfc3339
from releasegate.model import (
    Approval,
    EvidenceRecord,
    ExceptionRequest,
    Release,
    ScanRun,
    TestReport,
)
from releasegate.model.service import Catalog, Service


def approval_is_current(approval: Approval, release: Release, revision: str, now: datetime) -> bool:
    """SOD-4: an approval counts only for the digests and revision it names, before expiry."""
    digests = sorted(a.digest for a in release.manifest.artifacts)
    return (
        sorted(approval.artifact_digests) == digests
        and approval.policy_revision == revision
        and approval.expires_at > now
    )


def build_input(
    *,
    release: Release,
    catalog: Catalog,
    environment: str,
    revision: str,
    now: datetime,
    evidence: list[tuple[EvidenceRecord, TestReport | ScanRun]],
    approvals: list[Approval],
    exceptions: list[ExceptionRequest],
    deployment: dict[str, Any] | None = None,
    calendar: dict[str, Any] | None = None,
    extra_evidence: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Return the input document; `deployment` and `calendar` come from the calendar facts.

    Without them both sections are null, and the calendar controls fail.
    `extra_evidence` adds evidence kinds that come from rollouts (rollout
    plans, telemetry checks, rehearsals, disaster recovery tests).
    """
    manifest = release.manifest
    service = catalog.service(manifest.service)
    cab = catalog.group(catalog.cab_group) if catalog.cab_group else None

    test_reports: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for record, facts in evidence:
        if isinstance(facts, TestReport):
            test_reports.append(
                {
                    "id": record.id,
                    "sha256": record.sha256,
                    "format": record.format,
                    "commit": record.commit,
                    "tests": facts.tests,
                    "failures": facts.failures,
                    "errors": facts.errors,
                    "skipped": facts.skipped,
                    "flaky": facts.flaky,
                    "missing_failures": facts.missing_failures,
                    "warnings": list(facts.warnings),
                }
            )
        else:
            scans.append(
                {
                    "id": record.id,
                    "sha256": record.sha256,
                    "format": record.format,
                    "tools": list(facts.tools),
                    "execution_successful": facts.execution_successful,
                    "commit": record.commit,
                    "collected_at": rfc3339(record.collected_at),
                }
            )
            for finding in facts.findings:
                findings.append(
                    {
                        "evidence_id": record.id,
                        "tool": finding.tool,
                        "rule_id": finding.rule_id,
                        "severity": finding.severity.value,
                        "level": finding.level,
                        "message": finding.message,
                        "location": finding.location,
                        "line": finding.line,
                        "fingerprint": finding.fingerprint,
                        "cve": finding.cve,
                        "suppressed": finding.suppressed,
                    }
                )

    # Only an approver's latest verdict counts: a later approval replaces an
    # earlier rejection and the other way round.
    latest = {a.approver: a.id for a in sorted(approvals, key=lambda a: (a.created_at, a.id))}
    approval_docs = []
    for approval in approvals:
        groups = catalog.groups_of(approval.approver)
        approval_docs.append(
            {
                "id": approval.id,
                "approver": approval.approver,
                "decision": approval.decision.value,
                "groups": list(groups),
                "roles": {
                    "engineering": service is not None and service.owners.engineering in groups,
                    "business_control": service is not None
                    and service.owners.business_control in groups,
                    "cab": cab is not None and approval.approver in cab.members,
                },
                "current": latest[approval.approver] == approval.id
                and approval_is_current(approval, release, revision, now),
                "artifact_digests": list(approval.artifact_digests),
                "policy_revision": approval.policy_revision,
                "created_at": rfc3339(approval.created_at),
                "expires_at": rfc3339(approval.expires_at),
            }
        )

    return {
        "now": rfc3339(now),
        "environment": environment,
        "policy": {"revision": revision},
        "release": {
            "id": release.id,
            "service": manifest.service,
            "version": manifest.version,
            "description": manifest.description,
            "change_type": manifest.change_type.value,
            "source_commit": manifest.source_commit,
            "source_repository": manifest.source_repository,
            "pull_request": manifest.pull_request,
            "ticket": manifest.ticket,
            "linked_changes": [c.model_dump(mode="json") for c in manifest.linked_changes],
            "affected_services": list(manifest.affected_services),
            "emergency_reason": manifest.emergency_reason,
            "artifacts": [a.model_dump(mode="json") for a in manifest.artifacts],
            "authors": list(manifest.authors),
            "requester": manifest.requester,
        },
        "service": None if service is None else service.model_dump(mode="json"),
        "catalog": {"cab_group": catalog.cab_group},
        "evidence": {
            **(extra_evidence or {}),
            "test_reports": test_reports,
            "scans": scans,
            "findings": findings,
        },
        "approvals": approval_docs,
        "exceptions": [_exception_doc(e, catalog, service) for e in exceptions],
        "deployment": deployment,
        "calendar": calendar,
    }


def _exception_doc(
    exception: ExceptionRequest, catalog: Catalog, service: Service | None
) -> dict[str, Any]:
    groups = catalog.groups_of(exception.approver) if exception.approver else ()
    cab = catalog.group(catalog.cab_group) if catalog.cab_group else None
    return {
        "approver_groups": list(groups),
        "approver_roles": {
            "business_control": service is not None and service.owners.business_control in groups,
            "cab": cab is not None and exception.approver in cab.members,
        },
        "id": exception.id,
        "control_id": exception.control_id,
        "scope": exception.scope.model_dump(mode="json"),
        "justification": exception.justification,
        "compensating_controls": list(exception.compensating_controls),
        "requester": exception.requester,
        "approver": exception.approver,
        "status": exception.status.value,
        "requested_at": rfc3339(exception.requested_at),
        "decided_at": rfc3339(exception.decided_at) if exception.decided_at else None,
        "expires_at": rfc3339(exception.expires_at),
    }
