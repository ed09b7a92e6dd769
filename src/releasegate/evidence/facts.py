"""Evidence kind, summary and stored model of each kind of normalized facts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from releasegate.evidence.interface import Facts
from releasegate.model.evidence import EvidenceKind, ScanRun, Severity, TestReport
from releasegate.model.integrity import (
    ArtifactSignatureFacts,
    CommitSignatureReport,
    ProvenanceFacts,
    PullRequestFacts,
    SyntheticRunFacts,
    VexDocument,
)

FACT_MODELS: dict[EvidenceKind, type[Any]] = {
    EvidenceKind.TEST_REPORT: TestReport,
    EvidenceKind.SCAN: ScanRun,
    EvidenceKind.SECRET_SCAN: ScanRun,
    EvidenceKind.VEX: VexDocument,
    EvidenceKind.PROVENANCE: ProvenanceFacts,
    EvidenceKind.SIGNATURE: ArtifactSignatureFacts,
    EvidenceKind.COMMIT_SIGNATURES: CommitSignatureReport,
    EvidenceKind.PULL_REQUEST: PullRequestFacts,
    EvidenceKind.SYNTHETIC_TEST: SyntheticRunFacts,
}
"""Model that reads back the stored facts of each evidence kind."""

_SEVERITIES = [s.value for s in Severity]
_RESOLVING_VEX_STATES = ("not_affected", "false_positive", "resolved", "resolved_with_pedigree")


def kind_of(facts: Facts) -> EvidenceKind:
    """Return the evidence kind of parsed facts."""
    if isinstance(facts, TestReport):
        return EvidenceKind.TEST_REPORT
    if isinstance(facts, ScanRun):
        return EvidenceKind.SECRET_SCAN if facts.category == "secret" else EvidenceKind.SCAN
    if isinstance(facts, VexDocument):
        return EvidenceKind.VEX
    if isinstance(facts, ProvenanceFacts):
        return EvidenceKind.PROVENANCE
    if isinstance(facts, ArtifactSignatureFacts):
        return EvidenceKind.SIGNATURE
    if isinstance(facts, CommitSignatureReport):
        return EvidenceKind.COMMIT_SIGNATURES
    if isinstance(facts, PullRequestFacts):
        return EvidenceKind.PULL_REQUEST
    return EvidenceKind.SYNTHETIC_TEST


def summarize(facts: Facts) -> dict[str, int | str | bool | None]:
    """Return the few numbers and verdicts that describe `facts` in one table row each."""
    if isinstance(facts, TestReport):
        return {
            "tests": facts.tests,
            "failures": facts.failures,
            "errors": facts.errors,
            "skipped": facts.skipped,
            "flaky": facts.flaky,
        }
    if isinstance(facts, ScanRun):
        counts = Counter(finding.severity.value for finding in facts.findings)
        summary: dict[str, int | str | bool | None] = {
            "tools": ", ".join(facts.tools),
            "findings": len(facts.findings),
            "execution_successful": facts.execution_successful,
        }
        if facts.category == "vulnerability":
            summary.update({f"severity_{name}": counts.get(name, 0) for name in _SEVERITIES})
            summary["suppressed"] = sum(1 for f in facts.findings if f.suppressed)
            summary["vex_resolved"] = sum(
                1 for f in facts.findings if f.vex_state in _RESOLVING_VEX_STATES
            )
            summary["fix_available"] = sum(1 for f in facts.findings if f.fix_available)
        else:
            summary["suppressed"] = sum(1 for f in facts.findings if f.suppressed)
        summary["scanned_at"] = facts.scanned_at.isoformat() if facts.scanned_at else None
        return summary
    if isinstance(facts, VexDocument):
        states = Counter(s.state or "none" for s in facts.statements)
        return {
            "statements": len(facts.statements),
            **{f"state_{name}": count for name, count in sorted(states.items())},
        }
    if isinstance(facts, ProvenanceFacts):
        return {
            "predicate_type": facts.predicate_type,
            "subjects": len(facts.subject_digests),
            "builder_id": facts.builder_id,
            "signature_verified": facts.signature_verified,
            "verified_keys": len(facts.signers),
            "failed_checks": sum(1 for c in facts.checks if not c.passed),
        }
    if isinstance(facts, ArtifactSignatureFacts):
        signer = facts.signer
        return {
            "digest": facts.digest,
            "verified": facts.verified,
            "key_id": signer.key_id if signer else None,
            "identity": signer.identity if signer else None,
            "issuer": signer.issuer if signer else None,
            "failed_checks": sum(1 for c in facts.checks if not c.passed),
        }
    if isinstance(facts, CommitSignatureReport):
        return {
            "commits": len(facts.commits),
            "verified": sum(1 for c in facts.commits if c.verified),
            "unverified": sum(1 for c in facts.commits if not c.verified),
        }
    if isinstance(facts, PullRequestFacts):
        return {
            "state": facts.state,
            "merge_commit": facts.merge_commit,
            "base_branch_protected": facts.base_branch_protected,
            "reviews": len(facts.reviews),
        }
    return {
        "environment": facts.environment,
        "finance_process": facts.finance_process,
        "transactions": facts.transactions,
        "failures": facts.failures,
        "passed": facts.passed,
    }
