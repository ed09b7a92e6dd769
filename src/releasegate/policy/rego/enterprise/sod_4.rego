# METADATA
# title: Approvals count only for what they were given for
# description: >-
#   Every approval that the policy input marks current names exactly the
#   release's artifact digests and the current policy revision, and expires
#   after now. releasegate computes the current flag; this control checks it
#   again inside policy, so that an approval given for other artifacts,
#   another policy revision or one that has expired never counts. An
#   approval that does not state whether it is current fails too.
# custom:
#   id: SOD-4
#   short_name: approvals_bound
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#   failure_msg: An approval counts for artifacts, a policy revision or a time it was not given for
#   solution: >-
#     Ask the approver to approve the release's current artifacts under the
#     current policy revision, then evaluate the release again. If the
#     message names a current flag that contradicts the approval, report it:
#     the component that built the policy input computed it wrongly.
package releasegate.controls.sod_4

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_approvals := evidence.list_of(input.approvals)

_current := [approval |
	some approval in _approvals
	approval.current == true
]

_release_digests := sort([lower(artifact.digest) | some artifact in evidence.release_artifacts])

_revision := input.policy.revision if text.present(input.policy.revision)

# METADATA
# title: Applies to every release
# description: Every approval must be bound to what it approves.
applicable := true

# METADATA
# title: Current flag stated
# description: Each approval states whether it is current with true or false.
# custom:
#   short_name: current_stated
#   failure_msg: An approval does not state whether it is current
#   solution: Evaluate the release through releasegate, which sets the current flag of every approval.
violation contains {"msg": msg} if {
	some approval in _approvals
	not is_boolean(object.get(approval, "current", null))
	msg := text.join(["approval ", _approval_name(approval), " does not state whether it is current, so it cannot be checked"])
}

# METADATA
# title: Policy revision known
# description: The policy input names the policy revision, which current approvals must name.
# custom:
#   short_name: revision_known
#   failure_msg: The policy input names no policy revision
#   solution: Evaluate the release through releasegate, which sets input.policy.revision.
violation contains {"msg": "the policy input names no policy revision, so no approval can be shown to be current"} if {
	count(_current) > 0
	not _revision
}

# METADATA
# title: Approval for the release's artifacts
# description: Each current approval names exactly the release's artifact digests.
# custom:
#   short_name: approval_for_artifacts
#   failure_msg: A current approval names other artifact digests than the release
#   solution: Ask the approver to approve the release's current artifacts.
violation contains {"msg": msg} if {
	some approval in _current
	digests := _digests(approval)
	digests != _release_digests
	msg := text.join([
		"approval ", _approval_name(approval), " is marked current but names artifact digests ", _digest_text(digests),
		", not the release's ", _digest_text(_release_digests), "; it must not count",
	])
}

# METADATA
# title: Approval for the policy revision
# description: Each current approval names the current policy revision.
# custom:
#   short_name: approval_for_revision
#   failure_msg: A current approval names another policy revision
#   solution: Ask the approver to approve the release under the current policy revision.
violation contains {"msg": msg} if {
	some approval in _current
	_revision
	object.get(approval, "policy_revision", null) != _revision
	msg := text.join([
		"approval ", _approval_name(approval), " is marked current but was given under policy revision ",
		object.get(approval, "policy_revision", null), ", not the current revision ", _revision, "; it must not count",
	])
}

# METADATA
# title: Approval not expired
# description: Each current approval has a valid expiry time later than now.
# custom:
#   short_name: approval_not_expired
#   failure_msg: A current approval has expired or has no valid expiry
#   solution: Ask the approver to approve the release again.
violation contains {"msg": msg} if {
	some approval in _current
	not _unexpired(approval)
	msg := text.join([
		"approval ", _approval_name(approval), " is marked current but expires at ",
		object.get(approval, "expires_at", null), ", which is not after now (", evidence.now, "); it must not count",
	])
}

_approval_name(approval) := text.join([object.get(approval, "id", null), " by ", object.get(approval, "approver", null)])

_digests(approval) := sort([lower(digest) |
	some digest in evidence.list_of(object.get(approval, "artifact_digests", []))
	is_string(digest)
])

_digest_text(digests) := text.list(digests) if {
	count(digests) > 0
} else := "none"

_unexpired(approval) if {
	timestamps.valid(approval.expires_at)
	timestamps.valid(input.now)
	timestamps.before(input.now, approval.expires_at)
}

# METADATA
# title: Lapsed approvals given again
# description: >-
#   An approval that lapsed, because the release's artifacts, commits or the
#   policy revision changed or because it expired, is given again by the
#   same person. It stays recorded and visible. New approvals alone fix it,
#   so the violation is pending.
# custom:
#   short_name: lapsed_approval_renewed
#   failure_msg: An approval lapsed and has not been given again
#   solution: Ask the approver to review the release as it is now and approve it again.
violation contains {"msg": msg, "pending": true} if {
	some approval in _approvals
	approval.decision == "approve"
	object.get(approval, "superseded", false) == false
	reasons := evidence.list_of(object.get(approval, "lapsed", []))
	count(reasons) > 0
	msg := text.join([
		"approval ", _approval_name(approval), " no longer counts: ", concat("; ", reasons),
		"; ", object.get(approval, "approver", null), " must approve the release again",
	])
}
