"""The client interface: the CLI's use cases, with model objects in and out."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from releasegate.client.operations import OperationsClient
from releasegate.model import (
    Approval,
    ApprovalDecision,
    Decision,
    EvidenceRecord,
    ExceptionRequest,
    Release,
    ReleaseManifest,
)

if TYPE_CHECKING:
    from releasegate.evidence.interface import VerificationContext
    from releasegate.service.exception_register import RegisterEntry
    from releasegate.service.rollouts import RolloutConfig


class Client(OperationsClient, Protocol):
    """The use cases the CLI reaches through a transport."""

    def check_identity(self, identity: str | None) -> str:
        """Return the identity that will act; a remote client checks it against its token."""
        ...

    def create_release(self, manifest: ReleaseManifest, *, source: str) -> Release: ...

    def get_release(self, release_id: str) -> Release: ...

    def list_releases(self, *, service: str | None, limit: int) -> list[Release]: ...

    def list_evidence(self, release_id: str) -> list[EvidenceRecord]: ...

    def add_evidence(
        self,
        release_id: str,
        path: Path,
        *,
        format: str | None,
        commit: str | None,
        submitted_by: dict[str, Any] | None = None,
        context: VerificationContext | None = None,
    ) -> EvidenceRecord: ...

    def update_release(
        self, release_id: str, manifest: ReleaseManifest, *, source: str, identity: str
    ) -> Release: ...

    def record_attestation(
        self,
        release_id: str,
        *,
        kind: str,
        name: str,
        identity: str,
        environment: str | None,
        detail: str | None,
    ) -> dict[str, Any]:
        """Record a compensating control in place, or who triggers a deployment."""
        ...

    def record_dr_test(self, document: dict[str, Any], *, source: str) -> dict[str, Any]: ...

    def list_approvals(self, release_id: str) -> list[Approval]: ...

    def approval_history(self, release_id: str) -> list[dict[str, Any]]:
        """Return every approval with its state (current, superseded or lapsed) and why."""
        ...

    def record_approval(
        self,
        release_id: str,
        *,
        approver: str,
        decision: ApprovalDecision,
        comment: str | None,
        role: str | None = None,
        digests: tuple[str, ...] | None = None,
        authenticated: dict[str, Any] | None = None,
    ) -> Approval: ...

    def groups_of(self, identity: str, token_groups: tuple[str, ...] = ()) -> tuple[str, ...]: ...

    def evaluate_gate(
        self,
        release_id: str,
        environment: str,
        *,
        at: datetime | None,
        duration: timedelta | None,
    ) -> Decision: ...

    def list_decisions(self, release_id: str) -> list[Decision]: ...

    def request_exception(
        self,
        *,
        control_id: str,
        requester: str,
        justification: str,
        expires_in: timedelta,
        release_id: str | None,
        service: str | None,
        finding: str | None,
        compensating_controls: tuple[str, ...],
        artifact_digest: str | None = None,
    ) -> ExceptionRequest: ...

    def decide_exception(
        self, exception_id: str, *, approver: str, approve: bool
    ) -> ExceptionRequest: ...

    def revoke_exception(
        self, exception_id: str, *, identity: str, reason: str
    ) -> ExceptionRequest: ...

    def list_exceptions(self, *, service: str | None) -> list[ExceptionRequest]: ...

    def exception_register(
        self, *, service: str | None, state: str | None, expiring_within: timedelta
    ) -> list[RegisterEntry]: ...

    def start_rollout(
        self,
        release_id: str,
        *,
        config: RolloutConfig,
        started_by: str | None,
        start_environment: str | None,
        rehearsal: bool,
    ) -> dict[str, Any]: ...

    def rollout_status(self, rollout_id: str) -> dict[str, Any]: ...

    def find_rollouts(
        self, *, release_id: str | None, state: str | None
    ) -> list[dict[str, Any]]: ...

    def operate_rollout(
        self, action: str, rollout_id: str, *, by: str, reason: str | None
    ) -> dict[str, Any]:
        """Pause, resume, promote or abort a rollout as `by`."""
        ...
