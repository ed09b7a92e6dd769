package releasegate_test.gate

import rego.v1

import data.releasegate.gate
import data.releasegate.lib.exceptions

# NOTE: the tests call gate.build_report with control results as values. In
# regopy 1.5.2 `with data.releasegate.controls as {...}` adds to the
# evaluated packages instead of replacing them, and planning every control
# under `with` took about 44 seconds and 13 GB of memory for one query. The
# Python tests in tests/unit/policy/test_controls.py cover the report with
# the real controls.

_now := "2026-12-04T20:00:00Z"

_release := {"id": "rel-1", "service": "payments-api", "change_type": "normal"}

_assessment := {"tier": "low", "score": 1, "contributions": [{"factor": "criticality", "points": 1, "reason": "adds 1"}]}

_finding_violation := {
	"msg": "Bandit finding B602 (high) at src/app.py:14 is at or above the blocking severity high",
	"key": "3a5f9c1e7b2d",
	"keys": ["3a5f9c1e7b2d", "B602"],
}

_other_finding_violation := {
	"msg": "Bandit finding B105 (critical) at src/config.py:3 is at or above the blocking severity high",
	"key": "77c0a2d4",
	"keys": ["77c0a2d4", "B105"],
}

_author_violation := {"msg": "alice approved the release but is an author of the release (approval apr-1)"}

_controls := {
	"vul_1": {"applicable": true, "violation": {_finding_violation, _other_finding_violation}},
	"sod_1": {"applicable": true, "violation": {_author_violation}},
	"tst_1": {"applicable": true, "violation": set()},
}

_exception(id, control_id, finding) := {
	"id": id,
	"control_id": control_id,
	"scope": {"service": "payments-api", "release_id": null, "finding": finding},
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

# The exceptions the library finds usable for the release, at _now.
_usable_of(exception_list) := result if {
	release := _release
	now := _now
	result := exceptions.usable with input.release as release
		with input.now as now
		with input.exceptions as exception_list
}

_vul_1_violations(exception_list) := violations if {
	report := gate.build_report(_controls, _assessment, _usable_of(exception_list))
	violations := report.controls.vul_1.violations
}

test_report_shape if {
	report := gate.build_report(_controls, _assessment, set())
	report.risk == _assessment
	report.controls == {
		"tst_1": {"applicable": true, "violations": []},
		"sod_1": {"applicable": true, "violations": [_author_violation]},
		"vul_1": {"applicable": true, "violations": sort([_finding_violation, _other_finding_violation])},
	}
}

test_risk_null_passed_through if {
	gate.build_report(_controls, null, set()).risk == null
}

test_not_applicable_control_reported if {
	controls := {"iac_1": {"applicable": false, "violation": set()}}
	gate.build_report(controls, _assessment, set()).controls == {"iac_1": {"applicable": false, "violations": []}}
}

test_control_without_applicable_has_no_entry if {
	controls := {"chg_9": {"violation": set()}, "tst_1": {"applicable": true, "violation": set()}}
	object.keys(gate.build_report(controls, _assessment, set()).controls) == {"tst_1"}
}

test_control_without_violation_set_has_no_entry if {
	controls := {"chg_9": {"applicable": true}, "tst_1": {"applicable": true, "violation": set()}}
	object.keys(gate.build_report(controls, _assessment, set()).controls) == {"tst_1"}
}

test_waiver_by_fingerprint if {
	violations := _vul_1_violations([_exception("exc-1", "VUL-1", "3a5f9c1e7b2d")])
	object.union(_finding_violation, {"waived_by": "exc-1"}) in violations
	_other_finding_violation in violations
}

test_waiver_by_rule_id if {
	violations := _vul_1_violations([_exception("exc-1", "VUL-1", "B602")])
	object.union(_finding_violation, {"waived_by": "exc-1"}) in violations
	_other_finding_violation in violations
}

test_wrong_finding_not_waived if {
	violations := _vul_1_violations([_exception("exc-1", "VUL-1", "B999")])
	violations == sort([_finding_violation, _other_finding_violation])
}

test_control_wide_waiver if {
	violations := _vul_1_violations([_exception("exc-1", "VUL-1", null)])
	violations == sort([
		object.union(_finding_violation, {"waived_by": "exc-1"}),
		object.union(_other_finding_violation, {"waived_by": "exc-1"}),
	])
}

test_waiver_for_other_control_ignored if {
	violations := _vul_1_violations([_exception("exc-1", "TST-1", null)])
	violations == sort([_finding_violation, _other_finding_violation])
}

test_lowest_exception_id_waives if {
	exception_list := [_exception("exc-7", "VUL-1", "B602"), _exception("exc-3", "VUL-1", null)]
	violations := _vul_1_violations(exception_list)
	object.union(_finding_violation, {"waived_by": "exc-3"}) in violations
}

test_self_approved_exception_not_waiving if {
	exception := object.union(_exception("exc-1", "VUL-1", "B602"), {"approver": "alice"})
	_vul_1_violations([exception]) == sort([_finding_violation, _other_finding_violation])
}

test_expired_exception_not_waiving if {
	exception := object.union(_exception("exc-1", "VUL-1", "B602"), {"expires_at": "2026-12-04T19:00:00Z"})
	_vul_1_violations([exception]) == sort([_finding_violation, _other_finding_violation])
}

test_out_of_scope_exception_not_waiving if {
	exception := object.union(_exception("exc-1", "VUL-1", "B602"), {"scope": {"service": "ledger-api", "finding": "B602"}})
	_vul_1_violations([exception]) == sort([_finding_violation, _other_finding_violation])
}

test_non_waivable_control_not_waived if {
	report := gate.build_report(_controls, _assessment, _usable_of([_exception("exc-1", "SOD-1", null)]))
	report.controls.sod_1.violations == [_author_violation]
}

test_non_waivable_control_in_lowercase_not_waived if {
	report := gate.build_report(_controls, _assessment, _usable_of([_exception("exc-1", "sod-1", null)]))
	report.controls.sod_1.violations == [_author_violation]
}

test_risk_null_without_assessment if {
	release := object.union(_release, {"service": "billing-api"})
	risk := gate._risk with input.service as null with input.release as release
	risk == null
}

test_risk_from_assessment if {
	assessment := _assessment
	gate._risk == _assessment with data.releasegate.risk.assessment as assessment
}
