"""Governance of releasegate itself: changes to policy layers, identities and the catalog.

A change to a governed file is proposed by one person with the new content
and a reason, and approved by an admin who is another person. Only the
approval writes the file, and the ledger records the proposal and the
approval with the unified diff. A file becomes governed with its first
applied proposal. From then on the gate refuses to decide while the file's
content differs from the last approved content, so an edit that bypassed
governance never takes effect silently.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from releasegate.clock import rfc3339
from releasegate.documents import read_bytes
from releasegate.errors import (
    ConflictError,
    InputError,
    LedgerIntegrityError,
    NotFoundError,
    PermissionDeniedError,
)
from releasegate.service.app import Application
from releasegate.service.approvals import parse_identity
from releasegate.service.ids import new_id
from releasegate.store.blobs import sha256_hex
from releasegate.store.ledger import append_entry
from releasegate.store.tables import GovernanceProposalRow

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Proposal:
    """A proposed change to a governed file."""

    id: str
    target: str
    kind: str
    status: str
    proposer: str
    reason: str
    proposed_at: datetime
    diff: str
    approver: str | None
    decided_at: datetime | None

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "kind": self.kind,
            "status": self.status,
            "proposer": self.proposer,
            "reason": self.reason,
            "proposed_at": rfc3339(self.proposed_at),
            "approver": self.approver,
            "decided_at": rfc3339(self.decided_at) if self.decided_at else None,
            "diff": self.diff,
        }


def _proposal(row: GovernanceProposalRow) -> Proposal:
    return Proposal(
        row.id,
        row.target,
        row.kind,
        row.status,
        row.proposer,
        row.reason,
        row.proposed_at,
        row.diff,
        row.approver,
        row.decided_at,
    )


def _targets(app: Application) -> dict[Path, str]:
    """Governed files and folders with their kind."""
    settings = app.settings
    policies = settings.resolved_policy_dir
    return {
        policies / "enterprise": "enterprise-policy",
        policies / "platform": "platform-policy",
        settings.resolved_identities: "identities",
        settings.resolved_catalog: "catalog",
    }


def _classify(app: Application, target: Path) -> tuple[Path, str]:
    path = target if target.is_absolute() else app.settings.home / target
    path = path.resolve()
    for root, kind in _targets(app).items():
        root = root.resolve()
        if path == root or root in path.parents:
            return path, kind
    raise InputError(
        f"{target} is not a governed file",
        source="TARGET",
        hint="governed files are the enterprise and platform policy layers, the identities "
        "file and the catalog",
    )


def _relative(app: Application, path: Path) -> str:
    try:
        return str(path.relative_to(app.settings.home.resolve()))
    except ValueError:
        return str(path)


def _current(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def propose_change(
    app: Application, target: Path, content_file: Path, *, proposer: str, reason: str
) -> Proposal:
    """Record a proposal; the file changes only when another admin approves it."""
    content = read_bytes(content_file, what="proposed content")
    return propose_content(
        app, target, content, source=str(content_file), proposer=proposer, reason=reason
    )


def propose_content(
    app: Application, target: Path, content: bytes, *, source: str, proposer: str, reason: str
) -> Proposal:
    """Record a proposal of `content` for `target`; `source` names the content in errors."""
    identity = parse_identity(proposer, source="--as")
    if app.directory.resolve(identity) is None:
        raise PermissionDeniedError(
            f"{identity} is not a known identity and may not propose changes",
            hint="propose under an alias listed in identities.yaml or the catalog",
        )
    if not reason.strip():
        raise InputError(
            "the reason is empty", source="--reason", hint="say why the change is needed"
        )
    path, kind = _classify(app, target)
    try:
        new_text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "the proposed content is not UTF-8 text", source=source, hint="save as UTF-8"
        ) from exc
    old = _current(path)
    if old == content:
        raise ConflictError(
            f"{_relative(app, path)} already has this content", hint="nothing to propose"
        )
    name = _relative(app, path)
    diff = "".join(
        difflib.unified_diff(
            (old or b"").decode("utf-8", errors="replace").splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )
    now = app.clock()
    content_sha256 = app.blobs.put(content)
    row = GovernanceProposalRow(
        id=new_id("gov"),
        target=name,
        kind=kind,
        base_sha256=None if old is None else sha256_hex(old),
        content_sha256=content_sha256,
        diff=diff,
        reason=reason.strip(),
        proposer=identity,
        proposed_at=now,
        status="proposed",
    )
    with app.database.transaction() as session:
        session.add(row)
        append_entry(
            session,
            entry_type="governance.proposed",
            subject=f"governance:{name}"[:64],
            recorded_at=now,
            data={
                "proposal_id": row.id,
                "target": name,
                "kind": kind,
                "base_sha256": row.base_sha256,
                "content_sha256": content_sha256,
                "diff": diff,
                "reason": row.reason,
                "proposer": identity,
                "person": app.directory.person_id(identity),
            },
        )
        return _proposal(row)


def decide_change(app: Application, proposal_id: str, *, approver: str, approve: bool) -> Proposal:
    """Approve (apply) or reject a proposal; only an admin other than the proposer may."""
    identity = parse_identity(approver, source="--as")
    directory = app.directory
    person = directory.resolve(identity)
    now = app.clock()
    with app.database.transaction() as session:
        row = session.get(GovernanceProposalRow, proposal_id, with_for_update=True)
        if row is None:
            raise NotFoundError(
                f"proposal {proposal_id!r} not found",
                hint="list proposals with 'releasegate governance list'",
            )
        if row.status != "proposed":
            raise ConflictError(
                f"proposal {proposal_id} is already {row.status}", hint="nothing to do"
            )
        if person is None or ADMIN_ROLE not in person.roles:
            raise PermissionDeniedError(
                f"{identity} does not hold the admin role and may not decide proposal "
                f"{proposal_id}",
                hint="ask an admin listed in the identities file",
            )
        if identity == row.proposer or directory.same_person(identity, row.proposer):
            raise PermissionDeniedError(
                f"{identity} (person {person.id}) proposed {proposal_id} ({row.proposer}) and "
                "may not approve it: a governed change needs a second admin",
                hint="ask another admin to decide the proposal",
            )
        path, _ = _classify(app, Path(row.target))
        if approve:
            current = _current(path)
            current_sha256 = None if current is None else sha256_hex(current)
            if current_sha256 != row.base_sha256:
                raise ConflictError(
                    f"{row.target} changed since proposal {proposal_id} was made",
                    hint="reject this proposal and propose the change again on the current file",
                )
            content = app.blobs.get(row.content_sha256)
        row.status = "applied" if approve else "rejected"
        row.approver = identity
        row.decided_at = now
        session.flush()
        append_entry(
            session,
            entry_type="governance.approved" if approve else "governance.rejected",
            subject=f"governance:{row.target}"[:64],
            recorded_at=now,
            data={
                "proposal_id": row.id,
                "target": row.target,
                "approver": identity,
                "person": person.id,
                "proposer": row.proposer,
                "content_sha256": row.content_sha256,
                "diff": row.diff,
            },
        )
        if approve:
            # Written inside the transaction: a failed write rolls back the
            # approval, and a failed commit leaves a file that the governed-file
            # check reports.
            _write_atomically(path, content)
        return _proposal(row)


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.releasegate-tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def list_proposals(app: Application, *, status: str | None = None) -> list[Proposal]:
    query = select(GovernanceProposalRow).order_by(
        GovernanceProposalRow.proposed_at, GovernanceProposalRow.id
    )
    if status:
        query = query.where(GovernanceProposalRow.status == status)
    with app.database.transaction() as session:
        return [_proposal(r) for r in session.scalars(query)]


def check_governed_files(app: Application) -> None:
    """Raise LedgerIntegrityError when a governed file differs from its last approved content."""
    with app.database.transaction() as session:
        rows = session.scalars(
            select(GovernanceProposalRow)
            .where(GovernanceProposalRow.status == "applied")
            .order_by(GovernanceProposalRow.decided_at, GovernanceProposalRow.id)
        ).all()
        approved = {r.target: (r.content_sha256, r.id) for r in rows}
    for target, (expected, proposal_id) in approved.items():
        path, _ = _classify(app, Path(target))
        current = _current(path)
        actual = None if current is None else sha256_hex(current)
        if actual != expected:
            raise LedgerIntegrityError(
                f"governed file {target} differs from the content approved in {proposal_id} "
                f"(sha256 {actual} instead of {expected}); it was changed outside governance",
                hint="restore the approved content, or propose the change with "
                "'releasegate governance propose' and have another admin approve it",
            )
