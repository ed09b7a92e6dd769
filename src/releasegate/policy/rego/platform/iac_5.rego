# METADATA
# title: Backups for stateful resources of critical services
# description: >-
#   For services of criticality up to params iac.backup.max_criticality (0
#   and 1 by default), every storage and database resource that the
#   release's Terraform plans leave in place has backups enabled, kept for at
#   least params iac.backup.min_retention_days. A value that Terraform knows
#   only after apply does not pass.
# custom:
#   id: IAC-5
#   short_name: backups_configured
#   blocking: true
#   frameworks:
#     - EU DORA Art. 12
#   failure_msg: A stateful resource of a critical service has no backups or too short a retention
#   solution: >-
#     Enable backups for the resource (for example backup_retention_period on
#     a database, point-in-time recovery on a table, or an AWS Backup plan
#     that selects it) with at least the minimum retention, plan again and
#     attach the plan.
package releasegate.controls.iac_5

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_max_criticality_path := ["iac", "backup", "max_criticality"]

_min_days_path := ["iac", "backup", "min_retention_days"]

_min_days := scope.param(_min_days_path)

_categories := ["storage", "database"]

# METADATA
# title: Applies to critical services
# description: >-
#   Applies to services of criticality up to params
#   iac.backup.max_criticality, and to services whose criticality is unknown.
default applicable := false

applicable if {
	changes.infrastructure
	scope.up_to_criticality(scope.param(_max_criticality_path))
}

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

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
	applicable
	some msg in iac.plan_problems
}

# METADATA
# title: Backup parameters configured
# description: Params iac.backup.max_criticality and min_retention_days are numbers.
# custom:
#   short_name: backup_params_configured
#   failure_msg: The backup parameters are not configured
#   solution: Set params iac.backup.max_criticality and iac.backup.min_retention_days to numbers.
violation contains {"msg": msg} if {
	applicable
	some path in [_max_criticality_path, _min_days_path]
	some msg in scope.number_problems(path)
}

# METADATA
# title: Backup settings known
# description: Whether backups are enabled, and their retention, are known at plan time.
# custom:
#   short_name: backup_known
#   failure_msg: The backup settings of a resource are unknown until apply
#   solution: Set the backup settings to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, path) if {
	applicable
	some resource in iac.of_categories(_categories)
	some path in ["backup.enabled", "backup.retention_days"]
	iac.unknown(resource, path)
}

# METADATA
# title: Backups enabled
# description: Each storage and database resource has backups enabled.
# custom:
#   short_name: backups_enabled
#   failure_msg: A stateful resource has no backups
#   solution: Enable backups for the resource and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "backup.enabled", "expected": expected_value, "actual": actual_value} if {
	applicable
	some resource in iac.of_categories(_categories)
	not iac.unknown(resource, "backup.enabled")
	iac.value(resource, "backup.enabled") != true
	msg := text.join([
		iac.name(resource), " has no backups enabled (plan ", resource.plan_id,
		"); enable backups kept for at least ", _min_days, " days",
	])
	expected_value := true
	actual_value := iac.value(resource, "backup.enabled")
}

# METADATA
# title: Backup retention long enough
# description: Each resource keeps its backups for at least params iac.backup.min_retention_days.
# custom:
#   short_name: retention_long_enough
#   failure_msg: A stateful resource keeps its backups for too short a time
#   solution: Raise the backup retention to at least the minimum and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "backup.retention_days", "expected": expected_value, "actual": actual_value} if {
	applicable
	some resource in iac.of_categories(_categories)
	iac.value(resource, "backup.enabled") == true
	not iac.unknown(resource, "backup.enabled")
	not iac.unknown(resource, "backup.retention_days")
	days := iac.value(resource, "backup.retention_days")
	not _long_enough(days)
	msg := text.join([
		iac.name(resource), " keeps backups for ", _days_text(days), " (plan ", resource.plan_id,
		"), less than the minimum of ", _min_days, " days; raise the retention",
	])
	expected_value := text.join(["at least ", _min_days, " days"])
	actual_value := days
}

_long_enough(days) if {
	is_number(days)
	is_number(_min_days)
	days >= _min_days
}

_days_text(days) := text.join([days, " days"]) if {
	is_number(days)
} else := "an unstated time"
