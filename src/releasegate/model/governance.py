"""Approvals and exceptions: the human decisions around a release."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field, model_validator

from releasegate.model.common import Frozen, Identity, NonEmpty


class ApprovalDecision(enum.StrEnum):
    """An approver's verdict."""

    APPROVE = "approve"
    REJECT = "reject"


class Approval(Frozen):
    """An identity's verdict on a release, bound to its digests and policy revision."""

    id: NonEmpty
    release_id: NonEmpty
    approver: Identity
    decision: ApprovalDecision
    artifact_digests: tuple[str, ...] = Field(min_length=1)
    policy_revision: NonEmpty
    comment: str | None = None
    created_at: datetime
    expires_at: datetime
    role: str | None = Field(
        default=None, description="The approval role the approver acted in, e.g. engineering."
    )
    source_commit: str | None = Field(
        default=None, description="The release's source commit when the approval was given."
    )
    commit_shas: tuple[str, ...] = Field(
        default=(), description="The release's listed commits when the approval was given."
    )
    token_groups: tuple[str, ...] = Field(
        default=(),
        description="Catalog groups the approver's verified OIDC token granted through the "
        "issuer's group_map, read from the approval's ledger entry.",
    )


class ExceptionStatus(enum.StrEnum):
    """Life cycle of an exception request."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class ExceptionScope(Frozen):
    """Scope of an exception: always a service, optionally one release, digest or finding."""

    service: NonEmpty
    release_id: NonEmpty | None = None
    artifact_digest: NonEmpty | None = Field(
        default=None, description="Digest of the one artifact the exception applies to."
    )
    finding: NonEmpty | None = Field(
        default=None, description="Rule id, CVE id or fingerprint of one finding."
    )


class ExceptionRequest(Frozen):
    """A time-bound, scoped permission to fail one control."""

    id: NonEmpty
    control_id: str = Field(pattern=r"^[A-Z]{2,5}-[0-9]{1,3}$")
    scope: ExceptionScope
    justification: NonEmpty
    compensating_controls: tuple[NonEmpty, ...] = ()
    requester: Identity
    requested_at: datetime
    expires_at: datetime
    status: ExceptionStatus
    approver: Identity | None = None
    decided_at: datetime | None = None

    @model_validator(mode="after")
    def _expiry_after_request(self) -> ExceptionRequest:
        if self.expires_at <= self.requested_at:
            raise ValueError("expires_at must be later than requested_at")
        return self
