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
	conflict := approvals.conflict(approval.approver)
	msg := text.join([
		approval.approver, " approved the release but ", conflict,
		" (approval ", object.get(approval, "id", null), ")",
	])
}
