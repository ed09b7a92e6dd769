# METADATA
# title: Rollout strategy fits criticality
# description: >-
#   The production rollout plan of the release fits the service: services of
#   criticality up to params rollout.canary_max_criticality (0 by default)
#   roll out as a canary with automated rollback, and a service that runs in
#   several regions rolls out region by region, one region per wave,
#   covering every region of the service. The plans come from
#   input.evidence.rollout_plans.
# custom:
#   id: RES-3
#   short_name: rollout_fits_criticality
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: The rollout plan does not fit the service's criticality or regions
#   solution: >-
#     Plan the production rollout as a canary with automated rollback for
#     the most critical services, and in waves of one region each for
#     services in several regions; attach the plan.
package releasegate.controls.res_3

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_canary_path := ["rollout", "canary_max_criticality"]

_plans := [plan |
	some plan in evidence.items("rollout_plans")
	plan.environment == "production"
	plan.release_id == evidence.release_field("id")
]

_regions := [region | some region in evidence.list_of(input.service.regions); is_string(region)]

# METADATA
# title: Applies to production
# description: Applies when the release is evaluated for the production environment.
default applicable := false

applicable if evidence.environment == "production"

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Canary limit configured
# description: Params rollout.canary_max_criticality is a number.
# custom:
#   short_name: canary_configured
#   failure_msg: The canary criticality limit is not configured
#   solution: Set params rollout.canary_max_criticality to a number.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_canary_path)
}

# METADATA
# title: Rollout plan attached
# description: A production rollout plan of the release is attached.
# custom:
#   short_name: plan_attached
#   failure_msg: No production rollout plan is attached
#   solution: Attach the production rollout plan of the release.
violation contains {"msg": msg} if {
	applicable
	count(_plans) == 0
	msg := text.join([
		"no production rollout plan of release ", evidence.release_field("id"),
		" attached; attach the plan with its strategy, automated rollback and waves",
	])
}

# METADATA
# title: Canary with automated rollback
# description: >-
#   The most critical services roll out as a canary with automated
#   rollback. A service whose criticality is unknown counts as one of them.
# custom:
#   short_name: canary_with_rollback
#   failure_msg: A critical service does not roll out as a canary with automated rollback
#   solution: Plan the rollout as a canary whose health gate rolls back automatically.
violation contains {"msg": msg} if {
	applicable
	scope.up_to_criticality(scope.param(_canary_path))
	some plan in _plans
	not _canary_with_rollback(plan)
	msg := text.join([
		"rollout plan ", evidence.record_id(plan), " uses strategy ", object.get(plan, "strategy", null),
		_rollback_text(plan), ", but a service of criticality ", _criticality_text,
		" rolls out as a canary with automated rollback; change the plan",
	])
}

# METADATA
# title: Region by region
# description: >-
#   A service in several regions rolls out in waves of exactly one region
#   each, and the waves cover every region of the service.
# custom:
#   short_name: region_by_region
#   failure_msg: A service in several regions does not roll out region by region
#   solution: Split the rollout into waves of one region each, covering every region of the service.
violation contains {"msg": msg} if {
	applicable
	count(_regions) > 1
	some plan in _plans
	some index, wave in evidence.list_of(plan.waves)
	count(evidence.list_of(wave.regions)) != 1
	msg := text.join([
		"rollout plan ", evidence.record_id(plan), " wave ", index + 1, " covers ", _wave_regions_text(wave),
		", but a service in several regions rolls out one region per wave; split the wave",
	])
}

# METADATA
# title: Every region covered
# description: The waves of a service in several regions cover every region of the service.
# custom:
#   short_name: every_region_covered
#   failure_msg: A region of the service has no wave in the rollout plan
#   solution: Add a wave for each region of the service.
violation contains {"msg": msg} if {
	applicable
	count(_regions) > 1
	some plan in _plans
	covered := {region | some wave in evidence.list_of(plan.waves); some region in evidence.list_of(wave.regions)}
	missing := [region | some region in _regions; not region in covered]
	count(missing) > 0
	msg := text.join([
		"rollout plan ", evidence.record_id(plan), " has no wave for region ", text.list(missing),
		" of the service; add a wave for each region",
	])
}

# METADATA
# title: Regions known
# description: The service is in the catalog with its regions, which decide whether it rolls out region by region.
# custom:
#   short_name: regions_known
#   failure_msg: The service's regions are unknown
#   solution: Add the service to the catalog with its regions.
violation contains {"msg": "the service has no regions in the catalog, so its rollout waves cannot be checked"} if {
	applicable
	count(_regions) == 0
}

_canary_with_rollback(plan) if {
	plan.strategy == "canary"
	plan.automated_rollback == true
}

_rollback_text(plan) := " with automated rollback" if {
	plan.automated_rollback == true
} else := " without automated rollback"

_criticality_text := text.join([scope.criticality]) if {
	scope.criticality
} else := "unknown criticality"

_wave_regions_text(wave) := text.join(["regions ", text.list(regions)]) if {
	regions := evidence.list_of(wave.regions)
	count(regions) > 1
} else := "no region"
