"""Read-only views across releases: latest decisions, inbox, posture, ledger size.

The web dashboard, the approvals inbox and the API's polling route read
these; they change nothing and append nothing to the ledger.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from releasegate.errors import NotFoundError
from releasegate.model import Approval, ApprovalDecision, Decision, Release, ReleaseStatus
from releasegate.service.app import Application
from releasegate.service.gate import parse_environment
from releasegate.store.mappers import approval_from_row, release_from_row
from releasegate.store.tables import ApprovalRow, DecisionRow, ReleaseRow

IN_FLIGHT = (ReleaseStatus.CREATED, ReleaseStatus.PENDING, ReleaseStatus.DENIED)


def latest_decision(app: Application, release_id: str, environment: str) -> Decision:
    """Return the newest recorded decision of a release for one environment."""
    return Decision.model_validate_json(latest_decision_json(app, release_id, environment))


def latest_decision_json(app: Application, release_id: str, environment: str) -> str:
    """Return the newest recorded decision as stored JSON text, for callers that pass it on."""
    env = parse_environment(environment)
    with app.database.read_transaction() as session:
        row = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.release_id == release_id, DecisionRow.environment == env.value)
            .order_by(DecisionRow.evaluated_at.desc(), DecisionRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFoundError(
                f"release {release_id!r} has no decision for {env.value}",
                hint="ask the gate first: 'releasegate gate RELEASE --env ENV'",
            )
        return row.decision_json


def ledger_size(app: Application) -> int:
    from releasegate.store.ledger import ledger_head

    with app.database.transaction() as session:
        return ledger_head(session)[0]


@dataclass(frozen=True)
class InboxItem:
    """A release that waits for approvals, and what the identity may do about it."""

    release: Release
    decision: Decision | None
    approvals: tuple[Approval, ...]
    conflict: str | None  # why this identity may not approve (segregation of duties)
    already: ApprovalDecision | None  # the identity's own verdict, if any


def sod_conflict(app: Application, release: Release, identity: str) -> str | None:
    """Explain why `identity` may not approve `release`, as the approval use case would."""
    manifest = release.manifest
    if identity in manifest.authors or identity == manifest.requester:
        return (
            f"{identity} is an author or the requester of release {release.id} and may not "
            "approve it (segregation of duties)"
        )
    if not app.catalog.groups_of(identity):
        return f"{identity} is not a member of any catalog group, so an approval would not count"
    return None


def releases_in_flight(app: Application, limit: int = 100) -> list[Release]:
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ReleaseRow)
            .where(ReleaseRow.status.in_([s.value for s in IN_FLIGHT]))
            .order_by(ReleaseRow.updated_at.desc(), ReleaseRow.id.desc())
            .limit(limit)
        ).all()
        return [release_from_row(r) for r in rows]


def _latest_by_release(app: Application, release_ids: list[str]) -> dict[str, Decision]:
    if not release_ids:
        return {}
    with app.database.transaction() as session:
        rows = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.release_id.in_(release_ids))
            .order_by(DecisionRow.evaluated_at, DecisionRow.id)
        ).all()
        latest: dict[str, Decision] = {}
        for row in rows:  # later rows overwrite earlier ones
            latest[row.release_id] = Decision.model_validate_json(row.decision_json)
        return latest


def approvals_inbox(app: Application, identity: str) -> list[InboxItem]:
    """Releases in flight whose newest decision waits for approvals, or that have none yet."""
    releases = releases_in_flight(app)
    latest = _latest_by_release(app, [r.id for r in releases])
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.release_id.in_([r.id for r in releases]))
            .order_by(ApprovalRow.created_at, ApprovalRow.id)
        ).all()
        approvals = [approval_from_row(r) for r in rows]
    items = []
    for release in releases:
        decision = latest.get(release.id)
        waits = decision is None or any(r.pending for r in decision.results)
        if not waits:
            continue
        mine = [a for a in approvals if a.release_id == release.id and a.approver == identity]
        items.append(
            InboxItem(
                release=release,
                decision=decision,
                approvals=tuple(a for a in approvals if a.release_id == release.id),
                conflict=sod_conflict(app, release, identity),
                already=mine[-1].decision if mine else None,
            )
        )
    return items


@dataclass(frozen=True)
class Posture:
    """Summary of the latest decisions: verdicts, failing controls, emergency changes."""

    releases: int
    verdicts: dict[str, int]
    failing_controls: list[tuple[str, int]]
    emergency_releases: int
    since: datetime | None


def compliance_posture(app: Application, limit: int = 500) -> Posture:
    with app.database.transaction() as session:
        total = session.scalar(select(func.count()).select_from(ReleaseRow)) or 0
        emergency = (
            session.scalar(
                select(func.count())
                .select_from(ReleaseRow)
                .where(ReleaseRow.change_type == "emergency")
            )
            or 0
        )
        ids = list(
            session.scalars(
                select(ReleaseRow.id).order_by(ReleaseRow.created_at.desc()).limit(limit)
            )
        )
    latest = _latest_by_release(app, ids)
    verdicts = Counter(d.outcome.value for d in latest.values())
    failing: Counter[str] = Counter()
    for decision in latest.values():
        for result in decision.results:
            if result.outcome.value in ("fail", "error"):
                failing[result.control_id] += 1
    since = min((d.evaluated_at for d in latest.values()), default=None)
    return Posture(
        releases=total,
        verdicts={v: verdicts.get(v, 0) for v in ("allow", "pending", "deny")},
        failing_controls=failing.most_common(8),
        emergency_releases=emergency,
        since=since,
    )
