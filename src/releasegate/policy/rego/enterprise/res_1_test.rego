package releasegate_test.controls.res_1

import rego.v1

import data.releasegate.controls.res_1

_rehearsal(id, performed_at, succeeded) := {
	"id": id,
	"service": "payments-api",
	"kind": "rollback",
	"environment": "staging",
	"performed_at": performed_at,
	"succeeded": succeeded,
}

_res_1_messages(rehearsals) := {violation.msg |
	evidence := {"rehearsals": rehearsals}
	some violation in res_1.violation with input.evidence as evidence
		with input.release as {"id": "rel-1", "service": "payments-api"}
		with input.now as "2026-12-04T20:00:00Z"
}

test_applicable_criticality_0_and_1 if {
	res_1.applicable with input.service as {"criticality": 0}
	res_1.applicable with input.service as {"criticality": 1}
}

test_not_applicable_criticality_2 if {
	not res_1.applicable with input.service as {"criticality": 2}
}

test_recent_success_passes if {
	_res_1_messages([_rehearsal("ev-r1", "2026-10-01T10:00:00Z", true)]) == set()
}

test_missing_rehearsal if {
	_res_1_messages([]) == {"no successful rollback rehearsal of payments-api attached; rehearse a rollback (roll a version back to the previous one and check the service) and attach the result"}
}

test_only_failures if {
	_res_1_messages([_rehearsal("ev-r1", "2026-10-01T10:00:00Z", false)]) == {"no successful rollback rehearsal of payments-api attached (1 rehearsals, none succeeded); rehearse a rollback (roll a version back to the previous one and check the service) and attach the result"}
}

test_old_success if {
	_res_1_messages([_rehearsal("ev-r1", "2026-08-01T20:00:00Z", true)]) == {"the latest successful rollback rehearsal of payments-api (ev-r1) was on 2026-08-01T20:00:00Z, 125 days ago, older than the maximum of 90 days; rehearse a rollback again"}
}

test_failure_after_success if {
	rehearsals := [_rehearsal("ev-r1", "2026-10-01T10:00:00Z", true), _rehearsal("ev-r2", "2026-11-01T10:00:00Z", false)]
	_res_1_messages(rehearsals) == {"rollback rehearsal ev-r2 of payments-api on 2026-11-01T10:00:00Z failed after the latest successful one; fix the rollback and rehearse it again"}
}

test_failure_before_success_passes if {
	rehearsals := [_rehearsal("ev-r1", "2026-09-01T10:00:00Z", false), _rehearsal("ev-r2", "2026-11-01T10:00:00Z", true)]
	_res_1_messages(rehearsals) == set()
}

test_rehearsal_of_other_service_does_not_count if {
	other := object.union(_rehearsal("ev-r1", "2026-10-01T10:00:00Z", true), {"service": "ledger-api"})
	count(_res_1_messages([other])) == 1
}

test_two_rehearsals_at_one_time if {
	rehearsals := [_rehearsal("ev-r1", "2026-10-01T10:00:00Z", true), _rehearsal("ev-r2", "2026-10-01T10:00:00Z", true)]
	_res_1_messages(rehearsals) == set()
}
