package releasegate_test.controls.iac_4

import rego.v1

import data.releasegate.controls.iac_4

_bucket := {
	"address": "aws_s3_bucket.settlements",
	"type": "aws_s3_bucket",
	"category": "storage",
	"action": "create",
	"region": "eu-west-1",
	"public": false,
	"unknown": [],
}

_rule(from_port, to_port, cidrs) := {
	"address": "aws_security_group.api",
	"type": "aws_security_group",
	"category": "network_rule",
	"action": "update",
	"region": "eu-west-1",
	"ingress": [{"cidrs": cidrs, "from_port": from_port, "to_port": to_port, "protocol": "tcp"}],
	"unknown": [],
}

_iac_4_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_4.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	iac_4.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_4.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_private_resources_pass if {
	_iac_4_messages([_bucket, _rule(22, 22, ["10.0.0.0/8"])]) == set()
}

test_public_https_passes if {
	_iac_4_messages([_rule(443, 443, ["0.0.0.0/0", "::/0"])]) == set()
}

test_public_bucket if {
	_iac_4_messages([object.union(_bucket, {"public": true})]) == {"aws_s3_bucket.settlements (aws_s3_bucket) is public (plan ev-tf); block public access to it"}
}

test_public_flag_missing if {
	_iac_4_messages([object.remove(_bucket, ["public"])]) == {"aws_s3_bucket.settlements (aws_s3_bucket) does not state whether it is public (plan ev-tf); block public access to it"}
}

test_public_database if {
	database := object.union(_bucket, {"address": "aws_db_instance.ledger", "type": "aws_db_instance", "category": "database", "public": true})
	count(_iac_4_messages([database])) == 1
}

test_ssh_open_to_world if {
	_iac_4_messages([_rule(22, 22, ["0.0.0.0/0"])]) == {"aws_security_group.api (aws_security_group) opens port 22 to 0.0.0.0/0 (plan ev-tf), beyond the web ports (443, 80); narrow the source to known networks"}
}

test_range_over_web_ports if {
	_iac_4_messages([_rule(80, 443, ["::/0"])]) == {"aws_security_group.api (aws_security_group) opens ports 80-443 to ::/0 (plan ev-tf), beyond the web ports (443, 80); narrow the source to known networks"}
}

test_ports_missing_count_as_every_port if {
	_iac_4_messages([_rule(null, null, ["0.0.0.0/0"])]) == {"aws_security_group.api (aws_security_group) opens every port to 0.0.0.0/0 (plan ev-tf), beyond the web ports (443, 80); narrow the source to known networks"}
}

test_unknown_ingress_never_passes if {
	rule := object.union(_rule(22, 22, []), {"ingress": null, "unknown": ["ingress"]})
	_iac_4_messages([rule]) == {"aws_security_group.api (aws_security_group): ingress is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_no_plan if {
	count(iac_4.violation) == 1 with input.evidence as {"iac_plans": []}
}
