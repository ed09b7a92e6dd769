package releasegate_test.controls.tst_2

import rego.v1

import data.releasegate.controls.tst_2

_release := {"id": "rel-1", "artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}

_service := {"name": "payments-api", "criticality": 0, "finance_processes": ["payments", "reconciliation"]}

_run(id, process) := {
	"id": id,
	"environment": "staging",
	"artifact_digests": ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
	"finance_process": process,
	"scenario": "end to end",
	"passed": true,
	"transactions": 40,
	"failures": 0,
	"finished_at": "2026-12-04T18:00:00Z",
}

_tst_2_messages(service, runs) := {violation.msg |
	release := _release
	evidence := {"synthetic_tests": runs}
	some violation in tst_2.violation with input.release as release
		with input.service as service
		with input.evidence as evidence
		with input.environment as "production"
}

test_applicable_to_production_of_criticality_0 if {
	tst_2.applicable with input.environment as "production" with input.service as {"criticality": 0}
}

test_not_applicable_to_criticality_1 if {
	not tst_2.applicable with input.environment as "production" with input.service as {"criticality": 1}
}

test_not_applicable_before_production if {
	not tst_2.applicable with input.environment as "staging" with input.service as {"criticality": 0}
}

test_every_process_passed if {
	_tst_2_messages(_service, [_run("ev-1", "payments"), _run("ev-2", "reconciliation")]) == set()
}

test_process_missing if {
	_tst_2_messages(_service, [_run("ev-1", "payments")]) == {"no synthetic business transaction test of the reconciliation process attached for the release's artifacts in staging; run one end to end (for example a payment from initiation to settlement) and attach its result"}
}

test_no_runs if {
	count(_tst_2_messages(_service, [])) == 2
}

test_failed_run if {
	failed := object.union(_run("ev-2", "reconciliation"), {"passed": false, "failures": 3})
	_tst_2_messages(_service, [_run("ev-1", "payments"), failed]) == {"synthetic test run ev-2 of the reconciliation process in staging did not pass (3 of 40 transactions failed); fix the failure and run it again"}
}

test_empty_run if {
	empty := object.union(_run("ev-2", "reconciliation"), {"transactions": 0})
	_tst_2_messages(_service, [_run("ev-1", "payments"), empty]) == {"synthetic test run ev-2 of the reconciliation process in staging did not pass (no transactions ran); fix the failure and run it again"}
}

test_run_of_other_artifacts_does_not_count if {
	other := object.union(_run("ev-2", "reconciliation"), {"artifact_digests": ["sha256:1111"]})
	count(_tst_2_messages(_service, [_run("ev-1", "payments"), other])) == 1
}

test_run_in_other_environment_does_not_count if {
	other := object.union(_run("ev-2", "reconciliation"), {"environment": "development"})
	count(_tst_2_messages(_service, [_run("ev-1", "payments"), other])) == 1
}

test_service_without_processes_needs_one_run if {
	service := object.union(_service, {"finance_processes": []})
	_tst_2_messages(service, []) == {"no synthetic business transaction test of any finance process attached for the release's artifacts in staging; run one end to end (for example a payment from initiation to settlement) and attach its result"}
	_tst_2_messages(service, [_run("ev-1", "payments")]) == set()
}

test_not_applicable_reports_nothing if {
	release := _release
	service := object.union(_service, {"criticality": 1})
	count(tst_2.violation) == 0 with input.release as release with input.service as service with input.evidence as {} with input.environment as "production"
}
