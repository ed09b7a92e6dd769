# METADATA
# title: Outside every freeze
# description: >-
#   The planned rollout, from the planned deployment time to its expected end,
#   overlaps no freeze that applies to the service, its legal entities and the
#   release's risk tier. releasegate computes the freezes from the calendar
#   file in each legal entity's time zone and business days, and puts those in
#   force at the planned start or during the rollout in input.calendar.freezes.
#   An emergency change passes a freeze only when the freeze allows emergency
#   changes and the release names a reason code from the calendar.
# custom:
#   id: CAL-1
#   short_name: outside_freezes
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - EU DORA Art. 9(4)(e)
#   failure_msg: The planned rollout overlaps a freeze that blocks the release's risk tier
#   solution: >-
#     Plan the deployment for the next allowed start the message names
#     (releasegate gate --at TIME; releasegate calendar next shows it too), or
#     shorten the rollout so that it ends before the freeze begins. A change
#     that cannot wait goes as an emergency change: change_type emergency and
#     an emergency_reason from the calendar's emergency_reason_codes.
package releasegate.controls.cal_1

import rego.v1

import data.releasegate.lib.text
import data.releasegate.risk

# METADATA
# title: Applies to every release
# description: Every release is checked against the freezes, which may be none.
applicable := true

# METADATA
# title: Calendar facts present
# description: >-
#   The input has the deployment times and the calendar facts; without them
#   no freeze can be ruled out.
# custom:
#   short_name: calendar_facts_present
#   failure_msg: The policy input has no calendar facts
#   solution: >-
#     Evaluate the release through releasegate's gate, which adds
#     input.deployment and input.calendar to the input document.
violation contains {"msg": "the policy input has no calendar facts (input.deployment and input.calendar), so no freeze can be ruled out"} if {
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
# title: Risk tier known during a freeze
# description: >-
#   When a freeze is in force, the release has a risk tier, without which it
#   cannot be told whether the freeze blocks it.
# custom:
#   short_name: tier_known_during_freeze
#   failure_msg: A freeze is in force and the release has no risk tier
#   solution: Fix the problems control CHG-2 reports so that the release gets a risk tier.
violation contains {"msg": msg} if {
	not text.present(risk.assessment.tier)
	names := [freeze.name | some freeze in input.calendar.freezes]
	count(names) > 0
	msg := text.join([
		"no risk tier was computed, so it cannot be told whether freezes ",
		text.list({name | some name in names}), " block the release",
	])
}

# METADATA
# title: No blocking freeze
# description: >-
#   No freeze that blocks the release's risk tier is in force at the planned
#   start or begins before the planned end of the rollout, unless the release
#   takes the emergency path through it.
# custom:
#   short_name: no_blocking_freeze
#   failure_msg: A freeze blocks the release's risk tier during the planned rollout
#   solution: >-
#     Deploy at the next allowed start the message names, or, for a change
#     that cannot wait, submit it as an emergency change with a reason code.
violation contains {"msg": msg} if {
	tier := risk.assessment.tier
	some freeze in input.calendar.freezes
	tier in freeze.tiers
	not _emergency_passes(freeze)
	msg := text.join([
		"freeze ", freeze.name, " (", freeze.title, "; ", _entity_text(freeze), "scope: ",
		freeze.scope_text, ") blocks ", tier, " releases until ", freeze.end,
		" (", freeze.end_local, ")", _timing_text(freeze), _emergency_text(freeze),
		_next_allowed_text(tier),
	])
}

_facts_present if {
	is_object(input.deployment)
	is_object(input.calendar)
}

_emergency_passes(freeze) if {
	input.release.change_type == "emergency"
	freeze.emergency_override == true
	input.release.emergency_reason in input.calendar.emergency_reason_codes
}

_entity_text(freeze) := text.join(["legal entity ", freeze.entity, "; "]) if {
	text.present(freeze.entity)
} else := ""

_timing_text(freeze) := text.join([": it is in force at the planned start ", input.deployment.planned_start]) if {
	freeze.active_at_start == true
} else := text.join([
	": it begins at ", freeze.start, " (", freeze.start_local, "), before the rollout planned from ",
	input.deployment.planned_start, " ends at ", input.deployment.planned_end,
])

_emergency_text(freeze) := "; this freeze does not let emergency changes through" if {
	input.release.change_type == "emergency"
	freeze.emergency_override != true
} else := text.join(["; an emergency change passes it only with a reason code in emergency_reason, one of ", _reason_codes_text]) if {
	input.release.change_type == "emergency"
	not text.present(input.release.emergency_reason)
} else := text.join(["; emergency reason code ", input.release.emergency_reason, " is not one of ", _reason_codes_text]) if {
	input.release.change_type == "emergency"
	not input.release.emergency_reason in input.calendar.emergency_reason_codes
} else := ""

_reason_codes_text := text.list(input.calendar.emergency_reason_codes) if {
	count(input.calendar.emergency_reason_codes) > 0
} else := "(none: the calendar defines no emergency_reason_codes)"

_next_allowed_text(tier) := text.join(["; the next allowed start for a ", tier, " release is ", input.calendar.next_allowed[tier]]) if {
	text.present(input.calendar.next_allowed[tier])
} else := "; no allowed start was found within the search horizon"
