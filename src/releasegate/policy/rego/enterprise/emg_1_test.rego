package releasegate_test.controls.emg_1

import rego.v1

import data.releasegate.controls.emg_1

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_release := {
	"id": "rel-9",
	"service": "payments-api",
	"change_type": "emergency",
	"source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
	"authors": ["alice"],
	"requester": "alice",
}

_evidence := {
	"test_reports": [{"id": "ev-tests", "commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "tests": 12, "failures": 0, "errors": 0}],
	"signatures": [{"id": "ev-sig", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "verified": true, "key_id": "release-key"}],
	"compensating_controls": [
		{"id": "ev-cc-1", "release_id": "rel-9", "name": "enhanced_monitoring", "in_place": true, "reference": "dashboard 77"},
		{"id": "ev-cc-2", "release_id": "rel-9", "name": "post_release_review_scheduled", "in_place": true, "reference": "CHG-4712"},
	],
}

_approval := {"id": "apr-1", "approver": "dana", "decision": "approve", "roles": {"engineering": true, "business_control": false, "cab": false}, "current": true}

_emg_1_messages(evidence, approval_list) := {violation.msg |
	release := _release
	some violation in emg_1.violation with input.release as release
		with input.evidence as evidence
		with input.approvals as approval_list
		with data.releasegate.params.artifacts.signing.trusted_key_ids as ["release-key"]
}

test_applicable_to_emergency if {
	emg_1.applicable with input.release as {"change_type": "emergency"}
}

test_not_applicable_to_normal if {
	not emg_1.applicable with input.release as {"change_type": "normal"}
}

test_pre_approved_path_passes if {
	_emg_1_messages(_evidence, [_approval]) == set()
}

test_no_approver if {
	_emg_1_messages(_evidence, []) == {"the emergency path needs 1 approvers who are neither authors nor the requester, and the release has 0"}
}

test_author_approval_does_not_count if {
	approval := object.union(_approval, {"approver": "alice"})
	count(_emg_1_messages(_evidence, [approval])) == 1
}

test_unsigned_artifact if {
	evidence := object.union(_evidence, {"signatures": []})
	_emg_1_messages(evidence, [_approval]) == {concat("", [
		"the emergency path needs signed artifacts: no signature attached for artifact payments-api",
		" (sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08); sign the artifact",
		" (for example with cosign sign) and attach the Sigstore bundle or signature",
	])}
}

test_failing_tests if {
	evidence := object.union(_evidence, {"test_reports": [{"id": "ev-tests", "commit": _commit, "tests": 12, "failures": 2, "errors": 0}]})
	_emg_1_messages(evidence, [_approval]) == {"the emergency path needs passing tests: test report ev-tests records 2 failed and 0 errored tests"}
}

test_compensating_control_missing if {
	evidence := object.union(_evidence, {"compensating_controls": [_evidence.compensating_controls[0]]})
	_emg_1_messages(evidence, [_approval]) == {"compensating control post_release_review_scheduled is not recorded as in place for emergency release rel-9; put it in place and attach its record"}
}

test_compensating_control_of_other_release_does_not_count if {
	other := object.union(_evidence.compensating_controls[1], {"release_id": "rel-1"})
	evidence := object.union(_evidence, {"compensating_controls": [_evidence.compensating_controls[0], other]})
	count(_emg_1_messages(evidence, [_approval])) == 1
}

test_violation_of_approvals_is_pending if {
	release := _release
	evidence := _evidence
	some violation in emg_1.violation with input.release as release with input.evidence as evidence with input.approvals as []
		with data.releasegate.params.artifacts.signing.trusted_key_ids as ["release-key"]
	violation.pending == true
}
