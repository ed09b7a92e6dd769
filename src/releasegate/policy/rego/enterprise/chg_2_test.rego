package releasegate_test.controls.chg_2

import rego.v1

import data.releasegate.controls.chg_2

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so tests
# bind fixtures to local variables before a `with` clause.

_assessment := {
	"tier": "critical",
	"score": 11,
	"contributions": [
		{"factor": "criticality", "points": 5, "reason": "criticality 0 service (payments-api) adds 5"},
		{"factor": "data_classification", "points": 2, "reason": "regulated data adds 2"},
	],
}

_messages(assessment, problems) := {violation.msg |
	some violation in chg_2.violation with data.releasegate.risk.assessment as assessment
		with data.releasegate.risk.problems as problems
}

_messages_from_input(service, release) := {violation.msg |
	some violation in chg_2.violation with input.service as service with input.release as release
}

_portal_service := {
	"name": "reporting-portal", "criticality": 3, "finance_processes": ["reporting"],
	"data_classification": "internal", "regions": ["eu-west-1"], "legal_entities": ["acme-group"],
}

test_applicable if {
	chg_2.applicable
}

test_recorded_assessment_passes if {
	_messages(_assessment, set()) == set()
}

test_problems_reported if {
	release := {"id": "rel-2", "service": "billing-api", "change_type": "normal"}
	_messages_from_input(null, release) == {"no risk tier was computed: service billing-api is not in the service catalog"}
}

test_undefined_without_problem if {
	# A service entry without legal_entities gives no assessment and no named problem.
	service := object.remove(_portal_service, ["legal_entities"])
	release := {"id": "rel-2", "service": "reporting-portal", "change_type": "normal"}
	_messages_from_input(service, release) == {"no risk tier was computed for the release"}
}

test_missing_tier if {
	_messages(object.remove(_assessment, ["tier"]), set()) == {"the risk assessment has no tier"}
}

test_contribution_without_reason if {
	assessment := object.union(_assessment, {"contributions": [
		{"factor": "criticality", "points": 5, "reason": "criticality 0 service (payments-api) adds 5"},
		{"factor": "regions", "points": 1, "reason": ""},
	]})
	_messages(assessment, set()) == {"risk contribution 2 (regions) has no reason"}
}

test_contribution_without_factor if {
	assessment := object.union(_assessment, {"contributions": [{"points": 5, "reason": "adds 5"}]})
	_messages(assessment, set()) == {"risk contribution 1 has no factor"}
}

test_real_risk_for_catalog_service if {
	release := {"id": "rel-2", "service": "reporting-portal", "change_type": "normal"}
	_messages_from_input(_portal_service, release) == set()
}
