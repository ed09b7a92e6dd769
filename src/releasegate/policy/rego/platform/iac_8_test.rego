package releasegate_test.controls.iac_8

import rego.v1

import data.releasegate.controls.iac_8

_release := {"id": "rel-1", "authors": ["alice"], "requester": "alice"}

_role(statements, managed_policies) := {
	"address": "aws_iam_role_policy.deploy",
	"type": "aws_iam_role_policy",
	"category": "iam",
	"action": "create",
	"region": null,
	"iam": {"statements": statements, "managed_policies": managed_policies},
	"unknown": [],
}

_read_only := {"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::settlements/*"]}

_security_approval(approver) := {
	"id": "apr-sec",
	"approver": approver,
	"decision": "approve",
	"groups": ["security-engineering"],
	"roles": {"engineering": false, "business_control": false, "cab": false},
	"current": true,
}

_iac_8_messages(resources, approval_list) := {violation.msg |
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": resources}]}
	release := _release
	some violation in iac_8.violation with input.evidence as evidence
		with input.release as release
		with input.approvals as approval_list
		with data.releasegate.params.iac.iam.security_approver_groups as ["security-engineering"]
}

_needs_approval(reasons) := concat("", [
	"aws_iam_role_policy.deploy (aws_iam_role_policy) ", reasons,
	" (plan ev-tf), which needs an approval from a security approver (a member of group security-engineering);",
	" ask one to approve the release or narrow the policy",
])

test_applicable_when_linked if {
	iac_8.applicable with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not iac_8.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_narrow_policy_passes if {
	_iac_8_messages([_role([_read_only], [])], []) == set()
}

test_wildcard_action_needs_security_approval if {
	statement := {"effect": "Allow", "actions": ["s3:*"], "resources": ["*"]}
	_iac_8_messages([_role([statement], [])], []) == {_needs_approval("allows wildcard action s3:*")}
}

test_admin_policy_needs_security_approval if {
	_iac_8_messages([_role([], ["AdministratorAccess"])], []) == {_needs_approval("attaches admin policy AdministratorAccess")}
}

test_escalation_action_case_insensitive if {
	statement := {"effect": "Allow", "actions": ["IAM:PassRole"], "resources": ["*"]}
	_iac_8_messages([_role([statement], [])], []) == {_needs_approval("allows escalation action IAM:PassRole")}
}

test_not_action_needs_security_approval if {
	statement := {"effect": "Allow", "not_actions": ["iam:*"], "resources": ["*"]}
	_iac_8_messages([_role([statement], [])], []) == {_needs_approval("allows every action except iam:*")}
}

test_deny_statement_ignored if {
	statement := {"effect": "Deny", "actions": ["*"], "resources": ["*"]}
	_iac_8_messages([_role([statement], [])], []) == set()
}

test_security_approval_passes if {
	_iac_8_messages([_role([], ["AdministratorAccess"])], [_security_approval("sam")]) == set()
}

test_author_security_approval_does_not_count if {
	count(_iac_8_messages([_role([], ["AdministratorAccess"])], [_security_approval("alice")])) == 1
}

test_violation_is_pending if {
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": [_role([], ["AdministratorAccess"])]}]}
	release := _release
	some violation in iac_8.violation with input.evidence as evidence with input.release as release with input.approvals as []
	violation.pending == true
	violation.key == "aws_iam_role_policy.deploy"
}

test_unchanged_resource_ignored if {
	role := object.union(_role([], ["AdministratorAccess"]), {"action": "no-op"})
	_iac_8_messages([role], []) == set()
}

test_unknown_policy_never_passes if {
	role := object.union(_role([], []), {"iam": null, "unknown": ["iam"]})
	_iac_8_messages([role], [_security_approval("sam")]) == {"aws_iam_role_policy.deploy (aws_iam_role_policy): iam is unknown until apply (plan ev-tf), so it cannot be shown to pass; make the value known at plan time"}
}

test_no_security_group_configured if {
	evidence := {"iac_plans": [{"id": "ev-tf", "complete": true, "resources": [_role([], ["AdministratorAccess"])]}]}
	release := _release
	messages := {violation.msg |
		some violation in iac_8.violation with input.evidence as evidence with input.release as release with input.approvals as []
	}
	messages == {concat("", [
		"aws_iam_role_policy.deploy (aws_iam_role_policy) attaches admin policy AdministratorAccess (plan ev-tf),",
		" which needs an approval from a security approver (a member of a security approver group, and params",
		" iac.iam.security_approver_groups names none); ask one to approve the release or narrow the policy",
	])}
}

test_no_plan if {
	count(iac_8.violation) == 1 with input.evidence as {"iac_plans": []}
}
