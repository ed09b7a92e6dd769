package releasegate_test.controls.exc_1

import rego.v1

import data.releasegate.controls.exc_1

_now := "2026-12-04T20:00:00Z"

_release := {"id": "rel-1", "service": "payments-api"}

_exception := {
	"id": "exc-1",
	"control_id": "VUL-1",
	"scope": {"service": "payments-api", "release_id": null, "finding": "B602"},
	"justification": "Input is a constant; the shell call cannot be reached from a request.",
	"compensating_controls": ["WAF rule 9411"],
	"requester": "alice",
	"approver": "erin",
	"approver_roles": {"business_control": false, "cab": true},
	"approver_groups": ["change-advisory-board"],
	"status": "approved",
	"requested_at": "2026-12-01T09:00:00Z",
	"decided_at": "2026-12-01T10:00:00Z",
	"expires_at": "2026-12-31T00:00:00Z",
}

_exception_with(changes) := object.union(_exception, changes)

_exception_messages(exception_list) := {violation.msg |
	release := _release
	now := _now
	some violation in exc_1.violation with input.release as release
		with input.now as now
		with input.exceptions as exception_list
}

test_applicable if {
	exc_1.applicable
}

test_no_exceptions_pass if {
	_exception_messages([]) == set()
}

test_valid_exception_passes if {
	_exception_messages([_exception]) == set()
}

test_self_approved if {
	_exception_messages([_exception_with({"approver": "alice"})]) == {"exception exc-1 for VUL-1 is invalid: it was approved by alice, the same person as its requester alice (segregation of duties)"}
}

test_missing_approver if {
	_exception_messages([_exception_with({"approver": null})]) == {"exception exc-1 for VUL-1 is invalid: it has no approver"}
}

test_blank_justification if {
	_exception_messages([_exception_with({"justification": ""})]) == {"exception exc-1 for VUL-1 is invalid: it has no justification"}
}

test_no_compensating_controls if {
	_exception_messages([_exception_with({"compensating_controls": []})]) == {"exception exc-1 for VUL-1 is invalid: it names no compensating controls"}
}

test_over_long if {
	exception := _exception_with({"requested_at": "2026-08-01T00:00:00Z", "expires_at": "2026-12-30T12:00:00Z"})
	_exception_messages([exception]) == {"exception exc-1 for VUL-1 is invalid: it lasts 151.5 days from request to expiry, longer than the maximum of 90 days"}
}

test_non_waivable_control if {
	exception := _exception_with({"control_id": "SOD-1", "scope": {"service": "payments-api", "release_id": null}})
	_exception_messages([exception]) == {"exception exc-1 for SOD-1 is invalid: it targets SOD-1, which no exception may waive"}
}

test_expired_ignored if {
	exception := _exception_with({"approver": "alice", "expires_at": "2026-12-04T19:59:59Z"})
	_exception_messages([exception]) == set()
}

test_not_approved_ignored if {
	exception := _exception_with({"approver": null, "status": "requested"})
	_exception_messages([exception]) == set()
}

test_out_of_scope_ignored if {
	exception := _exception_with({"approver": "alice", "scope": {"service": "payments-api", "release_id": "rel-9"}})
	_exception_messages([exception]) == set()
}

test_one_violation_per_problem if {
	exception := _exception_with({"approver": "alice", "justification": " "})
	other := object.union(_exception_with({"compensating_controls": []}), {"id": "exc-2"})
	_exception_messages([exception, other, _exception_with({"id": "exc-3"})]) == {
		"exception exc-1 for VUL-1 is invalid: it was approved by alice, the same person as its requester alice (segregation of duties)",
		"exception exc-1 for VUL-1 is invalid: it has no justification",
		"exception exc-2 for VUL-1 is invalid: it names no compensating controls",
	}
}
