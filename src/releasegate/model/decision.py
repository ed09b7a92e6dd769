"""Risk assessments, per-control results and gate decisions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import Field

from releasegate.model.common import Frozen, NonEmpty


class RiskTier(enum.StrEnum):
    """Risk tier computed by policy, lowest to highest."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RiskContribution(Frozen):
    """One factor that raised (or set) the risk score, with its reason."""

    factor: NonEmpty
    points: int
    reason: NonEmpty


class RiskAssessment(Frozen):
    """The tier, the score behind it and every contribution."""

    tier: RiskTier
    score: int
    contributions: tuple[RiskContribution, ...]


class ControlOutcome(enum.StrEnum):
    """Result of one control for one decision."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Violation(Frozen):
    """One reason a control failed; `key` identifies a finding for scoped waivers."""

    msg: NonEmpty
    key: str | None = None
    waived_by: str | None = None


class ControlResult(Frozen):
    """A control's outcome with its reasons and the fix shown to the user."""

    control_id: NonEmpty
    title: NonEmpty
    layer: NonEmpty
    blocking: bool
    outcome: ControlOutcome
    violations: tuple[Violation, ...] = ()
    mode: str = Field(
        default="enforce", description="enforce, or report for a control in shadow mode."
    )
    remediation: str = ""
    frameworks: tuple[str, ...] = ()
    pending: bool = Field(
        default=False,
        description="The control fails only for want of approvals that may still come.",
    )


class DecisionOutcome(enum.StrEnum):
    """Gate verdict: allow, deny, or pending (only approvals are missing)."""

    ALLOW = "allow"
    DENY = "deny"
    PENDING = "pending"


class Decision(Frozen):
    """The gate's verdict for one release and environment."""

    id: NonEmpty
    release_id: NonEmpty
    environment: NonEmpty
    outcome: DecisionOutcome
    policy_revision: NonEmpty
    input_sha256: NonEmpty
    risk: RiskAssessment | None
    results: tuple[ControlResult, ...]
    warnings: tuple[str, ...] = ()
    engine: str = Field(default="", description="Rego engine name and version.")
    policy_files_sha256: str = Field(
        default="", description="Blob of the policy files' manifest, kept for replay."
    )
    evaluated_at: datetime
    input_document: dict[str, Any] | None = Field(default=None, exclude=True)
