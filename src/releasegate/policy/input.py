"""Build the policy input document from the vocabulary models.

The document's shape is the contract described in docs/policy-input.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from releasegate.clock import rfc3339
from releasegate.evidence.interface import Facts
from releasegate.identity.chain import participants
from releasegate.identity.directory import IdentityDirectory, build_directory
from releasegate.model import (
    Approval,
    EvidenceRecord,
    ExceptionRequest,
    Release,
    ScanRun,
    TestReport,
)
from releasegate.model.change import ChangeReport
from releasegate.model.service import Catalog, Service
from releasegate.policy.change_input import CHANGE_LISTS, change_document, feature_flag_document
from releasegate.policy.evidence_input import finding_fields, integrity_documents, scan_fields


def approval_lapse_reasons(
    approval: Approval, release: Release, revision: str, now: datetime
) -> list[str]:
    """Return why an approval no longer counts (SOD-4), or an empty list when it does.

    An approval lapses when the release's artifact digests, source commit or
    listed commits differ from those it was given for, when the policy
    revision changed, or when it expired.
    """
    manifest = release.manifest
    reasons = []
    digests = sorted(a.digest for a in manifest.artifacts)
    if sorted(approval.artifact_digests) != digests:
        reasons.append(
            f"it was given for artifact digests {', '.join(sorted(approval.artifact_digests))}, "
            f"and the release is now {', '.join(digests)}"
        )
    if approval.source_commit is not None and approval.source_commit != manifest.source_commit:
        reasons.append(
            f"it was given for source commit {approval.source_commit}, and the release is now "
            f"at commit {manifest.source_commit}"
        )
    current_commits = [c.sha for c in manifest.commits]
    if approval.source_commit is not None and list(approval.commit_shas) != current_commits:
        added = [c for c in current_commits if c not in approval.commit_shas]
        detail = f" (new: {', '.join(c[:12] for c in added)})" if added else ""
        reasons.append(f"the release's commits changed after it was given{detail}")
    if approval.policy_revision != revision:
        reasons.append(
            f"it was given under policy revision {approval.policy_revision[:12]}, and the "
            f"current revision is {revision[:12]}"
        )
    if approval.expires_at <= now:
        reasons.append(f"it expired at {rfc3339(approval.expires_at)}")
    return reasons


def approval_is_current(approval: Approval, release: Release, revision: str, now: datetime) -> bool:
    """SOD-4: an approval counts only for what it was given for, before expiry."""
    return not approval_lapse_reasons(approval, release, revision, now)


def build_input(
    *,
    release: Release,
    catalog: Catalog,
    environment: str,
    revision: str,
    now: datetime,
    evidence: list[tuple[EvidenceRecord, Facts | ChangeReport]],
    approvals: list[Approval],
    exceptions: list[ExceptionRequest],
    deployment: dict[str, Any] | None = None,
    calendar: dict[str, Any] | None = None,
    directory: IdentityDirectory | None = None,
    records: dict[str, list[dict[str, Any]]] | None = None,
    extra_evidence: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Return the input document; `deployment` and `calendar` come from the calendar facts.

    Without them both sections are null, and the calendar controls fail.
    `directory` resolves identities to people (default: the catalog's members
    only). `records` adds evidence kinds that releasegate records itself, such
    as deployments, compensating_controls and emergency_history.
    `extra_evidence` adds evidence kinds that come from rollouts (rollout
    plans, telemetry checks, rehearsals, disaster recovery tests).
    """
    manifest = release.manifest
    if directory is None:
        directory = build_directory(catalog)
    chain = participants(manifest, directory)
    service = catalog.service(manifest.service)

    test_reports: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    changes: dict[str, list[dict[str, Any]]] = {name: [] for name in CHANGE_LISTS}
    changes["feature_flags"].append(feature_flag_document(release, environment))
    for record, facts in evidence:
        if isinstance(facts, ChangeReport):
            name, document = change_document(record, facts)
            changes[name].append(document)
        elif isinstance(facts, TestReport):
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
        elif isinstance(facts, ScanRun) and facts.category == "vulnerability":
            scans.append(
                {
                    "id": record.id,
                    "sha256": record.sha256,
                    "format": record.format,
                    "tools": list(facts.tools),
                    "execution_successful": facts.execution_successful,
                    "commit": record.commit,
                    "collected_at": rfc3339(record.collected_at),
                    **scan_fields(facts),
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
                        **finding_fields(finding),
                    }
                )

    approval_docs = _approval_docs(approvals, release, revision, now, catalog, directory)

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
            "commits": [c.model_dump(mode="json") for c in manifest.commits],
            "reviewers": list(manifest.reviewers),
            "participants": [p.document() for p in chain],
        },
        "service": None if service is None else service.model_dump(mode="json"),
        "catalog": {"cab_group": catalog.cab_group},
        "evidence": _merge_lists(
            {"test_reports": test_reports, "scans": scans, "findings": findings},
            changes,
            integrity_documents(evidence, findings),
            records or {},
            extra_evidence or {},
        ),
        "approvals": approval_docs,
        "exceptions": [_exception_doc(e, catalog, service, directory) for e in exceptions],
        "deployment": deployment,
        "calendar": calendar,
    }


def _merge_lists(*parts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Join evidence lists by kind; two sources of one kind (deployments) add up."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        for kind, items in part.items():
            merged.setdefault(kind, []).extend(items)
    return merged


def _approval_docs(
    approvals: list[Approval],
    release: Release,
    revision: str,
    now: datetime,
    catalog: Catalog,
    directory: IdentityDirectory,
) -> list[dict[str, Any]]:
    """Describe each approval with its person, role and whether it still counts.

    Only a person's latest verdict counts: a later approval replaces an
    earlier rejection and the other way round, under whichever alias either
    was given. An unknown approver is keyed by the alias alone and has no
    role, so it never counts as a distinct person.
    """
    service = catalog.service(release.manifest.service)

    def key(approval: Approval) -> str:
        return directory.person_id(approval.approver) or f"unknown:{approval.approver}"

    ordered = sorted(approvals, key=lambda a: (a.created_at, a.id))
    latest = {key(a): a.id for a in ordered}
    documents = []
    for approval in approvals:
        person = directory.person_id(approval.approver)
        groups = directory.groups_of(catalog, approval.approver, approval.token_groups)
        held = set(
            directory.roles_of(
                catalog, approval.approver, release.manifest.service, approval.token_groups
            )
        )
        if approval.role is not None:
            # An approval counts for the one role it was given in, and only while
            # the approver still holds that role.
            held = held & {approval.role}
        is_latest = latest[key(approval)] == approval.id
        lapsed = approval_lapse_reasons(approval, release, revision, now) if is_latest else []
        documents.append(
            {
                "id": approval.id,
                "approver": approval.approver,
                "person": person,
                "decision": approval.decision.value,
                "role": approval.role,
                "groups": list(groups),
                "roles": {
                    "engineering": service is not None and "engineering" in held,
                    "business_control": service is not None and "business_control" in held,
                    "cab": "cab" in held,
                    "security": "security" in held,
                },
                "current": is_latest and not lapsed,
                "superseded": not is_latest,
                "lapsed": lapsed,
                "artifact_digests": list(approval.artifact_digests),
                "source_commit": approval.source_commit,
                "policy_revision": approval.policy_revision,
                "created_at": rfc3339(approval.created_at),
                "expires_at": rfc3339(approval.expires_at),
            }
        )
    return documents


def _exception_doc(
    exception: ExceptionRequest,
    catalog: Catalog,
    service: Service | None,
    directory: IdentityDirectory,
) -> dict[str, Any]:
    groups = directory.groups_of(catalog, exception.approver) if exception.approver else ()
    return {
        "approver_groups": list(groups),
        "approver_roles": {
            "business_control": service is not None and service.owners.business_control in groups,
            "cab": catalog.cab_group is not None and catalog.cab_group in groups,
        },
        "requester_person": directory.person_id(exception.requester),
        "approver_person": directory.person_id(exception.approver),
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
