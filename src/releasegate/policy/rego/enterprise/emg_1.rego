# METADATA
# title: Emergency change takes the pre-approved path
# description: >-
#   An emergency change (change type emergency) goes out only on the
#   pre-approved emergency path: every artifact has a signature that
#   verifies against a trusted signer (as ART-1 requires), the tests pass
#   (TST-1 reports no violation), at least params emergency.min_approvers
#   approvers who neither wrote nor requested it approved it, and every
#   compensating control in params emergency.compensating_controls is in
#   place for the release. The compensating controls come from
#   input.evidence.compensating_controls. An exception that waives ART-1 or
#   TST-1 does not waive this control.
# custom:
#   id: EMG-1
#   short_name: emergency_path
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 6.5.1
#   failure_msg: The emergency change does not meet the pre-approved emergency path
#   solution: >-
#     Sign the artifacts, make the tests pass, get the approval the
#     emergency path requires and put the compensating controls in place
#     (for example enhanced monitoring and a scheduled post-release review),
#     attaching the evidence for each.
package releasegate.controls.emg_1

import rego.v1

import data.releasegate.controls.tst_1
import data.releasegate.lib.approvals
import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.signatures
import data.releasegate.lib.text

_approvers_path := ["emergency", "min_approvers"]

_controls_path := ["emergency", "compensating_controls"]

_min_approvers := scope.param(_approvers_path)

_in_place := {record.name |
	some record in evidence.items("compensating_controls")
	record.release_id == evidence.release_field("id")
	record.in_place == true
}

# METADATA
# title: Applies to emergency changes
# description: Applies when the release's change type is emergency.
default applicable := false

applicable if input.release.change_type == "emergency"

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Emergency path configured
# description: Params emergency hold the minimum approvers and the list of compensating controls.
# custom:
#   short_name: emergency_configured
#   failure_msg: The emergency path is not configured
#   solution: Set params emergency.min_approvers to a number and compensating_controls to a list.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_approvers_path) | scope.list_problems(_controls_path)
}

# METADATA
# title: Artifacts listed
# description: The emergency change lists at least one artifact digest whose signature can be checked.
# custom:
#   short_name: artifacts_listed
#   failure_msg: The emergency change lists no artifact digest
#   solution: List the built artifacts with their digests in the release manifest.
violation contains {"msg": "the emergency change lists no artifact digest, so its signatures cannot be checked"} if {
	applicable
	count(evidence.release_artifacts) == 0
}

# METADATA
# title: Each artifact signed
# description: Each artifact of the emergency change has a signature that verifies against a trusted signer.
# custom:
#   short_name: artifact_signed
#   failure_msg: An artifact of the emergency change is not signed by a trusted signer
#   solution: Sign the artifact with a trusted key or signing identity and attach the signature.
violation contains {"msg": msg} if {
	applicable
	some artifact in evidence.release_artifacts
	problem := signatures.problem(artifact)
	msg := text.join(["the emergency path needs signed artifacts: ", problem])
}

# METADATA
# title: Tests pass
# description: Control TST-1 reports no violation for the release, waived or not.
# custom:
#   short_name: tests_pass
#   failure_msg: The emergency change has no passing tests
#   solution: Run the tests on the release's source commit, fix what fails and attach the report.
violation contains {"msg": msg} if {
	applicable
	some failure in tst_1.violation
	msg := text.join(["the emergency path needs passing tests: ", failure.msg])
}

# METADATA
# title: Approved
# description: >-
#   At least params emergency.min_approvers approvers who neither wrote nor
#   requested the release approved it. More approvals alone fix it, so the
#   violation is pending.
# custom:
#   short_name: approved
#   failure_msg: The emergency change has too few independent approvers
#   solution: Ask an approver who neither wrote nor requested the release to approve it.
violation contains {"msg": msg, "pending": true} if {
	applicable
	approver_count := count(approvals.approvers)
	not _enough(approver_count)
	msg := text.join([
		"the emergency path needs ", _min_approvers, " approvers who are neither authors nor the requester, and the release has ",
		approver_count,
	])
}

# METADATA
# title: Compensating controls in place
# description: Each compensating control params name is recorded as in place for the release.
# custom:
#   short_name: compensating_controls_in_place
#   failure_msg: A compensating control of the emergency path is not in place
#   solution: Put the compensating control in place and attach its record for the release.
violation contains {"msg": msg} if {
	applicable
	some name in evidence.list_of(scope.param(_controls_path))
	not name in _in_place
	msg := text.join([
		"compensating control ", name, " is not recorded as in place for emergency release ", evidence.release_field("id"),
		"; put it in place and attach its record",
	])
}

_enough(approver_count) if {
	is_number(_min_approvers)
	approver_count >= _min_approvers
}
