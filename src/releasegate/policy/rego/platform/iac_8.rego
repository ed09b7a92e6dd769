# METADATA
# title: IAM privilege escalations approved by security
# description: >-
#   A Terraform plan of the release that creates, updates or replaces an IAM
#   resource which attaches an administrator policy (params
#   iac.iam.admin_policies), allows a wildcard action, allows every action
#   but some (NotAction), or allows an action that lets a principal raise its
#   own privileges (params iac.iam.escalation_actions) needs a current
#   approval from a security approver: an approver who neither wrote nor
#   requested the release and is a member of a group in params
#   iac.iam.security_approver_groups. IAM settings that Terraform knows only
#   after apply do not pass.
# custom:
#   id: IAC-8
#   short_name: iam_escalation_approved
#   blocking: true
#   frameworks:
#     - NIST SP 800-53 AC-6
#   failure_msg: An IAM privilege escalation has no approval from a security approver
#   solution: >-
#     Narrow the policy to the actions and resources the workload needs, or
#     ask a member of a security approver group to approve the release.
package releasegate.controls.iac_8

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.approvals
import data.releasegate.lib.evidence
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_iam_path := ["iac", "iam"]

_groups := evidence.list_of(scope.param(["iac", "iam", "security_approver_groups"]))

_admin_policies := {lower(policy) |
	some policy in evidence.list_of(scope.param(["iac", "iam", "admin_policies"]))
	is_string(policy)
}

_escalation_actions := {lower(action) |
	some action in evidence.list_of(scope.param(["iac", "iam", "escalation_actions"]))
	is_string(action)
}

_iam_resources := {resource |
	some resource in iac.changing
	resource.category == "iam"
}

_security_approved if {
	some approval in approvals.eligible
	approval.decision == "approve"
	some group in evidence.list_of(approval.groups)
	group in _groups
}

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
# title: IAM parameters configured
# description: Params iac.iam lists the admin policies, escalation actions and security approver groups.
# custom:
#   short_name: iam_params_configured
#   failure_msg: The IAM parameters are not configured
#   solution: >-
#     Set params iac.iam.admin_policies, escalation_actions and
#     security_approver_groups to lists.
violation contains {"msg": msg} if {
	some key in ["admin_policies", "escalation_actions", "security_approver_groups"]
	some msg in scope.list_problems(array.concat(_iam_path, [key]))
}

# METADATA
# title: IAM settings known
# description: The policies and statements of each changed IAM resource are known at plan time.
# custom:
#   short_name: iam_known
#   failure_msg: The permissions of an IAM resource are unknown until apply
#   solution: Write the policy document with values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "iam") if {
	some resource in _iam_resources
	iac.unknown(resource, "iam")
}

# METADATA
# title: Escalation approved by security
# description: >-
#   Each changed IAM resource that escalates privileges has a current
#   approval from a security approver who neither wrote nor requested the
#   release. More approvals alone fix it, so the violation is pending.
# custom:
#   short_name: escalation_approved
#   failure_msg: An IAM privilege escalation has no approval from a security approver
#   solution: >-
#     Ask a member of a group in params iac.iam.security_approver_groups to
#     approve the release, or narrow the policy.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "iam", "expected": expected_value, "actual": actual_value, "pending": true} if {
	some resource in _iam_resources
	not iac.unknown(resource, "iam")
	reasons := _escalations(resource)
	count(reasons) > 0
	not _security_approved
	msg := text.join([
		iac.name(resource), " ", text.list(reasons), " (plan ", resource.plan_id,
		"), which needs an approval from a security approver (a member of ", _groups_text,
		"); ask one to approve the release or narrow the policy",
	])
	expected_value := "an approval from a security approver"
	actual_value := text.list(reasons)
}

_groups_text := text.join(["group ", text.list(_groups)]) if {
	count(_groups) > 0
} else := "a security approver group, and params iac.iam.security_approver_groups names none"

_statements(resource) := [statement |
	some statement in evidence.list_of(object.get(resource, ["iam", "statements"], []))
	statement.effect == "Allow"
]

_escalations(resource) := {reason |
	some policy in evidence.list_of(object.get(resource, ["iam", "managed_policies"], []))
	is_string(policy)
	lower(policy) in _admin_policies
	reason := text.join(["attaches admin policy ", policy])
} | {reason |
	some statement in _statements(resource)
	some action in _actions(statement)
	contains(action, "*")
	reason := text.join(["allows wildcard action ", action])
} | {reason |
	some statement in _statements(resource)
	some action in _actions(statement)
	not contains(action, "*")
	lower(action) in _escalation_actions
	reason := text.join(["allows escalation action ", action])
} | {reason |
	some statement in _statements(resource)
	excluded := [action | some action in evidence.list_of(statement.not_actions); is_string(action)]
	count(excluded) > 0
	reason := text.join(["allows every action except ", text.list(excluded)])
}

_actions(statement) := [action |
	some action in evidence.list_of(statement.actions)
	is_string(action)
]
