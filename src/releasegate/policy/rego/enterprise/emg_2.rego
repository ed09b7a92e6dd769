# METADATA
# title: Post-release review of emergency changes on time
# description: >-
#   Every emergency change of the service has a post-release review recorded
#   within params emergency.review_deadline_hours (72 hours by default) of
#   its deployment, by someone other than its requester. A review not yet
#   due is not a violation. The emergency changes and their reviews come
#   from input.evidence.emergency_history, the service's emergency change
#   register. The control reports without blocking; a layer that sets params
#   controls.EMG-2.blocking to true blocks the service's next release while
#   a review is overdue.
# custom:
#   id: EMG-2
#   short_name: emergency_review_on_time
#   blocking: false
#   frameworks:
#     - SOX ITGC change management
#     - EU DORA Art. 9(4)(e)
#   failure_msg: An emergency change has no post-release review recorded before its deadline
#   solution: >-
#     Hold the post-release review of the emergency change with someone
#     other than its requester and record it in releasegate.
package releasegate.controls.emg_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_hours_path := ["emergency", "review_deadline_hours"]

_hours := scope.param(_hours_path)

_service := evidence.release_field("service")

_reports := [report |
	some report in evidence.items("emergency_history")
	report.service == _service
]

_changes contains change if {
	some report in _reports
	some change in evidence.list_of(report.changes)
	is_object(change)
}

# METADATA
# title: Applies to releases other than emergency changes
# description: >-
#   Every standard and normal release of a service shows whether the
#   service's emergency changes were reviewed. An emergency change itself is
#   not held up by an overdue review of an earlier one.
default applicable := false

applicable if input.release.change_type != "emergency"

# METADATA
# title: Review deadline configured
# description: Params emergency.review_deadline_hours is a number.
# custom:
#   short_name: deadline_configured
#   failure_msg: The review deadline is not configured
#   solution: Set params emergency.review_deadline_hours to a number of hours.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_hours_path)
}

# METADATA
# title: Emergency change register attached
# description: The service's emergency change register is attached.
# custom:
#   short_name: register_attached
#   failure_msg: No emergency change register of the service is attached
#   solution: >-
#     Attach the service's emergency change register from releasegate, which
#     lists no change when the service had none.
violation contains {"msg": msg} if {
	count(_reports) == 0
	msg := text.join([
		"no emergency change register of ", _service,
		" attached; attach the register, which lists no change when the service had none",
	])
}

# METADATA
# title: Deployment time known
# description: Each emergency change records a valid deployment time, from which its deadline is counted.
# custom:
#   short_name: deployment_time_known
#   failure_msg: An emergency change records no valid deployment time
#   solution: Record the deployment time of the emergency change.
violation contains {"msg": msg, "key": object.get(change, "release_id", null)} if {
	some change in _changes
	not timestamps.valid(change.deployed_at)
	msg := text.join([
		"emergency release ", object.get(change, "release_id", null),
		" records no valid deployment time, so its review deadline is unknown; record when it was deployed",
	])
}

# METADATA
# title: Review not overdue
# description: Each emergency change past its review deadline has a recorded review.
# custom:
#   short_name: review_not_overdue
#   failure_msg: A post-release review is overdue
#   solution: Hold the review with someone other than the requester and record it.
violation contains {"msg": msg, "key": object.get(change, "release_id", null)} if {
	some change in _changes
	deadline := _deadline(change)
	not is_object(change.review)
	timestamps.valid(evidence.now)
	timestamps.parse_ns(evidence.now) > deadline
	msg := text.join([
		"emergency release ", object.get(change, "release_id", null), " of ", _service, ", deployed at ", change.deployed_at,
		", has no post-release review, which was due by ", timestamps.format_utc(deadline), "; hold the review and record it",
	])
}

# METADATA
# title: Review recorded by the deadline
# description: Each recorded review was recorded by the deadline of its emergency change.
# custom:
#   short_name: review_recorded_by_deadline
#   failure_msg: A post-release review was recorded after its deadline
#   solution: Record reviews within the deadline; a late review stays reported as late.
violation contains {"msg": msg, "key": object.get(change, "release_id", null)} if {
	some change in _changes
	deadline := _deadline(change)
	is_object(change.review)
	not _recorded_by(change.review, deadline)
	msg := text.join([
		"the post-release review of emergency release ", object.get(change, "release_id", null), " was recorded at ",
		object.get(change.review, "recorded_at", null), ", not by its deadline ", timestamps.format_utc(deadline),
		"; record reviews within ", _hours, " hours of deployment",
	])
}

# METADATA
# title: Independent reviewer
# description: No review was held by the emergency change's requester alone.
# custom:
#   short_name: independent_reviewer
#   failure_msg: A post-release review was recorded by the emergency change's requester
#   solution: Hold the review again with someone other than the requester.
violation contains {"msg": msg, "key": object.get(change, "release_id", null)} if {
	some change in _changes
	is_object(change.review)
	not _independent(change)
	msg := text.join([
		"the post-release review of emergency release ", object.get(change, "release_id", null), " ",
		_reviewer_problem(change), "; hold the review again with someone other than the requester",
	])
}

_deadline(change) := timestamps.parse_ns(change.deployed_at) + (_hours * timestamps.ns_per_hour) if {
	timestamps.valid(change.deployed_at)
	is_number(_hours)
}

_recorded_by(review, deadline) if {
	timestamps.valid(review.recorded_at)
	timestamps.parse_ns(review.recorded_at) <= deadline
}

_independent(change) if {
	text.present(change.review.reviewer)
	text.present(change.requester)
	lower(change.review.reviewer) != lower(change.requester)
}

_reviewer_problem(change) := "names no reviewer" if {
	not text.present(change.review.reviewer)
} else := "names no requester of the change, so its reviewer cannot be shown to be independent" if {
	not text.present(change.requester)
} else := text.join(["was held by the change's requester ", change.review.reviewer])
