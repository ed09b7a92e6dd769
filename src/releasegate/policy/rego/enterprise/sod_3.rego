# METADATA
# title: Approvals by risk tier
# description: >-
#   The release has the approvals its risk tier requires: a minimum number of
#   distinct approvers who neither wrote nor requested it, covering the roles
#   the tier requires (by default an engineering approver and a business
#   control owner for high and critical releases, and a change advisory board
#   member for critical ones). A current rejection by such an approver blocks
#   the release. Only current approvals count.
# custom:
#   id: SOD-3
#   short_name: approvals_by_tier
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - EU DORA Art. 9(4)(e)
#     - PCI DSS v4.0 6.5.1
#   failure_msg: The release does not have the approvals its risk tier requires
#   solution: >-
#     Ask approvers who neither wrote nor requested the release to approve it,
#     covering each role the message names. A rejection counts until the same
#     approver approves the release, or until it expires or the release's
#     artifacts or the policy revision change.
package releasegate.controls.sod_3

import rego.v1

import data.releasegate.lib.approvals
import data.releasegate.lib.text
import data.releasegate.risk

_params := data.releasegate.params.approvals

_role_labels := {
	"engineering": "an engineering approver",
	"business_control": "a business control owner",
	"cab": "a change advisory board (CAB) member",
}

# METADATA
# title: Applies to every release
# description: Every release needs the approvals of its tier, which may be none.
applicable := true

# METADATA
# title: Risk tier known
# description: The release has a risk tier, without which the required approvals are unknown.
# custom:
#   short_name: tier_known
#   failure_msg: The required approvals cannot be determined without a risk tier
#   solution: Fix the problems control CHG-2 reports so that the release gets a risk tier.
violation contains {"msg": "no risk tier was computed, so the required approvals cannot be determined"} if {
	not text.present(risk.assessment.tier)
}

# METADATA
# title: Minimum approvers configured
# description: Params approvals.min_approvers holds a number for the release's tier.
# custom:
#   short_name: min_approvers_configured
#   failure_msg: The minimum number of approvers for the tier is not configured
#   solution: Add the tier to params approvals.min_approvers with a number of approvers.
violation contains {"msg": msg} if {
	tier := risk.assessment.tier
	not is_number(object.get(_params.min_approvers, tier, null))
	msg := text.join(["params approvals.min_approvers has no number for tier ", tier])
}

# METADATA
# title: Required roles configured
# description: Params approvals.required_roles holds a list for the release's tier.
# custom:
#   short_name: required_roles_configured
#   failure_msg: The roles required for the tier are not configured
#   solution: Add the tier to params approvals.required_roles with a list of roles, which may be empty.
violation contains {"msg": msg} if {
	tier := risk.assessment.tier
	not is_array(object.get(_params.required_roles, tier, null))
	msg := text.join(["params approvals.required_roles has no list for tier ", tier])
}

# METADATA
# title: Enough independent approvers
# description: >-
#   The release has at least the tier's minimum number of distinct approvers
#   with a current approval who neither wrote nor requested it.
# custom:
#   short_name: enough_approvers
#   failure_msg: The release has too few independent approvers for its risk tier
#   solution: Ask more approvers who neither wrote nor requested the release to approve it.
violation contains {"msg": msg, "pending": true} if {
	tier := risk.assessment.tier
	minimum := _minimum(tier)
	approver_count := count(approvals.approvers)
	approver_count < minimum
	msg := text.join([
		_subject(tier), " needs ", minimum,
		" approvers who hold an approval role and are neither authors nor the requester, and has ",
		approver_count, _collision_note,
	])
}

# METADATA
# title: Required roles covered
# description: >-
#   Each role the tier requires is held by at least one approver with a
#   current approval who neither wrote nor requested the release.
# custom:
#   short_name: roles_covered
#   failure_msg: A role the risk tier requires has not approved the release
#   solution: Ask an approver who holds the named role, and who neither wrote nor requested the release, to approve it.
violation contains {"msg": msg, "pending": true} if {
	tier := risk.assessment.tier
	some role in _required_roles(tier)
	not role in approvals.covered_roles
	label := object.get(_role_labels, role, text.join(["an approver with role ", role]))
	msg := text.join([_subject(tier), " needs an approval from ", label])
}

# METADATA
# title: Not rejected
# description: No approver who neither wrote nor requested the release has a current rejection of it.
# custom:
#   short_name: not_rejected
#   failure_msg: An approver rejected the release
#   solution: >-
#     Address the approver's objection and submit a new revision of the
#     release, or ask the approver to withdraw the rejection.
violation contains {"msg": msg} if {
	some approval in approvals.rejections
	msg := text.join(["rejected by ", approval.approver, " (approval ", object.get(approval, "id", null), ")"])
}

# An emergency change takes the pre-approved path: it needs params
# emergency.min_approvers approvers and the roles in params
# emergency.required_roles (none by default) instead of its tier's.
_emergency if input.release.change_type == "emergency"

_minimum(tier) := minimum if {
	_emergency
	minimum := data.releasegate.params.emergency.min_approvers
	is_number(minimum)
} else := _params.min_approvers[tier]

_required_roles(tier) := roles if {
	_emergency
	roles := object.get(data.releasegate.params.emergency, "required_roles", [])
	is_array(roles)
} else := _params.required_roles[tier]

_subject(tier) := text.join(["an emergency change of tier ", tier]) if {
	_emergency
} else := text.join(["a ", tier, " release"])

_collision_note := text.join([" (", concat("; ", sort(approvals.alias_collisions)), ")"]) if {
	count(approvals.alias_collisions) > 0
} else := ""
