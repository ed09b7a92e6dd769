package releasegate_test.controls.det_1

import rego.v1

import data.releasegate.controls.det_1

_digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

_workload := {
	"service": "payments-api",
	"name": "payments-api",
	"digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"allowed_by": "dec-41",
	"latest_allowed_digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}

_snapshot(id, taken_at, workloads) := {"id": id, "environment": "production", "taken_at": taken_at, "workloads": workloads}

_det_1_messages(snapshots) := {violation.msg |
	evidence := {"snapshots": snapshots}
	some violation in det_1.violation with input.evidence as evidence
		with input.release as {"id": "rel-1", "service": "payments-api"}
		with input.now as "2026-12-04T20:00:00Z"
}

test_applicable if {
	det_1.applicable
}

test_allowed_digest_passes if {
	_det_1_messages([_snapshot("ev-snap", "2026-12-04T19:00:00Z", [_workload])]) == set()
}

test_unapproved_digest if {
	workload := object.union(_workload, {"digest": "sha256:1111", "allowed_by": null, "latest_allowed_digest": _digest})
	_det_1_messages([_snapshot("ev-snap", "2026-12-04T19:00:00Z", [workload])]) == {"workload payments-api in production runs sha256:1111, which no allow decision admitted there (snapshot ev-snap); roll it back to an allowed digest and find out how it was deployed"}
}

test_drift_to_older_allowed_digest if {
	workload := object.union(_workload, {"digest": "sha256:2222", "allowed_by": "dec-30"})
	_det_1_messages([_snapshot("ev-snap", "2026-12-04T19:00:00Z", [workload])]) == {concat("", [
		"workload payments-api in production runs sha256:2222, not the latest allowed digest ", _digest,
		" (snapshot ev-snap); deploy the latest allowed digest or record why it was rolled back",
	])}
}

test_only_latest_snapshot_counts if {
	old := _snapshot("ev-old", "2026-12-04T10:00:00Z", [object.union(_workload, {"allowed_by": null})])
	new := _snapshot("ev-new", "2026-12-04T19:00:00Z", [_workload])
	_det_1_messages([old, new]) == set()
}

test_no_snapshot if {
	_det_1_messages([]) == {"no environment snapshot younger than 24 hours shows workloads of payments-api; run the environment reporter and attach its snapshot"}
}

test_old_snapshot_does_not_count if {
	count(_det_1_messages([_snapshot("ev-snap", "2026-12-02T19:00:00Z", [_workload])])) == 1
}

test_snapshot_without_the_service_does_not_count if {
	other := object.union(_workload, {"service": "ledger-api"})
	count(_det_1_messages([_snapshot("ev-snap", "2026-12-04T19:00:00Z", [other])])) == 1
}
