# METADATA
# title: Disaster recovery tested within the objectives
# description: >-
#   For services of criticality up to params resilience.max_criticality (0
#   and 1 by default), the latest disaster recovery test of the service is
#   younger than params resilience.dr_test_max_age_days, succeeded, recovered
#   within the service's recovery time objective (catalog
#   recovery.rto_minutes) and lost no more data than its recovery point
#   objective (recovery.rpo_minutes). The tests come from
#   input.evidence.dr_tests.
# custom:
#   id: RES-2
#   short_name: disaster_recovery_tested
#   blocking: true
#   frameworks:
#     - EU DORA Art. 11
#   failure_msg: No recent disaster recovery test meets the service's RTO and RPO
#   solution: >-
#     Run a disaster recovery test of the service (fail over or restore from
#     backup), measure the recovery time and the data lost, fix what misses
#     the objectives, and attach the result.
package releasegate.controls.res_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_max_path := ["resilience", "max_criticality"]

_age_path := ["resilience", "dr_test_max_age_days"]

_max_days := scope.param(_age_path)

_service := evidence.release_field("service")

_rto := input.service.recovery.rto_minutes if is_number(input.service.recovery.rto_minutes)

_rpo := input.service.recovery.rpo_minutes if is_number(input.service.recovery.rpo_minutes)

_tests := [test |
	timestamps.valid(evidence.now)
	is_number(_max_days)
	some test in evidence.items("dr_tests")
	test.service == _service
	timestamps.valid(test.performed_at)
	timestamps.elapsed(test.performed_at, evidence.now, timestamps.ns_per_day) <= _max_days
]

# The latest recent test; of two at the same time, the one listed later.
# NOTE: in regopy 1.5.2 an index variable passed straight into a function
# call inside a comprehension yields nothing, so each element is bound first.
_latest := _tests[last[1]] if {
	order := sort([[instant, index] |
		some index
		test := _tests[index]
		instant := timestamps.parse_ns(test.performed_at)
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
# title: Test parameters configured
# description: Params resilience.max_criticality and dr_test_max_age_days are numbers.
# custom:
#   short_name: dr_params_configured
#   failure_msg: The disaster recovery test parameters are not configured
#   solution: Set params resilience.max_criticality and dr_test_max_age_days to numbers.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_max_path) | scope.number_problems(_age_path)
}

# METADATA
# title: Recovery time objective declared
# description: The service's catalog entry declares its recovery time objective.
# custom:
#   short_name: rto_declared
#   failure_msg: The service declares no RTO
#   solution: Add recovery.rto_minutes to the service's catalog entry.
violation contains {"msg": msg} if {
	applicable
	not _rto
	msg := text.join(["service ", _service, " declares no recovery time objective (recovery.rto_minutes) in the catalog; add it"])
}

# METADATA
# title: Recovery point objective declared
# description: The service's catalog entry declares its recovery point objective.
# custom:
#   short_name: rpo_declared
#   failure_msg: The service declares no RPO
#   solution: Add recovery.rpo_minutes to the service's catalog entry.
violation contains {"msg": msg} if {
	applicable
	not _rpo
	msg := text.join(["service ", _service, " declares no recovery point objective (recovery.rpo_minutes) in the catalog; add it"])
}

# METADATA
# title: Recent test attached
# description: A disaster recovery test of the service younger than the maximum age is attached.
# custom:
#   short_name: recent_test_attached
#   failure_msg: No recent disaster recovery test is attached
#   solution: Run a disaster recovery test of the service and attach the result.
violation contains {"msg": msg} if {
	applicable
	count(_tests) == 0
	msg := text.join([
		"no disaster recovery test of ", _service, " from the last ", _max_days,
		" days attached; run one (fail over or restore from backup) and attach the result",
	])
}

# METADATA
# title: Latest test succeeded
# description: The latest recent disaster recovery test succeeded.
# custom:
#   short_name: latest_test_succeeded
#   failure_msg: The latest disaster recovery test failed
#   solution: Fix what made the recovery fail, test again and attach the result.
violation contains {"msg": msg} if {
	applicable
	test := _latest
	object.get(test, "succeeded", null) != true
	msg := text.join([_test_name(test), " did not succeed; fix the recovery and test again"])
}

# METADATA
# title: Recovery time objective met
# description: The latest recent test recovered within the service's recovery time objective.
# custom:
#   short_name: rto_met
#   failure_msg: The latest disaster recovery test took longer than the RTO
#   solution: Make the recovery faster (automate the failover or restore), test again and attach the result.
violation contains {"msg": msg} if {
	applicable
	test := _latest
	_rto
	not _within(object.get(test, "recovery_time_minutes", null), _rto)
	msg := text.join([
		_test_name(test), " recovered in ", _minutes_text(object.get(test, "recovery_time_minutes", null)),
		", more than the recovery time objective of ", _rto, " minutes; make the recovery faster and test again",
	])
}

# METADATA
# title: Recovery point objective met
# description: The latest recent test lost no more data than the service's recovery point objective.
# custom:
#   short_name: rpo_met
#   failure_msg: The latest disaster recovery test lost more data than the RPO
#   solution: Replicate or back up more often, test again and attach the result.
violation contains {"msg": msg} if {
	applicable
	test := _latest
	_rpo
	not _within(object.get(test, "data_loss_minutes", null), _rpo)
	msg := text.join([
		_test_name(test), " lost ", _minutes_text(object.get(test, "data_loss_minutes", null)),
		" of data, more than the recovery point objective of ", _rpo, " minutes; replicate or back up more often and test again",
	])
}

_test_name(test) := text.join(["the disaster recovery test ", evidence.record_id(test), " of ", _service, " on ", test.performed_at])

_within(value, limit) if {
	is_number(value)
	value <= limit
}

_minutes_text(value) := text.join([value, " minutes"]) if {
	is_number(value)
} else := "an unmeasured time"
