# METADATA
# title: Rollback rehearsed recently
# description: >-
#   For services of criticality up to params resilience.max_criticality (0
#   and 1 by default), a rollback of the service was rehearsed successfully
#   within params resilience.rollback_rehearsal_max_age_days (90 days by
#   default), and no rehearsal after that one failed. The rehearsals come
#   from input.evidence.rehearsals.
# custom:
#   id: RES-1
#   short_name: rollback_rehearsed
#   blocking: true
#   frameworks:
#     - EU DORA Art. 11
#     - EU DORA Art. 12
#   failure_msg: No successful rollback rehearsal of the service within the maximum age
#   solution: >-
#     Rehearse a rollback of the service (deploy a version, roll it back to
#     the previous one and check the service), fix what fails, and attach the
#     result of the rehearsal.
package releasegate.controls.res_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_max_path := ["resilience", "max_criticality"]

_age_path := ["resilience", "rollback_rehearsal_max_age_days"]

_max_days := scope.param(_age_path)

_service := evidence.release_field("service")

_rehearsals := [rehearsal |
	some rehearsal in evidence.items("rehearsals")
	rehearsal.service == _service
	rehearsal.kind == "rollback"
	timestamps.valid(rehearsal.performed_at)
]

_successes := [rehearsal |
	some rehearsal in _rehearsals
	rehearsal.succeeded == true
]

# The latest successful rehearsal; of two at the same time, the one listed later.
# NOTE: in regopy 1.5.2 an index variable passed straight into a function
# call inside a comprehension yields nothing, so each element is bound first.
_latest_success := _successes[last[1]] if {
	order := sort([[instant, index] |
		some index
		rehearsal := _successes[index]
		instant := timestamps.parse_ns(rehearsal.performed_at)
	])
	count(order) > 0
	last := order[count(order) - 1]
}

# METADATA
# title: Applies to critical services
# description: >-
#   Applies to services of criticality up to params
#   resilience.max_criticality, and to services whose criticality is unknown.
default applicable := false

applicable if scope.up_to_criticality(scope.param(_max_path))

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Rehearsal parameters configured
# description: Params resilience.max_criticality and rollback_rehearsal_max_age_days are numbers.
# custom:
#   short_name: rehearsal_params_configured
#   failure_msg: The rollback rehearsal parameters are not configured
#   solution: Set params resilience.max_criticality and rollback_rehearsal_max_age_days to numbers.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_max_path) | scope.number_problems(_age_path)
}

# METADATA
# title: Successful rehearsal attached
# description: A successful rollback rehearsal of the service is attached.
# custom:
#   short_name: rehearsal_attached
#   failure_msg: No successful rollback rehearsal of the service is attached
#   solution: Rehearse a rollback of the service and attach the result.
violation contains {"msg": msg} if {
	applicable
	count(_successes) == 0
	msg := text.join([
		"no successful rollback rehearsal of ", _service, " attached",
		_failures_text, "; rehearse a rollback (roll a version back to the previous one and check the service) and attach the result",
	])
}

# METADATA
# title: Rehearsal recent
# description: The latest successful rehearsal is at most params resilience.rollback_rehearsal_max_age_days old.
# custom:
#   short_name: rehearsal_recent
#   failure_msg: The latest successful rollback rehearsal is too old
#   solution: Rehearse a rollback of the service again and attach the result.
violation contains {"msg": msg} if {
	applicable
	rehearsal := _latest_success
	not _recent(rehearsal)
	msg := text.join([
		"the latest successful rollback rehearsal of ", _service, " (", evidence.record_id(rehearsal), ") was on ",
		rehearsal.performed_at, ", ", _age_text(rehearsal), ", older than the maximum of ", _max_days,
		" days; rehearse a rollback again",
	])
}

# METADATA
# title: No failure since
# description: No rollback rehearsal of the service failed after the latest successful one.
# custom:
#   short_name: no_failure_since
#   failure_msg: A rollback rehearsal failed after the latest successful one
#   solution: Fix the rollback, rehearse it again and attach the successful result.
violation contains {"msg": msg} if {
	applicable
	latest := _latest_success
	some rehearsal in _rehearsals
	object.get(rehearsal, "succeeded", null) != true
	timestamps.before(latest.performed_at, rehearsal.performed_at)
	msg := text.join([
		"rollback rehearsal ", evidence.record_id(rehearsal), " of ", _service, " on ", rehearsal.performed_at,
		" failed after the latest successful one; fix the rollback and rehearse it again",
	])
}

_failures_text := text.join([" (", count(_rehearsals), " rehearsals, none succeeded)"]) if {
	count(_rehearsals) > 0
} else := ""

_recent(rehearsal) if {
	timestamps.valid(evidence.now)
	is_number(_max_days)
	timestamps.elapsed(rehearsal.performed_at, evidence.now, timestamps.ns_per_day) <= _max_days
}

_age_text(rehearsal) := text.join([timestamps.elapsed(rehearsal.performed_at, evidence.now, timestamps.ns_per_day), " days ago"]) if {
	timestamps.valid(evidence.now)
} else := "at an unknown age"
