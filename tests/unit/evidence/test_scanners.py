"""Trivy, Grype, CycloneDX and secret scanner readers on small hand-written reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.evidence import EvidenceError, parse_evidence
from releasegate.evidence.secrets import scan_path
from releasegate.evidence.vex import apply_statements, statement_applies
from releasegate.model.integrity import VexStatement

SECRET = "AKIAIOSFODNN7EXAMPLE"


def parse(document, format: str | None = None):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_evidence(data, source="report.json", format=format)


def trivy(vulnerabilities=None, secrets=None, schema=2):
    result = {"Target": "app.jar", "Class": "lang-pkgs"}
    if vulnerabilities is not None:
        result["Vulnerabilities"] = vulnerabilities
    if secrets is not None:
        result["Secrets"] = secrets
    return {"SchemaVersion": schema, "CreatedAt": "2026-12-01T08:00:00.123456789Z",
            "ArtifactName": "app", "Results": [result]}


def test_trivy_status_sets_fix_availability() -> None:
    _, scan = parse(trivy([
        {"VulnerabilityID": "CVE-2026-1", "PkgName": "a", "InstalledVersion": "1",
         "Status": "affected", "Severity": "HIGH"},
        {"VulnerabilityID": "GHSA-xxxx", "PkgName": "b", "InstalledVersion": "2",
         "Severity": "CRITICAL"},
    ]))
    first, second = scan.findings
    assert (first.fix_available, first.severity.value, first.cve) == (False, "high", "CVE-2026-1")
    assert (second.fix_available, second.cve) == (None, None)
    assert scan.scanned_at is not None
    assert scan.scanned_at.isoformat() == "2026-12-01T08:00:00.123456+00:00"


def test_trivy_secret_match_not_kept() -> None:
    _, scan = parse(trivy([], [{"RuleID": "aws-access-key-id", "Severity": "CRITICAL",
                                "StartLine": 3, "Title": "AWS Access Key ID",
                                "Match": f"key = {SECRET}"}]))
    (finding,) = scan.findings
    assert (finding.rule_id, finding.line, finding.severity.value) == (
        "aws-access-key-id", 3, "critical",
    )
    assert SECRET not in scan.model_dump_json()


def test_trivy_other_schema_rejected() -> None:
    with pytest.raises(EvidenceError, match="SchemaVersion is 1, but releasegate reads"):
        parse(trivy([], schema=1))


def test_trivy_vulnerability_without_id_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"Results\[\].Vulnerabilities\[0\]: vulnerability "
                       "has no VulnerabilityID"):
        parse(trivy([{"PkgName": "a"}]))


def test_trivy_truncated_report_rejected() -> None:
    data = json.dumps(trivy([])).encode()[:-10]
    with pytest.raises(EvidenceError, match="invalid JSON"):
        parse(data, format="trivy")


def test_grype_without_matches_rejected() -> None:
    with pytest.raises(EvidenceError, match="report has no 'matches' array"):
        parse({"source": {}, "descriptor": {"name": "grype"}}, format="grype")


def test_grype_empty_matches_is_clean_scan() -> None:
    _, scan = parse({"matches": [], "descriptor": {"name": "grype", "version": "0.80.0",
                                                   "timestamp": "2026-12-01T08:00:00Z"}})
    assert scan.findings == ()
    assert scan.tools == ("Grype 0.80.0",)


def test_grype_wont_fix_state() -> None:
    match = {"vulnerability": {"id": "CVE-2026-2", "severity": "Negligible",
                               "fix": {"versions": [], "state": "wont-fix"}},
             "artifact": {"name": "zlib", "version": "1.2"}}
    _, scan = parse({"matches": [match]})
    (finding,) = scan.findings
    assert (finding.severity.value, finding.fix_available) == ("low", False)


def test_cyclonedx_rating_score_without_severity_uses_cvss_band() -> None:
    document = {"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [
        {"id": "CVE-2026-3", "ratings": [{"score": 9.8, "method": "CVSSv31"}],
         "affects": [{"ref": "lib-a"}]}],
        "components": [{"bom-ref": "lib-a", "name": "lib-a", "version": "3.1",
                        "purl": "pkg:npm/lib-a@3.1"}]}
    _, scan = parse(document)
    (finding,) = scan.findings
    assert (finding.severity.value, finding.package, finding.version) == (
        "critical", "pkg:npm/lib-a@3.1", "3.1",
    )


def test_cyclonedx_without_vulnerabilities_rejected() -> None:
    with pytest.raises(EvidenceError, match="SBOM without scan results"):
        parse({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []})


def test_cyclonedx_unknown_analysis_state_rejected() -> None:
    document = {"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [
        {"id": "CVE-1", "analysis": {"state": "harmless"}}]}
    with pytest.raises(EvidenceError, match="analysis state 'harmless' is not a CycloneDX"):
        parse(document)


def test_vex_applies_by_id_and_package() -> None:
    statement = VexStatement(id="CVE-2019-1549", state="not_affected",
                             justification="code_not_reachable",
                             refs=("urn:cdx:x/1#pkg:apk/alpine/libssl1.1@1.1.1c-r0",),
                             purls=("pkg:apk/alpine/libssl1.1@1.1.1c-r0",))
    ssl = {"rule_id": "CVE-2019-1549", "cve": "CVE-2019-1549",
           "package": "pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64"}
    crypto = {**ssl, "package": "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64"}
    by_name = {**ssl, "package": "libssl1.1"}
    other = {**ssl, "rule_id": "CVE-2019-1551", "cve": "CVE-2019-1551"}
    assert statement_applies(statement, ssl)
    assert statement_applies(statement, by_name)
    assert not statement_applies(statement, crypto)
    assert not statement_applies(statement, other)
    findings = [ssl, crypto]
    apply_statements(findings, [("ev-vex", statement)])
    assert (ssl["vex_state"], ssl["vex_evidence_id"]) == ("not_affected", "ev-vex")
    assert "vex_state" not in crypto


def test_gitleaks_json_keeps_no_secret() -> None:
    report = [{"RuleID": "aws-access-token", "Description": "AWS", "File": "config.py",
               "StartLine": 12, "Commit": "a" * 40, "Secret": SECRET,
               "Match": f"key={SECRET}", "Fingerprint": f"{'a' * 40}:config.py:aws:12"}]
    format_name, scan = parse(report)
    assert format_name == "gitleaks"
    assert scan.category == "secret"
    (finding,) = scan.findings
    assert (finding.fingerprint, finding.commit, finding.line) == (
        f"{'a' * 40}:config.py:aws:12", "a" * 40, 12,
    )
    assert SECRET not in scan.model_dump_json()


def test_gitleaks_empty_report_is_clean() -> None:
    format_name, scan = parse(b"[]")
    assert (format_name, scan.findings, scan.execution_successful) == ("gitleaks", (), True)


def test_detect_secrets_baseline_audited_false_positive_suppressed() -> None:
    baseline = {"version": "1.5.0", "plugins_used": [], "results": {"app.py": [
        {"type": "Secret Keyword", "filename": "app.py", "hashed_secret": "0" * 40,
         "is_verified": False, "line_number": 4, "is_secret": False}]}}
    format_name, scan = parse(baseline)
    assert format_name == "detect-secrets"
    (finding,) = scan.findings
    assert (finding.location, finding.line, finding.suppressed) == ("app.py", 4, True)
    assert "0" * 40 not in finding.fingerprint


def test_scan_path_finds_secret_without_keeping_it(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "settings.py").write_text(f'aws_key = "{SECRET}"\n')
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f'token = "{SECRET}"\n')
    document, scan = scan_path(tmp_path)
    assert [(f.location, f.line, f.rule_id) for f in scan.findings] == [
        ("pkg/settings.py", 1, "AWS Access Key"),
    ]
    assert SECRET not in json.dumps(document)
    assert SECRET not in scan.model_dump_json()
    _, again = scan_path(tmp_path)
    assert again.findings[0].fingerprint == scan.findings[0].fingerprint


def test_scan_path_missing_rejected(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="path does not exist"):
        scan_path(tmp_path / "nowhere")


def test_sarif_scan_time_from_last_invocation_end() -> None:
    run = {"tool": {"driver": {"name": "CodeQL"}}, "results": [], "invocations": [
        {"executionSuccessful": True, "endTimeUtc": "2026-12-01T10:00:00Z"},
        {"executionSuccessful": True, "endTimeUtc": "2026-12-01T10:05:30.5Z"}]}
    _, scan = parse({"version": "2.1.0", "runs": [run]})
    assert scan.scanned_at is not None
    assert scan.scanned_at.isoformat() == "2026-12-01T10:05:30.500000+00:00"


def test_compact_finding_stays_independent() -> None:
    from releasegate.evidence._vuln import compact

    _, scan = parse(trivy([
        {"VulnerabilityID": "CVE-2026-1", "PkgName": "a", "InstalledVersion": "1",
         "Severity": "HIGH"},
        {"VulnerabilityID": "CVE-2026-2", "PkgName": "b", "InstalledVersion": "1",
         "Severity": "LOW"},
    ]))
    first, second = scan.findings
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    changed = first.model_copy(update={"vex_state": "not_affected"})
    assert changed.vex_state == "not_affected"
    assert "vex_state" not in first.__pydantic_fields_set__
    assert first.vex_state is None
    assert compact(changed).model_dump() == changed.model_dump()
    assert first.model_dump(exclude_unset=True)["rule_id"] == "CVE-2026-1"
