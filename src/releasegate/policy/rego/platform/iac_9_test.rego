package releasegate_test.controls.iac_9

import rego.v1

import data.releasegate.controls.iac_9

_log_group(days) := {
	"address": "aws_cloudwatch_log_group.api",
	"type": "aws_cloudwatch_log_group",
	"category": "log_group",
	"action": "create",
	"region": "eu-west-1",
	"retention_days": days,
	"unknown": [],
}

_compute(color, capacity) := {
	"address": concat("", ["aws_autoscaling_group.api_", color]),
	"type": "aws_autoscaling_group",
	"category": "compute_group",
	"action": "update",
	"region": "eu-west-1",
	"blue_green": {"group": "payments-api", "color": color},
	"desired_capacity": capacity,
	"unknown": [],
}

# NOTE: every test mocks the risk assessment through this helper, because
# planning the risk policy again under a `with` clause takes seconds in
# regopy 1.5.2.
_iac_9_violations(assessment, plans) := result if {
	evidence := {"iac_plans": plans}
	result := iac_9.violation with input.evidence as evidence
		with data.releasegate.risk.assessment as assessment
}

_iac_9_messages(tier, resources) := {violation.msg |
	assessment := {"tier": tier, "score": 0, "contributions": []}
	some violation in _iac_9_violations(assessment, [{"id": "ev-tf", "complete": true, "resources": resources}])
}

test_applicable_when_linked if {
	iac_9.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_9.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_matching_retention_passes if {
	_iac_9_messages("critical", [_log_group(365)]) == set()
}

test_shorter_retention if {
	_iac_9_messages("critical", [_log_group(30)]) == {"aws_cloudwatch_log_group.api (aws_cloudwatch_log_group) keeps logs for 30 days (plan ev-tf), shorter than the 365 days for a critical release; set its retention to 365 days"}
}

test_longer_retention if {
	_iac_9_messages("low", [_log_group(365)]) == {"aws_cloudwatch_log_group.api (aws_cloudwatch_log_group) keeps logs for 365 days (plan ev-tf), longer than the 30 days for a low release; set its retention to 30 days"}
}

test_never_expiring_logs if {
	_iac_9_messages("medium", [_log_group(null)]) == {"aws_cloudwatch_log_group.api (aws_cloudwatch_log_group) keeps logs forever (plan ev-tf), longer than the 90 days for a medium release; set its retention to 90 days"}
}

test_unknown_retention_reported if {
	log_group := object.union(_log_group(null), {"unknown": ["retention_days"]})
	_iac_9_messages("critical", [log_group]) == {"aws_cloudwatch_log_group.api (aws_cloudwatch_log_group): retention_days is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_unconfigured_tier if {
	_iac_9_messages("severe", [_log_group(365)]) == {"params iac.log_retention_days has no number for tier severe"}
}

test_single_colour_passes if {
	_iac_9_messages("critical", [_compute("blue", 0), _compute("green", 6)]) == set()
}

test_doubled_capacity if {
	_iac_9_messages("critical", [_compute("blue", 6), _compute("green", 6)]) == {"blue-green group payments-api keeps capacity in blue (6), green (6); scale the idle colour to zero once traffic has switched"}
}

test_no_tier if {
	plans := [{"id": "ev-tf", "complete": true, "resources": [_log_group(365)]}]
	messages := {violation.msg | some violation in _iac_9_violations(null, plans)}
	messages == {"no risk tier was computed, so the log retention of the tier table cannot be checked"}
}

test_no_plan if {
	count(_iac_9_violations({"tier": "low"}, [])) == 1
}
