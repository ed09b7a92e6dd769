# METADATA
# title: Approval helpers
# description: >-
#   Classify the approvals of the policy input: which identities wrote or
#   requested the release, and which current approvals come from someone
#   else. Only approvals with current == true count. releasegate sets current
#   when the approval names the release's artifact digests and policy
#   revision and has not expired.
package releasegate.lib.approvals

import rego.v1

# METADATA
# title: Release authors
# description: Lowercase identities of the release's commit authors.
authors contains lower(author) if {
	some author in input.release.authors
	is_string(author)
}

# METADATA
# title: Release requester
# description: Lowercase identity of the release's requester.
requester := lower(input.release.requester) if is_string(input.release.requester)

# METADATA
# title: Author or requester
# description: True when the identity wrote or requested the release.
is_author_or_requester(identity) if lower(identity) in authors

is_author_or_requester(identity) if lower(identity) == requester

# METADATA
# title: Conflict of interest
# description: >-
#   Return why the identity may not approve the release, or undefined when
#   it may.
conflict(identity) := "is an author and the requester of the release" if {
	lower(identity) in authors
	lower(identity) == requester
} else := "is an author of the release" if {
	lower(identity) in authors
} else := "is the requester of the release" if {
	lower(identity) == requester
}

# METADATA
# title: Current approvals
# description: Approvals that still count for this release (current == true).
current contains approval if {
	some approval in input.approvals
	approval.current == true
	is_string(approval.approver)
}

# METADATA
# title: Eligible approvals
# description: >-
#   Current approvals from identities that neither wrote nor requested the
#   release, whatever their decision.
eligible contains approval if {
	some approval in current
	not is_author_or_requester(approval.approver)
}

# An identity outside every approval group never counts as a distinct approver.
_holds_a_role(approval) if {
	some held in object.get(approval, "roles", {})
	held == true
}

# METADATA
# title: Eligible approvers
# description: >-
#   Lowercased identities with an eligible, current "approve" decision. A set,
#   so an identity that approves twice counts once.
approvers contains lower(approval.approver) if {
	some approval in eligible
	approval.decision == "approve"
	_holds_a_role(approval)
}

# METADATA
# title: Covered roles
# description: >-
#   Approval roles held by at least one eligible approver, read from the
#   approval's roles object.
covered_roles contains role if {
	some approval in eligible
	approval.decision == "approve"
	some role, held in approval.roles
	held == true
}

# METADATA
# title: Eligible rejections
# description: Eligible, current approvals whose decision is "reject".
rejections contains approval if {
	some approval in eligible
	approval.decision == "reject"
}
