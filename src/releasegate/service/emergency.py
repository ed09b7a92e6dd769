"""Emergency changes: compensating controls, deployments and post-release reviews.

An emergency release that the gate allows for production opens a
post-release review due `params emergency.review_deadline_hours` (72 hours
by default) after the decision. The reviews of a service become its
emergency change register, which control EMG-2 reads. A layer that makes
EMG-2 blocking stops the service's next normal release while a review is
overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import (
    ConflictError,
    InputError,
    LedgerIntegrityError,
    NotFoundError,
    PermissionDeniedError,
)
from releasegate.identity.chain import conflicts_of, describe_collision, participants
from releasegate.model import ChangeType, Release
from releasegate.service.app import Application
from releasegate.service.approvals import parse_identity
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry, entries_for
from releasegate.store.tables import EmergencyReviewRow, ReleaseAttestationRow

# The compensating control releasegate puts in place itself: the gate opens
# the post-release review of every emergency release it allows.
REVIEW_SCHEDULED = "post_release_review_scheduled"
SYSTEM_IDENTITY = "releasegate"


@dataclass(frozen=True)
class Review:
    """A post-release review and its state at a given time."""

    id: str
    release_id: str
    service: str
    requester: str
    deployed_at: datetime
    due_at: datetime
    reviewer: str | None
    findings: str | None
    completed_at: datetime | None
    state: str

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "release_id": self.release_id,
            "service": self.service,
            "requester": self.requester,
            "deployed_at": rfc3339(self.deployed_at),
            "due_at": rfc3339(self.due_at),
            "reviewer": self.reviewer,
            "findings": self.findings,
            "completed_at": rfc3339(self.completed_at) if self.completed_at else None,
            "state": self.state,
        }


def _state(row: EmergencyReviewRow, now: datetime) -> str:
    if row.completed_at is not None:
        return "completed" if row.completed_at <= row.due_at else "completed-late"
    return "overdue" if now > row.due_at else "open"


def _review(row: EmergencyReviewRow, now: datetime) -> Review:
    return Review(
        id=row.id,
        release_id=row.release_id,
        service=row.service,
        requester=row.requester,
        deployed_at=row.deployed_at,
        due_at=row.due_at,
        reviewer=row.reviewer,
        findings=row.findings,
        completed_at=row.completed_at,
        state=_state(row, now),
    )


def review_deadline(app: Application, service: str) -> timedelta:
    """Return the review deadline from params, or the review_deadline_hours setting."""
    hours = (app.policy(service).params.get("emergency") or {}).get("review_deadline_hours")
    if not isinstance(hours, int | float) or hours <= 0:
        hours = app.settings.review_deadline_hours
    return timedelta(hours=hours)


def open_review(
    session: Session, release: Release, *, deployed_at: datetime, deadline: timedelta
) -> EmergencyReviewRow | None:
    """Open the review of an allowed emergency release once, in the caller's transaction."""
    if release.manifest.change_type is not ChangeType.EMERGENCY:
        return None
    existing = session.scalars(
        select(EmergencyReviewRow).where(EmergencyReviewRow.release_id == release.id)
    ).first()
    if existing is not None:
        return None
    row = EmergencyReviewRow(
        id=new_id("rev"),
        release_id=release.id,
        service=release.manifest.service,
        requester=release.manifest.requester,
        deployed_at=deployed_at,
        due_at=deployed_at + deadline,
    )
    session.add(row)
    session.flush()
    append_entry(
        session,
        entry_type="review.opened",
        subject=release.id,
        recorded_at=deployed_at,
        data={
            "review_id": row.id,
            "service": row.service,
            "requester": row.requester,
            "deployed_at": rfc3339(row.deployed_at),
            "due_at": rfc3339(row.due_at),
        },
    )
    return row


def list_reviews(
    app: Application, *, service: str | None = None, state: str | None = None
) -> list[Review]:
    now = app.clock()
    query = select(EmergencyReviewRow).order_by(EmergencyReviewRow.due_at, EmergencyReviewRow.id)
    if service:
        query = query.where(EmergencyReviewRow.service == service)
    with app.database.transaction() as session:
        reviews = [_review(r, now) for r in session.scalars(query)]
    return [r for r in reviews if state is None or r.state == state]


def complete_review(app: Application, review_id: str, *, reviewer: str, findings: str) -> Review:
    """Record the review; its requester and the release's authors may not hold it alone."""
    identity = parse_identity(reviewer, source="--as")
    if not findings.strip():
        raise InputError(
            "the findings are empty",
            source="--findings",
            hint="summarize what the review found and the follow-up actions",
        )
    now = app.clock()
    with app.database.transaction() as session:
        stored = session.get(EmergencyReviewRow, review_id)
        if stored is None:
            raise NotFoundError(
                f"review {review_id!r} not found",
                hint="list reviews with 'releasegate review list'",
            )
        release_id = stored.release_id
    release = get_release(app, release_id)
    directory = app.directory
    with app.database.transaction() as session:
        row = session.get(EmergencyReviewRow, review_id, with_for_update=True)
        assert row is not None  # read above and reviews are never deleted
        if row.completed_at is not None:
            raise ConflictError(
                f"review {review_id} was already completed by {row.reviewer}",
                hint="nothing to do",
            )
        found = conflicts_of(identity, participants(release.manifest, directory), directory)
        if found:
            raise PermissionDeniedError(
                f"EMG-2: {describe_collision(identity, directory.person_id(identity), found)} "
                f"of emergency release {row.release_id} and may not hold its post-release review",
                hint="ask someone who did not request or write the change to review it",
            )
        if directory.resolve(identity) is None:
            raise PermissionDeniedError(
                f"EMG-2: {identity} is not a known identity, so the review cannot be shown to "
                "be independent",
                hint="review under an alias listed in identities.yaml or the catalog",
            )
        row.reviewer = identity
        row.findings = findings.strip()
        row.completed_at = now
        session.flush()
        append_entry(
            session,
            entry_type="review.completed",
            subject=row.release_id,
            recorded_at=now,
            data={
                "review_id": row.id,
                "reviewer": identity,
                "person": directory.person_id(identity),
                "findings": row.findings,
                "due_at": rfc3339(row.due_at),
                "late": now > row.due_at,
            },
        )
        return _review(row, now)


def emergency_register(app: Application, service: str, *, exclude: str) -> dict[str, Any]:
    """Return the service's emergency change register for input.evidence.emergency_history."""
    with app.database.transaction() as session:
        rows = session.scalars(
            select(EmergencyReviewRow)
            .where(EmergencyReviewRow.service == service)
            .where(EmergencyReviewRow.release_id != exclude)
            .order_by(EmergencyReviewRow.deployed_at)
        ).all()
        changes = [
            {
                "release_id": r.release_id,
                "requester": r.requester,
                "deployed_at": rfc3339(r.deployed_at),
                "review_id": r.id,
                "review": None
                if r.completed_at is None
                else {"reviewer": r.reviewer, "recorded_at": rfc3339(r.completed_at)},
            }
            for r in rows
        ]
    return {"id": f"register:{service}", "service": service, "changes": changes}


# Attestations -------------------------------------------------------------


def record_attestation(
    app: Application,
    release_id: str,
    *,
    kind: str,
    name: str,
    identity: str,
    environment: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """Record that a compensating control is in place, or who triggers a deployment."""
    who = parse_identity(identity, source="--as")
    if kind not in ("compensating_control", "deployment"):
        raise InputError(f"unknown attestation kind {kind!r}", source="kind")
    if not name.strip():
        raise InputError("the name is empty", source="NAME", hint="name the control")
    release = get_release(app, release_id)
    now = app.clock()
    row = ReleaseAttestationRow(
        id=new_id("att"),
        release_id=release.id,
        kind=kind,
        name=name.strip(),
        identity=who,
        environment=environment,
        detail=detail,
        recorded_at=now,
    )
    with app.database.transaction() as session:
        session.add(row)
        append_entry(
            session,
            entry_type=f"{kind.replace('_', '-')}.recorded",
            subject=release.id,
            recorded_at=now,
            data={
                "attestation_id": row.id,
                "name": row.name,
                "identity": who,
                "person": app.directory.person_id(who),
                "environment": environment,
                "detail": detail,
            },
        )
        return _attestation_document(row)


def _attestation_document(row: ReleaseAttestationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "release_id": row.release_id,
        "kind": row.kind,
        "name": row.name,
        "identity": row.identity,
        "environment": row.environment,
        "detail": row.detail,
        "recorded_at": rfc3339(row.recorded_at),
    }


def release_records(app: Application, release: Release) -> dict[str, list[dict[str, Any]]]:
    """Evidence kinds releasegate records itself, for the policy input document.

    deployments: who triggers each deployment (SOD-2); compensating_controls:
    controls recorded as in place (EMG-1); emergency_history: the service's
    emergency change register (EMG-2).
    """
    directory = app.directory
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ReleaseAttestationRow)
            .where(ReleaseAttestationRow.release_id == release.id)
            .order_by(ReleaseAttestationRow.recorded_at, ReleaseAttestationRow.id)
        ).all()
        attestations = [_attestation_document(r) for r in rows]
    deployments = [
        {
            "id": a["id"],
            "release_id": release.id,
            "environment": a["environment"],
            "triggered_by": a["identity"],
            "triggered_by_person": directory.person_id(a["identity"]),
            "recorded_at": a["recorded_at"],
        }
        for a in attestations
        if a["kind"] == "deployment"
    ]
    controls = [
        {
            "id": a["id"],
            "release_id": release.id,
            "name": a["name"],
            "in_place": True,
            "recorded_by": a["identity"],
            "recorded_at": a["recorded_at"],
        }
        for a in attestations
        if a["kind"] == "compensating_control"
    ]
    if release.manifest.change_type is ChangeType.EMERGENCY:
        controls.append(
            {
                "id": f"review:{release.id}",
                "release_id": release.id,
                "name": REVIEW_SCHEDULED,
                "in_place": True,
                "recorded_by": SYSTEM_IDENTITY,
                "recorded_at": None,
            }
        )
    register = emergency_register(app, release.manifest.service, exclude=release.id)
    return {
        "deployments": deployments,
        "compensating_controls": controls,
        "emergency_history": [register],
    }


def check_records(app: Application, release: Release) -> None:
    """Raise LedgerIntegrityError when a record the gate reads differs from its ledger entry.

    Covers the release's attestations and the reviews of its service's
    emergency releases: a review marked completed, or a deadline moved, in
    the database alone would otherwise change EMG-2's result.
    """
    with app.database.transaction() as session:
        recorded: dict[str, dict[str, Any]] = {}
        attestations = session.scalars(
            select(ReleaseAttestationRow).where(ReleaseAttestationRow.release_id == release.id)
        ).all()
        for entry in entries_for(session, release.id):
            if entry.entry_type in ("compensating-control.recorded", "deployment.recorded"):
                recorded[entry.body["data"]["attestation_id"]] = entry.body["data"]
        for attestation in attestations:
            data = recorded.get(attestation.id)
            stored = (attestation.name, attestation.identity, attestation.environment)
            if data is None or stored != (data["name"], data["identity"], data["environment"]):
                raise _tampered(f"attestation {attestation.id} of release {release.id}")

        reviews = session.scalars(
            select(EmergencyReviewRow).where(EmergencyReviewRow.service == release.manifest.service)
        ).all()
        for review in reviews:
            opened: dict[str, Any] | None = None
            completed: dict[str, Any] | None = None
            for entry in entries_for(session, review.release_id):
                data = entry.body["data"]
                if data.get("review_id") != review.id:
                    continue
                if entry.entry_type == "review.opened":
                    opened = data
                elif entry.entry_type == "review.completed":
                    completed = data
            if opened is None or (rfc3339(review.deployed_at), rfc3339(review.due_at)) != (
                opened["deployed_at"],
                opened["due_at"],
            ):
                raise _tampered(f"review {review.id} of emergency release {review.release_id}")
            if (review.completed_at is None) != (completed is None) or (
                completed is not None and review.reviewer != completed["reviewer"]
            ):
                raise _tampered(f"review {review.id} of emergency release {review.release_id}")


def _tampered(what: str) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        f"{what} differs from its ledger entry; the row was changed outside releasegate",
        hint="restore the database from backup and investigate; the gate will not decide on "
        "altered facts",
    )
