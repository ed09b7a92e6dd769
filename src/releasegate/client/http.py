"""The HTTP transport: the same use cases through the server's API.

Problem details come back as the exception class of their `type`, with the
server's `detail` and `hint`, so the CLI prints the same text as in process.
The acting identity is the token's; `--as` must name it, so that a pipeline
never records an approval under a name it did not mean.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from releasegate.client.operations import HttpOperations
from releasegate.errors import ConfigurationError, InputError, ReleasegateError
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

M = TypeVar("M", bound=BaseModel)
PREFIX = "/api/v1"
# Gate evaluations take seconds on a busy server; everything else is quick.
TIMEOUT = httpx.Timeout(10.0, read=120.0)


BODY_SOURCE = "request body"


def _error(response: httpx.Response, source: str | None = None) -> ReleasegateError:
    """Rebuild the server's error, naming `source` where the server names the request body.

    The server receives JSON only, so its messages name "request body". The
    CLI sent a file, so the message names that file instead, as in process.
    """
    from releasegate.api.problems import error_class

    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or "detail" not in body:
        return ReleasegateError(
            f"the server returned {response.status_code} for {response.request.method} "
            f"{response.request.url.path} without a problem document",
            hint="check RELEASEGATE_URL points at a releasegate server",
        )
    detail = str(body["detail"])
    if source is not None and body.get("source") == BODY_SOURCE and detail.startswith(BODY_SOURCE):
        detail = source + detail[len(BODY_SOURCE) :]
    cls = error_class(str(body.get("type", "")))
    error = cls.__new__(cls)
    ReleasegateError.__init__(error, detail, hint=body.get("hint"))
    return error


class HttpClient(HttpOperations):
    """Calls the releasegate API at `url` with a bearer token."""

    def __init__(self, url: str, token: str, *, transport: httpx.BaseTransport | None = None):
        if not token:
            raise ConfigurationError(
                "RELEASEGATE_URL is set but RELEASEGATE_TOKEN is empty",
                hint="set RELEASEGATE_TOKEN to a token from 'releasegate token create' or an "
                "OIDC token, or unset RELEASEGATE_URL to work in this folder",
            )
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url + PREFIX,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "releasegate-cli"},
            timeout=TIMEOUT,
            transport=transport,
        )
        self._identity: str | None = None
        # Close the connection pool when the client goes, whichever command used it.
        weakref.finalize(self, self._http.close)

    def _call(self, method: str, path: str, *, source: str | None = None, **kwargs: Any) -> Any:
        """Send one request. `source` names the file the body came from, for error messages."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ConfigurationError(
                f"cannot reach the releasegate server at {self.url}: {exc}",
                hint="check RELEASEGATE_URL and that 'releasegate serve' is running",
            ) from exc
        if response.status_code >= 400:
            raise _error(response, source)
        return response.json()

    def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(self._call(method, path, **kwargs))

    def _models(self, model: type[M], path: str, **kwargs: Any) -> list[M]:
        return TypeAdapter(list[model]).validate_python(self._call("GET", path, **kwargs))  # type: ignore[valid-type]

    def whoami(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/whoami")
        return result

    def check_identity(self, identity: str | None) -> str:
        if self._identity is None:
            self._identity = str(self.whoami()["identity"])
        if identity is None:
            return self._identity
        if identity != self._identity:
            raise InputError(
                f"--as {identity} does not match the identity of RELEASEGATE_TOKEN "
                f"({self._identity}); the server acts as the token's identity",
                source="--as",
                hint=f"pass --as {self._identity} or use {identity}'s own token",
            )
        return identity

    def create_release(self, manifest: ReleaseManifest, *, source: str) -> Release:
        return self._model(
            Release, "POST", "/releases", json=manifest.model_dump(mode="json"), source=source
        )

    def get_release(self, release_id: str) -> Release:
        return self._model(Release, "GET", f"/releases/{release_id}")

    def list_releases(self, *, service: str | None, limit: int) -> list[Release]:
        params: dict[str, Any] = {"limit": limit}
        if service:
            params["service"] = service
        return self._models(Release, "/releases", params=params)

    def list_evidence(self, release_id: str) -> list[EvidenceRecord]:
        return self._models(EvidenceRecord, f"/releases/{release_id}/evidence")

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
        """Upload the file; the server records who submitted it from the bearer token.

        Signature checks use the server's own keys and trusted root: --key
        and --trusted-root are refused rather than silently ignored.
        """
        from releasegate.documents import read_bytes

        if context is not None and (context.keys or context.trusted_root is not None):
            raise ConfigurationError(
                "--key and --trusted-root apply only in process; over HTTP the server "
                "verifies signatures with its own trust settings",
                hint="omit them, or unset RELEASEGATE_URL to verify with local keys",
            )

        data = read_bytes(path, what="evidence file")  # the same checks and messages as in process
        form = {k: v for k, v in (("format", format), ("commit", commit)) if v}
        return self._model(
            EvidenceRecord,
            "POST",
            f"/releases/{release_id}/evidence",
            files={"file": (path.name, data)},
            data=form,
        )

    def update_release(
        self, release_id: str, manifest: ReleaseManifest, *, source: str, identity: str
    ) -> Release:
        self.check_identity(identity)
        return self._model(
            Release,
            "PUT",
            f"/releases/{release_id}/manifest",
            json=manifest.model_dump(mode="json"),
            source=source,
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
        self.check_identity(identity)
        body = {"kind": kind, "name": name, "environment": environment, "detail": detail}
        result: dict[str, Any] = self._call(
            "POST", f"/releases/{release_id}/attestations", json=body
        )
        return result

    def record_dr_test(self, document: dict[str, Any], *, source: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/dr-tests", json=document, source=source)
        return result

    def list_approvals(self, release_id: str) -> list[Approval]:
        return self._models(Approval, f"/releases/{release_id}/approvals")

    def approval_history(self, release_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", f"/releases/{release_id}/approvals/history"
        )
        return result

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
        self.check_identity(approver)
        body: dict[str, Any] = {"decision": decision.value, "comment": comment}
        if role is not None:
            body["role"] = role
        if digests is not None:
            body["digests"] = list(digests)
        return self._model(Approval, "POST", f"/releases/{release_id}/approvals", json=body)

    def groups_of(self, identity: str, token_groups: tuple[str, ...] = ()) -> tuple[str, ...]:
        # The server resolves groups, including those granted by the token it verified.
        return tuple(self.whoami().get("groups", ()))

    def evaluate_gate(
        self,
        release_id: str,
        environment: str,
        *,
        at: datetime | None,
        duration: timedelta | None,
    ) -> Decision:
        body: dict[str, Any] = {"environment": environment}
        if at is not None:
            body["at"] = at.isoformat()
        if duration is not None:
            body["duration_minutes"] = int(duration.total_seconds() // 60)
        return self._model(Decision, "POST", f"/releases/{release_id}/decisions", json=body)

    def list_decisions(self, release_id: str) -> list[Decision]:
        return self._models(Decision, f"/releases/{release_id}/decisions")

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
        self.check_identity(requester)
        body: dict[str, Any] = {
            "control": control_id,
            "justification": justification,
            "expires_in_minutes": max(1, int(expires_in.total_seconds() // 60)),
            "release_id": release_id,
            "service": service,
            "finding": finding,
            "compensating_controls": list(compensating_controls),
        }
        if artifact_digest is not None:
            body["artifact_digest"] = artifact_digest
        return self._model(ExceptionRequest, "POST", "/exceptions", json=body)

    def decide_exception(
        self, exception_id: str, *, approver: str, approve: bool
    ) -> ExceptionRequest:
        self.check_identity(approver)
        action = "approve" if approve else "reject"
        return self._model(ExceptionRequest, "POST", f"/exceptions/{exception_id}/{action}")

    def revoke_exception(
        self, exception_id: str, *, identity: str, reason: str
    ) -> ExceptionRequest:
        self.check_identity(identity)
        return self._model(
            ExceptionRequest, "POST", f"/exceptions/{exception_id}/revoke", json={"reason": reason}
        )

    def list_exceptions(self, *, service: str | None) -> list[ExceptionRequest]:
        return self._models(
            ExceptionRequest, "/exceptions", params={"service": service} if service else None
        )

    def exception_register(
        self, *, service: str | None, state: str | None, expiring_within: timedelta
    ) -> list[RegisterEntry]:
        """The register from the server's exceptions, with states at this machine's clock."""
        from datetime import UTC
        from datetime import datetime as clock

        from releasegate.service.exception_register import RegisterEntry, exception_state

        now = clock.now(UTC)
        entries = []
        for exception in self.list_exceptions(service=service):
            current = exception_state(exception, now)
            if state is not None and current != state:
                continue
            soon = current == "active" and exception.expires_at - now <= expiring_within
            entries.append(RegisterEntry(exception, current, soon))
        return entries

    def start_rollout(
        self,
        release_id: str,
        *,
        config: RolloutConfig,
        started_by: str | None,
        start_environment: str | None,
        rehearsal: bool,
    ) -> dict[str, Any]:
        """Start on the server, whose controller runs the rollout with the server's access.

        Paths in the configuration were resolved here; the server accepts
        them only inside its working folder.
        """
        self.check_identity(started_by)
        body: dict[str, Any] = {
            "release_id": release_id,
            "target": config.target,
            "metrics": config.metrics,
            "start_environment": start_environment,
            "time_scale": config.time_scale,
            "lease_seconds": config.lease_seconds,
            "rehearsal": rehearsal,
        }
        if config.planned_start is not None:
            body["planned_start"] = config.planned_start.isoformat()
        result: dict[str, Any] = self._call("POST", "/rollouts", json=body)
        return result

    def rollout_status(self, rollout_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/rollouts/{rollout_id}")
        return result

    def find_rollouts(self, *, release_id: str | None, state: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("release_id", release_id), ("state", state)) if v}
        result: list[dict[str, Any]] = self._call("GET", "/rollouts", params=params)
        return result

    def operate_rollout(
        self, action: str, rollout_id: str, *, by: str, reason: str | None
    ) -> dict[str, Any]:
        self.check_identity(by)
        body = {"reason": reason} if action in ("pause", "abort") and reason else None
        result: dict[str, Any] = self._call("POST", f"/rollouts/{rollout_id}/{action}", json=body)
        return result
