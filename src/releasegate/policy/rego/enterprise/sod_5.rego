# METADATA
# title: Exception approver is not its requester
# description: >-
#   Every approved, unexpired exception in scope of the release names both a
#   requester and an approver, and they are different identities, compared
#   without regard to case. Only such exceptions can waive a violation, so
#   this control shows that no waiver of the release was approved by the
#   person who asked for it.
# custom:
#   id: SOD-5
#   short_name: exception_approver_independent
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - NIST SP 800-53 CM-5
#   failure_msg: An exception was approved by its own requester or names no requester or approver
#   solution: >-
#     Withdraw the exception and request it again, to be approved by someone
#     other than the requester.
package releasegate.controls.sod_5

import rego.v1

import data.releasegate.lib.exceptions
import data.releasegate.lib.text

# METADATA
# title: Applies to every release
# description: Any release may carry exceptions, and each needs an independent approver.
applicable := true

# METADATA
# title: Requester and approver named
# description: Each approved exception in scope names its requester and its approver.
# custom:
#   short_name: parties_named
#   failure_msg: An approved exception names no requester or no approver
#   solution: Withdraw the exception and request it again through releasegate, which records both.
violation contains {"msg": msg} if {
	some exception in exceptions.relevant
	some field in ["requester", "approver"]
	not text.present(object.get(exception, field, null))
	msg := text.join([
		"exception ", _exception_name(exception), " names no ", field,
		", so its approval cannot be shown to be independent; request it again",
	])
}

# METADATA
# title: Approver is not the requester
# description: No approved exception in scope was approved by its requester.
# custom:
#   short_name: approver_not_requester
#   failure_msg: An exception was approved by its own requester
#   solution: Withdraw the exception and ask someone other than the requester to approve a new one.
violation contains {"msg": msg} if {
	some exception in exceptions.relevant
	text.present(exception.requester)
	text.present(exception.approver)
	exceptions.same_person(exception)
	msg := text.join([
		"exception ", _exception_name(exception), " was approved by ", exception.approver,
		", the same person as its requester ", exception.requester,
		"; ask someone other than the requester to approve it",
	])
}

_exception_name(exception) := text.join([object.get(exception, "id", null), " for ", object.get(exception, "control_id", null)])
