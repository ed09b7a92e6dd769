package releasegate_test.controls.cal_2

import rego.v1

import data.releasegate.controls.cal_2

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so tests
# bind fixtures to local variables before a `with` clause.

_deployment := {
	"planned_start": "2026-06-29T14:30:00Z",
	"planned_end": "2026-06-29T15:30:00Z",
	"duration_minutes": 60,
}

_unconstrained := {"constrained": false, "covered": true, "windows": [], "uncovered_at": null}

_inside := {"constrained": true, "covered": true, "windows": ["business-hours"], "uncovered_at": null}

_leaves_at(moment) := {"constrained": true, "covered": false, "windows": ["business-hours"], "uncovered_at": moment}

_window_calendar(critical) := {
	"defined": true,
	"source": {"path": "calendars.yaml", "sha256": "0"},
	"problems": [],
	"emergency_reason_codes": ["INCIDENT", "SECURITY"],
	"freezes": [],
	"windows": {"low": _unconstrained, "medium": _unconstrained, "high": _unconstrained, "critical": critical},
	"next_allowed": {
		"low": "2026-06-29T14:30:00Z",
		"medium": "2026-06-29T14:30:00Z",
		"high": "2026-06-29T14:30:00Z",
		"critical": "2026-06-30T08:00:00Z",
	},
}

_normal := {"id": "rel-1", "service": "payments-api", "change_type": "normal", "emergency_reason": null}

_emergency_with(reason) := object.union(_normal, {"change_type": "emergency", "emergency_reason": reason})

_tier_assessment(tier) := {"tier": tier, "score": 0, "contributions": []} if tier != null

_tier_assessment(null) := {}

# Whether CAL-2 applies, and its messages, for a tier (null for none), a release and a calendar.
_cal_2_applicable(tier, calendar) := result if {
	deployment := _deployment
	assessment := _tier_assessment(tier)
	result := cal_2.applicable with input.deployment as deployment
		with input.calendar as calendar
		with data.releasegate.risk.assessment as assessment
}

_cal_2_messages(tier, release, calendar) := {violation.msg |
	deployment := _deployment
	assessment := _tier_assessment(tier)
	some violation in cal_2.violation with input.deployment as deployment
		with input.calendar as calendar
		with input.release as release
		with data.releasegate.risk.assessment as assessment
}

test_not_applicable_for_unconstrained_tier if {
	_cal_2_applicable("low", _window_calendar(_inside)) == false
}

test_applicable_for_constrained_tier if {
	_cal_2_applicable("critical", _window_calendar(_inside)) == true
}

test_not_applicable_without_windows if {
	_cal_2_applicable("critical", _window_calendar(_unconstrained)) == false
}

test_applicable_without_tier_when_windows_exist if {
	_cal_2_applicable(null, _window_calendar(_inside)) == true
}

test_applicable_with_calendar_problem if {
	calendar := object.union(_window_calendar(_unconstrained), {"problems": ["legal entity x is not defined"]})
	_cal_2_applicable("low", calendar) == true
}

test_applicable_without_facts if {
	assessment := _tier_assessment("low")
	cal_2.applicable with input.deployment as null
		with input.calendar as null
		with data.releasegate.risk.assessment as assessment
}

test_inside_window_passes if {
	_cal_2_messages("critical", _normal, _window_calendar(_inside)) == set()
}

test_start_outside_window if {
	_cal_2_messages("critical", _normal, _window_calendar(_leaves_at("2026-06-29T14:30:00Z"))) == {"the planned start 2026-06-29T14:30:00Z is outside the allowed windows for critical releases (business-hours); the next allowed start for a critical release is 2026-06-30T08:00:00Z"}
}

test_rollout_leaves_window if {
	_cal_2_messages("critical", _normal, _window_calendar(_leaves_at("2026-06-29T15:00:00Z"))) == {"the rollout planned from 2026-06-29T14:30:00Z to 2026-06-29T15:30:00Z leaves the allowed windows for critical releases (business-hours) at 2026-06-29T15:00:00Z; the next allowed start for a critical release is 2026-06-30T08:00:00Z"}
}

test_emergency_with_known_reason_passes if {
	_cal_2_messages("critical", _emergency_with("SECURITY"), _window_calendar(_leaves_at("2026-06-29T14:30:00Z"))) == set()
}

test_emergency_without_reason_fails if {
	_cal_2_messages("critical", _emergency_with(null), _window_calendar(_leaves_at("2026-06-29T14:30:00Z"))) == {"the planned start 2026-06-29T14:30:00Z is outside the allowed windows for critical releases (business-hours); an emergency change may go outside them only with a reason code in emergency_reason, one of INCIDENT, SECURITY; the next allowed start for a critical release is 2026-06-30T08:00:00Z"}
}

test_emergency_unknown_reason_fails if {
	_cal_2_messages("critical", _emergency_with("HOTFIX"), _window_calendar(_leaves_at("2026-06-29T14:30:00Z"))) == {"the planned start 2026-06-29T14:30:00Z is outside the allowed windows for critical releases (business-hours); emergency reason code HOTFIX is not one of INCIDENT, SECURITY; the next allowed start for a critical release is 2026-06-30T08:00:00Z"}
}

test_calendar_problem_fails if {
	calendar := object.union(_window_calendar(_inside), {"problems": ["legal entity acme-bank-uk of service payments-api is not defined in calendars.yaml"]})
	_cal_2_messages("critical", _normal, calendar) == {"the change calendar cannot be applied: legal entity acme-bank-uk of service payments-api is not defined in calendars.yaml"}
}

test_missing_facts_fail if {
	release := _normal
	assessment := _tier_assessment("critical")
	messages := {violation.msg |
		some violation in cal_2.violation with input.deployment as null
			with input.calendar as null
			with input.release as release
			with data.releasegate.risk.assessment as assessment
	}
	messages == {"the policy input has no calendar facts (input.deployment and input.calendar), so the allowed windows cannot be checked"}
}

test_no_tier_under_windows if {
	_cal_2_messages(null, _normal, _window_calendar(_inside)) == {"no risk tier was computed, so it cannot be told which allowed windows apply to the release"}
}
