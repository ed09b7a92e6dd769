"""SQLAlchemy 2 table models. The schema itself is created by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; releasegate stores UTC-aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ReleaseRow(Base):
    __tablename__ = "releases"
    __table_args__ = (
        Index("ix_releases_created", "created_at", "id"),
        Index("ix_releases_service_created", "service", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[str] = mapped_column(String(200))
    change_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    manifest_json: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    facts_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary_json: Mapped[str] = mapped_column(Text)
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    approver: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    artifact_digests_json: Mapped[str] = mapped_column(Text)
    policy_revision: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Added by migration 0003: what else the approval is bound to.
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    commit_shas_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    authenticated_as: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ExceptionRow(Base):
    __tablename__ = "exceptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    control_id: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(63), index=True)
    release_id: Mapped[str | None] = mapped_column(ForeignKey("releases.id"), nullable=True)
    finding: Mapped[str | None] = mapped_column(String(500), nullable=True)
    justification: Mapped[str] = mapped_column(Text)
    compensating_controls_json: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    approver: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Added by migration 0003: an exception may be scoped to one artifact digest.
    artifact_digest: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_release_env", "release_id", "environment"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"))
    environment: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    policy_revision: Mapped[str] = mapped_column(String(64))
    input_sha256: Mapped[str] = mapped_column(String(64))
    decision_json: Mapped[str] = mapped_column(Text)
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerEntryRow(Base):
    """One leaf of the ledger; `seq` is the leaf index, from 0, without gaps."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerHeadRow(Base):
    """The single row that serializes appends: tree size, root and frontier."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[str] = mapped_column(String(64))
    frontier_json: Mapped[str] = mapped_column(Text)


class LedgerTileRow(Base):
    """A tile of the ledger's Merkle tree: up to 256 node hashes of one height."""

    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpointRow(Base):
    """A signed checkpoint (C2SP signed note) of the ledger at one tree size."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(Integer, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    key_ids: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerCosignatureRow(Base):
    """A witness cosignature line of one stored checkpoint."""

    __tablename__ = "ledger_cosignatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    verifier_key: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Identities, tokens, emergency reviews and governance (migration 0003) ----


class ApiTokenRow(Base):
    """A personal API token, stored only as the SHA-256 of its secret."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Comma-separated API roles the token is limited to (migration 0005); NULL: no limit.
    roles: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ReleaseAttestationRow(Base):
    """A fact recorded about a release by a person: a compensating control or a deployment."""

    __tablename__ = "release_attestations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    identity: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EmergencyReviewRow(Base):
    """The post-release review an emergency release owes, with its deadline."""

    __tablename__ = "emergency_reviews"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), unique=True)
    service: Mapped[str] = mapped_column(String(63), index=True)
    requester: Mapped[str] = mapped_column(String(200))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    findings: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class GovernanceProposalRow(Base):
    """A proposed change to a governed file (policy layer, identities and trust)."""

    __tablename__ = "governance_proposals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(500), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    base_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    proposer: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    approver: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


# Rollouts (migration 0004) ------------------------------------------------


class RolloutRow(Base):
    """A rollout of one release: its plan, the controller settings and its status."""

    __tablename__ = "rollouts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    service: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_json: Mapped[str] = mapped_column(Text)
    config_json: Mapped[str] = mapped_column(Text)
    rehearsal: Mapped[bool] = mapped_column(Boolean)
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RolloutStepRow(Base):
    """One step of a rollout; a controller claims it by setting a lease."""

    __tablename__ = "rollout_steps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rollout_id: Mapped[str] = mapped_column(ForeignKey("rollouts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    environment: Mapped[str] = mapped_column(String(32))
    wave: Mapped[int | None] = mapped_column(Integer, nullable=True)
    regions_json: Mapped[str] = mapped_column(Text)
    weight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spec_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RolloutMeasurementRow(Base):
    """One measurement of one health indicator during a health gate step."""

    __tablename__ = "rollout_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    step_id: Mapped[str] = mapped_column(ForeignKey("rollout_steps.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    shadow: Mapped[bool] = mapped_column(Boolean)
    detail_json: Mapped[str] = mapped_column(Text)
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResilienceRecordRow(Base):
    """A dated resilience fact: rollback rehearsal, recovery test, telemetry check or review."""

    __tablename__ = "resilience_records"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(63))
    release_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    environment: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
