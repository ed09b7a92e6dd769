"""Cross-check the rows a decision reads against the ledger entries that recorded them.

The gate reads releases, evidence, approvals and exceptions from tables. A row
edited outside releasegate (a forged approval, a widened exception scope,
swapped evidence facts) would change a decision without touching the ledger.
So before evaluating, every row must match the entry written in the same
transaction as the row. `ledger verify` protects the entries themselves.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import LedgerIntegrityError
from releasegate.ledger.canonical import canonical_json
from releasegate.store.blobs import sha256_hex
from releasegate.store.ledger import entries_for
from releasegate.store.tables import ApprovalRow, EvidenceRow, ExceptionRow, ReleaseRow

_DECISIONS = {
    "exception.approved": "approved",
    "exception.rejected": "rejected",
    "exception.revoked": "revoked",
}


def _mismatch(what: str, field: str, stored: Any, recorded: Any) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        f"{what}: stored {field} {stored!r} differs from the ledger's {recorded!r}; the row was "
        "changed outside releasegate",
        hint="restore the database from backup and investigate; the gate will not decide on "
        "altered facts",
    )


def _compare(what: str, pairs: dict[str, tuple[Any, Any]]) -> None:
    for field, (stored, recorded) in pairs.items():
        if stored != recorded:
            raise _mismatch(what, field, stored, recorded)


def check_release_facts(session: Session, release_id: str) -> None:
    """Raise LedgerIntegrityError if any row of the release differs from its ledger entry.

    Steps:
    1. Index the release's entries and its service's entries by the id they record.
    2. The release row: manifest hash recorded, and the manifest still hashes to it.
    3. Each evidence row: raw and facts hashes, kind, format and commit.
    4. Each approval row: approver, verdict, digests, policy revision and expiry.
    5. Each exception row in scope: the request as recorded, and its status and
       approver as the latest decision entry left them.
    """
    # 1. Entries.
    release = session.get(ReleaseRow, release_id)
    if release is None:
        return
    entries = entries_for(session, release_id) + entries_for(session, f"service:{release.service}")
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    decisions: dict[str, tuple[str, dict[str, Any]]] = {}
    for entry in entries:
        data = entry.body["data"]
        if entry.entry_type in ("release.created", "release.updated"):
            # Entries come in ledger order, so the latest manifest wins.
            by_key[("release", release_id)] = data
        elif entry.entry_type == "evidence.added":
            by_key[("evidence", data["evidence_id"])] = data
        elif entry.entry_type == "approval.recorded":
            by_key[("approval", data["approval_id"])] = data
        elif entry.entry_type == "exception.requested":
            by_key[("exception", data["exception_id"])] = data
        elif entry.entry_type in _DECISIONS:
            decisions[data["exception_id"]] = (_DECISIONS[entry.entry_type], data)

    def recorded(kind: str, key: str) -> dict[str, Any]:
        data = by_key.get((kind, key))
        if data is None:
            raise LedgerIntegrityError(
                f"{kind} {key} has no ledger entry; it was inserted outside releasegate",
                hint="restore the database from backup and investigate",
            )
        return data

    # 2. Release.
    data = recorded("release", release_id)
    manifest_hash = sha256_hex(canonical_json(json.loads(release.manifest_json)))
    _compare(
        f"release {release_id}",
        {
            "manifest_sha256": (release.manifest_sha256, data["manifest_sha256"]),
            "manifest content hash": (manifest_hash, data["manifest_sha256"]),
        },
    )

    # 3. Evidence.
    for row in session.scalars(select(EvidenceRow).where(EvidenceRow.release_id == release_id)):
        data = recorded("evidence", row.id)
        _compare(
            f"evidence {row.id}",
            {
                "sha256": (row.sha256, data["sha256"]),
                "facts_sha256": (row.facts_sha256, data["facts_sha256"]),
                "kind": (row.kind, data["kind"]),
                "format": (row.format, data["format"]),
                "commit": (row.commit, data["commit"]),
            },
        )

    # 4. Approvals.
    for approval in session.scalars(
        select(ApprovalRow).where(ApprovalRow.release_id == release_id)
    ):
        data = recorded("approval", approval.id)
        _compare(
            f"approval {approval.id}",
            {
                "approver": (approval.approver, data["approver"]),
                "decision": (approval.decision, data["decision"]),
                "artifact_digests": (
                    json.loads(approval.artifact_digests_json),
                    data["artifact_digests"],
                ),
                "policy_revision": (approval.policy_revision, data["policy_revision"]),
                "expires_at": (rfc3339(approval.expires_at), data["expires_at"]),
                "role": (approval.role, data.get("role")),
                "source_commit": (approval.source_commit, data.get("source_commit")),
                "commit_shas": (
                    json.loads(approval.commit_shas_json or "[]"),
                    data.get("commit_shas", []),
                ),
            },
        )

    # 5. Exceptions.
    rows = session.scalars(
        select(ExceptionRow)
        .where(ExceptionRow.service == release.service)
        .where(or_(ExceptionRow.release_id.is_(None), ExceptionRow.release_id == release_id))
    )
    for exception in rows:
        data = recorded("exception", exception.id)
        status, decision = decisions.get(exception.id, ("requested", {}))
        scope = {
            "service": exception.service,
            "release_id": exception.release_id,
            "finding": exception.finding,
        }
        if "artifact_digest" in data["scope"]:
            scope["artifact_digest"] = exception.artifact_digest
        _compare(
            f"exception {exception.id}",
            {
                "control_id": (exception.control_id, data["control_id"]),
                "scope": (scope, data["scope"]),
                "justification": (exception.justification, data["justification"]),
                "compensating_controls": (
                    json.loads(exception.compensating_controls_json),
                    data["compensating_controls"],
                ),
                "requester": (exception.requester, data["requester"]),
                "expires_at": (rfc3339(exception.expires_at), data["expires_at"]),
                "status": (exception.status, status),
                "approver": (
                    exception.approver if status in ("approved", "rejected") else None,
                    decision.get("approver"),
                ),
            },
        )
