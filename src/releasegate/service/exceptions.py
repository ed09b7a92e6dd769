"""Request, approve and reject exceptions (time-bound waivers of one control)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from releasegate.identity.chain import conflicts_of, describe_collision, participants
from releasegate.model import ExceptionRequest, ExceptionScope, ExceptionStatus
from releasegate.model.common import ArtifactDigest
from releasegate.service.app import Application
from releasegate.service.approvals import parse_identity
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.mappers import exception_from_row, release_from_row
from releasegate.store.tables import ExceptionRow, ReleaseRow

_CONTROL = re.compile(r"^[A-Z]{2,5}-[0-9]{1,3}$")
_DIGEST = TypeAdapter(ArtifactDigest)


def _parse_digest(value: str) -> str:
    try:
        return _DIGEST.validate_python(value)
    except ValidationError as exc:
        raise InputError(
            f"invalid artifact digest {value!r}: {exc.errors()[0]['msg']}",
            source="--digest",
            hint="pass the digest as the release lists it, e.g. sha256:<64 hex digits>",
        ) from exc


def request_exception(
    app: Application,
    *,
    control_id: str,
    requester: str,
    justification: str,
    expires_in: timedelta,
    release_id: str | None = None,
    service: str | None = None,
    finding: str | None = None,
    compensating_controls: tuple[str, ...] = (),
    artifact_digest: str | None = None,
) -> ExceptionRequest:
    """Record a request; it waives nothing until someone else approves it."""
    identity = parse_identity(requester, source="--as")
    if artifact_digest is not None:
        artifact_digest = _parse_digest(artifact_digest)
    control = control_id.upper()
    if not _CONTROL.match(control):
        raise InputError(
            f"control id {control_id!r} is not of the form ABC-1",
            source="--control",
            hint="name the failing control as the gate prints it, for example VUL-1",
        )
    if not justification.strip():
        raise InputError(
            "the justification is empty",
            source="--justification",
            hint="explain why the risk is acceptable until the exception expires",
        )
    if expires_in <= timedelta(0):
        raise InputError(
            "the exception must expire in the future",
            source="--expires-in",
            hint="give a duration such as 7d or 48h",
        )
    if release_id is not None:
        release = get_release(app, release_id)
        if service is not None and service != release.manifest.service:
            raise InputError(
                f"release {release_id} belongs to {release.manifest.service}, not {service}",
                source="--service",
                hint="omit --service or name the release's own service",
            )
        service = release.manifest.service
        digests = {a.digest for a in release.manifest.artifacts}
        if artifact_digest is not None and artifact_digest not in digests:
            raise InputError(
                f"release {release_id} has no artifact with digest {artifact_digest}",
                source="--digest",
                hint=f"use one of: {', '.join(sorted(digests))}",
            )
    if service is None:
        raise InputError(
            "an exception needs a scope",
            source="--release/--service",
            hint="pass --release for one release or --service for the whole service",
        )
    if app.catalog.service(service) is None:
        raise InputError(
            f"service {service!r} is not in the catalog",
            source="--service",
            hint="check the service name",
        )

    policy = app.policy(service)
    known = policy.controls
    if control not in known:
        raise InputError(
            f"control {control} is not defined by the policy",
            source="--control",
            hint=f"known controls: {', '.join(sorted(known))}",
        )
    rules = policy.params.get("exceptions") or {}
    if control in (rules.get("non_waivable_controls") or ()):
        raise PermissionDeniedError(
            f"control {control} may not be waived by any exception",
            hint="fix the cause of the failure; the policy lists this control as non-waivable",
        )
    max_days = rules.get("max_duration_days")
    if isinstance(max_days, int | float) and expires_in > timedelta(days=max_days):
        raise InputError(
            f"the exception would last {expires_in.days} days, longer than the maximum of "
            f"{max_days} days",
            source="--expires-in",
            hint=f"request at most {max_days}d and renew it if the risk remains",
        )
    if known[control].blocking and not any(c.strip() for c in compensating_controls):
        raise InputError(
            f"an exception to the blocking control {control} needs at least one compensating "
            "control",
            source="--compensating",
            hint="name what limits the risk while the control is waived",
        )

    now = app.clock()
    exception = ExceptionRequest(
        id=new_id("exc"),
        control_id=control,
        scope=ExceptionScope(
            service=service, release_id=release_id, artifact_digest=artifact_digest, finding=finding
        ),
        justification=justification.strip(),
        compensating_controls=tuple(c.strip() for c in compensating_controls if c.strip()),
        requester=identity,
        requested_at=now,
        expires_at=now + expires_in,
        status=ExceptionStatus.REQUESTED,
    )
    with app.database.transaction() as session:
        session.add(
            ExceptionRow(
                id=exception.id,
                control_id=control,
                service=service,
                release_id=release_id,
                finding=finding,
                artifact_digest=artifact_digest,
                justification=exception.justification,
                compensating_controls_json=json.dumps(list(exception.compensating_controls)),
                requester=identity,
                requested_at=now,
                expires_at=exception.expires_at,
                status=exception.status.value,
            )
        )
        append_entry(
            session,
            entry_type="exception.requested",
            subject=release_id or f"service:{service}",
            recorded_at=now,
            data={
                "exception_id": exception.id,
                "control_id": control,
                "scope": exception.scope.model_dump(mode="json"),
                "justification": exception.justification,
                "compensating_controls": list(exception.compensating_controls),
                "requester": identity,
                "expires_at": rfc3339(exception.expires_at),
            },
        )
    return exception


def decide_exception(
    app: Application, exception_id: str, *, approver: str, approve: bool
) -> ExceptionRequest:
    """Approve or reject a requested exception; the requester may not decide (SOD-5)."""
    identity = parse_identity(approver, source="--as")
    now = app.clock()
    with app.database.transaction() as session:
        row = session.get(ExceptionRow, exception_id, with_for_update=True)
        if row is None:
            raise NotFoundError(
                f"exception {exception_id!r} not found",
                hint="list exceptions with 'releasegate exception list'",
            )
        if row.status != ExceptionStatus.REQUESTED.value:
            raise ConflictError(
                f"exception {exception_id} is already {row.status}",
                hint="request a new exception if the situation changed",
            )
        if row.requester == identity or app.directory.same_person(row.requester, identity):
            person = app.directory.person_id(identity)
            who = f"{identity} (person {person})" if person else identity
            raise PermissionDeniedError(
                f"SOD-5: {who} is the same person as requester {row.requester} of exception "
                f"{exception_id} and may not decide it",
                hint="ask a control owner or risk officer who did not request it",
            )
        if approve:
            _check_approver(app, session, row, identity)
        if row.expires_at <= now:
            raise ConflictError(
                f"exception {exception_id} expired at {rfc3339(row.expires_at)}",
                hint="request a new exception",
            )
        row.status = (ExceptionStatus.APPROVED if approve else ExceptionStatus.REJECTED).value
        row.approver = identity
        row.decided_at = now
        session.flush()
        append_entry(
            session,
            entry_type="exception.approved" if approve else "exception.rejected",
            subject=row.release_id or f"service:{row.service}",
            recorded_at=now,
            data={"exception_id": row.id, "control_id": row.control_id, "approver": identity},
        )
        return exception_from_row(row)


def exceptions_in_scope(
    app: Application, *, service: str, release_id: str
) -> list[ExceptionRequest]:
    """Exceptions of the service, for all its releases or for this one."""
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ExceptionRow)
            .where(ExceptionRow.service == service)
            .where(or_(ExceptionRow.release_id.is_(None), ExceptionRow.release_id == release_id))
            .order_by(ExceptionRow.requested_at, ExceptionRow.id)
        ).all()
        return [exception_from_row(r) for r in rows]


def list_exceptions(app: Application, *, service: str | None = None) -> list[ExceptionRequest]:
    query = select(ExceptionRow).order_by(ExceptionRow.requested_at, ExceptionRow.id)
    if service:
        query = query.where(ExceptionRow.service == service)
    with app.database.transaction() as session:
        return [exception_from_row(r) for r in session.scalars(query)]


def _check_approver(app: Application, session: Session, row: ExceptionRow, identity: str) -> None:
    """Reject an approver who may not approve this exception (the gate checks it again)."""
    catalog = app.catalog
    service = catalog.service(row.service)
    groups = set(app.directory.groups_of(catalog, identity))
    allowed = set(
        (app.policy(row.service).params.get("exceptions") or {}).get("approver_groups") or ()
    )
    if service is not None:
        allowed.add(service.owners.business_control)
    if catalog.cab_group:
        allowed.add(catalog.cab_group)
    if not groups & allowed:
        raise PermissionDeniedError(
            f"{identity} may not approve exceptions for {row.service}: not a member of "
            f"{', '.join(sorted(allowed))}",
            hint="ask a business control owner of the service, a CAB member or a member of "
            "an approver group the policy names",
        )
    if row.release_id is not None:
        release_row = session.get(ReleaseRow, row.release_id)
        if release_row is None:
            raise NotFoundError(f"release {row.release_id!r} of exception {row.id} not found")
        manifest = release_from_row(release_row).manifest
        directory = app.directory
        found = conflicts_of(identity, participants(manifest, directory), directory)
        if found:
            raise PermissionDeniedError(
                f"SOD-1: {describe_collision(identity, directory.person_id(identity), found)} "
                f"of release {row.release_id} and may not approve an exception for it",
                hint="ask an approver who did not work on the change",
            )


def revoke_exception(
    app: Application, exception_id: str, *, identity: str, reason: str
) -> ExceptionRequest:
    """Revoke an exception: it stops waiving anything from the next evaluation on."""
    who = parse_identity(identity, source="--as")
    if not reason.strip():
        raise InputError(
            "the reason is empty", source="--reason", hint="say why the exception no longer applies"
        )
    now = app.clock()
    with app.database.transaction() as session:
        row = session.get(ExceptionRow, exception_id, with_for_update=True)
        if row is None:
            raise NotFoundError(
                f"exception {exception_id!r} not found",
                hint="list exceptions with 'releasegate exception list'",
            )
        if row.status in (ExceptionStatus.REJECTED.value, ExceptionStatus.REVOKED.value):
            raise ConflictError(
                f"exception {exception_id} is already {row.status}", hint="nothing to revoke"
            )
        row.status = ExceptionStatus.REVOKED.value
        row.decided_at = now
        session.flush()
        append_entry(
            session,
            entry_type="exception.revoked",
            subject=row.release_id or f"service:{row.service}",
            recorded_at=now,
            data={
                "exception_id": row.id,
                "control_id": row.control_id,
                "revoked_by": who,
                "reason": reason.strip(),
            },
        )
        return exception_from_row(row)
