package releasegate_test.controls.vul_2

import rego.v1

import data.releasegate.controls.vul_2

_scan := {
	"id": "ev-scan",
	"sha256": "1c8f1e6a2f6d4b9e0a7c3d5b8e2f4a6c9d1b3e5f7a9c2e4d6f8b0a2c4e6d8f0a",
	"format": "sarif",
	"tools": ["Bandit"],
	"execution_successful": true,
	"collected_at": "2026-12-04T19:58:00Z",
}

_vul_2_messages(scans) := {violation.msg |
	evidence := {"test_reports": [], "scans": scans, "findings": []}
	some violation in vul_2.violation with input.evidence as evidence with input.now as "2026-12-04T20:00:00Z"
}

test_applicable if {
	vul_2.applicable
}

test_recent_scan_passes if {
	_vul_2_messages([_scan]) == set()
}

test_scan_at_maximum_age_passes if {
	_vul_2_messages([object.union(_scan, {"collected_at": "2026-11-27T20:00:00Z"})]) == set()
}

test_old_scan if {
	scan := object.union(_scan, {"collected_at": "2026-11-25T08:00:00Z"})
	_vul_2_messages([scan]) == {"scan ev-scan (Bandit) is 9.5 days old (from 2026-11-25T08:00:00Z), older than the maximum of 7 days; scan the release again and attach the new report"}
}

test_scan_time_preferred_over_collection_time if {
	scan := object.union(_scan, {"scanned_at": "2026-11-01T00:00:00Z"})
	_vul_2_messages([scan]) == {"scan ev-scan (Bandit) is 33.8 days old (from 2026-11-01T00:00:00Z), older than the maximum of 7 days; scan the release again and attach the new report"}
}

test_one_old_scan_among_recent_fails if {
	old := object.union(_scan, {"id": "ev-old", "collected_at": "2026-10-01T00:00:00Z"})
	count(_vul_2_messages([_scan, old])) == 1
}

test_no_scan if {
	_vul_2_messages([]) == {"no vulnerability scan attached, so its age cannot be checked; scan the release and attach the report"}
}

test_scan_without_time if {
	scan := object.union(_scan, {"collected_at": "yesterday"})
	_vul_2_messages([scan]) == {"scan ev-scan records no valid time (scanned_at or collected_at), so its age cannot be checked"}
}

test_maximum_from_params if {
	scans := [object.union(_scan, {"collected_at": "2026-12-02T20:00:00Z"})]
	result := _vul_2_messages(scans) with data.releasegate.params.vulnerabilities.max_scan_age_days as 1
	count(result) == 1
}
