package releasegate_test.controls.obs_1

import rego.v1

import data.releasegate.controls.obs_1

_service := {
	"name": "payments-api",
	"criticality": 0,
	"health_indicators": [
		{"name": "http-error-rate", "kind": "technical", "query": "sum(rate(http_requests_total[5m]))"},
		{"name": "settlement-completion-rate", "kind": "business", "query": "sum(rate(settlements_completed_total[5m]))"},
	],
}

_check := {
	"id": "ev-telemetry",
	"environment": "production",
	"checked_at": "2026-12-04T19:00:00Z",
	"signals": [
		{"kind": "logs", "declared": true, "returns_data": true},
		{"kind": "metrics", "declared": true, "returns_data": true},
		{"kind": "traces", "declared": true, "returns_data": true},
	],
	"indicators": [
		{"name": "http-error-rate", "returns_data": true},
		{"name": "settlement-completion-rate", "returns_data": true},
	],
}

_obs_1_messages(service, checks) := {violation.msg |
	evidence := {"telemetry": checks}
	some violation in obs_1.violation with input.service as service
		with input.evidence as evidence
		with input.release as {"id": "rel-1", "service": "payments-api"}
		with input.now as "2026-12-04T20:00:00Z"
		with input.environment as "production"
}

test_applicable_to_production if {
	obs_1.applicable with input.environment as "production"
}

test_not_applicable_to_staging if {
	not obs_1.applicable with input.environment as "staging"
}

test_ready_service_passes if {
	_obs_1_messages(_service, [_check]) == set()
}

test_no_business_indicator if {
	service := object.union(_service, {"health_indicators": [_service.health_indicators[0]]})
	check := object.union(_check, {"indicators": [{"name": "http-error-rate", "returns_data": true}]})
	_obs_1_messages(service, [check]) == {"service payments-api declares no business health indicator in the catalog; add one of kind business, such as a transaction completion rate"}
}

test_no_check if {
	_obs_1_messages(_service, []) == {"no telemetry check younger than 24 hours attached; query the service's logs, metrics, traces and health indicators and attach the result"}
}

test_old_check if {
	check := object.union(_check, {"checked_at": "2026-12-02T19:00:00Z"})
	count(_obs_1_messages(_service, [check])) == 1
}

test_traces_return_no_data if {
	check := object.union(_check, {"signals": [
		{"kind": "logs", "declared": true, "returns_data": true},
		{"kind": "metrics", "declared": true, "returns_data": true},
		{"kind": "traces", "declared": true, "returns_data": false},
	]})
	_obs_1_messages(_service, [check]) == {"no recent telemetry check shows traces of service payments-api declared and returning data; declare the source and make it return data, then check again"}
}

test_indicator_returns_no_data if {
	check := object.union(_check, {"indicators": [{"name": "http-error-rate", "returns_data": true}]})
	_obs_1_messages(_service, [check]) == {"no recent telemetry check shows health indicator settlement-completion-rate returning data; fix its query or the metrics it reads, then check again"}
}

test_service_not_in_catalog if {
	"service payments-api declares no business health indicator in the catalog; add one of kind business, such as a transaction completion rate" in _obs_1_messages(null, [_check])
}
