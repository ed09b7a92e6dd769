package releasegate_test.controls.det_2

import rego.v1

import data.releasegate.controls.det_2

_service := {
	"name": "payments-api",
	"criticality": 0,
	"health_indicators": [
		{"name": "http-error-rate", "kind": "technical", "query": "q1"},
		{"name": "settlement-completion-rate", "kind": "business", "query": "q2"},
	],
}

_deployment := {"id": "ev-dep", "release_id": "rel-1", "service": "payments-api", "environment": "production", "status": "succeeded", "finished_at": "2026-12-04T12:00:00Z"}

_health := {
	"id": "ev-health",
	"release_id": "rel-1",
	"environment": "production",
	"started_at": "2026-12-04T12:00:00Z",
	"ended_at": "2026-12-04T13:00:00Z",
	"indicators": [
		{"name": "http-error-rate", "kind": "technical", "within_bounds": true},
		{"name": "settlement-completion-rate", "kind": "business", "within_bounds": true},
	],
}

_det_2_messages(service, deployments, health) := {violation.msg |
	evidence := {"deployments": deployments, "health": health}
	some violation in det_2.violation with input.evidence as evidence
		with input.service as service
		with input.release as {"id": "rel-1", "service": "payments-api"}
}

test_applicable_after_succeeded_deployment if {
	evidence := {"deployments": [_deployment]}
	det_2.applicable with input.evidence as evidence with input.release as {"id": "rel-1"}
}

test_not_applicable_before_deployment if {
	not det_2.applicable with input.evidence as {"deployments": []} with input.release as {"id": "rel-1"}
}

test_healthy_bake_passes if {
	_det_2_messages(_service, [_deployment], [_health]) == set()
}

test_missing_health_record if {
	_det_2_messages(_service, [_deployment], []) == {"no health record attached for the production deployment ev-dep of release rel-1; attach the health gate results of the bake period"}
}

test_short_bake if {
	health := object.union(_health, {"ended_at": "2026-12-04T12:20:00Z"})
	_det_2_messages(_service, [_deployment], [health]) == {"health record ev-health of the production deployment covers 20 minutes, less than the bake period of 60 minutes; watch the whole bake period"}
}

test_indicator_out_of_bounds if {
	health := object.union(_health, {"indicators": [
		{"name": "http-error-rate", "kind": "technical", "within_bounds": true},
		{"name": "settlement-completion-rate", "kind": "business", "within_bounds": false},
	]})
	_det_2_messages(_service, [_deployment], [health]) == {"health indicator settlement-completion-rate left its bounds or was not judged during the bake of the production deployment (health record ev-health); investigate it and roll back if the release caused it"}
}

test_indicator_not_watched if {
	health := object.union(_health, {"indicators": [{"name": "http-error-rate", "kind": "technical", "within_bounds": true}]})
	_det_2_messages(_service, [_deployment], [health]) == {"health indicator settlement-completion-rate was not watched during the bake of the production deployment (health record ev-health); investigate it and roll back if the release caused it"}
}

test_no_business_indicator_declared if {
	service := object.union(_service, {"health_indicators": [_service.health_indicators[0]]})
	_det_2_messages(service, [_deployment], [_health]) == {"service payments-api declares no business health indicator in the catalog, so its health after release cannot be judged; add one"}
}
