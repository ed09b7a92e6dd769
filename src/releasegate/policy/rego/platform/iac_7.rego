# METADATA
# title: Cost tags present
# description: >-
#   Every taggable resource that the release's Terraform plans leave in
#   place carries the tags of params iac.cost_tags.required (cost centre,
#   owner and environment by default). A resource whose environment tag
#   names an ephemeral environment (params
#   iac.cost_tags.ephemeral_environments) also carries the tags of
#   iac.cost_tags.ephemeral_required, such as ttl. The plan parser gives
#   taggable resources a tags object and leaves it out for the others. This
#   control warns and does not block.
# custom:
#   id: IAC-7
#   short_name: cost_tags
#   blocking: false
#   frameworks:
#     - cost governance
#   failure_msg: A resource lacks a required cost tag
#   solution: >-
#     Add the missing tags to the resource, or once for all resources through
#     the provider's default_tags, then plan again and attach the plan.
package releasegate.controls.iac_7

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_required_path := ["iac", "cost_tags", "required"]

_ephemeral_path := ["iac", "cost_tags", "ephemeral_environments"]

_ephemeral_required_path := ["iac", "cost_tags", "ephemeral_required"]

_taggable contains resource if {
	some resource in iac.remaining
	is_object(resource.tags)
}

_taggable contains resource if {
	some resource in iac.remaining
	iac.unknown(resource, "tags")
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
# title: Cost tags configured
# description: Params iac.cost_tags lists the required tags and the ephemeral environments.
# custom:
#   short_name: cost_tags_configured
#   failure_msg: The cost tags are not configured
#   solution: Set params iac.cost_tags.required, ephemeral_environments and ephemeral_required to lists.
violation contains {"msg": msg} if {
	some path in [_required_path, _ephemeral_path, _ephemeral_required_path]
	some msg in scope.list_problems(path)
}

# METADATA
# title: Tags known
# description: The tags of each taggable resource are known at plan time.
# custom:
#   short_name: tags_known
#   failure_msg: The tags of a resource are unknown until apply
#   solution: Set the tags to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "tags") if {
	some resource in _taggable
	iac.unknown(resource, "tags")
}

# METADATA
# title: Required tags present
# description: Each taggable resource carries every required tag, with a value that is not blank.
# custom:
#   short_name: required_tags
#   failure_msg: A resource lacks a required cost tag
#   solution: Add the missing tags to the resource or to the provider's default_tags.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "tags", "expected": expected_value, "actual": actual_value} if {
	some resource in _taggable
	not iac.unknown(resource, "tags")
	missing := _missing(resource)
	count(missing) > 0
	msg := text.join([
		iac.name(resource), " lacks the tags ", text.list(missing), " (plan ", resource.plan_id,
		"); add them to the resource or to the provider's default_tags",
	])
	expected_value := _required_for(resource)
	actual_value := text.join(["missing ", text.list(missing)])
}

_required_for(resource) := array.concat(
	evidence.list_of(scope.param(_required_path)),
	evidence.list_of(scope.param(_ephemeral_required_path)),
) if {
	resource.tags.environment in evidence.list_of(scope.param(_ephemeral_path))
} else := evidence.list_of(scope.param(_required_path))

_missing(resource) := [tag |
	some tag in _required_for(resource)
	not text.present(object.get(resource.tags, tag, null))
]
