package releasegate_test.controls.sod_3

import rego.v1

import data.releasegate.controls.sod_3

_release := {"id": "rel-1", "service": "payments-api", "authors": ["alice"], "requester": "alice"}

_engineering := {"engineering": true, "business_control": false, "cab": false}

_business_control := {"engineering": false, "business_control": true, "cab": false}

_cab := {"engineering": false, "business_control": false, "cab": true}

_no_role := {"engineering": false, "business_control": false, "cab": false}

_approval_with_roles(id, approver, roles) := {
	"id": id,
	"approver": approver,
	"decision": "approve",
	"roles": roles,
	"current": true,
}

_rejection(id, approver) := object.union(_approval_with_roles(id, approver, _no_role), {"decision": "reject"})

_full_critical := [
	_approval_with_roles("apr-1", "dana", _engineering),
	_approval_with_roles("apr-2", "erin", _business_control),
	_approval_with_roles("apr-3", "frank", _cab),
]

# Violations for a tier and an approval list, with a mocked risk assessment
# that names only the tier.
_violations(tier, approval_list) := result if {
	release := _release
	assessment := {"tier": tier, "score": 0, "contributions": []}
	result := sod_3.violation with data.releasegate.risk.assessment as assessment
		with input.release as release
		with input.approvals as approval_list
}

test_applicable if {
	sod_3.applicable
}

test_low_needs_no_approval if {
	_violations("low", []) == set()
}

test_medium_needs_one_approver if {
	_violations("medium", []) == {{
		"msg": "a medium release needs 1 approvers who hold an approval role and are neither authors nor the requester, and has 0",
		"pending": true,
	}}
	_violations("medium", [_approval_with_roles("apr-1", "dana", _engineering)]) == set()
}

test_approver_without_role_does_not_count if {
	_violations("medium", [_approval_with_roles("apr-1", "mallory", _no_role)]) == {{
		"msg": "a medium release needs 1 approvers who hold an approval role and are neither authors nor the requester, and has 0",
		"pending": true,
	}}
}

test_high_needs_two_roles if {
	_violations("high", [_approval_with_roles("apr-1", "dana", _engineering)]) == {
		{"msg": "a high release needs 2 approvers who hold an approval role and are neither authors nor the requester, and has 1", "pending": true},
		{"msg": "a high release needs an approval from a business control owner", "pending": true},
	}
}

test_high_passes_with_both_roles if {
	_violations("high", [_approval_with_roles("apr-1", "dana", _engineering), _approval_with_roles("apr-2", "erin", _business_control)]) == set()
}

test_critical_passes_with_three_roles if {
	_violations("critical", _full_critical) == set()
}

test_critical_needs_cab if {
	approval_list := [
		_approval_with_roles("apr-1", "dana", _engineering),
		_approval_with_roles("apr-2", "erin", _business_control),
		_approval_with_roles("apr-3", "frank", _engineering),
	]
	_violations("critical", approval_list) == {{
		"msg": "a critical release needs an approval from a change advisory board (CAB) member",
		"pending": true,
	}}
}

test_critical_without_approvals if {
	_violations("critical", []) == {
		{"msg": "a critical release needs 3 approvers who hold an approval role and are neither authors nor the requester, and has 0", "pending": true},
		{"msg": "a critical release needs an approval from an engineering approver", "pending": true},
		{"msg": "a critical release needs an approval from a business control owner", "pending": true},
		{"msg": "a critical release needs an approval from a change advisory board (CAB) member", "pending": true},
	}
}

test_one_identity_counts_once if {
	approval_list := [
		_approval_with_roles("apr-1", "dana", _engineering),
		_approval_with_roles("apr-2", "dana", _business_control),
	]
	_violations("high", approval_list) == {{
		"msg": "a high release needs 2 approvers who hold an approval role and are neither authors nor the requester, and has 1",
		"pending": true,
	}}
}

test_author_approval_does_not_count if {
	approval_list := [
		_approval_with_roles("apr-1", "alice", _engineering),
		_approval_with_roles("apr-2", "erin", _business_control),
	]
	_violations("high", approval_list) == {
		{"msg": "a high release needs 2 approvers who hold an approval role and are neither authors nor the requester, and has 1", "pending": true},
		{"msg": "a high release needs an approval from an engineering approver", "pending": true},
	}
}

test_stale_approval_does_not_count if {
	stale := object.union(_approval_with_roles("apr-1", "dana", _no_role), {"current": false})
	_violations("medium", [stale]) == {{
		"msg": "a medium release needs 1 approvers who hold an approval role and are neither authors nor the requester, and has 0",
		"pending": true,
	}}
}

test_rejection_blocks if {
	approval_list := array.concat(_full_critical, [_rejection("apr-4", "gina")])
	_violations("critical", approval_list) == {{"msg": "rejected by gina (approval apr-4)"}}
}

test_author_rejection_ignored if {
	approval_list := array.concat(_full_critical, [_rejection("apr-4", "alice")])
	_violations("critical", approval_list) == set()
}

test_stale_rejection_ignored if {
	stale := object.union(_rejection("apr-4", "gina"), {"current": false})
	_violations("critical", array.concat(_full_critical, [stale])) == set()
}

test_unknown_tier_not_configured if {
	_violations("severe", []) == {
		{"msg": "params approvals.min_approvers has no number for tier severe"},
		{"msg": "params approvals.required_roles has no list for tier severe"},
	}
}

test_custom_role_label if {
	release := _release
	assessment := {"tier": "high", "score": 6, "contributions": []}
	approval_list := [_approval_with_roles("apr-1", "dana", _engineering), _approval_with_roles("apr-2", "erin", _business_control)]
	result := sod_3.violation with data.releasegate.risk.assessment as assessment
		with input.release as release
		with input.approvals as approval_list
		with data.releasegate.params.approvals.required_roles.high as ["engineering", "security"]
	result == {{"msg": "a high release needs an approval from an approver with role security", "pending": true}}
}

test_no_tier if {
	release := {"id": "rel-1", "service": "billing-api", "change_type": "normal", "authors": ["alice"], "requester": "alice"}
	result := sod_3.violation with input.service as null with input.release as release with input.approvals as []
	result == {{"msg": "no risk tier was computed, so the required approvals cannot be determined"}}
}

test_aliases_of_one_person_count_once if {
	approval_list := [
		object.union(_approval_with_roles("apr-1", "dana", _engineering), {"person": "dana"}),
		object.union(_approval_with_roles("apr-2", "dana@acme.example", _business_control), {"person": "dana"}),
	]
	_violations("high", approval_list) == {{
		"msg": "a high release needs 2 approvers who hold an approval role and are neither authors nor the requester, and has 1 (dana, dana@acme.example are the same person (dana) and count as one approver)",
		"pending": true,
	}}
}

test_emergency_change_needs_emergency_approvers if {
	release := object.union(_release, {"change_type": "emergency"})
	assessment := {"tier": "critical", "score": 9, "contributions": []}
	none := sod_3.violation with data.releasegate.risk.assessment as assessment
		with input.release as release
		with input.approvals as []
	none == {{
		"msg": "an emergency change of tier critical needs 1 approvers who hold an approval role and are neither authors nor the requester, and has 0",
		"pending": true,
	}}
	one := sod_3.violation with data.releasegate.risk.assessment as assessment
		with input.release as release
		with input.approvals as [_approval_with_roles("apr-1", "dana", _business_control)]
	one == set()
}
