"""Releases, their artifacts, and the manifest a pipeline submits."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field, field_validator

from releasegate.model.common import ArtifactDigest, ChangeType, Frozen, Identity, NonEmpty
from releasegate.model.service import ServiceName


class Artifact(Frozen):
    """A build output identified by digest, optionally with where it lives."""

    name: NonEmpty
    digest: ArtifactDigest
    uri: NonEmpty | None = None


class LinkedChangeKind(enum.StrEnum):
    """Kinds of change that ship with a release besides its code."""

    DATABASE_MIGRATION = "database-migration"
    API_SCHEMA = "api-schema"
    EVENT_SCHEMA = "event-schema"
    INFRASTRUCTURE = "infrastructure"
    PRIVILEGED_IAM = "privileged-iam"
    FEATURE_FLAG = "feature-flag"


class LinkedChange(Frozen):
    """A change linked to the release, named by kind and a reference (path, id or URL)."""

    kind: LinkedChangeKind
    reference: NonEmpty
    description: str | None = None


class ReleaseManifest(Frozen):
    """Release manifest: what a pipeline submits to create a release (YAML)."""

    service: ServiceName
    version: NonEmpty
    description: NonEmpty
    change_type: ChangeType
    source_commit: str = Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    source_repository: NonEmpty | None = None
    pull_request: NonEmpty | None = None
    artifacts: tuple[Artifact, ...] = Field(min_length=1)
    authors: tuple[Identity, ...] = Field(min_length=1)
    requester: Identity
    ticket: NonEmpty | None = None
    linked_changes: tuple[LinkedChange, ...] = ()
    affected_services: tuple[ServiceName, ...] = Field(
        default=(), description="Other services the release changes or depends on being changed."
    )
    emergency_reason: str | None = Field(
        default=None,
        pattern=r"^[A-Z][A-Z0-9_-]{1,39}$",
        description="Reason code of an emergency change, one of the calendar's "
        "emergency_reason_codes; lets the change pass a freeze.",
    )

    @field_validator("artifacts")
    @classmethod
    def _unique_digests(cls, value: tuple[Artifact, ...]) -> tuple[Artifact, ...]:
        digests = [a.digest for a in value]
        if len(set(digests)) != len(digests):
            raise ValueError("artifact digests must not repeat")
        return value


class ReleaseStatus(enum.StrEnum):
    """Status of a release after its latest gate decision or rollout."""

    CREATED = "created"
    PENDING = "pending"
    DENIED = "denied"
    ALLOWED = "allowed"
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled_back"


class Release(Frozen):
    """A stored release: the manifest plus its id, status and timestamps."""

    id: NonEmpty
    manifest: ReleaseManifest
    status: ReleaseStatus
    created_at: datetime
    manifest_sha256: str
