# METADATA
# title: Health stayed within bounds after release
# description: >-
#   After each succeeded deployment of the release, a health record of its
#   environment covers at least params detective.bake_minutes of bake time,
#   watched every health indicator the catalog declares for the service (at
#   least one technical and one business indicator), and every indicator
#   stayed within bounds. The control applies once a deployment of the
#   release has succeeded. The deployments come from
#   input.evidence.deployments and the health records from
#   input.evidence.health. This control reports and does not block.
# custom:
#   id: DET-2
#   short_name: healthy_after_release
#   blocking: false
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: A health indicator left its bounds during the bake period, or the bake was not watched
#   solution: >-
#     Investigate the indicator that left its bounds and roll back if the
#     release caused it; make sure the health gate watches every declared
#     indicator for the whole bake period and attach its record.
package releasegate.controls.det_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_bake_path := ["detective", "bake_minutes"]

_bake_minutes := scope.param(_bake_path)

_release_id := evidence.release_field("id")

_deployments := [deployment |
	some deployment in evidence.items("deployments")
	deployment.release_id == _release_id
	deployment.status == "succeeded"
]

_indicators := [indicator |
	some indicator in evidence.list_of(input.service.health_indicators)
	text.present(indicator.name)
]

# METADATA
# title: Applies after a succeeded deployment
# description: Applies once a deployment of the release has succeeded in some environment.
default applicable := false

applicable if count(_deployments) > 0

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Bake time configured
# description: Params detective.bake_minutes is a number.
# custom:
#   short_name: bake_configured
#   failure_msg: The bake period is not configured
#   solution: Set params detective.bake_minutes to a number of minutes.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_bake_path)
}

# METADATA
# title: Indicators declared
# description: The service declares at least one technical and one business health indicator in the catalog.
# custom:
#   short_name: indicators_declared
#   failure_msg: The service does not declare a technical and a business health indicator
#   solution: Add health indicators of kind technical and business to the service's catalog entry.
violation contains {"msg": msg} if {
	applicable
	some kind in ["technical", "business"]
	not _declares(kind)
	msg := text.join([
		"service ", evidence.release_field("service"), " declares no ", kind,
		" health indicator in the catalog, so its health after release cannot be judged; add one",
	])
}

# METADATA
# title: Bake watched
# description: Each succeeded deployment has a health record of its environment that covers the bake period.
# custom:
#   short_name: bake_watched
#   failure_msg: A deployment has no health record for the whole bake period
#   solution: Let the health gate watch the deployment for the whole bake period and attach its record.
violation contains {"msg": msg} if {
	applicable
	some deployment in _deployments
	count(_records(deployment)) == 0
	msg := text.join([
		"no health record attached for the ", deployment.environment, " deployment ", evidence.record_id(deployment),
		" of release ", _release_id, "; attach the health gate results of the bake period",
	])
}

# METADATA
# title: Bake long enough
# description: Each health record covers at least params detective.bake_minutes.
# custom:
#   short_name: bake_long_enough
#   failure_msg: A health record covers less than the bake period
#   solution: Let the health gate watch the deployment for the whole bake period.
violation contains {"msg": msg} if {
	applicable
	some deployment in _deployments
	some record in _records(deployment)
	not _covers_bake(record)
	msg := text.join([
		"health record ", evidence.record_id(record), " of the ", deployment.environment, " deployment covers ",
		_duration_text(record), ", less than the bake period of ", _bake_minutes, " minutes; watch the whole bake period",
	])
}

# METADATA
# title: Indicators within bounds
# description: Each health record watched every declared indicator, and each stayed within bounds.
# custom:
#   short_name: indicators_within_bounds
#   failure_msg: A health indicator left its bounds or was not watched
#   solution: Investigate the indicator and roll back if the release caused it; watch every declared indicator.
violation contains {"msg": msg, "key": indicator.name} if {
	applicable
	some deployment in _deployments
	some record in _records(deployment)
	some indicator in _indicators
	not _within_bounds(record, indicator.name)
	msg := text.join([
		"health indicator ", indicator.name, " ", _indicator_problem(record, indicator.name), " during the bake of the ",
		deployment.environment, " deployment (health record ", evidence.record_id(record),
		"); investigate it and roll back if the release caused it",
	])
}

_declares(kind) if {
	some indicator in _indicators
	indicator.kind == kind
}

_records(deployment) := [record |
	some record in evidence.items("health")
	record.release_id == _release_id
	record.environment == deployment.environment
]

_covers_bake(record) if {
	is_number(_bake_minutes)
	timestamps.valid(record.started_at)
	timestamps.valid(record.ended_at)
	timestamps.elapsed(record.started_at, record.ended_at, timestamps.ns_per_minute) >= _bake_minutes
}

_duration_text(record) := text.join([timestamps.elapsed(record.started_at, record.ended_at, timestamps.ns_per_minute), " minutes"]) if {
	timestamps.valid(record.started_at)
	timestamps.valid(record.ended_at)
} else := "an unknown time"

_results(record, name) := [result |
	some result in evidence.list_of(record.indicators)
	result.name == name
]

_within_bounds(record, name) if {
	results := _results(record, name)
	count(results) > 0
	every result in results {
		result.within_bounds == true
	}
}

_indicator_problem(record, name) := "was not watched" if {
	count(_results(record, name)) == 0
} else := "left its bounds or was not judged"
