"""Record approvals and rejections of a release."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from releasegate.clock import rfc3339
from releasegate.errors import InputError, PermissionDeniedError
from releasegate.model import Approval, ApprovalDecision
from releasegate.model.common import Identity
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.mappers import approval_from_row
from releasegate.store.tables import ApprovalRow

_IDENTITY = TypeAdapter(Identity)


def parse_identity(value: str, *, source: str) -> str:
    try:
        return _IDENTITY.validate_python(value)
    except ValidationError as exc:
        raise InputError(
            f"invalid identity {value!r}: {exc.errors()[0]['msg']}",
            source=source,
            hint="pass a user name such as 'dana' or an e-mail address",
        ) from exc


def record_approval(
    app: Application,
    release_id: str,
    *,
    approver: str,
    decision: ApprovalDecision,
    comment: str | None = None,
) -> Approval:
    """Record a verdict bound to the release's digests and the current policy revision.

    An author or the requester of the release may not approve it (SOD-1). The
    gate checks the same rule again for approvals that reach it another way.
    """
    identity = parse_identity(approver, source="--as")
    release = get_release(app, release_id)
    manifest = release.manifest
    if decision is ApprovalDecision.APPROVE and (
        identity in manifest.authors or identity == manifest.requester
    ):
        raise PermissionDeniedError(
            f"{identity} is an author or the requester of release {release.id} and may not "
            "approve it (segregation of duties)",
            hint="ask an engineering approver or control owner who did not work on the change",
        )
    if not app.catalog.groups_of(identity):
        raise PermissionDeniedError(
            f"{identity} is not a member of any catalog group, so an approval from them "
            "would not count",
            hint="approve as a member of the service's owner groups or the CAB, or add the "
            "identity to the catalog",
        )
    revision = app.policy(manifest.service).revision
    now = app.clock()
    approval = Approval(
        id=new_id("apr"),
        release_id=release.id,
        approver=identity,
        decision=decision,
        artifact_digests=tuple(sorted(a.digest for a in manifest.artifacts)),
        policy_revision=revision,
        comment=comment,
        created_at=now,
        expires_at=now + timedelta(hours=app.settings.approval_ttl_hours),
    )
    with app.database.transaction() as session:
        session.add(
            ApprovalRow(
                id=approval.id,
                release_id=approval.release_id,
                approver=approval.approver,
                decision=approval.decision.value,
                artifact_digests_json=json.dumps(list(approval.artifact_digests)),
                policy_revision=revision,
                comment=comment,
                created_at=now,
                expires_at=approval.expires_at,
            )
        )
        append_entry(
            session,
            entry_type="approval.recorded",
            subject=release.id,
            recorded_at=now,
            data={
                "approval_id": approval.id,
                "approver": identity,
                "decision": decision.value,
                "groups": list(app.catalog.groups_of(identity)),
                "artifact_digests": list(approval.artifact_digests),
                "policy_revision": revision,
                "expires_at": rfc3339(approval.expires_at),
            },
        )
    return approval


def list_approvals(app: Application, release_id: str) -> list[Approval]:
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.release_id == release_id)
            .order_by(ApprovalRow.created_at, ApprovalRow.id)
        ).all()
        return [approval_from_row(r) for r in rows]
