package releasegate_test.controls.vul_1

import rego.v1

import data.releasegate.controls.vul_1

_service(criticality) := {"name": "payments-api", "criticality": criticality}

_scan := {
	"id": "ev-2",
	"sha256": "1c8f1e6a2f6d4b9e0a7c3d5b8e2f4a6c9d1b3e5f7a9c2e4d6f8b0a2c4e6d8f0a",
	"format": "sarif",
	"tools": ["Bandit"],
	"execution_successful": true,
	"collected_at": "2026-12-04T19:58:00Z",
	"commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
}

_release := {"id": "rel-1", "source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}

_finding(severity) := {
	"evidence_id": "ev-2",
	"tool": "Bandit",
	"rule_id": "B602",
	"severity": severity,
	"level": "error",
	"message": "subprocess call with shell=True identified, security issue.",
	"location": "src/app.py",
	"line": 14,
	"fingerprint": "3a5f9c1e7b2d",
	"cve": null,
	"suppressed": false,
}

_scan_violations(service, scans, findings) := result if {
	evidence := {"test_reports": [], "scans": scans, "findings": findings}
	release := _release
	result := vul_1.violation with input.service as service with input.evidence as evidence with input.release as release
}

_high_finding_violation := {
	"msg": "Bandit finding B602 (high) at src/app.py:14 is at or above the blocking severity high",
	"key": "3a5f9c1e7b2d",
	"keys": ["3a5f9c1e7b2d", "B602"],
}

test_applicable if {
	vul_1.applicable
}

test_clean_scan_passes if {
	_scan_violations(_service(0), [_scan], []) == set()
}

test_no_scan if {
	_scan_violations(_service(0), [], []) == {{"msg": "no vulnerability scan attached"}}
}

test_failed_scan if {
	scan := object.union(_scan, {"execution_successful": false})
	_scan_violations(_service(0), [scan], []) == {{"msg": "scan ev-2 (Bandit) reports that the tool did not complete"}}
}

test_scan_completion_unknown if {
	scan := object.union(_scan, {"execution_successful": null})
	_scan_violations(_service(0), [scan], []) == {{"msg": "scan ev-2 (Bandit) does not show whether the tool completed, so its findings cannot be trusted"}}
}

test_scan_completion_missing if {
	scan := object.remove(_scan, ["execution_successful"])
	_scan_violations(_service(0), [scan], []) == {{"msg": "scan ev-2 (Bandit) does not show whether the tool completed, so its findings cannot be trusted"}}
}

test_high_blocks_criticality_0 if {
	_scan_violations(_service(0), [_scan], [_finding("high")]) == {_high_finding_violation}
}

test_high_blocks_criticality_1 if {
	_scan_violations(_service(1), [_scan], [_finding("high")]) == {_high_finding_violation}
}

test_high_passes_criticality_2 if {
	_scan_violations(_service(2), [_scan], [_finding("high")]) == set()
}

test_medium_passes_criticality_0 if {
	_scan_violations(_service(0), [_scan], [_finding("medium")]) == set()
}

test_critical_blocks_criticality_3 if {
	_scan_violations(_service(3), [_scan], [_finding("critical")]) == {{
		"msg": "Bandit finding B602 (critical) at src/app.py:14 is at or above the blocking severity critical",
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "B602"],
	}}
}

test_unknown_severity_blocks if {
	_scan_violations(_service(3), [_scan], [_finding("unknown")]) == {{
		"msg": "Bandit finding B602 (unknown) at src/app.py:14 has no known severity, which blocks",
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "B602"],
	}}
}

test_unrecognised_severity_blocks if {
	_scan_violations(_service(3), [_scan], [_finding("moderate")]) == {{
		"msg": "Bandit finding B602 (moderate) at src/app.py:14 has no known severity, which blocks",
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "B602"],
	}}
}

test_suppressed_finding_still_blocks if {
	finding := object.union(_finding("high"), {"suppressed": true})
	_scan_violations(_service(0), [_scan], [finding]) == {{
		"msg": concat("", [
			"Bandit finding B602 (high) at src/app.py:14 is at or above the blocking severity high",
			" (marked suppressed in the scan report, which does not waive it)",
		]),
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "B602"],
	}}
}

test_cve_in_keys if {
	finding := object.union(_finding("critical"), {"tool": "Trivy", "rule_id": "CVE-2026-1234", "cve": "CVE-2026-1234", "location": "requirements.txt", "line": null})
	_scan_violations(_service(3), [_scan], [finding]) == {{
		"msg": "Trivy finding CVE-2026-1234 (critical) at requirements.txt is at or above the blocking severity critical",
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "CVE-2026-1234"],
	}}
}

test_finding_without_fingerprint if {
	finding := object.union(_finding("critical"), {"fingerprint": null, "location": null})
	_scan_violations(_service(3), [_scan], [finding]) == {{
		"msg": "Bandit finding B602 (critical) at an unknown location is at or above the blocking severity critical",
		"key": "B602",
		"keys": ["B602"],
	}}
}

test_one_violation_per_finding if {
	other := object.union(_finding("critical"), {"rule_id": "B105", "fingerprint": "77c0a2d4", "line": 3})
	count(_scan_violations(_service(0), [_scan], [_finding("high"), other, _finding("low")])) == 2
}

test_service_not_in_catalog_uses_default if {
	_scan_violations(null, [_scan], [_finding("high")]) == set()
	count(_scan_violations(null, [_scan], [_finding("critical")])) == 1
}

test_blocking_severity_from_params if {
	service := _service(3)
	scans := [_scan]
	findings := [_finding("medium")]
	result := _scan_violations(service, scans, findings) with data.releasegate.params.vulnerabilities.blocking_severity as {"3": "medium"}
	count(result) == 1
}

test_unconfigured_severity if {
	service := _service(3)
	scans := [_scan]
	result := _scan_violations(service, scans, []) with data.releasegate.params.vulnerabilities.blocking_severity as {"3": "severe"}
	result == {{"msg": "params give no known blocking severity for this service (found severe)"}}
}

test_missing_default_severity if {
	scans := [_scan]
	result := _scan_violations(null, scans, []) with data.releasegate.params.vulnerabilities as {}
	result == {{"msg": "params give no known blocking severity for this service (found null)"}}
}

test_scan_without_commit_fails if {
	scan := object.union(_scan, {"commit": null})
	_scan_violations(_service(0), [scan], []) == {{"msg": "scan ev-2 (Bandit) names no source commit"}}
}

test_scan_for_other_commit_fails if {
	scan := object.union(_scan, {"commit": "0000000000000000000000000000000000000000"})
	_scan_violations(_service(0), [scan], []) == {{"msg": concat("", [
		"scan ev-2 (Bandit) is for commit 0000000000000000000000000000000000000000, ",
		"not the release's source commit 4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	])}}
}

test_completion_status_optional_when_params_allow if {
	scan := object.remove(_scan, ["execution_successful"])
	evidence := {"test_reports": [], "scans": [scan], "findings": []}
	params := object.union(data.releasegate.params.vulnerabilities, {"require_completion_status": false})
	release := _release
	count(vul_1.violation) == 0 with input.service as _service(0) with input.evidence as evidence with input.release as release with data.releasegate.params.vulnerabilities as params
}

_trivy_finding(extra) := object.union(
	object.union(_finding("critical"), {
		"tool": "Trivy", "rule_id": "CVE-2019-1549", "cve": "CVE-2019-1549", "location": "alpine", "line": null,
		"package": "pkg:apk/alpine/libssl1.1@1.1.1c-r0", "version": "1.1.1c-r0",
	}),
	extra,
)

_trivy_message(suffix) := concat("", [
	"Trivy finding CVE-2019-1549 (critical) at alpine is at or above the blocking severity critical",
	suffix,
])

test_fixed_version_named if {
	finding := _trivy_finding({"fixed_version": "1.1.1d-r0", "fix_available": true})
	violation := _scan_violations(_service(3), [_scan], [finding])
	violation == {{
		"msg": _trivy_message("; fixed in 1.1.1d-r0, upgrade pkg:apk/alpine/libssl1.1@1.1.1c-r0"),
		"key": "3a5f9c1e7b2d",
		"keys": ["3a5f9c1e7b2d", "CVE-2019-1549"],
	}}
}

test_no_fix_named if {
	finding := _trivy_finding({"fix_available": false})
	some violation in _scan_violations(_service(3), [_scan], [finding])
	violation.msg == _trivy_message("; no fixed version is available")
}

test_vex_not_affected_still_blocks_until_waived if {
	finding := _trivy_finding({"vex_state": "not_affected", "vex_justification": "code_not_reachable", "vex_evidence_id": "ev-9"})
	some violation in _scan_violations(_service(3), [_scan], [finding])
	violation.msg == _trivy_message(concat("", [
		"; VEX (evidence ev-9) says not_affected (code_not_reachable), ",
		"which counts only through an approved exception for VUL-1 naming this finding",
	]))
}

test_vex_without_justification_named if {
	finding := _trivy_finding({"vex_state": "not_affected", "vex_evidence_id": "ev-9"})
	some violation in _scan_violations(_service(3), [_scan], [finding])
	violation.msg == _trivy_message(concat("", [
		"; VEX (evidence ev-9) says not_affected without a justification, so it cannot be accepted; ",
		"add the justification or fix the finding",
	]))
}

test_vex_resolved_but_reported_blocks if {
	finding := _trivy_finding({"vex_state": "resolved"})
	some violation in _scan_violations(_service(3), [_scan], [finding])
	violation.msg == _trivy_message("; VEX (in the scan report) says resolved, but the scan still reports it")
}
