"""Releases, their evidence, approvals and gate decisions."""

from __future__ import annotations

import re
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from releasegate.api.auth import Principal
from releasegate.api.deps import (
    APPROVERS,
    READERS,
    SUBMITTERS,
    AppDep,
    ContextDep,
    require,
)
from releasegate.api.observability import bind_release
from releasegate.api.problems import UploadTooLargeError
from releasegate.errors import NotFoundError
from releasegate.model import (
    Approval,
    ApprovalDecision,
    Decision,
    Environment,
    EvidenceRecord,
    Release,
    ReleaseManifest,
)

router = APIRouter(prefix="/releases", tags=["releases"])

ReleaseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 16


def attachment(filename: str) -> str:
    """Build a Content-Disposition value that no stored file name can break out of."""
    from urllib.parse import quote

    plain = _SAFE_NAME.sub("_", filename).strip("._") or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _bind(release_id: str) -> None:
    bind_release(release_id)


@router.get("", summary="List releases, newest first")
def list_releases(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Release]:
    from releasegate.service.releases import list_releases as list_use_case

    return list_use_case(app, service=service, limit=limit)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a release")
def create_release(
    manifest: ReleaseManifest,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> Release:
    from releasegate.service.releases import create_release as create

    release = create(app, manifest, source="request body")
    _bind(release.id)
    return release


@router.get("/{release_id}", summary="Read a release")
def get_release(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> Release:
    from releasegate.service.releases import get_release as get

    _bind(release_id)
    return get(app, release_id)


@router.put(
    "/{release_id}/manifest",
    summary="Replace the manifest with a new revision; earlier approvals lapse",
)
def update_release(
    release_id: str,
    manifest: ReleaseManifest,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> Release:
    """Record a new revision (new commits or artifacts) as the authenticated identity."""
    from releasegate.service.releases import update_release as update

    _bind(release_id)
    return update(app, release_id, manifest, source="request body", identity=principal.identity)


class AttestationBody(BaseModel):
    """A compensating control in place (EMG-1), or who triggers a deployment (SOD-2)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["compensating_control", "deployment"]
    name: str = Field(min_length=1, max_length=200, description="e.g. enhanced_monitoring.")
    environment: Environment | None = Field(
        default=None, description="Environment deployed to; only for a deployment."
    )
    detail: str | None = Field(
        default=None, max_length=2000, description="How the control is in place, or the run."
    )


@router.post(
    "/{release_id}/attestations",
    status_code=status.HTTP_201_CREATED,
    summary="Record a compensating control or a deployment as the authenticated identity",
)
def record_attestation(
    release_id: str,
    body: AttestationBody,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> dict[str, Any]:
    from releasegate.errors import InputError
    from releasegate.service.emergency import record_attestation as record

    _bind(release_id)
    if body.kind == "deployment" and body.environment is None:
        raise InputError(
            "a deployment names the environment deployed to",
            source="request body",
            field="environment",
            hint="send environment, e.g. production",
        )
    if body.kind == "compensating_control" and body.environment is not None:
        raise InputError(
            "a compensating control applies to the release, not to one environment",
            source="request body",
            field="environment",
            hint="leave environment out",
        )
    return record(
        app,
        release_id,
        kind=body.kind,
        name=body.name,
        identity=principal.identity,
        environment=None if body.environment is None else body.environment.value,
        detail=body.detail,
    )


# Evidence ----------------------------------------------------------------------


@router.get("/{release_id}/evidence", summary="List a release's evidence")
def list_evidence(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[EvidenceRecord]:
    from releasegate.service.evidence import load_evidence
    from releasegate.service.releases import get_release as get

    _bind(release_id)
    get(app, release_id)
    return [record for record, _facts in load_evidence(app, release_id)]


@router.post(
    "/{release_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Upload an evidence file (multipart)",
    responses={413: {"description": "The file is larger than the server's upload limit."}},
)
async def add_evidence(
    release_id: str,
    ctx: ContextDep,
    principal: Annotated[Principal, Depends(require(*SUBMITTERS))],
    file: Annotated[UploadFile, File(description="JUnit XML or SARIF 2.1.0 file.")],
    format: Annotated[
        str | None, Form(description="Force a format instead of detecting it.")
    ] = None,
    commit: Annotated[str | None, Form(description="Source commit of the evidence.")] = None,
) -> EvidenceRecord:
    """Stream the upload to a private temporary file, within the size limit, then parse it."""
    from starlette.concurrency import run_in_threadpool

    from releasegate.service.evidence import add_evidence as add

    _bind(release_id)
    name = _SAFE_NAME.sub("_", Path(file.filename or "").name).strip("._") or "evidence"
    with tempfile.TemporaryDirectory(prefix="releasegate-upload-") as folder:
        path = Path(folder) / name
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(_CHUNK):
                size += len(chunk)
                if size > ctx.max_upload_bytes:
                    raise UploadTooLargeError(
                        f"{name}: the file is larger than the upload limit of "
                        f"{ctx.max_upload_bytes} bytes",
                        source="file",
                        hint="split the report or ask the operator to raise the limit",
                    )
                out.write(chunk)
        return await run_in_threadpool(
            add,
            ctx.application,
            release_id,
            path,
            format=format or None,
            commit=commit or None,
            submitted_by=principal.credential,
        )


@router.get(
    "/{release_id}/evidence/{evidence_id}/content",
    summary="Download the raw evidence file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_content(
    release_id: str,
    evidence_id: str,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> Response:
    from releasegate.service.evidence import load_evidence

    _bind(release_id)
    for record, _facts in load_evidence(app, release_id):
        if record.id == evidence_id:
            data = app.blobs.get(record.sha256)
            return Response(
                data,
                media_type="application/octet-stream",
                headers={
                    "Content-Disposition": attachment(record.filename),
                    "Digest": f"sha-256={record.sha256}",
                },
            )
    raise NotFoundError(
        f"evidence {evidence_id!r} of release {release_id!r} not found",
        hint="list the release's evidence first",
    )


# Approvals ---------------------------------------------------------------------


class ApprovalRequest(BaseModel):
    """An approval or rejection by the authenticated principal."""

    model_config = ConfigDict(extra="forbid")

    decision: ApprovalDecision = ApprovalDecision.APPROVE
    comment: str | None = Field(default=None, max_length=2000)
    role: str | None = Field(
        default=None,
        max_length=32,
        description="Role the approval is given in (engineering, business_control, cab or "
        "security); needed when the approver holds several.",
    )
    digests: list[str] | None = Field(
        default=None, max_length=50, description="Artifact digests the approver reviewed."
    )


@router.get("/{release_id}/approvals", summary="List a release's approvals")
def list_approvals(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[Approval]:
    from releasegate.service.approvals import list_approvals as list_use_case
    from releasegate.service.releases import get_release as get

    _bind(release_id)
    get(app, release_id)
    return list_use_case(app, release_id)


@router.get(
    "/{release_id}/approvals/history",
    summary="Every approval with its state: current, superseded or lapsed, and why",
)
def approval_history(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[dict[str, Any]]:
    from releasegate.service.approvals import approval_history as history

    _bind(release_id)
    return history(app, release_id)


@router.post(
    "/{release_id}/approvals",
    status_code=status.HTTP_201_CREATED,
    summary="Approve or reject a release as the authenticated identity",
)
def record_approval(
    release_id: str,
    body: ApprovalRequest,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*APPROVERS))],
) -> Approval:
    """Record the verdict of the token's identity, after the segregation-of-duties checks."""
    from releasegate.service.approvals import record_approval as record

    _bind(release_id)
    return record(
        app,
        release_id,
        approver=principal.identity,
        decision=body.decision,
        comment=body.comment,
        role=body.role,
        digests=None if body.digests is None else tuple(body.digests),
        authenticated=principal.credential,
    )


# Decisions ---------------------------------------------------------------------


class GateRequest(BaseModel):
    """Ask the gate about one environment, at a planned time, for a rollout duration."""

    model_config = ConfigDict(extra="forbid")

    environment: str = "production"
    at: datetime | None = Field(
        default=None, description="Planned deployment time, RFC 3339 with an offset."
    )
    duration_minutes: int | None = Field(
        default=None, ge=0, le=31 * 24 * 60, description="Expected rollout duration."
    )


@router.get("/{release_id}/decisions", summary="List a release's gate decisions")
def list_decisions(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[Decision]:
    from releasegate.service.gate import list_decisions as list_use_case
    from releasegate.service.releases import get_release as get

    _bind(release_id)
    get(app, release_id)
    return list_use_case(app, release_id)


@router.get(
    "/{release_id}/decisions/latest",
    summary="The newest decision for an environment",
    response_class=Response,
    responses={200: {"model": Decision, "content": {"application/json": {}}}},
)
async def latest_decision(
    release_id: str,
    ctx: ContextDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    environment: str = "production",
) -> Response:
    """Pipelines poll this; the stored decision is sent as recorded, without re-encoding.

    While the database is unchanged the decision comes from memory (see
    `releasegate.api.decision_cache`); otherwise a worker thread reads it.
    """
    from starlette.concurrency import run_in_threadpool

    from releasegate.service.status import latest_decision_json

    _bind(release_id)
    cache = ctx.decision_cache
    version = None if cache is None else cache.version()
    text = None
    if cache is not None and version is not None:
        text = cache.get(release_id, environment, version)
    if text is None:
        text = await run_in_threadpool(
            latest_decision_json, ctx.application, release_id, environment
        )
        if cache is not None and version is not None:
            cache.put(release_id, environment, version, text)
    return Response(text, media_type="application/json")


@router.post(
    "/{release_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    summary="Evaluate the gate and record the decision",
)
def evaluate_gate(
    release_id: str,
    body: GateRequest,
    ctx: ContextDep,
    _: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> Decision:
    """Evaluate every control; the outcome is allow, deny or pending (approvals missing)."""
    from releasegate.service.gate import evaluate_gate as evaluate

    _bind(release_id)
    duration = None if body.duration_minutes is None else timedelta(minutes=body.duration_minutes)
    started = time.perf_counter()
    with ctx.gate_lock:
        decision = evaluate(
            ctx.application, release_id, body.environment, at=body.at, duration=duration
        )
    ctx.metrics.gate_seconds.observe(time.perf_counter() - started)
    ctx.metrics.decisions.labels(decision.outcome.value, decision.environment).inc()
    return decision


# Ledger chain and audit bundle -------------------------------------------------


@router.get("/{release_id}/ledger", summary="The release's ledger entries, in log order")
def release_ledger(
    release_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[dict[str, Any]]:
    from releasegate.service.ledger import release_chain

    _bind(release_id)
    return [
        {
            "index": e.index,
            "type": e.entry_type,
            "subject": e.subject,
            "recorded_at": e.recorded_at.isoformat(),
            "data": e.body.get("data", e.body),
            "leaf_hash": e.leaf_hash,
            # The whole entry body, which `releasegate ledger show` prints.
            "body": e.body,
        }
        for e in release_chain(app, release_id)
    ]
