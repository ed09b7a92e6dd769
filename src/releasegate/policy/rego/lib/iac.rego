# METADATA
# title: Infrastructure plan helpers
# description: >-
#   Read the normalized Terraform plans under input.evidence.iac_plans for
#   the infrastructure guardrails IAC-1 to IAC-9. Each plan lists its
#   resources with a provider-neutral category and the properties the
#   guardrails check; a property whose value Terraform marks unknown until
#   apply is listed in the resource's unknown list, and an unknown value
#   never passes.
package releasegate.lib.iac

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.text

_remaining_actions := {"create", "update", "replace", "no-op"}

_changing_actions := {"create", "update", "replace"}

# METADATA
# title: Plans
# description: The plan records under input.evidence.iac_plans.
plans := evidence.items("iac_plans")

# METADATA
# title: Plan problems
# description: >-
#   Messages for missing or unusable plans. Every guardrail reports them,
#   because without a complete plan none of them can pass.
plan_problems := {msg |
	count(plans) == 0
	msg := concat("", [
		"no Terraform plan attached; attach the output of terraform show -json for the release's plan,",
		" which may show no changes",
	])
} | {msg |
	some plan in plans
	object.get(plan, "complete", null) != true
	msg := text.join([
		"Terraform plan ", evidence.record_id(plan),
		" is not complete (Terraform reported errors or the plan was cut short), so its resources cannot be checked; plan again and attach the complete plan",
	])
} | {msg |
	some plan in plans
	not is_array(plan.resources)
	msg := text.join(["Terraform plan ", evidence.record_id(plan), " lists no resources; attach the plan as normalized by releasegate"])
}

# METADATA
# title: Resources left after apply
# description: >-
#   Resources of every plan that exist after apply (created, updated,
#   replaced or unchanged), each with the id of its plan under plan_id.
remaining contains object.union(resource, {"plan_id": evidence.record_id(plan)}) if {
	some plan in plans
	is_array(plan.resources)
	some resource in plan.resources
	resource.action in _remaining_actions
}

# METADATA
# title: Resources the plan changes
# description: Resources the plan creates, updates or replaces, each with plan_id.
changing contains resource if {
	some resource in remaining
	resource.action in _changing_actions
}

# METADATA
# title: Resources the plan deletes
# description: Resources the plan deletes, each with plan_id.
deleted contains object.union(resource, {"plan_id": evidence.record_id(plan)}) if {
	some plan in plans
	is_array(plan.resources)
	some resource in plan.resources
	resource.action == "delete"
}

# METADATA
# title: Resources of categories
# description: Remaining resources whose category is in the given list.
of_categories(categories) := {resource |
	some resource in remaining
	resource.category in categories
}

# METADATA
# title: Property unknown
# description: >-
#   True when the resource's unknown list names the property (a dotted path
#   such as encryption.key_type) or a property that contains it.
unknown(resource, path) if {
	some listed in evidence.list_of(resource.unknown)
	listed == path
}

unknown(resource, path) if {
	some listed in evidence.list_of(resource.unknown)
	is_string(listed)
	startswith(path, concat("", [listed, "."]))
}

# METADATA
# title: Property value
# description: Return the value at the dotted path of the resource, or null when it is missing.
value(resource, path) := object.get(resource, split(path, "."), null)

# METADATA
# title: Resource name
# description: Return how messages name a resource, by its address and its type.
name(resource) := text.join([resource.address, " (", resource.type, ")"]) if {
	text.present(resource.type)
} else := text.join([object.get(resource, "address", "a resource without address")])

# METADATA
# title: Unknown value message
# description: Return the message for a property whose value is unknown until apply.
unknown_msg(resource, path) := text.join([
	name(resource), ": ", path, " is unknown until apply (plan ", resource.plan_id,
	"), so it cannot be shown to pass; make the value known at plan time",
])

# METADATA
# title: Unknown value violation
# description: >-
#   Return the violation for a property whose value is unknown until apply,
#   naming the resource, the property and both values.
unknown_violation(resource, path) := {
	"msg": unknown_msg(resource, path),
	"key": object.get(resource, "address", null),
	"attribute": path,
	"expected": "a value known at plan time",
	"actual": "unknown until apply",
}
