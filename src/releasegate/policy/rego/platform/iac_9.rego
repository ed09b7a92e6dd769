# METADATA
# title: Log retention and blue-green capacity
# description: >-
#   Every log group that the release's Terraform plans leave in place keeps
#   logs exactly as long as params iac.log_retention_days give for the
#   release's risk tier: shorter loses history, longer costs money. No
#   blue-green pair of compute groups keeps capacity in both colours, which
#   doubles the cost after a release. The plan parser marks a log group
#   that never expires with retention_days null. This control warns and
#   does not block.
# custom:
#   id: IAC-9
#   short_name: retention_and_capacity
#   blocking: false
#   frameworks:
#     - cost governance
#   failure_msg: A log retention differs from the tier table or a blue-green pair keeps double capacity
#   solution: >-
#     Set the log group's retention to the tier's number of days, and scale
#     the idle colour of a blue-green pair to zero once traffic has switched.
package releasegate.controls.iac_9

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.risk

_tier := risk.assessment.tier

_expected_days := scope.param(["iac", "log_retention_days", _tier])

_log_groups := iac.of_categories(["log_group"])

_compute_groups := {resource |
	some resource in iac.of_categories(["compute_group"])
	text.present(resource.blue_green.group)
}

# METADATA
# title: Applies to releases that change this
# description: The release links an infrastructure or privileged IAM change or attaches a Terraform plan.
default applicable := false

applicable if changes.infrastructure

# METADATA
# title: Plan attached and complete
# description: A complete Terraform plan is attached, without which no resource can be checked.
# custom:
#   short_name: plan_complete
#   failure_msg: No complete Terraform plan is attached
#   solution: >-
#     Attach the output of terraform show -json for the release's plan. A
#     plan that changes nothing still counts.
violation contains {"msg": msg} if {
	some msg in iac.plan_problems
}

# METADATA
# title: Risk tier known
# description: The release has a risk tier, which selects the log retention of the tier table.
# custom:
#   short_name: tier_known
#   failure_msg: The release has no risk tier for the log retention table
#   solution: Fix the problems control CHG-2 reports so that the release gets a risk tier.
violation contains {"msg": "no risk tier was computed, so the log retention of the tier table cannot be checked"} if {
	count(_log_groups) > 0
	not text.present(_tier)
}

# METADATA
# title: Retention of the tier configured
# description: Params iac.log_retention_days give a number for the release's tier.
# custom:
#   short_name: tier_retention_configured
#   failure_msg: The log retention of the release's tier is not configured
#   solution: Add the tier to params iac.log_retention_days.
violation contains {"msg": msg} if {
	count(_log_groups) > 0
	text.present(_tier)
	not is_number(_expected_days)
	msg := text.join(["params iac.log_retention_days has no number for tier ", _tier])
}

# METADATA
# title: Values known
# description: Log retention and compute group capacity are known at plan time.
# custom:
#   short_name: values_known
#   failure_msg: A log retention or a capacity is unknown until apply
#   solution: Set the value to one known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "retention_days") if {
	some resource in _log_groups
	iac.unknown(resource, "retention_days")
}

# METADATA
# title: Capacity known
# description: The capacity of each blue-green compute group is known at plan time.
# custom:
#   short_name: capacity_known
#   failure_msg: The capacity of a compute group is unknown until apply
#   solution: Set the capacity to a value known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "desired_capacity") if {
	some resource in _compute_groups
	iac.unknown(resource, "desired_capacity")
}

# METADATA
# title: Log retention matches the tier
# description: Each log group keeps logs for the number of days params give for the release's tier.
# custom:
#   short_name: retention_matches
#   failure_msg: A log group keeps logs longer or shorter than the tier table
#   solution: Set the log group's retention to the number of days of the release's tier.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "retention_days", "expected": expected_value, "actual": actual_value} if {
	some resource in _log_groups
	not iac.unknown(resource, "retention_days")
	is_number(_expected_days)
	days := object.get(resource, "retention_days", null)
	days != _expected_days
	msg := text.join([
		iac.name(resource), " ", _retention_text(days), " (plan ", resource.plan_id, "), ",
		_comparison(days), " the ", _expected_days, " days for a ", _tier,
		" release; set its retention to ", _expected_days, " days",
	])
	expected_value := _expected_days
	actual_value := days
}

# METADATA
# title: Blue-green capacity not doubled
# description: At most one colour of each blue-green pair of compute groups has capacity.
# custom:
#   short_name: capacity_not_doubled
#   failure_msg: A blue-green pair keeps capacity in both colours
#   solution: Scale the idle colour to zero once traffic has switched to the new one.
violation contains {"msg": msg, "key": group} if {
	some group in {name | some resource in _compute_groups; name := resource.blue_green.group}
	active := {entry |
		some resource in _compute_groups
		resource.blue_green.group == group
		is_number(resource.desired_capacity)
		resource.desired_capacity > 0
		color := object.get(resource.blue_green, "color", object.get(resource, "address", "an unnamed group"))
		entry := text.join([color, " (", resource.desired_capacity, ")"])
	}
	count(active) > 1
	msg := text.join([
		"blue-green group ", group, " keeps capacity in ", text.list(active),
		"; scale the idle colour to zero once traffic has switched",
	])
}

_retention_text(days) := "keeps logs forever" if {
	days == null
} else := text.join(["keeps logs for ", days, " days"]) if {
	is_number(days)
} else := "keeps logs for an unstated time"

_comparison(days) := "shorter than" if {
	is_number(days)
	days < _expected_days
} else := "longer than" if {
	days == null
} else := "longer than" if {
	is_number(days)
} else := "not"
