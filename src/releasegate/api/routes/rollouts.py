"""Rollouts: start, list, status, stored measurements, and the operator's commands.

Every route calls the use case the CLI calls (`releasegate.service.rollouts`
and `releasegate.service.rollout_views`). Viewers read; submitters and
release managers start; only release managers pause, resume, promote and
abort.

A rollout started over HTTP runs its deploy target on the server, with the
server's access. So the server rejects the command target, which would run a
program the caller names. The simulator's journal and the synthetic metrics
file must lie inside the server's working folder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from releasegate.api.auth import Principal, Role
from releasegate.api.deps import READERS, SUBMITTERS, AppDep, require
from releasegate.api.observability import bind_release
from releasegate.errors import InputError
from releasegate.service.app import Application

router = APIRouter(prefix="/rollouts", tags=["rollouts"])

OPERATORS = (Role.RELEASE_MANAGER,)
_BODY = "request body"


class TargetSpec(BaseModel):
    """Deploy target, as `releasegate rollout start --target ...` builds it."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["simulator", "command", "webhook", "kubernetes", "argo"]
    journal: str | None = Field(default=None, max_length=1024)
    seconds: float | None = Field(default=None, ge=0, le=3600)
    command: list[str] | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, max_length=2048)
    secret_env: str | None = Field(default=None, max_length=128)
    namespace: str | None = Field(default=None, max_length=253)
    name: str | None = Field(default=None, max_length=253)


class MetricsSpec(BaseModel):
    """Metric provider: Prometheus at `url`, or a synthetic metrics file at `path`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["prometheus", "synthetic"]
    url: str | None = Field(default=None, max_length=2048)
    path: str | None = Field(default=None, max_length=1024)


class StartRequest(BaseModel):
    """A request to start a rollout of a release, acting as the token's identity."""

    model_config = ConfigDict(extra="forbid")

    release_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    target: TargetSpec
    metrics: MetricsSpec
    start_environment: str | None = Field(
        default=None, max_length=32, description="First environment of the rollout."
    )
    time_scale: float = Field(default=1.0, ge=0, le=1000, description="Factor on bake times.")
    lease_seconds: float = Field(default=300.0, ge=1, le=86400)
    planned_start: datetime | None = Field(
        default=None, description="Planned start, RFC 3339 with an offset."
    )
    rehearsal: bool = False


class OperatorRequest(BaseModel):
    """The operator's reason, recorded in the ledger."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


def _inside_home(app: Application, value: str | None, field: str, hint: str) -> str:
    if not value:
        raise InputError(f"{field} is missing", source=_BODY, field=field, hint=hint)
    home = app.settings.home.resolve()
    try:
        path = Path(value)
        resolved = (path if path.is_absolute() else home / path).resolve()
    except (OSError, ValueError) as exc:
        raise InputError(
            f"invalid path {value!r}: {exc}", source=_BODY, field=field, hint=hint
        ) from exc
    if not resolved.is_relative_to(home):
        raise InputError(
            f"{value} lies outside the server's working folder {home}",
            source=_BODY,
            field=field,
            hint=hint,
        )
    return str(resolved)


def _target(app: Application, spec: TargetSpec) -> dict[str, Any]:
    """Check a target for a rollout the server will run, and return its configuration."""
    if spec.kind == "command":
        raise InputError(
            "the command target runs a program on the server and cannot be started over HTTP",
            source=_BODY,
            field="target.kind",
            hint="use a webhook, kubernetes or argo target, or start the rollout in process "
            "on the controller's machine",
        )
    if spec.kind == "simulator":
        config: dict[str, Any] = {
            "kind": "simulator",
            "journal": _inside_home(
                app,
                spec.journal or ".releasegate/simulator.jsonl",
                "target.journal",
                "name a journal file inside the server's working folder",
            ),
        }
        if spec.seconds:
            config["seconds"] = spec.seconds
        return config
    if not spec.url:
        raise InputError(
            f"the {spec.kind} target needs a url",
            source=_BODY,
            field="target.url",
            hint="give the deploy endpoint or the Kubernetes API server",
        )
    if spec.kind == "webhook":
        return {
            "kind": "webhook",
            "url": spec.url,
            "secret_env": spec.secret_env or "RELEASEGATE_WEBHOOK_SECRET",
        }
    if not (spec.namespace and spec.name):
        raise InputError(
            f"the {spec.kind} target needs a namespace and a name",
            source=_BODY,
            field="target.namespace" if not spec.namespace else "target.name",
            hint="give the namespace and the Deployment or Rollout name",
        )
    return {"kind": spec.kind, "url": spec.url, "namespace": spec.namespace, "name": spec.name}


def _metrics(app: Application, spec: MetricsSpec) -> dict[str, Any]:
    if spec.kind == "prometheus":
        if not spec.url:
            raise InputError(
                "the prometheus provider needs a url",
                source=_BODY,
                field="metrics.url",
                hint="give the Prometheus base URL, e.g. http://127.0.0.1:9090",
            )
        return {"kind": "prometheus", "url": spec.url}
    return {
        "kind": "synthetic",
        "path": _inside_home(
            app,
            spec.path,
            "metrics.path",
            "name a synthetic metrics file inside the server's working folder",
        ),
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="Plan and start a rollout")
def start(
    body: StartRequest,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> dict[str, Any]:
    """Plan the rollout from the release's risk tier and the catalog; the controller runs it."""
    from releasegate.service.rollouts import RolloutConfig, start_rollout

    bind_release(body.release_id)
    config = RolloutConfig(
        target=_target(app, body.target),
        metrics=_metrics(app, body.metrics),
        time_scale=body.time_scale,
        lease_seconds=body.lease_seconds,
        planned_start=body.planned_start,
    )
    return start_rollout(
        app,
        body.release_id,
        config=config,
        started_by=principal.identity,
        start_environment=body.start_environment,
        rehearsal=body.rehearsal,
    )


@router.get("", summary="List rollouts, oldest first, by release and state")
def list_rollouts(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    release_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[
        str | None,
        Query(
            max_length=16,
            description="running, paused, rolling_back, succeeded, rolled_back or failed.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    from releasegate.service.rollout_views import find_rollouts

    return find_rollouts(app, release_id=release_id, state=state, limit=limit)


@router.get("/{rollout_id}", summary="A rollout's steps, waves and health verdicts")
def rollout_status(
    rollout_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> dict[str, Any]:
    from releasegate.service.rollouts import rollout_status as status_use_case

    result = status_use_case(app, rollout_id)
    bind_release(result["release_id"])
    return result


@router.get(
    "/{rollout_id}/measurements",
    summary="Every stored indicator measurement and judge score, in the order taken",
)
def measurements(
    rollout_id: str, app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[dict[str, Any]]:
    from releasegate.service.rollout_views import rollout_measurements

    return rollout_measurements(app, rollout_id)


def _operate(
    action: str, app: Application, rollout_id: str, by: str, reason: str | None
) -> dict[str, Any]:
    from releasegate.service import rollouts

    if action == "pause":
        return rollouts.pause_rollout(app, rollout_id, by=by, reason=reason)
    if action == "resume":
        return rollouts.resume_rollout(app, rollout_id, by=by)
    if action == "promote":
        return rollouts.promote_rollout(app, rollout_id, by=by)
    return rollouts.abort_rollout(app, rollout_id, by=by, reason=reason)


@router.post("/{rollout_id}/pause", summary="Pause a running rollout before its next step")
def pause(
    rollout_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*OPERATORS))],
    body: OperatorRequest | None = None,
) -> dict[str, Any]:
    return _operate("pause", app, rollout_id, principal.identity, body.reason if body else None)


@router.post("/{rollout_id}/resume", summary="Resume a paused rollout")
def resume(
    rollout_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*OPERATORS))],
) -> dict[str, Any]:
    return _operate("resume", app, rollout_id, principal.identity, None)


@router.post(
    "/{rollout_id}/promote", summary="Accept the step a paused rollout waits on and continue"
)
def promote(
    rollout_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*OPERATORS))],
) -> dict[str, Any]:
    return _operate("promote", app, rollout_id, principal.identity, None)


@router.post("/{rollout_id}/abort", summary="Abort a rollout and roll back")
def abort(
    rollout_id: str,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*OPERATORS))],
    body: OperatorRequest | None = None,
) -> dict[str, Any]:
    return _operate("abort", app, rollout_id, principal.identity, body.reason if body else None)
