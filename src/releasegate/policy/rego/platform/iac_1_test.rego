package releasegate_test.controls.iac_1

import rego.v1

import data.releasegate.controls.iac_1

_bucket := {
	"address": "aws_s3_bucket.settlements",
	"type": "aws_s3_bucket",
	"category": "storage",
	"action": "create",
	"region": "eu-west-1",
	"encryption": {"at_rest": true, "key_type": "customer_managed"},
	"unknown": [],
}

_iac_1_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_1.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	iac_1.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_1.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_customer_managed_key_passes if {
	_iac_1_messages([_bucket]) == set()
}

test_plan_without_resources_passes if {
	_iac_1_messages([]) == set()
}

test_unencrypted if {
	bucket := object.union(_bucket, {"encryption": {"at_rest": false, "key_type": null}})
	_iac_1_messages([bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket) is not encrypted at rest (plan ev-tf); enable encryption at rest with a key of an accepted type (customer_managed)"}
}

test_encryption_missing_counts_as_unencrypted if {
	bucket := object.remove(_bucket, ["encryption"])
	count(_iac_1_messages([bucket])) == 1
}

test_provider_default_key if {
	database := object.union(_bucket, {
		"address": "aws_db_instance.ledger", "type": "aws_db_instance", "category": "database",
		"encryption": {"at_rest": true, "key_type": "provider_default"},
	})
	_iac_1_messages([database]) == {concat("", [
		"aws_db_instance.ledger (aws_db_instance) is encrypted at rest with key type provider_default (plan ev-tf),",
		" which params iac.encryption.accepted_key_types do not accept (customer_managed); encrypt it with a key of an accepted type",
	])}
}

test_unknown_key_never_passes if {
	bucket := object.union(_bucket, {"encryption": {"at_rest": true, "key_type": null}, "unknown": ["encryption.key_type"]})
	_iac_1_messages([bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket): encryption.key_type is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_unknown_parent_property_never_passes if {
	bucket := object.union(_bucket, {"encryption": null, "unknown": ["encryption"]})
	count(_iac_1_messages([bucket])) == 2
}

test_deleted_resource_ignored if {
	bucket := object.union(_bucket, {"action": "delete", "encryption": null})
	_iac_1_messages([bucket]) == set()
}

test_unchanged_resource_checked if {
	bucket := object.union(_bucket, {"action": "no-op", "encryption": {"at_rest": false}})
	count(_iac_1_messages([bucket])) == 1
}

test_other_categories_ignored if {
	listener := object.union(_bucket, {"category": "listener", "encryption": null})
	_iac_1_messages([listener]) == set()
}

test_no_plan if {
	messages := {violation.msg | some violation in iac_1.violation with input.evidence as {"iac_plans": []}}
	messages == {"no Terraform plan attached; attach the output of terraform show -json for the release's plan, which may show no changes"}
}

test_incomplete_plan if {
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": false, "resources": []}]}
	messages := {violation.msg | some violation in iac_1.violation with input.evidence as evidence}
	messages == {"Terraform plan ev-tf is not complete (Terraform reported errors or the plan was cut short), so its resources cannot be checked; plan again and attach the complete plan"}
}

test_violation_key_is_address if {
	bucket := object.union(_bucket, {"encryption": {"at_rest": false}})
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": [bucket]}]}
	some violation in iac_1.violation with input.evidence as evidence
	violation.key == "aws_s3_bucket.settlements"
}

test_resource_without_address_still_fails if {
	bucket := object.remove(object.union(_bucket, {"encryption": {"at_rest": false}}), ["address"])
	_iac_1_messages([bucket]) == {"a resource without address is not encrypted at rest (plan ev-tf); enable encryption at rest with a key of an accepted type (customer_managed)"}
}
