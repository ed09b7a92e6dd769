"""Releases, their artifacts, and the manifest a pipeline submits."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer

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


class Commit(Frozen):
    """One commit of the release, with the people who wrote, committed and signed it.

    Author and committer are git's "Name <address>" or an address; co-authors
    come from the message's Co-authored-by trailers.
    """

    sha: str = Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    author: NonEmpty
    committer: NonEmpty | None = None
    message: str = ""
    signer: NonEmpty | None = Field(
        default=None, description="Identity or key id whose signature on the commit verified."
    )


class FeatureFlagChange(Frozen):
    """A feature flag's state before and after the release in one or every environment."""

    key: NonEmpty
    environment: NonEmpty | None = Field(
        default=None, description="The environment the states apply to; none means every one."
    )
    enabled_before: bool
    enabled_after: bool


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
    commits: tuple[Commit, ...] = Field(
        default=(), description="The commits of the change, for segregation of duties."
    )
    reviewers: tuple[NonEmpty, ...] = Field(
        default=(), description="Identities that reviewed the pull request."
    )
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

    feature_flags: tuple[FeatureFlagChange, ...] = Field(
        default=(),
        description="Flag changes the release makes; DB-3 keeps them apart from schema changes.",
    )

    @model_serializer(mode="wrap")
    def _omit_empty_flags(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A manifest without flag changes serializes as it did before the field
        # existed, so the hashes of stored manifests stay the same.
        data: dict[str, Any] = handler(self)
        if not data.get("feature_flags"):
            data.pop("feature_flags", None)
        return data

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
