"""Ledger checkpoints, proofs, verification and audit bundles."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from releasegate.api.auth import Principal
from releasegate.api.deps import AUDITORS, LEDGER_OPERATORS, READERS, AppDep, require

if TYPE_CHECKING:
    from releasegate.ledger.checkpoint import OpenedCheckpoint
    from releasegate.store.ledger import StoredCheckpoint

router = APIRouter(tags=["ledger"])


def checkpoint_dict(stored: StoredCheckpoint, opened: OpenedCheckpoint) -> dict[str, Any]:
    from releasegate.service.operations import checkpoint_document

    return checkpoint_document(stored, opened)


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
    from releasegate.service.operations import sign_checkpoint as sign

    return sign(app)


@router.get("/ledger/verify", summary="Verify every entry, tile and root")
def verify_ledger(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*AUDITORS))],
    deep: bool = False,
) -> dict[str, Any]:
    from releasegate.service.operations import verify_ledger as verify

    return verify(app, deep=deep)


@router.get("/ledger/proofs/inclusion/{index}", summary="Inclusion proof of one entry")
def inclusion_proof(
    index: Annotated[int, PathParam(ge=0)],
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    from releasegate.service.operations import inclusion_proof as prove

    return prove(app, index)


@router.get("/ledger/proofs/consistency", summary="Consistency proof between two tree sizes")
def consistency_proof(
    app: AppDep,
    _: Annotated[Principal, Depends(require(*READERS))],
    old: Annotated[int, Query(ge=1)],
    new: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """Sizes only: the CLI also accepts checkpoint files, which a server must not open."""
    from releasegate.errors import InputError
    from releasegate.service.operations import consistency_proof as prove
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
    return prove(app, str(old), str(new))


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
    """Stream the bundle from a temporary file, removed once the response is sent.

    The `X-Releasegate-Bundle` header carries the export summary as JSON, so
    that `releasegate audit export` prints the same figures over HTTP.
    """
    from releasegate.api.routes.releases import attachment
    from releasegate.service.audit import export_bundle
    from releasegate.service.operations import bundle_document

    folder = tempfile.mkdtemp(prefix="releasegate-bundle-")
    try:
        destination = Path(folder) / "bundle.zip"
        summary = await run_in_threadpool(export_bundle, app, release_id, destination)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        destination,
        media_type="application/zip",
        headers={
            "Content-Disposition": attachment(f"audit-{summary.release_id}.zip"),
            "X-Releasegate-Tree-Size": str(summary.tree_size),
            "X-Releasegate-Bundle": json.dumps(bundle_document(summary), separators=(",", ":")),
        },
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
