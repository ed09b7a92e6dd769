"""Ledger, audit, policy, identity, token, review and governance use cases of the client.

Each method returns the JSON document of `releasegate.service.operations`:
the in-process transport builds it, the HTTP transport receives it from the
route that builds it. Options that name files on this machine (a checkpoint
kept by an auditor, trusted key files) apply only in process. The HTTP
transport rejects them, because ignoring them would check less than the
user requested.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from releasegate.errors import ConfigurationError, InputError

if TYPE_CHECKING:
    import httpx

    from releasegate.service.app import Application

Document = dict[str, Any]


class OperationsClient(Protocol):
    """The use cases behind the ledger, audit, policy, identity and governance commands."""

    def ledger_chain(self, release_id: str) -> list[Document]: ...

    def verify_ledger(
        self,
        *,
        deep: bool,
        checkpoint_file: Path | None = None,
        key_files: tuple[Path, ...] = (),
        progress: Any = None,
    ) -> Document: ...

    def sign_checkpoint(self) -> Document: ...

    def inclusion_proof(self, index: int, *, checkpoint_file: Path | None = None) -> Document: ...

    def consistency_proof(self, old: str, new: str) -> Document: ...

    def ledger_key(self) -> Document: ...

    def rotate_ledger_key(self, *, reason: str | None) -> Document: ...

    def export_bundle(self, release_id: str, destination: Path) -> Document: ...

    def check_policies(self, service: str | None) -> list[Document]: ...

    def list_controls(self, service: str | None) -> list[Document]: ...

    def evaluate_input(self, path: Path) -> Document: ...

    def control_record(self, control_id: str) -> Document: ...

    def replay_decision(self, decision_id: str) -> Document: ...

    def show_identity(self, alias: str, service: str | None) -> Document: ...

    def list_identities(self) -> list[Document]: ...

    def credential_record(self, token: str | None) -> Document: ...

    def create_token(
        self,
        *,
        owner: str | None,
        name: str,
        expires_in: timedelta,
        created_by: str,
        roles: tuple[str, ...],
    ) -> Document: ...

    def list_tokens(self, person: str | None) -> list[Document]: ...

    def revoke_token(self, token_id: str, *, revoked_by: str) -> Document: ...

    def list_reviews(self, service: str | None, state: str | None) -> list[Document]: ...

    def complete_review(self, review_id: str, *, reviewer: str, findings: str) -> Document: ...

    def list_proposals(self, status: str | None) -> list[Document]: ...

    def propose_change(
        self, target: Path, content_file: Path, *, proposer: str, reason: str
    ) -> Document: ...

    def decide_proposal(self, proposal_id: str, *, approver: str, approve: bool) -> Document: ...


class LocalOperations:
    """The in-process transport of `OperationsClient`: one call into the service per method."""

    application: Application

    def ledger_chain(self, release_id: str) -> list[Document]:
        from releasegate.service.operations import ledger_chain

        return ledger_chain(self.application, release_id)

    def verify_ledger(
        self,
        *,
        deep: bool,
        checkpoint_file: Path | None = None,
        key_files: tuple[Path, ...] = (),
        progress: Any = None,
    ) -> Document:
        from releasegate.service.operations import verify_ledger

        return verify_ledger(
            self.application,
            deep=deep,
            checkpoint_file=checkpoint_file,
            key_files=key_files,
            progress=progress,
        )

    def sign_checkpoint(self) -> Document:
        from releasegate.service.operations import sign_checkpoint

        return sign_checkpoint(self.application)

    def inclusion_proof(self, index: int, *, checkpoint_file: Path | None = None) -> Document:
        from releasegate.service.operations import inclusion_proof

        return inclusion_proof(self.application, index, checkpoint_file=checkpoint_file)

    def consistency_proof(self, old: str, new: str) -> Document:
        from releasegate.service.operations import consistency_proof

        return consistency_proof(self.application, old, new)

    def ledger_key(self) -> Document:
        from releasegate.service.operations import ledger_key

        return ledger_key(self.application)

    def rotate_ledger_key(self, *, reason: str | None) -> Document:
        from releasegate.service.operations import rotate_ledger_key

        return rotate_ledger_key(self.application, reason=reason)

    def export_bundle(self, release_id: str, destination: Path) -> Document:
        from releasegate.service.audit import export_bundle
        from releasegate.service.operations import bundle_document

        return bundle_document(export_bundle(self.application, release_id, destination))

    def check_policies(self, service: str | None) -> list[Document]:
        from releasegate.service.operations import check_policies

        return check_policies(self.application, service)

    def list_controls(self, service: str | None) -> list[Document]:
        from releasegate.service.operations import list_controls

        return list_controls(self.application, service)

    def evaluate_input(self, path: Path) -> Document:
        from releasegate.documents import read_bytes
        from releasegate.service.operations import evaluate_input

        raw = read_bytes(path, what="input document")
        return evaluate_input(self.application, raw, source=str(path))

    def control_record(self, control_id: str) -> Document:
        from releasegate.service.operations import control_record

        return control_record(self.application, control_id)

    def replay_decision(self, decision_id: str) -> Document:
        from releasegate.service.operations import replay_document

        return replay_document(self.application, decision_id)

    def show_identity(self, alias: str, service: str | None) -> Document:
        from releasegate.service.operations import show_identity

        return show_identity(self.application, alias, service)

    def list_identities(self) -> list[Document]:
        from releasegate.service.operations import list_identities

        return list_identities(self.application)

    def credential_record(self, token: str | None) -> Document:
        from releasegate.identity.auth import authenticate

        if not token:
            raise InputError(
                "no credential given",
                source="--token",
                hint="pass --token or set RELEASEGATE_TOKEN",
            )
        return authenticate(self.application, token).record()

    def create_token(
        self,
        *,
        owner: str | None,
        name: str,
        expires_in: timedelta,
        created_by: str,
        roles: tuple[str, ...],
    ) -> Document:
        from releasegate.service.operations import create_token

        return create_token(
            self.application,
            owner=owner or created_by,
            name=name,
            expires_in=expires_in,
            created_by=created_by,
            roles=roles,
        )

    def list_tokens(self, person: str | None) -> list[Document]:
        from releasegate.service.operations import list_tokens

        return list_tokens(self.application, person)

    def revoke_token(self, token_id: str, *, revoked_by: str) -> Document:
        from releasegate.service.operations import revoke_token

        return revoke_token(self.application, token_id, revoked_by=revoked_by)

    def list_reviews(self, service: str | None, state: str | None) -> list[Document]:
        from releasegate.service.operations import list_reviews

        return list_reviews(self.application, service, state)

    def complete_review(self, review_id: str, *, reviewer: str, findings: str) -> Document:
        from releasegate.service.operations import complete_review

        return complete_review(self.application, review_id, reviewer=reviewer, findings=findings)

    def list_proposals(self, status: str | None) -> list[Document]:
        from releasegate.service.operations import list_proposals

        return list_proposals(self.application, status)

    def propose_change(
        self, target: Path, content_file: Path, *, proposer: str, reason: str
    ) -> Document:
        from releasegate.documents import read_bytes
        from releasegate.service.operations import propose_content

        content = read_bytes(content_file, what="proposed content")
        return propose_content(
            self.application,
            str(target),
            content,
            source=str(content_file),
            proposer=proposer,
            reason=reason,
        )

    def decide_proposal(self, proposal_id: str, *, approver: str, approve: bool) -> Document:
        from releasegate.service.operations import decide_proposal

        return decide_proposal(self.application, proposal_id, approver=approver, approve=approve)


def _local_only(option: str, reason: str) -> ConfigurationError:
    from releasegate.client import URL_VARIABLE

    return ConfigurationError(
        f"{option} applies only in process: {reason}",
        hint=f"omit {option}, or unset {URL_VARIABLE} to run the command in the working folder",
    )


class HttpOperations:
    """The HTTP transport of `OperationsClient`, on the host class's `_call` and `_http`."""

    _http: httpx.Client
    url: str

    if TYPE_CHECKING:  # provided by HttpClient

        def _call(self, method: str, path: str, **kwargs: Any) -> Any: ...

        def check_identity(self, identity: str | None) -> str: ...

    def ledger_chain(self, release_id: str) -> list[Document]:
        entries = self._call("GET", f"/releases/{release_id}/ledger")
        return [{"index": e["index"], "leaf_hash": e["leaf_hash"], **e["body"]} for e in entries]

    def verify_ledger(
        self,
        *,
        deep: bool,
        checkpoint_file: Path | None = None,
        key_files: tuple[Path, ...] = (),
        progress: Any = None,
    ) -> Document:
        if checkpoint_file is not None:
            raise _local_only(
                "--checkpoint", "the server cannot read a checkpoint file on this machine"
            )
        if key_files:
            raise _local_only("--key", "over HTTP the server checks with its own log keys")
        result: Document = self._call("GET", "/ledger/verify", params={"deep": deep})
        return result

    def sign_checkpoint(self) -> Document:
        result: Document = self._call("POST", "/ledger/checkpoints")
        return result

    def inclusion_proof(self, index: int, *, checkpoint_file: Path | None = None) -> Document:
        if checkpoint_file is not None:
            raise _local_only(
                "--checkpoint", "the server cannot read a checkpoint file on this machine"
            )
        result: Document = self._call("GET", f"/ledger/proofs/inclusion/{index}")
        return result

    def consistency_proof(self, old: str, new: str) -> Document:
        sizes = {}
        for name, value in (("OLD", old), ("NEW", new)):
            if not value.isdigit():
                raise InputError(
                    f"{value!r} is not a tree size; over HTTP the proof takes sizes only",
                    source=name,
                    hint="pass tree sizes, or unset RELEASEGATE_URL to use checkpoint files",
                )
            sizes[name.lower()] = int(value)
        result: Document = self._call("GET", "/ledger/proofs/consistency", params=sizes)
        return result

    def ledger_key(self) -> Document:
        result: Document = self._call("GET", "/ledger/key")
        return result

    def rotate_ledger_key(self, *, reason: str | None) -> Document:
        result: Document = self._call("POST", "/ledger/key/rotate", json={"reason": reason})
        return result

    def export_bundle(self, release_id: str, destination: Path) -> Document:
        """Stream the bundle into a temporary file beside `destination`, then rename it."""
        import httpx

        from releasegate.client.http import _error

        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
        )
        try:
            path = f"/releases/{release_id}/audit-bundle"
            with os.fdopen(handle, "wb") as out, self._http.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                summary = json.loads(response.headers["X-Releasegate-Bundle"])
                for chunk in response.iter_bytes(chunk_size=1 << 16):
                    out.write(chunk)
            os.replace(partial, destination)
        except httpx.HTTPError as exc:
            raise ConfigurationError(
                f"cannot download the audit bundle from {self.url}: {exc}",
                hint="check RELEASEGATE_URL and that 'releasegate serve' is running",
            ) from exc
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        result: Document = summary
        return result

    def check_policies(self, service: str | None) -> list[Document]:
        result: list[Document] = self._call("GET", "/policy/check", params=_query(service=service))
        return result

    def list_controls(self, service: str | None) -> list[Document]:
        result: list[Document] = self._call("GET", "/controls", params=_query(service=service))
        return result

    def evaluate_input(self, path: Path) -> Document:
        from releasegate.documents import read_bytes

        raw = read_bytes(path, what="input document")
        result: Document = self._call(
            "POST", "/policy/eval", content=raw, headers={"Content-Type": "application/json"}
        )
        return result

    def control_record(self, control_id: str) -> Document:
        result: Document = self._call("GET", f"/controls/{control_id}")
        return result

    def replay_decision(self, decision_id: str) -> Document:
        result: Document = self._call("POST", f"/decisions/{decision_id}/replay")
        return result

    def show_identity(self, alias: str, service: str | None) -> Document:
        result: Document = self._call("GET", f"/identities/{alias}", params=_query(service=service))
        return result

    def list_identities(self) -> list[Document]:
        result: list[Document] = self._call("GET", "/identities")
        return result

    def credential_record(self, token: str | None) -> Document:
        # The server verified RELEASEGATE_TOKEN; --token is that same value over HTTP.
        result: Document = self._call("GET", "/whoami")["credential"]
        return result

    def create_token(
        self,
        *,
        owner: str | None,
        name: str,
        expires_in: timedelta,
        created_by: str,
        roles: tuple[str, ...],
    ) -> Document:
        self.check_identity(created_by)
        body = {
            "name": name,
            "expires_in_minutes": max(1, int(expires_in.total_seconds() // 60)),
            "owner": owner,
            "roles": list(roles),
        }
        result: Document = self._call("POST", "/tokens", json=body)
        return result

    def list_tokens(self, person: str | None) -> list[Document]:
        result: list[Document] = self._call("GET", "/tokens", params=_query(person=person))
        return result

    def revoke_token(self, token_id: str, *, revoked_by: str) -> Document:
        self.check_identity(revoked_by)
        result: Document = self._call("POST", f"/tokens/{token_id}/revoke")
        return result

    def list_reviews(self, service: str | None, state: str | None) -> list[Document]:
        result: list[Document] = self._call(
            "GET", "/reviews", params=_query(service=service, state=state)
        )
        return result

    def complete_review(self, review_id: str, *, reviewer: str, findings: str) -> Document:
        self.check_identity(reviewer)
        result: Document = self._call(
            "POST", f"/reviews/{review_id}/complete", json={"findings": findings}
        )
        return result

    def list_proposals(self, status: str | None) -> list[Document]:
        result: list[Document] = self._call(
            "GET", "/governance/proposals", params=_query(status=status)
        )
        return result

    def propose_change(
        self, target: Path, content_file: Path, *, proposer: str, reason: str
    ) -> Document:
        """Send the file's text; the server resolves `target` in its own working folder."""
        from releasegate.documents import read_bytes

        self.check_identity(proposer)
        if target.is_absolute():
            raise InputError(
                f"{target} is an absolute path; over HTTP the server resolves TARGET in its "
                "own working folder",
                source="TARGET",
                hint="name the governed file relative to the server's folder, "
                "e.g. policies/enterprise/data.yaml",
            )
        raw = read_bytes(content_file, what="proposed content")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                "the proposed content is not UTF-8 text",
                source=str(content_file),
                hint="save as UTF-8",
            ) from exc
        body = {"target": target.as_posix(), "content": text, "reason": reason}
        result: Document = self._call("POST", "/governance/proposals", json=body)
        return result

    def decide_proposal(self, proposal_id: str, *, approver: str, approve: bool) -> Document:
        self.check_identity(approver)
        action = "approve" if approve else "reject"
        result: Document = self._call("POST", f"/governance/proposals/{proposal_id}/{action}")
        return result


def _query(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}
