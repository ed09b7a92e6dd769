"""Ledger checkpoints, proofs, verification and audit bundles."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from releasegate.api.auth import Principal
from releasegate.api.deps import AUDITORS, LEDGER_OPERATORS, READERS, AppDep, require

if TYPE_CHECKING:
    from releasegate.ledger.checkpoint import OpenedCheckpoint
    from releasegate.store.ledger import StoredCheckpoint

router = APIRouter(tags=["ledger"])


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def checkpoint_dict(stored: StoredCheckpoint, opened: OpenedCheckpoint) -> dict[str, Any]:
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


@router.get("/ledger/checkpoint", summary="The newest signed checkpoint")
def latest_checkpoint(
    app: AppDep, _: Annotated[Principal, Depends(require(*READERS))]
) -> dict[str, Any]:
    from releasegate.service.ledger import latest

    return checkpoint_dict(*latest(app))


@router.post(
    "/ledger/checkpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Sign a checkpoint of the current tree head",
)
def sign_checkpoint(
    app: AppDep, _: Annotated[Principal, Depends(require(*LEDGER_OPERATORS))]
) -> dict[str, Any]:
    from releasegate.service.ledger import checkpoint

    return checkpoint_dict(*checkpoint(app))


@router.get("/ledger/verify", summary="Verify every entry, tile and root")
def verify_ledger(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*AUDITORS))],
    deep: bool = False,
) -> dict[str, Any]:
    from releasegate.service.ledger import verify

    report = verify(app, deep=deep)
    return {
        "ok": report.ok,
        "entries": report.size,
        "root": report.root_hash,
        "checkpoint": None
        if report.checkpoint is None
        else {
            "origin": report.checkpoint.origin,
            "tree_size": report.checkpoint.size,
            "root_hash": _b64(report.checkpoint.root_hash),
            "log_keys": list(report.checkpoint_key_ids),
        },
        "auditor_checkpoint": None,
        "deep": report.deep,
        "checks": list(report.checks),
        "problems": list(report.problems),
    }


@router.get("/ledger/proofs/inclusion/{index}", summary="Inclusion proof of one entry")
def inclusion_proof(
    index: Annotated[int, PathParam(ge=0)],
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    from releasegate.service.ledger import prove_inclusion

    result = prove_inclusion(app, index)
    return {
        "index": result.index,
        "type": result.entry_type,
        "leaf_hash": _b64(result.leaf_hash),
        "tree_size": result.checkpoint.checkpoint.size,
        "root_hash": _b64(result.checkpoint.checkpoint.root_hash),
        "proof": [_b64(p) for p in result.proof],
        "checkpoint": result.checkpoint.note,
    }


@router.get("/ledger/proofs/consistency", summary="Consistency proof between two tree sizes")
def consistency_proof(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    old: Annotated[int, Query(ge=1)],
    new: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """Sizes only: the CLI also accepts checkpoint files, which a server must not open."""
    from releasegate.errors import InputError
    from releasegate.service.ledger import prove_consistency
    from releasegate.service.status import ledger_size

    # The store reads a size beyond the log as a shrunken log, which is an integrity
    # failure. From a client it is only a question about the future, so it is bad input.
    size = ledger_size(app)
    for name, value in (("old", old), ("new", new)):
        if value > size:
            raise InputError(
                f"tree size {value} is larger than the ledger, which has {size} entries",
                source="query",
                field=name,
                hint=f"ask for a size of at most {size}",
            )
    result = prove_consistency(app, str(old), str(new))
    return {
        "old": {"size": result.old.size, "root_hash": _b64(result.old.root_hash)},
        "new": {"size": result.new.size, "root_hash": _b64(result.new.root_hash)},
        "proof": [_b64(p) for p in result.proof],
    }


@router.get(
    "/releases/{release_id}/audit-bundle",
    summary="Export a release's offline audit bundle (zip)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
    tags=["audit"],
)
async def audit_bundle(
    release_id: str,
    app: AppDep,
    _: Annotated[Principal, Depends(require(*AUDITORS))],
) -> Response:
    from releasegate.api.routes.releases import attachment
    from releasegate.service.audit import export_bundle

    with tempfile.TemporaryDirectory(prefix="releasegate-bundle-") as folder:
        destination = Path(folder) / f"{release_id}.zip"
        summary = await run_in_threadpool(export_bundle, app, release_id, destination)
        data = destination.read_bytes()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": attachment(f"audit-{summary.release_id}.zip"),
            "X-Releasegate-Tree-Size": str(summary.tree_size),
        },
    )
