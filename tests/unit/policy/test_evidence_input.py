"""Integrity, secret and VEX evidence in the policy input document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from releasegate.catalog import load_catalog
from releasegate.evidence import parse_evidence
from releasegate.evidence.facts import kind_of, summarize
from releasegate.model import EvidenceRecord, Release, ReleaseManifest, ReleaseStatus
from releasegate.policy.input import build_input

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
COMMIT = "c" * 40

TRIVY = {"SchemaVersion": 2, "CreatedAt": "2026-12-04T11:00:00Z", "ArtifactName": "app",
         "Results": [{"Target": "app", "Vulnerabilities": [
             {"VulnerabilityID": "CVE-2026-1", "PkgName": "log4j",
              "PkgIdentifier": {"PURL": "pkg:maven/org.apache/log4j@2.14.0"},
              "InstalledVersion": "2.14.0", "Severity": "CRITICAL"},
             {"VulnerabilityID": "CVE-2026-2", "PkgName": "zlib", "InstalledVersion": "1.2",
              "FixedVersion": "1.3", "Severity": "LOW"}]}]}
VEX = {"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [
    {"id": "CVE-2026-1", "analysis": {"state": "not_affected",
                                      "justification": "code_not_reachable"},
     "affects": [{"ref": "urn:cdx:1/1#pkg:maven/org.apache/log4j@2.14.0"}]}]}
LEAK = [{"RuleID": "generic-api-key", "File": "app.env", "StartLine": 2, "Commit": COMMIT,
         "Secret": "s3cr3t-value-123", "Fingerprint": f"{COMMIT}:app.env:generic-api-key:2"}]


def release() -> Release:
    manifest = ReleaseManifest(
        service="payments-api", version="1.0.0", description="d", change_type="normal",
        ticket="CHG-1", source_commit=COMMIT, pull_request="https://git.example.com/pr/1",
        artifacts=({"name": "a", "digest": "sha256:" + "d" * 64},),
        authors=("alice",), requester="alice",
    )
    return Release(id="rel-1", manifest=manifest, status=ReleaseStatus.CREATED,
                   created_at=NOW, manifest_sha256="e" * 64)


def evidence(index: int, document) -> tuple[EvidenceRecord, object]:
    format_name, facts = parse_evidence(json.dumps(document).encode(), source=f"f{index}")
    record = EvidenceRecord(
        id=f"ev-{index}", release_id="rel-1", kind=kind_of(facts), format=format_name,
        sha256=f"{index:064x}", filename=f"f{index}", size=1, commit=COMMIT, collected_at=NOW,
        summary=summarize(facts),
    )
    return record, facts


def document(*items) -> dict:
    return build_input(
        release=release(), catalog=load_catalog(EXAMPLES / "catalog.yaml"),
        environment="production", revision="r", now=NOW,
        evidence=[evidence(i, item) for i, item in enumerate(items)],
        approvals=[], exceptions=[],
    )["evidence"]


def test_vex_applied_to_matching_finding_only() -> None:
    result = document(TRIVY, VEX)
    first, second = result["findings"]
    assert (first["vex_state"], first["vex_justification"], first["vex_evidence_id"]) == (
        "not_affected", "code_not_reachable", "ev-1",
    )
    assert second["vex_state"] is None
    assert (second["fixed_version"], second["fix_available"]) == ("1.3", True)
    assert result["vex"] == [{"id": "ev-1", "sha256": f"{1:064x}", "format": "cyclonedx",
                              "statements": 1}]
    assert result["scans"][0]["scanned_at"] == "2026-12-04T11:00:00.000000Z"


def test_secret_scan_listed_apart_from_vulnerability_scans() -> None:
    result = document(LEAK)
    assert result["scans"] == []
    assert result["findings"] == []
    (scan,) = result["secret_scans"]
    assert (scan["tool"], scan["commit"], scan["execution_successful"]) == (
        "gitleaks", COMMIT, True,
    )
    assert scan["findings"] == [{
        "rule_id": "generic-api-key", "fingerprint": f"{COMMIT}:app.env:generic-api-key:2",
        "location": "app.env", "line": 2, "commit": COMMIT, "suppressed": False,
    }]
    assert "s3cr3t-value-123" not in json.dumps(result)


def test_summary_counts_severities_and_vex() -> None:
    _, facts = evidence(0, TRIVY)
    summary = summarize(facts)
    assert (summary["severity_critical"], summary["severity_low"], summary["findings"]) == (1, 1, 2)
    assert (summary["fix_available"], summary["vex_resolved"]) == (1, 0)
