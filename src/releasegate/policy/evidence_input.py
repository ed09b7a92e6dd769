"""Policy input documents for integrity, secret and business test evidence.

`build_input` (input.py) lists test reports, vulnerability scans and findings; this
module adds the other kinds under `input.evidence`, in the shapes described in
docs/policy-input.md, and applies VEX statements to the findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from releasegate.clock import rfc3339
from releasegate.evidence.interface import Facts
from releasegate.evidence.vex import apply_statements
from releasegate.model import EvidenceRecord
from releasegate.model.evidence import Finding, ScanRun
from releasegate.model.integrity import (
    ArtifactSignatureFacts,
    Check,
    CommitSignatureReport,
    ProvenanceFacts,
    PullRequestFacts,
    Signer,
    SyntheticRunFacts,
    VexDocument,
    VexStatement,
)


def _time(value: datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def finding_fields(finding: Finding) -> dict[str, Any]:
    """Return the finding fields added to each `input.evidence.findings[]` entry."""
    return {
        "package": finding.package,
        "version": finding.version,
        "fixed_version": finding.fixed_version,
        "fix_available": finding.fix_available,
        "severity_source": finding.severity_source,
        "vex_state": finding.vex_state,
        "vex_justification": finding.vex_justification,
        "vex_evidence_id": None,
    }


def scan_fields(facts: ScanRun) -> dict[str, Any]:
    """Return the fields added to each `input.evidence.scans[]` entry."""
    return {"scanned_at": _time(facts.scanned_at), "target": facts.target}


def integrity_documents(
    evidence: Sequence[tuple[EvidenceRecord, Facts]], findings: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Return the evidence lists other than test reports and vulnerability scans.

    Also applies the attached VEX documents to `findings` in place.
    """
    documents: dict[str, list[dict[str, Any]]] = {
        "secret_scans": [],
        "vex": [],
        "provenance": [],
        "signatures": [],
        "commit_signatures": [],
        "pull_requests": [],
        "synthetic_tests": [],
    }
    statements: list[tuple[str, VexStatement]] = []
    for record, facts in evidence:
        base = {"id": record.id, "sha256": record.sha256, "format": record.format}
        if isinstance(facts, ScanRun) and facts.category == "secret":
            documents["secret_scans"].append(_secret_scan(base, record, facts))
        elif isinstance(facts, VexDocument):
            documents["vex"].append({**base, "statements": len(facts.statements)})
            statements.extend((record.id, statement) for statement in facts.statements)
        elif isinstance(facts, ProvenanceFacts):
            documents["provenance"].append(_provenance(base, facts))
        elif isinstance(facts, ArtifactSignatureFacts):
            documents["signatures"].extend(_signatures(base, facts))
            if facts.provenance is not None:
                documents["provenance"].append(_provenance(base, facts.provenance))
        elif isinstance(facts, CommitSignatureReport):
            documents["commit_signatures"].extend(
                {
                    **base,
                    "commit": commit.commit,
                    "verified": commit.verified,
                    "signer": commit.signer,
                    "key_id": commit.key_id,
                    "method": commit.method,
                    "detail": commit.detail,
                }
                for commit in facts.commits
            )
        elif isinstance(facts, PullRequestFacts):
            documents["pull_requests"].append(
                {
                    **base,
                    **facts.model_dump(mode="json", exclude={"format", "warnings"}),
                }
            )
        elif isinstance(facts, SyntheticRunFacts):
            documents["synthetic_tests"].append(
                {
                    **base,
                    "environment": facts.environment,
                    "artifact_digests": list(facts.artifact_digests),
                    "finance_process": facts.finance_process,
                    "scenario": facts.scenario,
                    "passed": facts.passed,
                    "transactions": facts.transactions,
                    "failures": facts.failures,
                    "finished_at": _time(facts.finished_at),
                }
            )
    apply_statements(findings, statements)
    return documents


def _secret_scan(base: dict[str, Any], record: EvidenceRecord, facts: ScanRun) -> dict[str, Any]:
    return {
        **base,
        "tool": ", ".join(facts.tools),
        "commit": record.commit,
        "execution_successful": facts.execution_successful,
        "scanned_at": _time(facts.scanned_at),
        "collected_at": rfc3339(record.collected_at),
        "findings": [
            {
                "rule_id": finding.rule_id,
                "fingerprint": finding.fingerprint,
                "location": finding.location,
                "line": finding.line,
                "commit": finding.commit,
                "suppressed": finding.suppressed,
            }
            for finding in facts.findings
        ],
    }


def _signer(signer: Signer) -> dict[str, Any]:
    return {"key_id": signer.key_id, "identity": signer.identity, "issuer": signer.issuer}


def _failed(checks: Sequence[Check]) -> list[dict[str, str]]:
    return [{"name": c.name, "detail": c.detail} for c in checks if not c.passed]


def _provenance(base: dict[str, Any], facts: ProvenanceFacts) -> dict[str, Any]:
    return {
        **base,
        "predicate_type": facts.predicate_type,
        "subject_digests": list(facts.subject_digests),
        "builder_id": facts.builder_id,
        "build_type": facts.build_type,
        "source_repository": facts.source_repository,
        "source_commit": facts.source_commit,
        "source_ref": facts.source_ref,
        "signature_verified": facts.signature_verified,
        "signers": [_signer(signer) for signer in facts.signers],
        "failed_checks": _failed(facts.checks),
    }


def _signatures(base: dict[str, Any], facts: ArtifactSignatureFacts) -> list[dict[str, Any]]:
    # A DSSE bundle signs a statement; it signs every digest the statement names.
    digests = list(facts.provenance.subject_digests) if facts.provenance else [facts.digest]
    signer = facts.signer or Signer()
    return [
        {
            **base,
            "digest": digest,
            "verified": facts.verified,
            **_signer(signer),
            "signed_at": _time(facts.signed_at),
            "failed_checks": _failed(facts.checks),
        }
        for digest in digests
    ]
