package releasegate_test.controls.res_3

import rego.v1

import data.releasegate.controls.res_3

_service := {"name": "payments-api", "criticality": 0, "regions": ["eu-west-1", "eu-central-1"]}

_plan := {
	"id": "ev-plan",
	"release_id": "rel-1",
	"environment": "production",
	"strategy": "canary",
	"automated_rollback": true,
	"waves": [{"regions": ["eu-west-1"]}, {"regions": ["eu-central-1"]}],
}

_res_3_messages(service, plans) := {violation.msg |
	evidence := {"rollout_plans": plans}
	some violation in res_3.violation with input.evidence as evidence
		with input.service as service
		with input.release as {"id": "rel-1", "service": "payments-api"}
		with input.environment as "production"
}

test_applicable_to_production if {
	res_3.applicable with input.environment as "production"
}

test_not_applicable_to_staging if {
	not res_3.applicable with input.environment as "staging"
}

test_canary_region_by_region_passes if {
	_res_3_messages(_service, [_plan]) == set()
}

test_missing_plan if {
	_res_3_messages(_service, []) == {"no production rollout plan of release rel-1 attached; attach the plan with its strategy, automated rollback and waves"}
}

test_rolling_for_criticality_0 if {
	plan := object.union(_plan, {"strategy": "rolling"})
	_res_3_messages(_service, [plan]) == {"rollout plan ev-plan uses strategy rolling with automated rollback, but a service of criticality 0 rolls out as a canary with automated rollback; change the plan"}
}

test_canary_without_automated_rollback if {
	plan := object.union(_plan, {"automated_rollback": false})
	_res_3_messages(_service, [plan]) == {"rollout plan ev-plan uses strategy canary without automated rollback, but a service of criticality 0 rolls out as a canary with automated rollback; change the plan"}
}

test_rolling_passes_for_criticality_2 if {
	service := object.union(_service, {"criticality": 2})
	_res_3_messages(service, [object.union(_plan, {"strategy": "rolling", "automated_rollback": false})]) == set()
}

test_both_regions_in_one_wave if {
	plan := object.union(_plan, {"waves": [{"regions": ["eu-west-1", "eu-central-1"]}]})
	_res_3_messages(_service, [plan]) == {"rollout plan ev-plan wave 1 covers regions eu-central-1, eu-west-1, but a service in several regions rolls out one region per wave; split the wave"}
}

test_region_without_wave if {
	plan := object.union(_plan, {"waves": [{"regions": ["eu-west-1"]}]})
	_res_3_messages(_service, [plan]) == {"rollout plan ev-plan has no wave for region eu-central-1 of the service; add a wave for each region"}
}

test_single_region_service_may_roll_out_at_once if {
	service := object.union(_service, {"regions": ["eu-west-1"]})
	_res_3_messages(service, [object.union(_plan, {"waves": [{"regions": ["eu-west-1"]}]})]) == set()
}

test_service_not_in_catalog if {
	_res_3_messages(null, [_plan]) == {"the service has no regions in the catalog, so its rollout waves cannot be checked"}
}
