package releasegate_test.controls.iac_2

import rego.v1

import data.releasegate.controls.iac_2

_listener := {
	"address": "aws_lb_listener.public",
	"type": "aws_lb_listener",
	"category": "listener",
	"action": "update",
	"region": "eu-west-1",
	"tls": {"required": true, "min_version": 1.2},
	"unknown": [],
}

_iac_2_messages(resources) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	some violation in iac_2.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	iac_2.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_2.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_tls_1_2_passes if {
	_iac_2_messages([_listener]) == set()
}

test_tls_1_3_passes if {
	_iac_2_messages([object.union(_listener, {"tls": {"required": true, "min_version": 1.3}})]) == set()
}

test_plain_http if {
	listener := object.union(_listener, {"tls": {"required": false, "min_version": null}})
	_iac_2_messages([listener]) == {"aws_lb_listener.public (aws_lb_listener) accepts connections without TLS (plan ev-tf); serve it over TLS 1.2 or later only"}
}

test_old_tls if {
	listener := object.union(_listener, {"tls": {"required": true, "min_version": 1}})
	_iac_2_messages([listener]) == {"aws_lb_listener.public (aws_lb_listener) accepts TLS versions from TLS 1 (plan ev-tf), older than the minimum TLS 1.2; attach a TLS policy with TLS 1.2 or later"}
}

test_missing_version if {
	listener := object.union(_listener, {"tls": {"required": true}})
	_iac_2_messages([listener]) == {"aws_lb_listener.public (aws_lb_listener) accepts TLS versions from an unknown version (plan ev-tf), older than the minimum TLS 1.2; attach a TLS policy with TLS 1.2 or later"}
}

test_unknown_policy_never_passes if {
	listener := object.union(_listener, {"tls": {"required": true, "min_version": null}, "unknown": ["tls.min_version"]})
	_iac_2_messages([listener]) == {"aws_lb_listener.public (aws_lb_listener): tls.min_version is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_minimum_from_params if {
	resources := [_listener]
	result := _iac_2_messages(resources) with data.releasegate.params.iac.min_tls_version as 1.3
	count(result) == 1
}

test_no_plan if {
	count(iac_2.violation) == 1 with input.evidence as {}
}
