package releasegate_test.controls.sod_1

import rego.v1

import data.releasegate.controls.sod_1

_release := {"id": "rel-1", "service": "payments-api", "authors": ["alice", "bob"], "requester": "carol"}

_approval(id, approver) := {
	"id": id,
	"approver": approver,
	"decision": "approve",
	"roles": {"engineering": true, "business_control": false, "cab": false},
	"current": true,
}

_messages(release, approval_list) := {violation.msg |
	some violation in sod_1.violation with input.release as release with input.approvals as approval_list
}

test_applicable if {
	sod_1.applicable
}

test_independent_approvers_pass if {
	_messages(_release, [_approval("apr-1", "dana"), _approval("apr-2", "erin")]) == set()
}

test_no_approvals_pass if {
	_messages(_release, []) == set()
}

test_author_approval if {
	_messages(_release, [_approval("apr-1", "bob")]) == {"bob approved the release but is an author of the release (approval apr-1)"}
}

test_requester_approval if {
	_messages(_release, [_approval("apr-1", "carol")]) == {"carol approved the release but is the requester of the release (approval apr-1)"}
}

test_author_and_requester_approval if {
	release := object.union(_release, {"requester": "alice"})
	_messages(release, [_approval("apr-1", "alice")]) == {"alice approved the release but is an author and the requester of the release (approval apr-1)"}
}

test_case_insensitive if {
	_messages(_release, [_approval("apr-1", "Bob")]) == {"Bob approved the release but is an author of the release (approval apr-1)"}
}

test_one_violation_per_approval if {
	approval_list := [_approval("apr-1", "alice"), _approval("apr-2", "bob"), _approval("apr-3", "dana")]
	_messages(_release, approval_list) == {
		"alice approved the release but is an author of the release (approval apr-1)",
		"bob approved the release but is an author of the release (approval apr-2)",
	}
}

test_stale_approval_ignored if {
	stale := object.union(_approval("apr-1", "alice"), {"current": false})
	_messages(_release, [stale]) == set()
}

test_author_rejection_ignored if {
	rejection := object.union(_approval("apr-1", "alice"), {"decision": "reject"})
	_messages(_release, [rejection]) == set()
}
