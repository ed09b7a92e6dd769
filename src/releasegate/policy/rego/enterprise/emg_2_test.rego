package releasegate_test.controls.emg_2

import rego.v1

import data.releasegate.controls.emg_2

_change := {
	"release_id": "rel-7",
	"requester": "alice",
	"deployed_at": "2026-12-01T10:00:00Z",
	"review": {"reviewer": "erin", "recorded_at": "2026-12-02T09:00:00Z"},
}

_emg_2_messages(changes) := {violation.msg |
	evidence := {"emergency_history": [{"id": "ev-emg", "service": "payments-api", "generated_at": "2026-12-04T19:00:00Z", "changes": changes}]}
	some violation in emg_2.violation with input.evidence as evidence
		with input.release as {"id": "rel-9", "service": "payments-api"}
		with input.now as "2026-12-04T20:00:00Z"
}

test_applicable_to_normal_release if {
	emg_2.applicable with input.release as {"id": "rel-9", "change_type": "normal"}
}

test_not_applicable_to_emergency_release if {
	not emg_2.applicable with input.release as {"id": "rel-9", "change_type": "emergency"}
}

test_no_emergency_changes_pass if {
	_emg_2_messages([]) == set()
}

test_review_on_time_passes if {
	_emg_2_messages([_change]) == set()
}

test_review_not_yet_due_passes if {
	change := object.union(_change, {"deployed_at": "2026-12-04T08:00:00Z", "review": null})
	_emg_2_messages([change]) == set()
}

test_overdue_review if {
	change := object.union(_change, {"review": null})
	_emg_2_messages([change]) == {"emergency release rel-7 of payments-api, deployed at 2026-12-01T10:00:00Z, has no post-release review, which was due by 2026-12-04T10:00:00Z; hold the review and record it"}
}

test_late_review if {
	change := object.union(_change, {"review": {"reviewer": "erin", "recorded_at": "2026-12-04T11:00:00Z"}})
	_emg_2_messages([change]) == {"the post-release review of emergency release rel-7 was recorded at 2026-12-04T11:00:00Z, not by its deadline 2026-12-04T10:00:00Z; record reviews within 72 hours of deployment"}
}

test_review_by_requester if {
	change := object.union(_change, {"review": {"reviewer": "Alice", "recorded_at": "2026-12-02T09:00:00Z"}})
	_emg_2_messages([change]) == {"the post-release review of emergency release rel-7 was held by the change's requester Alice; hold the review again with someone other than the requester"}
}

test_review_without_reviewer if {
	change := object.union(_change, {"review": {"recorded_at": "2026-12-02T09:00:00Z"}})
	_emg_2_messages([change]) == {"the post-release review of emergency release rel-7 names no reviewer; hold the review again with someone other than the requester"}
}

test_invalid_deployment_time if {
	change := object.union(_change, {"deployed_at": null})
	_emg_2_messages([change]) == {"emergency release rel-7 records no valid deployment time, so its review deadline is unknown; record when it was deployed"}
}

test_missing_register if {
	messages := {violation.msg |
		some violation in emg_2.violation with input.evidence as {} with input.release as {"id": "rel-9", "service": "payments-api"}
	}
	messages == {"no emergency change register of payments-api attached; attach the register, which lists no change when the service had none"}
}

test_register_of_other_service_does_not_count if {
	evidence := {"emergency_history": [{"id": "ev-emg", "service": "ledger-api", "changes": []}]}
	count(emg_2.violation) == 1 with input.evidence as evidence with input.release as {"id": "rel-9", "service": "payments-api"}
}
