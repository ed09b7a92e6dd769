# METADATA
# title: Exceptions are valid
# description: >-
#   Every approved, unexpired exception in scope of the release is valid: it
#   has an approver who is not its requester, a justification, at least one
#   compensating control, a duration from request to expiry within params
#   exceptions.max_duration_days, and a control that params allow to be
#   waived. The gate waives violations only with valid exceptions, and this
#   control makes an invalid one visible. Expired exceptions are ignored.
# custom:
#   id: EXC-1
#   short_name: exceptions_valid
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - SOC 2 CC8.1
#   failure_msg: An exception in scope of the release is invalid
#   solution: >-
#     Withdraw the invalid exception, or request a new one with a
#     justification, compensating controls, an expiry within the maximum
#     duration and an approver other than the requester. Controls that may
#     never be waived need the release itself to be fixed.
package releasegate.controls.exc_1

import rego.v1

import data.releasegate.lib.exceptions
import data.releasegate.lib.text

# METADATA
# title: Applies to every release
# description: Any release may carry exceptions, and each must be valid.
applicable := true

# METADATA
# title: Exception valid
# description: >-
#   Each approved, unexpired exception in scope of the release passes every
#   validity check. One violation per exception and problem.
# custom:
#   short_name: exception_valid
#   failure_msg: An exception in scope of the release is invalid
#   solution: >-
#     Fix the problem the message names by withdrawing the exception and
#     requesting a new, valid one.
violation contains {"msg": msg} if {
	some exception in exceptions.relevant
	some problem in exceptions.problems(exception)
	msg := text.join([
		"exception ", object.get(exception, "id", null), " for ", object.get(exception, "control_id", null),
		" is invalid: it ", problem,
	])
}
