"""The in-process transport: each method is one call into `releasegate.service`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasegate.client.operations import LocalOperations
from releasegate.model import (
    Approval,
    ApprovalDecision,
    Decision,
    EvidenceRecord,
    ExceptionRequest,
    Release,
    ReleaseManifest,
)
from releasegate.service.app import Application

if TYPE_CHECKING:
    from releasegate.evidence.interface import VerificationContext
    from releasegate.service.exception_register import RegisterEntry
    from releasegate.service.rollouts import RolloutConfig


class LocalClient(LocalOperations):
    """Runs the use cases against the embedded database of the working folder.

    NOTE: in process, the acting identity is the one given with --as unless
    the caller verified a credential (see `releasegate.cli.identity`); the
    embedded mode trusts the operator of the working folder.
    """

    def __init__(self, application: Application) -> None:
        self.application = application

    def check_identity(self, identity: str | None) -> str:
        if identity is None:
            from releasegate.errors import InputError

            raise InputError("no acting identity", source="--as", hint="pass --as NAME")
        return identity

    def create_release(self, manifest: ReleaseManifest, *, source: str) -> Release:
        from releasegate.service.releases import create_release

        return create_release(self.application, manifest, source=source)

    def get_release(self, release_id: str) -> Release:
        from releasegate.service.releases import get_release

        return get_release(self.application, release_id)

    def list_releases(self, *, service: str | None, limit: int) -> list[Release]:
        from releasegate.service.releases import list_releases

        return list_releases(self.application, service=service, limit=limit)

    def list_evidence(self, release_id: str) -> list[EvidenceRecord]:
        from releasegate.service.evidence import load_evidence

        return [record for record, _facts in load_evidence(self.application, release_id)]

    def add_evidence(
        self,
        release_id: str,
        path: Path,
        *,
        format: str | None,
        commit: str | None,
        submitted_by: dict[str, Any] | None = None,
        context: VerificationContext | None = None,
    ) -> EvidenceRecord:
        from releasegate.service.evidence import add_evidence

        return add_evidence(
            self.application,
            release_id,
            path,
            format=format,
            commit=commit,
            submitted_by=submitted_by,
            context=context,
        )

    def update_release(
        self, release_id: str, manifest: ReleaseManifest, *, source: str, identity: str
    ) -> Release:
        from releasegate.service.releases import update_release

        return update_release(
            self.application, release_id, manifest, source=source, identity=identity
        )

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
        from releasegate.service.emergency import record_attestation

        return record_attestation(
            self.application,
            release_id,
            kind=kind,
            name=name,
            identity=identity,
            environment=environment,
            detail=detail,
        )

    def record_dr_test(self, document: dict[str, Any], *, source: str) -> dict[str, Any]:
        from releasegate.service.rollouts import record_dr_test

        return record_dr_test(self.application, document, source=source)

    def list_approvals(self, release_id: str) -> list[Approval]:
        from releasegate.service.approvals import list_approvals

        return list_approvals(self.application, release_id)

    def approval_history(self, release_id: str) -> list[dict[str, Any]]:
        from releasegate.service.approvals import approval_history

        return approval_history(self.application, release_id)

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
    ) -> Approval:
        from releasegate.service.approvals import record_approval

        return record_approval(
            self.application,
            release_id,
            approver=approver,
            decision=decision,
            comment=comment,
            role=role,
            digests=digests,
            authenticated=authenticated,
        )

    def groups_of(self, identity: str, token_groups: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Catalog groups of `identity`, with those its verified token was granted."""
        application = self.application
        return tuple(application.directory.groups_of(application.catalog, identity, token_groups))

    def evaluate_gate(
        self,
        release_id: str,
        environment: str,
        *,
        at: datetime | None,
        duration: timedelta | None,
    ) -> Decision:
        from releasegate.service.gate import evaluate_gate

        return evaluate_gate(self.application, release_id, environment, at=at, duration=duration)

    def list_decisions(self, release_id: str) -> list[Decision]:
        from releasegate.service.gate import list_decisions

        return list_decisions(self.application, release_id)

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
    ) -> ExceptionRequest:
        from releasegate.service.exceptions import request_exception

        return request_exception(
            self.application,
            control_id=control_id,
            requester=requester,
            justification=justification,
            expires_in=expires_in,
            release_id=release_id,
            service=service,
            finding=finding,
            compensating_controls=compensating_controls,
            artifact_digest=artifact_digest,
        )

    def decide_exception(
        self, exception_id: str, *, approver: str, approve: bool
    ) -> ExceptionRequest:
        from releasegate.service.exceptions import decide_exception

        return decide_exception(self.application, exception_id, approver=approver, approve=approve)

    def revoke_exception(
        self, exception_id: str, *, identity: str, reason: str
    ) -> ExceptionRequest:
        from releasegate.service.exceptions import revoke_exception

        return revoke_exception(self.application, exception_id, identity=identity, reason=reason)

    def list_exceptions(self, *, service: str | None) -> list[ExceptionRequest]:
        from releasegate.service.exceptions import list_exceptions

        return list_exceptions(self.application, service=service)

    def exception_register(
        self, *, service: str | None, state: str | None, expiring_within: timedelta
    ) -> list[RegisterEntry]:
        from releasegate.service.exception_register import exception_register

        return exception_register(
            self.application, service=service, state=state, expiring_within=expiring_within
        )

    def start_rollout(
        self,
        release_id: str,
        *,
        config: RolloutConfig,
        started_by: str | None,
        start_environment: str | None,
        rehearsal: bool,
    ) -> dict[str, Any]:
        from releasegate.service.rollouts import start_rollout

        return start_rollout(
            self.application,
            release_id,
            config=config,
            started_by=started_by or "pipeline",
            start_environment=start_environment,
            rehearsal=rehearsal,
        )

    def rollout_status(self, rollout_id: str) -> dict[str, Any]:
        from releasegate.service.rollouts import rollout_status

        return rollout_status(self.application, rollout_id)

    def find_rollouts(self, *, release_id: str | None, state: str | None) -> list[dict[str, Any]]:
        from releasegate.service.rollout_views import find_rollouts

        return find_rollouts(self.application, release_id=release_id, state=state)

    def operate_rollout(
        self, action: str, rollout_id: str, *, by: str, reason: str | None
    ) -> dict[str, Any]:
        from releasegate.service import rollouts

        if action == "pause":
            return rollouts.pause_rollout(self.application, rollout_id, by=by, reason=reason)
        if action == "resume":
            return rollouts.resume_rollout(self.application, rollout_id, by=by)
        if action == "promote":
            return rollouts.promote_rollout(self.application, rollout_id, by=by)
        return rollouts.abort_rollout(self.application, rollout_id, by=by, reason=reason)
