package releasegate_test.controls.res_2

import rego.v1

import data.releasegate.controls.res_2

_service := {"name": "payments-api", "criticality": 0, "recovery": {"rto_minutes": 30, "rpo_minutes": 0}}

_test(id, performed_at) := {
	"id": id,
	"service": "payments-api",
	"performed_at": performed_at,
	"succeeded": true,
	"recovery_time_minutes": 22,
	"data_loss_minutes": 0,
}

_res_2_messages(service, tests) := {violation.msg |
	evidence := {"dr_tests": tests}
	some violation in res_2.violation with input.evidence as evidence
		with input.service as service
		with input.release as {"id": "rel-1", "service": "payments-api"}
		with input.now as "2026-12-04T20:00:00Z"
}

test_applicable_criticality_0_and_1 if {
	res_2.applicable with input.service as {"criticality": 0}
	res_2.applicable with input.service as {"criticality": 1}
}

test_not_applicable_criticality_3 if {
	not res_2.applicable with input.service as {"criticality": 3}
}

test_test_within_objectives_passes if {
	_res_2_messages(_service, [_test("ev-dr", "2026-06-01T08:00:00Z")]) == set()
}

test_missing_test if {
	_res_2_messages(_service, []) == {"no disaster recovery test of payments-api from the last 365 days attached; run one (fail over or restore from backup) and attach the result"}
}

test_old_test_does_not_count if {
	count(_res_2_messages(_service, [_test("ev-dr", "2025-06-01T08:00:00Z")])) == 1
}

test_missed_rto if {
	test := object.union(_test("ev-dr", "2026-06-01T08:00:00Z"), {"recovery_time_minutes": 95})
	_res_2_messages(_service, [test]) == {"the disaster recovery test ev-dr of payments-api on 2026-06-01T08:00:00Z recovered in 95 minutes, more than the recovery time objective of 30 minutes; make the recovery faster and test again"}
}

test_missed_rpo if {
	test := object.union(_test("ev-dr", "2026-06-01T08:00:00Z"), {"data_loss_minutes": 5})
	_res_2_messages(_service, [test]) == {"the disaster recovery test ev-dr of payments-api on 2026-06-01T08:00:00Z lost 5 minutes of data, more than the recovery point objective of 0 minutes; replicate or back up more often and test again"}
}

test_unmeasured_recovery if {
	test := object.remove(_test("ev-dr", "2026-06-01T08:00:00Z"), ["recovery_time_minutes"])
	count(_res_2_messages(_service, [test])) == 1
}

test_failed_test if {
	test := object.union(_test("ev-dr", "2026-06-01T08:00:00Z"), {"succeeded": false})
	_res_2_messages(_service, [test]) == {"the disaster recovery test ev-dr of payments-api on 2026-06-01T08:00:00Z did not succeed; fix the recovery and test again"}
}

test_latest_test_decides if {
	old_pass := _test("ev-dr-1", "2026-03-01T08:00:00Z")
	new_fail := object.union(_test("ev-dr-2", "2026-09-01T08:00:00Z"), {"recovery_time_minutes": 60})
	count(_res_2_messages(_service, [old_pass, new_fail])) == 1
}

test_objectives_not_declared if {
	service := object.remove(_service, ["recovery"])
	_res_2_messages(service, [_test("ev-dr", "2026-06-01T08:00:00Z")]) == {
		"service payments-api declares no recovery time objective (recovery.rto_minutes) in the catalog; add it",
		"service payments-api declares no recovery point objective (recovery.rpo_minutes) in the catalog; add it",
	}
}

test_two_tests_at_one_time if {
	first := _test("ev-dr-1", "2026-06-01T08:00:00Z")
	second := _test("ev-dr-2", "2026-06-01T08:00:00Z")
	_res_2_messages(_service, [first, second]) == set()
}
