"""JSON documents of the ledger, policy, identity, token, review and governance use cases.

The API routes return these documents, the in-process client returns them
unchanged, and the CLI prints them. One function per use case builds the
document, so a command prints the same output over HTTP as in process.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasegate.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from releasegate.ledger.checkpoint import OpenedCheckpoint
    from releasegate.service.app import Application
    from releasegate.service.ledger import LogKeyStatus
    from releasegate.store.ledger import StoredCheckpoint


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# ledger ---------------------------------------------------------------------


def checkpoint_document(stored: StoredCheckpoint, opened: OpenedCheckpoint) -> dict[str, Any]:
    """Describe a stored, signed checkpoint with its note."""
    return {
        "id": stored.id,
        "origin": opened.checkpoint.origin,
        "tree_size": opened.checkpoint.size,
        "root_hash": _b64(opened.checkpoint.root_hash),
        "created_at": stored.created_at.isoformat(),
        "log_keys": [s.key_id.hex() for s in opened.log_signatures],
        "cosignatures": [
            {"witness": s.name, "key_id": s.key_id.hex(), "timestamp": s.timestamp}
            for s in opened.cosignatures
        ],
        "note": opened.note,
    }


def sign_checkpoint(app: Application) -> dict[str, Any]:
    """Sign a checkpoint of the current tree unless the newest one covers it."""
    from releasegate.service.ledger import checkpoint

    return checkpoint_document(*checkpoint(app))


def ledger_chain(app: Application, release_id: str) -> list[dict[str, Any]]:
    """Return the ledger entries of one release as index, leaf hash and entry body."""
    from releasegate.service.ledger import release_chain

    return [
        {"index": e.index, "leaf_hash": e.leaf_hash, **e.body}
        for e in release_chain(app, release_id)
    ]


def verify_ledger(
    app: Application,
    *,
    deep: bool,
    checkpoint_file: Path | None = None,
    key_files: tuple[Path, ...] = (),
    progress: Any = None,
) -> dict[str, Any]:
    """Verify every entry, tile and root; `ok` is true when all of them verify."""
    from releasegate.service.ledger import verify

    arguments: dict[str, Any] = {
        "checkpoint_file": checkpoint_file,
        "key_files": key_files,
        "deep": deep,
    }
    if progress is not None:
        arguments["progress"] = progress
    report = verify(app, **arguments)
    checkpoint = report.checkpoint
    auditor = report.auditor_checkpoint
    return {
        "ok": report.ok,
        "entries": report.size,
        "root": report.root_hash,
        "checkpoint": None
        if checkpoint is None
        else {
            "origin": checkpoint.origin,
            "tree_size": checkpoint.size,
            "root_hash": _b64(checkpoint.root_hash),
            "log_keys": list(report.checkpoint_key_ids),
        },
        "auditor_checkpoint": None
        if auditor is None
        else {"tree_size": auditor.size, "root_hash": _b64(auditor.root_hash)},
        "deep": report.deep,
        "checks": list(report.checks),
        "problems": list(report.problems),
    }


def inclusion_proof(
    app: Application, index: int, *, checkpoint_file: Path | None = None
) -> dict[str, Any]:
    """Prove, and check, that entry `index` is in the tree of the newest or a given checkpoint."""
    from releasegate.service.ledger import prove_inclusion

    result = prove_inclusion(app, index, checkpoint_file=checkpoint_file)
    return {
        "index": result.index,
        "type": result.entry_type,
        "tree_size": result.checkpoint.checkpoint.size,
        "leaf_hash": _b64(result.leaf_hash),
        "proof": [_b64(h) for h in result.proof],
        "root_hash": _b64(result.checkpoint.checkpoint.root_hash),
        "verified": True,
        "checkpoint": result.checkpoint.note,
    }


def consistency_proof(app: Application, old: str, new: str) -> dict[str, Any]:
    """Prove, and check, that the newer tree extends the older one (sizes or checkpoint files)."""
    from releasegate.service.ledger import prove_consistency

    result = prove_consistency(app, old, new)
    return {
        "old": {
            "tree_size": result.old.size,
            "root_hash": _b64(result.old.root_hash),
            "source": result.old.source,
        },
        "new": {
            "tree_size": result.new.size,
            "root_hash": _b64(result.new.root_hash),
            "source": result.new.source,
        },
        "proof": [_b64(h) for h in result.proof],
        "verified": True,
    }


def key_document(status: LogKeyStatus) -> dict[str, Any]:
    return {
        "origin": status.origin,
        "key_id": status.key_id,
        "verifier_key": status.verifier_key,
        "public_key_file": str(status.public_key_file),
        "key_history": list(status.key_ids),
    }


def ledger_key(app: Application) -> dict[str, Any]:
    """Describe the log's origin, current key and every earlier key."""
    from releasegate.service.ledger import key_status

    return key_document(key_status(app))


def rotate_ledger_key(app: Application, *, reason: str | None) -> dict[str, Any]:
    """Replace the log key and describe the new one."""
    from releasegate.service.ledger import rotate_key

    return key_document(rotate_key(app, reason=reason))


def bundle_document(summary: Any) -> dict[str, Any]:
    """Describe an exported audit bundle, without its path."""
    return {
        "release_id": summary.release_id,
        "entries": list(summary.entries),
        "tree_size": summary.tree_size,
        "root_hash": summary.root_hash,
        "blobs": summary.blobs,
        "policy_files": summary.policy_files,
        "files": summary.files,
    }


# policy and controls -----------------------------------------------------------


def check_policies(app: Application, service: str | None) -> list[dict[str, Any]]:
    """Compile the layers of each service (or one) and describe them."""
    from releasegate.policy.engine import compile_policy

    names = [service] if service else [s.name for s in app.catalog.services]
    rows = []
    for name in names:
        policy = app.policy(name)
        compile_policy(policy)
        rows.append(
            {
                "service": name,
                "revision": policy.revision,
                "controls": len(policy.controls),
                "team_packages": len(policy.custom_packages),
            }
        )
    return rows


def evaluate_input(app: Application, raw: bytes, *, source: str) -> dict[str, Any]:
    """Evaluate a JSON policy input document against the current layers; nothing is stored."""
    from releasegate.service.policies import evaluate_input as evaluate

    policy, verdict = evaluate(app, raw, source=source)
    return {
        "outcome": verdict.outcome.value,
        "policy_revision": policy.revision,
        "risk": verdict.risk.model_dump(mode="json") if verdict.risk else None,
        "results": [r.model_dump(mode="json") for r in verdict.results],
        "warnings": list(verdict.warnings),
    }


def control_record(app: Application, control_id: str) -> dict[str, Any]:
    """Describe one control with its merged parameters."""
    policy = app.policy(None)
    meta = policy.controls.get(control_id.upper())
    if meta is None:
        raise NotFoundError(
            f"control {control_id!r} not found",
            hint="list controls with 'releasegate controls list'",
        )
    parameters = (policy.params.get("controls") or {}).get(meta.id, {})
    return {**meta.model_dump(mode="json"), "parameters": parameters}


def list_controls(app: Application, service: str | None) -> list[dict[str, Any]]:
    """List the control library of a service (or the shared layers)."""
    from releasegate.service.controls import list_controls as controls

    if service is not None and app.catalog.service(service) is None:
        raise InputError(f"service {service!r} is not in the catalog", source="service")
    return controls(app, service)


def replay_document(app: Application, decision_id: str) -> dict[str, Any]:
    """Re-evaluate a stored decision with its pinned policy revision and compare."""
    from releasegate.service.policies import replay_decision

    result = replay_decision(app, decision_id)
    return {
        "decision": decision_id,
        "same": result.same,
        "recorded": result.decision.outcome.value,
        "replayed": result.verdict.outcome.value,
        "policy_revision": result.decision.policy_revision,
        "differences": result.differences,
    }


# identities, tokens, reviews and governance ----------------------------------


def show_identity(app: Application, alias: str, service: str | None) -> dict[str, Any]:
    """Describe the person behind an alias with aliases, groups and roles."""
    directory = app.directory
    person = directory.resolve(alias)
    if person is None:
        raise InputError(
            f"{alias} is not a known identity",
            source="ALIAS",
            hint="add it as an alias of its person in the identities file",
        )
    return {
        "person": person.id,
        "name": person.name,
        "aliases": list(person.aliases),
        "groups": list(directory.groups_of(app.catalog, alias)),
        "roles": list(directory.roles_of(app.catalog, alias, service)),
        "source": "catalog" if person.implicit else directory.source,
    }


def list_identities(app: Application) -> list[dict[str, Any]]:
    directory = app.directory
    return [
        {
            "person": p.id,
            "name": p.name,
            "aliases": list(p.aliases),
            "groups": list(directory.groups_of(app.catalog, p.id)),
            "roles": list(p.roles),
        }
        for p in sorted(directory.people.values(), key=lambda p: p.id)
    ]


def create_token(
    app: Application,
    *,
    owner: str,
    name: str,
    expires_in: Any,
    created_by: str,
    roles: tuple[str, ...],
) -> dict[str, Any]:
    """Create a personal API token; the document carries the secret, shown only this once."""
    from releasegate.identity.tokens import create_token as create

    info, secret = create(
        app, owner=owner, name=name, expires_in=expires_in, created_by=created_by, roles=roles
    )
    return {**info.document(app.clock()), "token": secret}


def list_tokens(app: Application, person: str | None) -> list[dict[str, Any]]:
    from releasegate.identity.tokens import list_tokens as tokens

    now = app.clock()
    return [t.document(now) for t in tokens(app, person=person)]


def revoke_token(app: Application, token_id: str, *, revoked_by: str) -> dict[str, Any]:
    from releasegate.identity.tokens import revoke_token as revoke

    return revoke(app, token_id, revoked_by=revoked_by).document(app.clock())


def list_reviews(app: Application, service: str | None, state: str | None) -> list[dict[str, Any]]:
    from releasegate.service.emergency import list_reviews as reviews

    return [r.document() for r in reviews(app, service=service, state=state)]


def complete_review(
    app: Application, review_id: str, *, reviewer: str, findings: str
) -> dict[str, Any]:
    from releasegate.service.emergency import complete_review as complete

    return complete(app, review_id, reviewer=reviewer, findings=findings).document()


def list_proposals(app: Application, status: str | None) -> list[dict[str, Any]]:
    from releasegate.service.governance import list_proposals as proposals

    return [p.document() for p in proposals(app, status=status)]


def propose_content(
    app: Application, target: str, content: bytes, *, source: str, proposer: str, reason: str
) -> dict[str, Any]:
    """Record a proposed change of a governed file; another admin must approve it."""
    from releasegate.service.governance import propose_content as propose

    return propose(
        app, Path(target), content, source=source, proposer=proposer, reason=reason
    ).document()


def decide_proposal(
    app: Application, proposal_id: str, *, approver: str, approve: bool
) -> dict[str, Any]:
    from releasegate.service.governance import decide_change

    return decide_change(app, proposal_id, approver=approver, approve=approve).document()
