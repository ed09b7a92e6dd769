"""Conversions between table rows and vocabulary models."""

from __future__ import annotations

import json

from releasegate.model import (
    Approval,
    ApprovalDecision,
    EvidenceKind,
    EvidenceRecord,
    ExceptionRequest,
    ExceptionScope,
    ExceptionStatus,
    Release,
    ReleaseManifest,
    ReleaseStatus,
)
from releasegate.store.tables import ApprovalRow, EvidenceRow, ExceptionRow, ReleaseRow


def release_from_row(row: ReleaseRow) -> Release:
    return Release(
        id=row.id,
        manifest=ReleaseManifest.model_validate_json(row.manifest_json),
        status=ReleaseStatus(row.status),
        created_at=row.created_at,
        manifest_sha256=row.manifest_sha256,
    )


def evidence_from_row(row: EvidenceRow) -> EvidenceRecord:
    return EvidenceRecord(
        id=row.id,
        release_id=row.release_id,
        kind=EvidenceKind(row.kind),
        format=row.format,
        sha256=row.sha256,
        filename=row.filename,
        size=row.size,
        commit=row.commit,
        collected_at=row.collected_at,
        summary=json.loads(row.summary_json),
    )


def approval_from_row(row: ApprovalRow) -> Approval:
    return Approval(
        id=row.id,
        release_id=row.release_id,
        approver=row.approver,
        decision=ApprovalDecision(row.decision),
        artifact_digests=tuple(json.loads(row.artifact_digests_json)),
        policy_revision=row.policy_revision,
        comment=row.comment,
        created_at=row.created_at,
        expires_at=row.expires_at,
        role=row.role,
        source_commit=row.source_commit,
        commit_shas=tuple(json.loads(row.commit_shas_json or "[]")),
    )


def exception_from_row(row: ExceptionRow) -> ExceptionRequest:
    return ExceptionRequest(
        id=row.id,
        control_id=row.control_id,
        scope=ExceptionScope(
            service=row.service,
            release_id=row.release_id,
            artifact_digest=row.artifact_digest,
            finding=row.finding,
        ),
        justification=row.justification,
        compensating_controls=tuple(json.loads(row.compensating_controls_json)),
        requester=row.requester,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        status=ExceptionStatus(row.status),
        approver=row.approver,
        decided_at=row.decided_at,
    )
