"""Ledger keys, policy checks, identities, tokens, reviews, recovery tests and governance.

Every route returns the document of `releasegate.service.operations` that
the CLI prints in process. Actions take the acting identity from the
principal, never from the request body.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from releasegate.api.auth import Principal, Role
from releasegate.api.deps import APPROVERS, READERS, SUBMITTERS, AppDep, ContextDep, require
from releasegate.errors import InputError
from releasegate.identity.tokens import MAX_LIFETIME
from releasegate.rollout.resilience import DisasterRecoveryTest

router = APIRouter()

ADMINS = (Role.ADMIN,)
# Post-release reviews are held by approvers and release managers.
REVIEWERS = APPROVERS


class RotateKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=4000)


class TokenBody(BaseModel):
    """A personal API token to create; the acting admin is the creator."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="Where the token is used, e.g. 'laptop'.")
    expires_in_minutes: int = Field(gt=0, le=int(MAX_LIFETIME.total_seconds() // 60))
    owner: str | None = Field(
        default=None, max_length=200, description="Person the token is for (default: the caller)."
    )
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))


class ProposalBody(BaseModel):
    """A proposed new content of a governed file, named relative to the server's folder."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(max_length=1000, description="e.g. policies/enterprise/data.yaml")
    content: str = Field(max_length=5 * 1024 * 1024)
    reason: str = Field(max_length=4000)


class FindingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: str = Field(max_length=20000)


# ledger key ---------------------------------------------------------------------


@router.get(
    "/ledger/key", summary="The log's origin, current key and earlier keys", tags=["ledger"]
)
def ledger_key(app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]) -> dict[str, Any]:
    from releasegate.service.operations import ledger_key as key

    return key(app)


@router.post("/ledger/key/rotate", summary="Replace the log key", tags=["ledger"])
def rotate_ledger_key(
    body: RotateKeyBody, app: AppDep, _: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import rotate_ledger_key as rotate

    return rotate(app, reason=body.reason)


# policy -------------------------------------------------------------------------


@router.get("/policy/check", summary="Compile the policy layers of each service", tags=["policy"])
def policy_check(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
) -> list[dict[str, Any]]:
    from releasegate.service.operations import check_policies

    return check_policies(app, service)


@router.post(
    "/policy/eval",
    summary="Evaluate a policy input document against the current layers; nothing is stored",
    tags=["policy"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def policy_eval(
    request: Request,
    ctx: ContextDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    """Read the raw body, so that the errors name the same fields as in process."""
    from releasegate.service.operations import evaluate_input

    raw = await request.body()
    if len(raw) > ctx.max_upload_bytes:
        raise InputError(
            f"the input document is larger than {ctx.max_upload_bytes} bytes",
            source="request body",
            hint="send a smaller document",
        )

    def evaluate() -> dict[str, Any]:
        with ctx.gate_lock:  # the Rego engine runs one evaluation at a time
            return evaluate_input(ctx.application, raw, source="request body")

    return await run_in_threadpool(evaluate)


# identities ---------------------------------------------------------------------


@router.get("/identities", summary="Every known person", tags=["identity"])
def identities(
    app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> list[dict[str, Any]]:
    from releasegate.service.operations import list_identities

    return list_identities(app)


@router.get("/identities/{alias}", summary="The person behind an alias", tags=["identity"])
def identity(
    alias: str,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
) -> dict[str, Any]:
    from releasegate.service.operations import show_identity

    return show_identity(app, alias, service)


# tokens -------------------------------------------------------------------------


@router.get("/tokens", summary="Personal API tokens, never their secrets", tags=["identity"])
def tokens(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*ADMINS))],
    person: str | None = None,
) -> list[dict[str, Any]]:
    from releasegate.service.operations import list_tokens

    return list_tokens(app, person)


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal API token; the response carries its secret once",
    tags=["identity"],
)
def create_token(
    body: TokenBody, app: AppDep, principal: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import create_token as create

    return create(
        app,
        owner=body.owner or principal.identity,
        name=body.name,
        expires_in=timedelta(minutes=body.expires_in_minutes),
        created_by=principal.identity,
        roles=tuple(r.value for r in body.roles),
    )


@router.post("/tokens/{token_id}/revoke", summary="Revoke a personal API token", tags=["identity"])
def revoke_token(
    token_id: str, app: AppDep, principal: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import revoke_token as revoke

    return revoke(app, token_id, revoked_by=principal.identity)


# disaster recovery tests -----------------------------------------------------------


@router.post(
    "/dr-tests",
    status_code=status.HTTP_201_CREATED,
    summary="Record a disaster recovery test result, read by RES-2",
    tags=["resilience"],
)
def record_dr_test(
    body: DisasterRecoveryTest,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*SUBMITTERS))],
) -> dict[str, Any]:
    from releasegate.service.rollouts import record_dr_test as record

    return record(app, body.model_dump(mode="json"), source="request body")


# post-release reviews ---------------------------------------------------------------


@router.get("/reviews", summary="Post-release reviews of emergency changes", tags=["reviews"])
def reviews(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    service: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    from releasegate.service.operations import list_reviews

    return list_reviews(app, service, state)


@router.post(
    "/reviews/{review_id}/complete",
    summary="Record a post-release review as the authenticated identity",
    tags=["reviews"],
)
def complete_review(
    review_id: str,
    body: FindingsBody,
    app: AppDep,
    principal: Annotated[Principal, Depends(require(*REVIEWERS))],
) -> dict[str, Any]:
    from releasegate.service.operations import complete_review as complete

    return complete(app, review_id, reviewer=principal.identity, findings=body.findings)


# governance ---------------------------------------------------------------------


@router.get(
    "/governance/proposals", summary="Proposed changes to governed files", tags=["governance"]
)
def proposals(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    status: str | None = None,
) -> list[dict[str, Any]]:
    from releasegate.service.operations import list_proposals

    return list_proposals(app, status)


@router.post(
    "/governance/proposals",
    status_code=status.HTTP_201_CREATED,
    summary="Propose a change to a governed file as the authenticated identity",
    tags=["governance"],
)
def propose(
    body: ProposalBody, app: AppDep, principal: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import propose_content

    if Path(body.target).is_absolute():
        raise InputError(
            f"{body.target} is an absolute path",
            source="request body",
            field="target",
            hint="name the governed file relative to the server's working folder",
        )
    return propose_content(
        app,
        body.target,
        body.content.encode("utf-8"),
        source="request body: content",
        proposer=principal.identity,
        reason=body.reason,
    )


@router.post(
    "/governance/proposals/{proposal_id}/approve",
    summary="Approve a proposal and write the file (never the proposer's own)",
    tags=["governance"],
)
def approve_proposal(
    proposal_id: str, app: AppDep, principal: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import decide_proposal

    return decide_proposal(app, proposal_id, approver=principal.identity, approve=True)


@router.post(
    "/governance/proposals/{proposal_id}/reject",
    summary="Reject a proposal",
    tags=["governance"],
)
def reject_proposal(
    proposal_id: str, app: AppDep, principal: Annotated[Principal, Depends(require(*ADMINS))]
) -> dict[str, Any]:
    from releasegate.service.operations import decide_proposal

    return decide_proposal(app, proposal_id, approver=principal.identity, approve=False)
