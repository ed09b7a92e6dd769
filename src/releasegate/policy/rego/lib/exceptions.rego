# METADATA
# title: Exception helpers
# description: >-
#   Decide which exceptions of the policy input apply to this release and
#   whether each is valid. Control EXC-1 reports the invalid ones and the
#   gate waives violations only with the valid ones, so both read the same
#   predicate from here.
package releasegate.lib.exceptions

import rego.v1

import data.releasegate.lib.text
import data.releasegate.lib.approvals
import data.releasegate.lib.timestamps

# NOTE: the checks are functions of the exception rather than rules that
# each iterate the exceptions: regopy 1.5.2 plans every rule again for each
# place that refers to it under a `with` clause, so a deep tree of rules
# makes the unit tests compile slowly and use gigabytes of memory.

# METADATA
# title: Control package name
# description: >-
#   Return the package name of a control id under releasegate.controls, in
#   lowercase with "_" for "-" (VUL-1 becomes vul_1).
package_name(control_id) := replace(lower(control_id), "-", "_")

# METADATA
# title: Non-waivable control
# description: >-
#   True when params list the control as one no exception may waive. Ids are
#   compared by package name, as the gate matches them, so "sod-1" is SOD-1.
non_waivable(control_id) if {
	some listed in data.releasegate.params.exceptions.non_waivable_controls
	package_name(listed) == package_name(control_id)
}

# METADATA
# title: Exception in scope
# description: >-
#   True when the exception names the release's service and either names no
#   release or names this release.
in_scope(exception, release) if {
	exception.scope.service == release.service
	_release_matches(exception.scope, release)
	_digest_matches(exception.scope, release)
}

_digest_matches(scope, _) if not "artifact_digest" in object.keys(scope)

_digest_matches(scope, _) if scope.artifact_digest == null

_digest_matches(scope, release) if {
	is_string(scope.artifact_digest)
	some artifact in release.artifacts
	lower(artifact.digest) == lower(scope.artifact_digest)
}

_release_matches(scope, _) if not "release_id" in object.keys(scope)

_release_matches(scope, _) if scope.release_id == null

_release_matches(scope, release) if scope.release_id == release.id

# METADATA
# title: Exception active
# description: >-
#   True when the exception is approved and expires after now (an RFC 3339
#   timestamp). An expired exception counts as absent.
active(exception, now) if {
	exception.status == "approved"
	timestamps.before(now, exception.expires_at)
}

# METADATA
# title: Relevant exceptions
# description: Approved, unexpired exceptions in scope of this release.
relevant contains exception if {
	some exception in input.exceptions
	in_scope(exception, input.release)
	active(exception, input.now)
}

# METADATA
# title: Exception problems
# description: >-
#   Return the reasons that make an exception invalid, an empty set when it is
#   valid. Checks segregation of duties between requester and approver, the
#   justification, the compensating controls, the duration from request to
#   expiry against params exceptions.max_duration_days, and that the control
#   may be waived at all.
problems(exception) := union({
	_approver_problems(exception),
	_content_problems(exception),
	_duration_problems(exception),
	_control_problems(exception),
})

# METADATA
# title: Exception valid
# description: True when the exception has no problem.
valid(exception) if count(problems(exception)) == 0

# METADATA
# title: Usable exceptions
# description: >-
#   Relevant exceptions without any problem: the only ones that may waive a
#   violation.
usable contains exception if {
	some exception in relevant
	valid(exception)
}

# METADATA
# title: Exception covers a violation
# description: >-
#   True when the exception names no finding, or names the violation's key or
#   one of its keys.
covers(exception, _) if not _names_finding(exception)

covers(exception, violation) if exception.scope.finding == violation.key

covers(exception, violation) if exception.scope.finding in violation.keys

_names_finding(exception) if {
	"finding" in object.keys(exception.scope)
	exception.scope.finding != null
}

_approver_problems(exception) := {"has no approver" | not text.present(exception.approver)}
	| {"has no requester" | not text.present(exception.requester)}
	| {reason |
		text.present(exception.approver)
		text.present(exception.requester)
		same_person(exception)
		reason := text.join([
			"was approved by ", exception.approver, ", the same person as its requester ", exception.requester,
			" (segregation of duties)",
		])
	}
	| {reason |
		text.present(exception.approver)
		not _approver_authorised(exception)
		reason := text.join([
			"was approved by ", exception.approver,
			", who is neither a business control owner of the service, a CAB member, nor in a group of ",
			"params exceptions.approver_groups",
		])
	}
	| {reason |
		text.present(exception.approver)
		object.get(exception.scope, "release_id", null) == input.release.id
		approvals.is_author_or_requester(exception.approver)
		reason := text.join([
			"was approved by ", exception.approver, ", who ", approvals.conflict(exception.approver),
			" (segregation of duties)",
		])
	}

_content_problems(exception) := {"has no justification" | not text.present(exception.justification)}
	| {"names no compensating controls" | not _has_compensating_control(exception)}

_duration_problems(exception) := {"expires before it was requested" | _duration_ns(exception) <= 0}
	| {reason |
		max_days := data.releasegate.params.exceptions.max_duration_days
		is_number(max_days)
		duration_ns := _duration_ns(exception)
		duration_ns > max_days * timestamps.ns_per_day
		days := round(duration_ns / (timestamps.ns_per_day / 100)) / 100
		reason := text.join([
			"lasts ", days, " days from request to expiry, longer than the maximum of ",
			max_days, " days",
		])
	}
	| {"cannot be checked because params exceptions.max_duration_days is not a number" |
		not is_number(data.releasegate.params.exceptions.max_duration_days)
	}

_control_problems(exception) := {"names no control" | not text.present(exception.control_id)}
	| {reason |
		text.present(exception.control_id)
		non_waivable(exception.control_id)
		reason := text.join(["targets ", exception.control_id, ", which no exception may waive"])
	}
	| {"cannot be checked because params exceptions.non_waivable_controls is not a list" |
		not is_array(data.releasegate.params.exceptions.non_waivable_controls)
	}

_has_compensating_control(exception) if {
	some control in exception.compensating_controls
	text.present(control)
}

_duration_ns(exception) := timestamps.parse_ns(exception.expires_at) - timestamps.parse_ns(exception.requested_at)

_approver_authorised(exception) if object.get(object.get(exception, "approver_roles", {}), "business_control", false) == true

_approver_authorised(exception) if object.get(object.get(exception, "approver_roles", {}), "cab", false) == true

_approver_authorised(exception) if {
	some group in object.get(exception, "approver_groups", [])
	group in data.releasegate.params.exceptions.approver_groups
}

# METADATA
# title: Requester and approver are one person
# description: >-
#   True when the exception's requester and approver are the same identity
#   without regard to case, or resolve to the same person.
same_person(exception) if lower(exception.approver) == lower(exception.requester)

same_person(exception) if {
	text.present(object.get(exception, "approver_person", null))
	exception.approver_person == object.get(exception, "requester_person", null)
}
