"""Normalized facts about artifact integrity, source review and business tests.

Parsers fill these from VEX documents, DSSE envelopes, in-toto statements, Sigstore
bundles, plain key signatures, git commit signatures, pull request records and
synthetic transaction reports. Each verification step is kept as a `Check`, so that
`releasegate evidence inspect` and the ledger show which check failed and why.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from releasegate.model.common import Frozen


class Check(Frozen):
    """One verification step and its result."""

    name: str
    passed: bool
    detail: str


class VexStatement(Frozen):
    """One vulnerability's exploitability analysis from a CycloneDX VEX document."""

    id: str
    state: str | None = Field(description="CycloneDX analysis state; None when absent.")
    justification: str | None = None
    responses: tuple[str, ...] = ()
    detail: str | None = None
    refs: tuple[str, ...] = Field(default=(), description="affects[].ref values (bom-refs).")
    purls: tuple[str, ...] = Field(
        default=(), description="Package URLs found in the refs, without the BOM link prefix."
    )


class VexDocument(Frozen):
    """A CycloneDX document whose vulnerabilities carry analysis states."""

    format: str
    spec_version: str
    statements: tuple[VexStatement, ...]
    issued_at: datetime | None = None
    warnings: tuple[str, ...] = ()


class Signer(Frozen):
    """Producer of a verified signature: a public key or a certificate identity."""

    key_id: str | None = None
    identity: str | None = None
    issuer: str | None = None


class ProvenanceFacts(Frozen):
    """An in-toto statement (for example SLSA provenance v1) and how it was verified."""

    format: str
    predicate_type: str | None
    subject_digests: tuple[str, ...]
    builder_id: str | None = None
    build_type: str | None = None
    source_repository: str | None = None
    source_commit: str | None = None
    source_ref: str | None = None
    signature_verified: bool
    signers: tuple[Signer, ...] = ()
    signatures_total: int = 0
    checks: tuple[Check, ...] = ()
    warnings: tuple[str, ...] = ()


class ArtifactSignatureFacts(Frozen):
    """A signature over an artifact digest (plain key signature or Sigstore bundle)."""

    format: str
    digest: str | None
    verified: bool
    signer: Signer | None = None
    signed_at: datetime | None = None
    checks: tuple[Check, ...] = ()
    provenance: ProvenanceFacts | None = Field(
        default=None, description="The in-toto statement a DSSE bundle carried, if any."
    )
    warnings: tuple[str, ...] = ()


class CommitSignature(Frozen):
    """Result of `git verify-commit` for one commit."""

    commit: str
    verified: bool
    signer: str | None = None
    key_id: str | None = None
    method: str | None = Field(default=None, description="ssh, openpgp or x509; None if unsigned.")
    detail: str


class CommitSignatureReport(Frozen):
    """Signature verification of the commits of a change."""

    format: str
    repository: str | None = None
    commits: tuple[CommitSignature, ...]
    warnings: tuple[str, ...] = ()


class Review(Frozen):
    """One review of a pull request."""

    reviewer: str
    state: str
    commit: str | None = None


class PullRequestFacts(Frozen):
    """The pull request that produced the source commit, as the pipeline reports it."""

    format: str
    url: str | None = None
    repository: str | None = None
    state: str
    merge_commit: str | None = None
    head_commit: str | None = None
    base_branch: str | None = None
    base_branch_protected: bool | None = None
    author: str | None = None
    reviews: tuple[Review, ...] = ()
    warnings: tuple[str, ...] = ()


class SyntheticTransaction(Frozen):
    """One synthetic business transaction and its outcome."""

    name: str
    passed: bool
    detail: str | None = None


class SyntheticRunFacts(Frozen):
    """A run of synthetic business transactions in a pre-production environment."""

    format: str
    environment: str
    finance_process: str
    scenario: str
    artifact_digests: tuple[str, ...]
    transactions: int
    failures: int
    passed: bool
    started_at: datetime | None = None
    finished_at: datetime | None = None
    warnings: tuple[str, ...] = ()
