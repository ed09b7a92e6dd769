package releasegate_test.controls.iac_5

import rego.v1

import data.releasegate.controls.iac_5

_database := {
	"address": "aws_db_instance.ledger",
	"type": "aws_db_instance",
	"category": "database",
	"action": "create",
	"region": "eu-west-1",
	"backup": {"enabled": true, "retention_days": 14},
	"unknown": [],
}

_iac_5_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_5.violation with input.evidence as evidence
}

test_applicable_criticality_0_and_1 if {
	iac_5.applicable with input.service as {"criticality": 0} with input.evidence as {"iac_plans": [{"id": "ev-plan"}]}
	iac_5.applicable with input.service as {"criticality": 1} with input.evidence as {"iac_plans": [{"id": "ev-plan"}]}
}

test_not_applicable_criticality_2 if {
	not iac_5.applicable with input.service as {"criticality": 2} with input.evidence as {"iac_plans": [{"id": "ev-plan"}]}
}

test_applicable_without_catalog_entry if {
	iac_5.applicable with input.service as null with input.evidence as {"iac_plans": [{"id": "ev-plan"}]}
}

test_applicable_when_limit_malformed if {
	iac_5.applicable with input.service as {"criticality": 3} with data.releasegate.params.iac.backup.max_criticality as "one" with input.evidence as {"iac_plans": [{"id": "ev-plan"}]}
}

test_backups_pass if {
	_iac_5_messages([_database]) == set()
}

test_backups_disabled if {
	database := object.union(_database, {"backup": {"enabled": false, "retention_days": 0}})
	_iac_5_messages([database]) == {"aws_db_instance.ledger (aws_db_instance) has no backups enabled (plan ev-tf); enable backups kept for at least 7 days"}
}

test_retention_too_short if {
	database := object.union(_database, {"backup": {"enabled": true, "retention_days": 1}})
	_iac_5_messages([database]) == {"aws_db_instance.ledger (aws_db_instance) keeps backups for 1 days (plan ev-tf), less than the minimum of 7 days; raise the retention"}
}

test_retention_missing if {
	database := object.union(_database, {"backup": {"enabled": true}})
	_iac_5_messages([database]) == {"aws_db_instance.ledger (aws_db_instance) keeps backups for an unstated time (plan ev-tf), less than the minimum of 7 days; raise the retention"}
}

test_unknown_retention_never_passes if {
	database := object.union(_database, {"backup": {"enabled": true, "retention_days": null}, "unknown": ["backup.retention_days"]})
	_iac_5_messages([database]) == {"aws_db_instance.ledger (aws_db_instance): backup.retention_days is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_malformed_limit_reported if {
	resources := [_database]
	result := _iac_5_messages(resources) with data.releasegate.params.iac.backup.min_retention_days as "seven"
	result == {
		"params iac.backup.min_retention_days is not a number, so the control cannot be evaluated; set it in the policy layer's data document",
		"aws_db_instance.ledger (aws_db_instance) keeps backups for 14 days (plan ev-tf), less than the minimum of seven days; raise the retention",
	}
}

test_no_plan if {
	count(iac_5.violation) == 1 with input.evidence as {"iac_plans": []} with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "plan"}]}
}

test_not_applicable_without_infrastructure_change if {
	not iac_5.applicable with input.service as {"criticality": 0} with input.release as {"linked_changes": []} with input.evidence as {}
}
