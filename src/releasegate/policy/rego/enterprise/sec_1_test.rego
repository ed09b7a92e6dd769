package releasegate_test.controls.sec_1

import rego.v1

import data.releasegate.controls.sec_1

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_release := {"id": "rel-1", "source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}

_scan := {"id": "ev-secrets", "tool": "gitleaks", "commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "execution_successful": true, "findings": []}

_finding := {"rule_id": "aws-access-token", "fingerprint": "4f1c2a9:config/settings.py:aws-access-token:12", "location": "config/settings.py", "line": 12, "commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}

_sec_1_violations(release, scans) := result if {
	evidence := {"secret_scans": scans}
	result := sec_1.violation with input.release as release with input.evidence as evidence
}

_sec_1_messages(scans) := {violation.msg | some violation in _sec_1_violations(_release, scans)}

test_applicable if {
	sec_1.applicable
}

test_clean_scan_passes if {
	_sec_1_messages([_scan]) == set()
}

test_finding if {
	scan := object.union(_scan, {"findings": [_finding]})
	_sec_1_violations(_release, [scan]) == {{
		"msg": concat("", [
			"gitleaks found a secret (rule aws-access-token) at config/settings.py:12 in commit ", _commit,
			"; rotate the credential, remove it from the code and its history, and scan again",
		]),
		"key": "4f1c2a9:config/settings.py:aws-access-token:12",
		"keys": ["4f1c2a9:config/settings.py:aws-access-token:12", "aws-access-token"],
	}}
}

test_missing_scan if {
	_sec_1_messages([]) == {concat("", [
		"no secret scan attached for source commit ", _commit,
		"; scan the change's commits with a secret scanner (for example gitleaks git --redact) and attach its report",
	])}
}

test_scan_of_other_commit if {
	scan := object.union(_scan, {"commit": "0000000000000000000000000000000000000000"})
	count(_sec_1_messages([scan])) == 2
}

test_incomplete_scan if {
	scan := object.remove(_scan, ["execution_successful"])
	_sec_1_messages([scan]) == {"secret scan ev-secrets (gitleaks) does not show that it completed, so a clean result cannot be trusted; scan again"}
}

test_no_source_commit if {
	messages := {violation.msg | some violation in _sec_1_violations({"id": "rel-1"}, [_scan])}
	"the release names no source commit, so no secret scan can be matched to it" in messages
}
