package releasegate_test.controls.cal_1

import rego.v1

import data.releasegate.controls.cal_1

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so tests
# bind fixtures to local variables before a `with` clause.

_deployment := {
	"planned_start": "2026-06-29T08:00:00Z",
	"planned_end": "2026-06-29T09:00:00Z",
	"duration_minutes": 60,
}

_month_end := {
	"name": "month-end-close",
	"title": "Month-end close",
	"entity": "acme-bank-eu",
	"timezone": "Europe/Dublin",
	"scope": {},
	"scope_text": "production",
	"tiers": ["high", "critical"],
	"start": "2026-06-25T23:00:00Z",
	"end": "2026-07-07T23:00:00Z",
	"start_local": "2026-06-26 00:00 IST",
	"end_local": "2026-07-08 00:00 IST",
	"active_at_start": true,
	"emergency_override": true,
}

_next_allowed := {
	"low": "2026-06-29T08:00:00Z",
	"medium": "2026-06-29T08:00:00Z",
	"high": "2026-07-08T08:00:00Z",
	"critical": "2026-07-08T08:00:00Z",
}

_calendar_with(freezes) := {
	"defined": true,
	"source": {"path": "calendars.yaml", "sha256": "0"},
	"problems": [],
	"emergency_reason_codes": ["INCIDENT", "SECURITY"],
	"freezes": freezes,
	"windows": {},
	"next_allowed": _next_allowed,
}

_normal := {"id": "rel-1", "service": "payments-api", "change_type": "normal", "emergency_reason": null}

_emergency(reason) := object.union(_normal, {"change_type": "emergency", "emergency_reason": reason})

_month_end_message := "freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; the next allowed start for a high release is 2026-07-08T08:00:00Z"

# Messages of CAL-1 for a tier (null for no risk tier), a release and a calendar.
_cal_1_messages(tier, release, calendar) := {violation.msg |
	deployment := _deployment
	assessment := _assessment_of(tier)
	some violation in cal_1.violation with input.deployment as deployment
		with input.calendar as calendar
		with input.release as release
		with data.releasegate.risk.assessment as assessment
}

_assessment_of(tier) := {"tier": tier, "score": 0, "contributions": []} if tier != null

_assessment_of(null) := {}

test_applicable if {
	cal_1.applicable
}

test_no_freeze_passes if {
	_cal_1_messages("critical", _normal, _calendar_with([])) == set()
}

test_freeze_blocks_high_tier if {
	_cal_1_messages("high", _normal, _calendar_with([_month_end])) == {_month_end_message}
}

test_freeze_lets_low_tier_through if {
	_cal_1_messages("low", _normal, _calendar_with([_month_end])) == set()
}

test_freeze_begins_during_rollout if {
	freeze := object.union(_month_end, {
		"start": "2026-06-29T08:30:00Z",
		"start_local": "2026-06-29 09:30 IST",
		"active_at_start": false,
	})
	_cal_1_messages("critical", _normal, _calendar_with([freeze])) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks critical releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it begins at 2026-06-29T08:30:00Z (2026-06-29 09:30 IST), before the rollout planned from 2026-06-29T08:00:00Z ends at 2026-06-29T09:00:00Z; the next allowed start for a critical release is 2026-07-08T08:00:00Z"}
}

test_freeze_without_entity if {
	freeze := object.union(_month_end, {
		"name": "ledger-migration", "title": "Ledger migration", "entity": null,
		"scope_text": "legal entity acme-bank-eu; production",
	})
	_cal_1_messages("high", _normal, _calendar_with([freeze])) == {"freeze ledger-migration (Ledger migration; scope: legal entity acme-bank-eu; production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; the next allowed start for a high release is 2026-07-08T08:00:00Z"}
}

test_one_violation_per_entity if {
	berlin := object.union(_month_end, {
		"entity": "acme-payments-de", "timezone": "Europe/Berlin",
		"end": "2026-07-07T22:00:00Z", "end_local": "2026-07-08 00:00 CEST",
	})
	count(_cal_1_messages("high", _normal, _calendar_with([_month_end, berlin]))) == 2
}

test_emergency_with_known_reason_passes if {
	_cal_1_messages("critical", _emergency("INCIDENT"), _calendar_with([_month_end])) == set()
}

test_emergency_without_reason_blocked if {
	_cal_1_messages("high", _emergency(null), _calendar_with([_month_end])) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; an emergency change passes it only with a reason code in emergency_reason, one of INCIDENT, SECURITY; the next allowed start for a high release is 2026-07-08T08:00:00Z"}
}

test_emergency_unknown_reason_blocked if {
	_cal_1_messages("high", _emergency("HOTFIX"), _calendar_with([_month_end])) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; emergency reason code HOTFIX is not one of INCIDENT, SECURITY; the next allowed start for a high release is 2026-07-08T08:00:00Z"}
}

test_emergency_forbidden_by_freeze if {
	freeze := object.union(_month_end, {"emergency_override": false})
	_cal_1_messages("high", _emergency("INCIDENT"), _calendar_with([freeze])) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; this freeze does not let emergency changes through; the next allowed start for a high release is 2026-07-08T08:00:00Z"}
}

test_emergency_without_reason_codes_defined if {
	calendar := object.union(_calendar_with([_month_end]), {"emergency_reason_codes": []})
	_cal_1_messages("high", _emergency("INCIDENT"), calendar) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; emergency reason code INCIDENT is not one of (none: the calendar defines no emergency_reason_codes); the next allowed start for a high release is 2026-07-08T08:00:00Z"}
}

test_reason_code_without_emergency_blocked if {
	release := object.union(_normal, {"emergency_reason": "INCIDENT"})
	_cal_1_messages("high", release, _calendar_with([_month_end])) == {_month_end_message}
}

test_no_allowed_start_found if {
	calendar := object.union(_calendar_with([_month_end]), {"next_allowed": {"high": null}})
	_cal_1_messages("high", _normal, calendar) == {"freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) blocks high releases until 2026-07-07T23:00:00Z (2026-07-08 00:00 IST): it is in force at the planned start 2026-06-29T08:00:00Z; no allowed start was found within the search horizon"}
}

test_calendar_problem_fails if {
	calendar := object.union(_calendar_with([]), {"problems": ["legal entity acme-bank-uk of service payments-api is not defined in calendars.yaml"]})
	_cal_1_messages("low", _normal, calendar) == {"the change calendar cannot be applied: legal entity acme-bank-uk of service payments-api is not defined in calendars.yaml"}
}

test_missing_facts_fail if {
	release := _normal
	assessment := _assessment_of("low")
	messages := {violation.msg |
		some violation in cal_1.violation with input.deployment as null
			with input.calendar as null
			with input.release as release
			with data.releasegate.risk.assessment as assessment
	}
	messages == {"the policy input has no calendar facts (input.deployment and input.calendar), so no freeze can be ruled out"}
}

test_no_tier_during_freeze if {
	_cal_1_messages(null, _normal, _calendar_with([_month_end])) == {"no risk tier was computed, so it cannot be told whether freezes month-end-close block the release"}
}

test_no_tier_without_freeze_passes if {
	_cal_1_messages(null, _normal, _calendar_with([])) == set()
}
