# METADATA
# title: Audit logging enabled and immutable
# description: >-
#   Every resource that the release's Terraform plans leave in place and
#   whose category is one where privileged actions happen (params
#   iac.audit_log_categories: audit trails, databases, clusters and key
#   stores by default) has audit logging enabled, written where it cannot be
#   changed or deleted (for example log file validation with object lock).
#   No plan deletes an audit trail. A value that Terraform knows only after
#   apply does not pass.
# custom:
#   id: IAC-6
#   short_name: audit_logging
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 10
#     - SOX ITGC change management
#   failure_msg: Audit logging is missing, mutable or deleted where privileged actions happen
#   solution: >-
#     Enable audit logging on the resource (for example a multi-region
#     CloudTrail trail, database audit logs, Kubernetes audit logs) and send
#     it to storage with object lock or log file validation, plan again and
#     attach the plan. Keep audit trails that the plan would delete.
package releasegate.controls.iac_6

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_categories_path := ["iac", "audit_log_categories"]

_categories := evidence.list_of(scope.param(_categories_path))

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
# title: Audit log categories configured
# description: Params iac.audit_log_categories is a list.
# custom:
#   short_name: categories_configured
#   failure_msg: The resource categories that need audit logs are not configured
#   solution: Set params iac.audit_log_categories to a list of resource categories.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_categories_path)
}

# METADATA
# title: Audit logging known
# description: Whether audit logging is enabled and immutable is known at plan time.
# custom:
#   short_name: audit_logging_known
#   failure_msg: The audit logging of a resource is unknown until apply
#   solution: Set the audit logging settings to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, path) if {
	some resource in iac.of_categories(_categories)
	some path in ["audit_log.enabled", "audit_log.immutable"]
	iac.unknown(resource, path)
}

# METADATA
# title: Audit logging enabled
# description: Each resource where privileged actions happen has audit logging enabled.
# custom:
#   short_name: audit_logging_enabled
#   failure_msg: A resource where privileged actions happen has no audit logging
#   solution: Enable audit logging on the resource and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "audit_log.enabled", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(_categories)
	not iac.unknown(resource, "audit_log.enabled")
	iac.value(resource, "audit_log.enabled") != true
	msg := text.join([
		iac.name(resource), " has no audit logging enabled (plan ", resource.plan_id,
		"); enable audit logging for the privileged actions on it",
	])
	expected_value := true
	actual_value := iac.value(resource, "audit_log.enabled")
}

# METADATA
# title: Audit log immutable
# description: The audit log of each such resource is written where it cannot be changed or deleted.
# custom:
#   short_name: audit_log_immutable
#   failure_msg: An audit log can be changed or deleted
#   solution: >-
#     Write the audit log to storage with object lock in compliance mode, or
#     turn on log file validation, and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "audit_log.immutable", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(_categories)
	iac.value(resource, "audit_log.enabled") == true
	not iac.unknown(resource, "audit_log.enabled")
	not iac.unknown(resource, "audit_log.immutable")
	iac.value(resource, "audit_log.immutable") != true
	msg := text.join([
		iac.name(resource), " writes its audit log where it can be changed or deleted (plan ", resource.plan_id,
		"); use object lock or log file validation",
	])
	expected_value := true
	actual_value := iac.value(resource, "audit_log.immutable")
}

# METADATA
# title: No audit trail deleted
# description: No plan deletes an audit trail.
# custom:
#   short_name: audit_trail_kept
#   failure_msg: A plan deletes an audit trail
#   solution: >-
#     Keep the trail. To retire a trail deliberately, request an exception
#     for IAC-6 that names the trail's address.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "action", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.deleted
	resource.category == "audit_trail"
	msg := text.join([
		"plan ", resource.plan_id, " deletes audit trail ", iac.name(resource),
		"; keep the trail, or request an exception for IAC-6 that names its address",
	])
	expected_value := "no delete"
	actual_value := "delete"
}
