package releasegate_test.controls.iac_3

import rego.v1

import data.releasegate.controls.iac_3

_service := {"name": "payments-api", "criticality": 0, "data_classification": "regulated"}

_bucket := {
	"address": "aws_s3_bucket.settlements",
	"type": "aws_s3_bucket",
	"category": "storage",
	"action": "create",
	"region": "eu-west-1",
	"unknown": [],
}

_iac_3_messages(service, resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_3.violation with input.evidence as evidence with input.service as service
}

test_applicable_when_linked if {
	iac_3.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_3.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_approved_region_passes if {
	_iac_3_messages(_service, [_bucket]) == set()
}

test_region_outside_approved if {
	bucket := object.union(_bucket, {"region": "us-east-1"})
	_iac_3_messages(_service, [bucket]) == {concat("", [
		"aws_s3_bucket.settlements (aws_s3_bucket) runs in region us-east-1 (plan ev-tf), outside the approved regions",
		" for regulated data (eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3); move it to an approved region",
	])}
}

test_region_not_stated if {
	bucket := object.remove(_bucket, ["region"])
	_iac_3_messages(_service, [bucket]) == {concat("", [
		"aws_s3_bucket.settlements (aws_s3_bucket) runs in a region the plan does not state (plan ev-tf), outside the approved regions",
		" for regulated data (eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3); move it to an approved region",
	])}
}

test_unrestricted_classification_passes if {
	service := object.union(_service, {"data_classification": "internal"})
	_iac_3_messages(service, [object.union(_bucket, {"region": "us-east-1"})]) == set()
}

test_global_resource_not_checked if {
	role := object.union(_bucket, {"address": "aws_iam_role.deploy", "type": "aws_iam_role", "category": "iam", "region": null})
	_iac_3_messages(_service, [role]) == set()
}

test_unknown_region_never_passes if {
	bucket := object.union(_bucket, {"region": null, "unknown": ["region"]})
	_iac_3_messages(_service, [bucket]) == {"aws_s3_bucket.settlements (aws_s3_bucket): region is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_classification_without_regions if {
	service := object.union(_service, {"data_classification": "secret"})
	_iac_3_messages(service, []) == {"params iac.approved_regions has no list for secret data; add one, or list the classification in iac.unrestricted_classifications"}
}

test_service_not_in_catalog if {
	_iac_3_messages(null, []) == {"the service has no data classification in the catalog, so its approved regions are unknown"}
}

test_no_plan if {
	service := _service
	count(iac_3.violation) == 1 with input.evidence as {"iac_plans": []} with input.service as service
}
