# METADATA
# title: Approver is not an author
# description: >-
#   No identity with a current approval of the release wrote it or requested
#   it. Identities are compared without regard to case.
# custom:
#   id: SOD-1
#   short_name: approver_not_author
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 6.5.1
#     - NIST SP 800-53 CM-5
#     - SOC 2 CC8.1
#   failure_msg: An author or the requester of the release approved it
#   solution: >-
#     Withdraw the approval given by the author or requester and ask an
#     approver who neither wrote nor requested the release.
package releasegate.controls.sod_1

import rego.v1

import data.releasegate.lib.approvals
import data.releasegate.lib.text

# METADATA
# title: Applies to every release
# description: Every approval of every release must come from someone other than its authors.
applicable := true

# METADATA
# title: Approver is not an author or the requester
# description: >-
#   Each current "approve" decision comes from an identity that is neither a
#   commit author nor the requester of the release.
# custom:
#   short_name: approver_not_author
#   failure_msg: An author or the requester of the release approved it
#   solution: >-
#     Withdraw the approval and ask an approver who neither wrote nor
#     requested the release.
violation contains {"msg": msg} if {
	some approval in approvals.current
	approval.decision == "approve"
	not approvals.chain_known
	conflict := approvals.conflict(approval.approver)
	msg := text.join([
		approval.approver, " approved the release but ", conflict,
		" (approval ", object.get(approval, "id", null), ")",
	])
}

# METADATA
# title: Approver is no one in the release chain
# description: >-
#   Each current "approve" decision comes from a person who is none of the
#   release's authors, co-authors (commit trailers), committers, commit
#   signers or its requester, under any alias the identity directory lists.
# custom:
#   short_name: approver_outside_chain
#   failure_msg: A person who wrote, committed, signed or requested the release approved it
#   solution: >-
#     Withdraw the approval and ask an approver who is none of the people the
#     message names.
violation contains {"msg": msg} if {
	approvals.chain_known
	some approval in approvals.current
	approval.decision == "approve"
	person := approvals.person_key(approval)
	found := approvals.chain_conflicts(person)
	count(found) > 0
	msg := text.join([
		approval.approver, " (person ", person, ") approved the release but is the same person as ",
		text.list(sort(found)), " (approval ", object.get(approval, "id", null), ")",
	])
}

# METADATA
# title: Every author-side identity known
# description: >-
#   Every author, co-author, committer, signer and the requester resolves to
#   a person. An unknown identity could be any approver, so it fails closed.
# custom:
#   short_name: chain_identities_known
#   failure_msg: An identity in the release chain is not known
#   solution: Add the identity as an alias of its person in the identities file.
violation contains {"msg": msg} if {
	some participant in approvals.unknown_participants
	msg := text.join([
		participant.description, " is not a known identity, so no approver can be shown to be a different person; ",
		"add it as an alias of its person in the identities file",
	])
}

# METADATA
# title: Pull request reviewed by someone other than its authors
# description: No reviewer of the pull request is an author-side person of the release.
# custom:
#   short_name: reviewer_not_author
#   failure_msg: A reviewer of the pull request is also its author
#   solution: Ask a reviewer who did not write the change to review it.
violation contains {"msg": msg} if {
	some participant in approvals.participants
	participant.role == "reviewer"
	found := approvals.chain_conflicts(participant.person)
	count(found) > 0
	msg := text.join([
		participant.description, " (person ", participant.person, ") is the same person as ",
		text.list(sort(found)), ", so the review is not independent",
	])
}
