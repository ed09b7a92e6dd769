package releasegate_test.controls.iac_6

import rego.v1

import data.releasegate.controls.iac_6

_trail := {
	"address": "aws_cloudtrail.main",
	"type": "aws_cloudtrail",
	"category": "audit_trail",
	"action": "no-op",
	"region": "eu-west-1",
	"audit_log": {"enabled": true, "immutable": true},
	"unknown": [],
}

_iac_6_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_6.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	iac_6.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_6.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_immutable_audit_log_passes if {
	_iac_6_messages([_trail]) == set()
}

test_audit_logging_disabled if {
	database := object.union(_trail, {
		"address": "aws_db_instance.ledger", "type": "aws_db_instance", "category": "database",
		"audit_log": {"enabled": false, "immutable": false},
	})
	_iac_6_messages([database]) == {"aws_db_instance.ledger (aws_db_instance) has no audit logging enabled (plan ev-tf); enable audit logging for the privileged actions on it"}
}

test_audit_log_missing if {
	_iac_6_messages([object.remove(_trail, ["audit_log"])]) == {"aws_cloudtrail.main (aws_cloudtrail) has no audit logging enabled (plan ev-tf); enable audit logging for the privileged actions on it"}
}

test_mutable_audit_log if {
	trail := object.union(_trail, {"audit_log": {"enabled": true, "immutable": false}})
	_iac_6_messages([trail]) == {"aws_cloudtrail.main (aws_cloudtrail) writes its audit log where it can be changed or deleted (plan ev-tf); use object lock or log file validation"}
}

test_deleted_trail if {
	trail := object.union(_trail, {"action": "delete", "audit_log": null})
	_iac_6_messages([trail]) == {"plan ev-tf deletes audit trail aws_cloudtrail.main (aws_cloudtrail); keep the trail, or request an exception for IAC-6 that names its address"}
}

test_unknown_immutability_never_passes if {
	trail := object.union(_trail, {"audit_log": {"enabled": true, "immutable": null}, "unknown": ["audit_log.immutable"]})
	_iac_6_messages([trail]) == {"aws_cloudtrail.main (aws_cloudtrail): audit_log.immutable is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_other_categories_not_checked if {
	bucket := object.union(_trail, {"address": "aws_s3_bucket.reports", "type": "aws_s3_bucket", "category": "storage", "audit_log": null})
	_iac_6_messages([bucket]) == set()
}

test_no_plan if {
	count(iac_6.violation) == 1 with input.evidence as {"iac_plans": []}
}
