package releasegate_test.controls.iac_7

import rego.v1

import data.releasegate.controls.iac_7

_bucket := {
	"address": "aws_s3_bucket.settlements",
	"type": "aws_s3_bucket",
	"category": "storage",
	"action": "create",
	"region": "eu-west-1",
	"tags": {"cost-centre": "CC-4711", "owner": "payments-engineering", "environment": "production"},
	"unknown": [],
}

_iac_7_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_7.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	iac_7.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_7.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_tagged_resource_passes if {
	_iac_7_messages([_bucket]) == set()
}

test_missing_tags if {
	bucket := object.union(_bucket, {"tags": {"owner": "payments-engineering", "cost-centre": " "}})
	_iac_7_messages([bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket) lacks the tags cost-centre, environment (plan ev-tf); add them to the resource or to the provider's default_tags"}
}

test_ephemeral_environment_needs_ttl if {
	bucket := object.union(_bucket, {"tags": {"cost-centre": "CC-4711", "owner": "payments-engineering", "environment": "preview"}})
	_iac_7_messages([bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket) lacks the tags ttl (plan ev-tf); add them to the resource or to the provider's default_tags"}
}

test_untaggable_resource_not_checked if {
	attachment := object.remove(object.union(_bucket, {"address": "aws_iam_role_policy_attachment.x", "type": "aws_iam_role_policy_attachment"}), ["tags"])
	_iac_7_messages([attachment]) == set()
}

test_unknown_tags_reported if {
	bucket := object.union(_bucket, {"tags": null, "unknown": ["tags"]})
	_iac_7_messages([bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket): tags is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_no_plan if {
	count(iac_7.violation) == 1 with input.evidence as {"iac_plans": []}
}
