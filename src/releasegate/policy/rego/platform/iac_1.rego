# METADATA
# title: Storage and databases encrypted with managed keys
# description: >-
#   Every storage and database resource that the release's Terraform plans
#   leave in place is encrypted at rest, with a key of a type that params
#   iac.encryption.accepted_key_types accept (by default customer_managed:
#   a KMS key the organisation controls). A value that Terraform knows only
#   after apply does not pass.
# custom:
#   id: IAC-1
#   short_name: encrypted_at_rest
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 3.5
#     - EU DORA Art. 9
#   failure_msg: A storage or database resource is not encrypted at rest with an accepted key
#   solution: >-
#     Enable encryption at rest on the resource with a customer-managed KMS
#     key (for example kms_key_id on the bucket encryption configuration or
#     the database), plan again and attach the new plan.
package releasegate.controls.iac_1

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_categories := ["storage", "database"]

_accepted_path := ["iac", "encryption", "accepted_key_types"]

_accepted := accepted if {
	accepted := scope.param(_accepted_path)
	is_array(accepted)
} else := []

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
# title: Accepted key types configured
# description: Params iac.encryption.accepted_key_types is a list.
# custom:
#   short_name: key_types_configured
#   failure_msg: The accepted key types are not configured
#   solution: Set params iac.encryption.accepted_key_types to a list of key types.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_accepted_path)
}

# METADATA
# title: Encryption known
# description: Whether the resource is encrypted at rest, and with which key type, is known at plan time.
# custom:
#   short_name: encryption_known
#   failure_msg: The encryption of a resource is unknown until apply
#   solution: >-
#     Reference the key by a value known at plan time, or apply the key in a
#     separate, earlier change, then plan again.
violation contains iac.unknown_violation(resource, path) if {
	some resource in iac.of_categories(_categories)
	some path in ["encryption.at_rest", "encryption.key_type"]
	iac.unknown(resource, path)
}

# METADATA
# title: Encrypted at rest
# description: Each storage and database resource is encrypted at rest.
# custom:
#   short_name: encrypted
#   failure_msg: A storage or database resource is not encrypted at rest
#   solution: Enable encryption at rest with a customer-managed KMS key and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "encryption.at_rest", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(_categories)
	not iac.unknown(resource, "encryption.at_rest")
	iac.value(resource, "encryption.at_rest") != true
	msg := text.join([
		iac.name(resource), " is not encrypted at rest (plan ", resource.plan_id,
		"); enable encryption at rest with a key of an accepted type (", text.list(_accepted), ")",
	])
	expected_value := true
	actual_value := iac.value(resource, "encryption.at_rest")
}

# METADATA
# title: Accepted key type
# description: The key that encrypts each resource at rest is of a type params accept.
# custom:
#   short_name: accepted_key_type
#   failure_msg: A resource is encrypted with a key type that params do not accept
#   solution: >-
#     Encrypt the resource with a key of an accepted type, by default a
#     customer-managed KMS key, and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "encryption.key_type", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(_categories)
	iac.value(resource, "encryption.at_rest") == true
	not iac.unknown(resource, "encryption.at_rest")
	not iac.unknown(resource, "encryption.key_type")
	key_type := iac.value(resource, "encryption.key_type")
	not key_type in _accepted
	msg := text.join([
		iac.name(resource), " is encrypted at rest with key type ", key_type, " (plan ", resource.plan_id,
		"), which params iac.encryption.accepted_key_types do not accept (", text.list(_accepted),
		"); encrypt it with a key of an accepted type",
	])
	expected_value := _accepted
	actual_value := key_type
}
