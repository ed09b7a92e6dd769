package releasegate_test.risk

import rego.v1

import data.releasegate.risk

_payments_service := {
	"name": "payments-api",
	"title": "Payments API",
	"criticality": 0,
	"finance_processes": ["payments", "reconciliation"],
	"data_classification": "regulated",
	"regions": ["eu-west-1", "eu-central-1"],
	"legal_entities": ["acme-bank-eu"],
}

_portal_service := {
	"name": "reporting-portal",
	"title": "Internal reporting portal",
	"criticality": 3,
	"finance_processes": ["reporting"],
	"data_classification": "internal",
	"regions": ["eu-west-1"],
	"legal_entities": ["acme-group"],
}

_normal_release(service) := {"id": "rel-1", "service": service, "change_type": "normal"}

test_payments_service_is_critical if {
	contributions := risk.contributions(_payments_service, _normal_release("payments-api"))
	contributions == [
		{"factor": "criticality", "points": 5, "reason": "criticality 0 service (payments-api) adds 5"},
		{"factor": "data_classification", "points": 2, "reason": "regulated data adds 2"},
		{"factor": "finance_process", "points": 2, "reason": "payments finance process adds 2"},
		{"factor": "finance_process", "points": 1, "reason": "reconciliation finance process adds 1"},
		{"factor": "regions", "points": 1, "reason": "2 regions (eu-central-1, eu-west-1) add 1 (1 per region beyond the first)"},
		{"factor": "legal_entities", "points": 0, "reason": "1 legal entity (acme-bank-eu) adds 0 (1 per legal entity beyond the first)"},
		{"factor": "affected_services", "points": 0, "reason": "no other services add 0 (1 per other service)"},
		{"factor": "change_type", "points": 0, "reason": "normal change adds 0"},
		{"factor": "linked_change", "points": 0, "reason": "no linked change adds 0"},
		{"factor": "timing", "points": 0, "reason": "deployment outside every freeze period adds 0"},
	]
	risk._assess(_payments_service, _normal_release("payments-api")) == {
		"tier": "critical",
		"score": 11,
		"contributions": contributions,
	}
}

test_reporting_portal_is_low if {
	assessment := risk._assess(_portal_service, _normal_release("reporting-portal"))
	assessment.tier == "low"
	assessment.score == 1
}

test_emergency_change_adds_risk if {
	release := object.union(_normal_release("reporting-portal"), {"change_type": "emergency"})
	assessment := risk._assess(_portal_service, release)
	{"factor": "change_type", "points": 3, "reason": "emergency change adds 3"} in assessment.contributions
	assessment.score == 4
	assessment.tier == "medium"
}

test_close_and_treasury_weigh_more if {
	service := object.union(_portal_service, {"finance_processes": ["treasury", "close", "tax"]})
	contributions := risk.contributions(service, _normal_release("reporting-portal"))
	{"factor": "finance_process", "points": 2, "reason": "close finance process adds 2"} in contributions
	{"factor": "finance_process", "points": 2, "reason": "treasury finance process adds 2"} in contributions
	{"factor": "finance_process", "points": 1, "reason": "tax finance process adds 1"} in contributions
}

test_no_finance_process_recorded if {
	service := object.union(_portal_service, {"finance_processes": []})
	contributions := risk.contributions(service, _normal_release("reporting-portal"))
	{"factor": "finance_process", "points": 0, "reason": "no finance process adds 0"} in contributions
}

test_legal_entities_add_blast_radius if {
	service := object.union(_portal_service, {"legal_entities": ["acme-bank-eu", "acme-bank-uk", "acme-pay"]})
	contributions := risk.contributions(service, _normal_release("reporting-portal"))
	{
		"factor": "legal_entities", "points": 2,
		"reason": "3 legal entities (acme-bank-eu, acme-bank-uk, acme-pay) add 2 (1 per legal entity beyond the first)",
	} in contributions
}

test_no_legal_entity_adds_nothing if {
	service := object.union(_portal_service, {"legal_entities": []})
	contributions := risk.contributions(service, _normal_release("reporting-portal"))
	{
		"factor": "legal_entities", "points": 0,
		"reason": "no legal entities add 0 (1 per legal entity beyond the first)",
	} in contributions
}

test_tier_thresholds if {
	risk.tier_for(0) == "low"
	risk.tier_for(2) == "low"
	risk.tier_for(3) == "medium"
	risk.tier_for(5) == "medium"
	risk.tier_for(6) == "high"
	risk.tier_for(8) == "high"
	risk.tier_for(9) == "critical"
	risk.tier_for(20) == "critical"
}

test_tier_thresholds_from_params if {
	tier := risk.tier_for(1) with data.releasegate.params.risk.tier_thresholds as {"medium": 1, "high": 2, "critical": 3}
	tier == "medium"
}

test_weights_from_params if {
	service := _portal_service
	release := _normal_release("reporting-portal")
	assessment := risk._assess(service, release) with data.releasegate.params.risk.criticality_points as {"3": 10}
	assessment.score == 11
	assessment.tier == "critical"
}

test_no_problems_for_known_service if {
	risk.problems_for(_payments_service, _normal_release("payments-api")) == set()
}

test_problem_service_not_in_catalog if {
	risk.problems_for(null, _normal_release("billing-api")) == {"service billing-api is not in the service catalog"}
}

test_problem_unknown_weights if {
	service := object.union(_portal_service, {"criticality": 4, "data_classification": "secret"})
	release := object.union(_normal_release("reporting-portal"), {"change_type": "urgent"})
	risk.problems_for(service, release) == {
		"params risk.criticality_points has no number for criticality 4",
		"params risk.data_classification_points has no number for secret",
		"params risk.change_type_points has no number for change type urgent",
	}
}

test_problem_missing_threshold if {
	problems := risk.problems_for(_payments_service, _normal_release("payments-api")) with data.releasegate.params.risk.tier_thresholds as {"medium": 3, "high": 6}
	problems == {"params risk.tier_thresholds.critical is not a number"}
}

test_assessment_from_input if {
	service := _payments_service
	release := _normal_release("payments-api")
	assessment := risk.assessment with input.service as service with input.release as release
	assessment.tier == "critical"
	assessment.score == 11
}

test_assessment_undefined_without_service if {
	release := _normal_release("billing-api")
	not risk.assessment with input.service as null with input.release as release
	risk.problems == {"service billing-api is not in the service catalog"} with input.service as null with input.release as release
}

test_assessment_undefined_with_unknown_weight if {
	service := object.union(_payments_service, {"data_classification": "secret"})
	release := _normal_release("payments-api")
	not risk.assessment with input.service as service with input.release as release
}

test_problem_release_names_no_service if {
	risk.problems_for(null, {"id": "rel-1", "change_type": "normal"}) == {"the release names no service"}
}

test_linked_changes_add_risk_once_per_kind if {
	release := object.union(_normal_release("reporting-portal"), {"linked_changes": [
		{"kind": "database-migration", "reference": "migrations/0042.sql"},
		{"kind": "database-migration", "reference": "migrations/0043.sql"},
		{"kind": "privileged-iam", "reference": "iam/payments-admin.tf"},
	]})
	contributions := risk.contributions(_portal_service, release)
	{"factor": "linked_change", "points": 2, "reason": "database-migration change linked to the release adds 2"} in contributions
	{"factor": "linked_change", "points": 3, "reason": "privileged-iam change linked to the release adds 3"} in contributions
	risk._assess(_portal_service, release).score == 6
}

test_affected_services_add_blast_radius if {
	release := object.union(_normal_release("reporting-portal"), {"affected_services": ["ledger-api", "fx-rates"]})
	contributions := risk.contributions(_portal_service, release)
	{"factor": "affected_services", "points": 2, "reason": "2 other services (fx-rates, ledger-api) add 2 (1 per other service)"} in contributions
}

test_freeze_period_adds_timing_risk if {
	contributions := risk.contributions(_portal_service, _normal_release("reporting-portal")) with input.calendar as {"freezes": [{"name": "month-end-close"}]}
	{"factor": "timing", "points": 1, "reason": "deployment during freeze period month-end-close adds 1"} in contributions
}

test_unknown_linked_change_kind_is_a_problem if {
	release := object.union(_normal_release("reporting-portal"), {"linked_changes": [{"kind": "mainframe", "reference": "x"}]})
	"params risk.linked_change_points has no number for mainframe" in risk.problems_for(_portal_service, release)
}
