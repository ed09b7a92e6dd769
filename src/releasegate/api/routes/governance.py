"""Exceptions, calendars and the control library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from releasegate.api.auth import Principal
from releasegate.api.deps import (
    APPROVERS,
    AUDITORS,
    READERS,
    REQUESTERS,
    REVOKERS,
    AppDep,
    ContextDep,
    require,
)
from releasegate.model import ExceptionRequest
from releasegate.model.decision import RiskTier

router = APIRouter(tags=["governance"])


class ExceptionRequestBody(BaseModel):
    """A request to waive one control for a release, a service or one finding."""

    model_config = ConfigDict(extra="forbid")

    control: str = Field(description="Control to waive, e.g. VUL-1.", max_length=16)
    justification: str = Field(max_length=4000)
    expires_in_minutes: int = Field(gt=0, le=3650 * 24 * 60)
    release_id: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=128)
    finding: str | None = Field(default=None, max_length=256)
    compensating_controls: list[str] = Field(default_factory=list, max_length=20)
    artifact_digest: str | None = Field(default=None, max_length=128)


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=4000)


@router.get("/exceptions", summary="The exceptions register", tags=["exceptions"])
def list_exceptions(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
) -> list[ExceptionRequest]:
    from releasegate.service.exceptions import list_exceptions as list_use_case

    return list_use_case(app, service=service)


@router.post(
    "/exceptions",
    status_code=status.HTTP_201_CREATED,
    summary="Request an exception as the authenticated identity",
    tags=["exceptions"],
)
def request_exception(
    body: ExceptionRequestBody,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*REQUESTERS))],
) -> ExceptionRequest:
    from releasegate.service.exceptions import request_exception as request

    return request(
        app,
        control_id=body.control,
        requester=principal.identity,
        justification=body.justification,
        expires_in=timedelta(minutes=body.expires_in_minutes),
        release_id=body.release_id,
        service=body.service,
        finding=body.finding,
        compensating_controls=tuple(body.compensating_controls),
        artifact_digest=body.artifact_digest,
    )


@router.post(
    "/exceptions/{exception_id}/approve",
    summary="Approve an exception (never the requester's own)",
    tags=["exceptions"],
)
def approve_exception(
    exception_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*APPROVERS))],
) -> ExceptionRequest:
    from releasegate.service.exceptions import decide_exception

    return decide_exception(app, exception_id, approver=principal.identity, approve=True)


@router.post(
    "/exceptions/{exception_id}/reject", summary="Reject an exception", tags=["exceptions"]
)
def reject_exception(
    exception_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*APPROVERS))],
) -> ExceptionRequest:
    from releasegate.service.exceptions import decide_exception

    return decide_exception(app, exception_id, approver=principal.identity, approve=False)


@router.post(
    "/exceptions/{exception_id}/revoke", summary="Revoke an exception", tags=["exceptions"]
)
def revoke_exception(
    exception_id: str,
    body: RevokeBody,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*REVOKERS))],
) -> ExceptionRequest:
    from releasegate.service.exceptions import revoke_exception as revoke

    return revoke(app, exception_id, identity=principal.identity, reason=body.reason)


# Calendars ---------------------------------------------------------------------


def _midnight_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@router.get("/calendar", summary="Freezes and allowed windows in a span", tags=["calendar"])
def calendar(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
    environment: str = "production",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    from releasegate.service.calendars import calendar_view
    from releasegate.service.gate import parse_environment

    env = parse_environment(environment).value
    first = start or _midnight_today()
    last = end or first + timedelta(days=31)
    return calendar_view(app, service=service, environment=env, start=first, end=last)


@router.get(
    "/calendar/next", summary="When a release of a risk tier may next start", tags=["calendar"]
)
def calendar_next(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str,
    tier: RiskTier,
    environment: str = "production",
    after: datetime | None = None,
    duration_minutes: Annotated[int | None, Query(ge=0, le=31 * 24 * 60)] = None,
) -> dict[str, Any]:
    from releasegate.errors import InputError
    from releasegate.service.calendars import next_allowed
    from releasegate.service.gate import parse_environment

    if after is not None and after.tzinfo is None:
        raise InputError("'after' has no UTC offset", source="after", hint="add Z or +01:00")
    minutes = (
        app.settings.rollout_duration_minutes if duration_minutes is None else duration_minutes
    )
    return next_allowed(
        app,
        service=service,
        environment=parse_environment(environment).value,
        tier=tier,
        after=after or datetime.now(UTC),
        duration=timedelta(minutes=minutes),
    )


# Controls ----------------------------------------------------------------------


@router.get("/controls", summary="The control library for a service", tags=["controls"])
def controls(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
) -> list[dict[str, Any]]:
    from releasegate.service.operations import list_controls

    return list_controls(app, service)


# Identity ----------------------------------------------------------------------


@router.get(
    "/whoami", summary="The authenticated identity, its roles and groups", tags=["identity"]
)
def whoami(
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    return {
        "identity": principal.identity,
        "roles": sorted(r.value for r in principal.roles),
        "groups": list(app.catalog.groups_of(principal.identity)),
        # What the ledger records about the verified credential (`releasegate identity whoami`).
        "credential": principal.credential,
    }


@router.get("/controls/{control_id}", summary="One control with its parameters", tags=["controls"])
def control(
    control_id: str,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    from releasegate.service.operations import control_record

    return control_record(app, control_id)


@router.post(
    "/decisions/{decision_id}/replay",
    summary="Re-evaluate a stored decision with its pinned policy revision",
    tags=["audit"],
)
def replay(
    decision_id: str,
    ctx: ContextDep,
    _: Annotated[Principal, Depends(require(*AUDITORS))],
) -> dict[str, Any]:
    from releasegate.service.operations import replay_document

    with ctx.gate_lock:  # the replay runs the Rego engine like a gate evaluation
        return replay_document(ctx.application, decision_id)
