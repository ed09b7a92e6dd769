# METADATA
# title: Inside an allowed window
# description: >-
#   When allowed release windows constrain the release's risk tier, the whole
#   planned rollout, from the planned deployment time to its expected end,
#   lies inside them. releasegate computes the windows from the calendar file
#   in each legal entity's local time and reports, per tier, whether windows
#   constrain it and whether the rollout is inside them. Without windows for
#   the tier (or without a calendar file) the control does not apply. An
#   emergency change with a reason code from the calendar may go outside the
#   windows.
# custom:
#   id: CAL-2
#   short_name: inside_window
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#   failure_msg: The planned rollout is not inside an allowed window of the service
#   solution: >-
#     Plan the deployment for the next allowed start the message names
#     (releasegate gate --at TIME; releasegate calendar next shows it too), or
#     shorten the rollout so that it ends inside the window. A change that
#     cannot wait goes as an emergency change: change_type emergency and an
#     emergency_reason from the calendar's emergency_reason_codes.
package releasegate.controls.cal_2

import rego.v1

import data.releasegate.lib.text
import data.releasegate.risk

# METADATA
# title: Applies when windows constrain the release
# description: >-
#   True when windows constrain the release's risk tier, when the tier is
#   unknown and windows constrain any tier, and when the calendar facts are
#   missing or the calendar cannot be applied.
default applicable := false

applicable if not _facts_present

applicable if count(input.calendar.problems) > 0

applicable if input.calendar.windows[risk.assessment.tier].constrained == true

applicable if {
	not text.present(risk.assessment.tier)
	some tier_windows in input.calendar.windows
	tier_windows.constrained == true
}

# METADATA
# title: Calendar facts present
# description: >-
#   The input has the deployment times and the calendar facts; without them
#   the windows cannot be checked.
# custom:
#   short_name: calendar_facts_present
#   failure_msg: The policy input has no calendar facts
#   solution: >-
#     Evaluate the release through releasegate's gate, which adds
#     input.deployment and input.calendar to the input document.
violation contains {"msg": "the policy input has no calendar facts (input.deployment and input.calendar), so the allowed windows cannot be checked"} if {
	not _facts_present
}

# METADATA
# title: Calendar applicable
# description: >-
#   The calendar can be applied to the release: the service is in the catalog
#   and each of its legal entities is defined in the calendar file.
# custom:
#   short_name: calendar_applicable
#   failure_msg: The change calendar cannot be applied to the release
#   solution: >-
#     Fix what the message names: define the legal entity in the calendar
#     file, or add the service to the catalog.
violation contains {"msg": msg} if {
	some problem in input.calendar.problems
	msg := text.join(["the change calendar cannot be applied: ", problem])
}

# METADATA
# title: Risk tier known under windows
# description: >-
#   When windows constrain some tiers, the release has a risk tier, without
#   which it cannot be told whether the windows constrain it.
# custom:
#   short_name: tier_known_under_windows
#   failure_msg: Allowed windows are defined and the release has no risk tier
#   solution: Fix the problems control CHG-2 reports so that the release gets a risk tier.
violation contains {"msg": "no risk tier was computed, so it cannot be told which allowed windows apply to the release"} if {
	not text.present(risk.assessment.tier)
	some tier_windows in input.calendar.windows
	tier_windows.constrained == true
}

# METADATA
# title: Rollout inside the windows
# description: >-
#   The planned rollout lies inside the allowed windows of the release's tier
#   from its start to its end, unless the release is an emergency change with
#   a known reason code.
# custom:
#   short_name: rollout_inside_windows
#   failure_msg: The planned rollout leaves the allowed windows of the release's risk tier
#   solution: >-
#     Deploy at the next allowed start the message names, shorten the
#     rollout, or, for a change that cannot wait, submit it as an emergency
#     change with a reason code.
violation contains {"msg": msg} if {
	tier := risk.assessment.tier
	facts := input.calendar.windows[tier]
	facts.constrained == true
	facts.covered != true
	not _emergency_passes
	msg := text.join([_outside_text(facts, tier), _emergency_text, _next_allowed_text(tier)])
}

_facts_present if {
	is_object(input.deployment)
	is_object(input.calendar)
}

_emergency_passes if {
	input.release.change_type == "emergency"
	input.release.emergency_reason in input.calendar.emergency_reason_codes
}

_outside_text(facts, tier) := text.join([
	"the planned start ", input.deployment.planned_start, " is outside the allowed windows for ",
	tier, " releases (", text.list(facts.windows), ")",
]) if {
	facts.uncovered_at == input.deployment.planned_start
} else := text.join([
	"the rollout planned from ", input.deployment.planned_start, " to ", input.deployment.planned_end,
	" leaves the allowed windows for ", tier, " releases (", text.list(facts.windows), ") at ",
	facts.uncovered_at,
])

_emergency_text := text.join(["; an emergency change may go outside them only with a reason code in emergency_reason, one of ", _reason_codes_text]) if {
	input.release.change_type == "emergency"
	not text.present(input.release.emergency_reason)
} else := text.join(["; emergency reason code ", input.release.emergency_reason, " is not one of ", _reason_codes_text]) if {
	input.release.change_type == "emergency"
} else := ""

_reason_codes_text := text.list(input.calendar.emergency_reason_codes) if {
	count(input.calendar.emergency_reason_codes) > 0
} else := "(none: the calendar defines no emergency_reason_codes)"

_next_allowed_text(tier) := text.join(["; the next allowed start for a ", tier, " release is ", input.calendar.next_allowed[tier]]) if {
	text.present(input.calendar.next_allowed[tier])
} else := "; no allowed start was found within the search horizon"
