package releasegate_test.controls.sod_5

import rego.v1

import data.releasegate.controls.sod_5

_exception := {
	"id": "exc-1",
	"control_id": "VUL-1",
	"scope": {"service": "payments-api", "release_id": null, "finding": "B602"},
	"justification": "The shell command is a constant.",
	"compensating_controls": ["WAF rule 9411"],
	"requester": "alice",
	"approver": "erin",
	"status": "approved",
	"requested_at": "2026-12-01T09:00:00Z",
	"decided_at": "2026-12-01T10:00:00Z",
	"expires_at": "2026-12-31T00:00:00Z",
}

_sod_5_messages(exception_list) := {violation.msg |
	release := {"id": "rel-1", "service": "payments-api"}
	some violation in sod_5.violation with input.release as release
		with input.now as "2026-12-04T20:00:00Z"
		with input.exceptions as exception_list
}

test_applicable if {
	sod_5.applicable
}

test_independent_approver_passes if {
	_sod_5_messages([_exception]) == set()
}

test_no_exceptions_pass if {
	_sod_5_messages([]) == set()
}

test_self_approved if {
	exception := object.union(_exception, {"approver": "Alice"})
	_sod_5_messages([exception]) == {"exception exc-1 for VUL-1 was approved by Alice, the same person as its requester alice; ask someone other than the requester to approve it"}
}

test_no_approver if {
	exception := object.union(_exception, {"approver": " "})
	_sod_5_messages([exception]) == {"exception exc-1 for VUL-1 names no approver, so its approval cannot be shown to be independent; request it again"}
}

test_no_requester if {
	exception := object.remove(_exception, ["requester"])
	_sod_5_messages([exception]) == {"exception exc-1 for VUL-1 names no requester, so its approval cannot be shown to be independent; request it again"}
}

test_expired_exception_ignored if {
	exception := object.union(_exception, {"approver": "alice", "expires_at": "2026-12-01T00:00:00Z"})
	_sod_5_messages([exception]) == set()
}

test_out_of_scope_exception_ignored if {
	exception := object.union(_exception, {"approver": "alice", "scope": {"service": "ledger-api"}})
	_sod_5_messages([exception]) == set()
}

test_requested_exception_ignored if {
	exception := object.union(_exception, {"approver": "alice", "status": "requested"})
	_sod_5_messages([exception]) == set()
}

test_self_approved_under_alias if {
	exception := object.union(_exception, {"approver": "a.archer@acme.example", "requester_person": "alice", "approver_person": "alice"})
	_sod_5_messages([exception]) == {"exception exc-1 for VUL-1 was approved by a.archer@acme.example, the same person as its requester alice; ask someone other than the requester to approve it"}
}
