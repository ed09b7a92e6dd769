package releasegate_test.lib.exceptions

import rego.v1

import data.releasegate.lib.exceptions

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so tests
# bind fixtures to local variables before a `with` clause.

_now := "2026-12-04T20:00:00Z"

_release := {"id": "rel-1", "service": "payments-api"}

_exception := {
	"id": "exc-1",
	"control_id": "VUL-1",
	"scope": {"service": "payments-api", "release_id": null, "finding": "B602"},
	"justification": "Input is a constant; the shell call cannot be reached from a request.",
	"compensating_controls": ["WAF rule 9411"],
	"requester": "alice",
	"approver": "erin",
	"approver_roles": {"business_control": false, "cab": true},
	"approver_groups": ["change-advisory-board"],
	"status": "approved",
	"requested_at": "2026-12-01T09:00:00Z",
	"decided_at": "2026-12-01T10:00:00Z",
	"expires_at": "2026-12-31T00:00:00Z",
}

_with(changes) := object.union(_exception, changes)

test_package_name if {
	exceptions.package_name("VUL-1") == "vul_1"
}

test_non_waivable_from_params if {
	exceptions.non_waivable("SOD-1")
	not exceptions.non_waivable("VUL-1")
}

test_in_scope_service_wide if {
	exceptions.in_scope(_exception, _release)
}

test_in_scope_without_release_key if {
	exceptions.in_scope(_with({"scope": {"service": "payments-api"}}), _release)
}

test_in_scope_this_release if {
	exceptions.in_scope(_with({"scope": {"service": "payments-api", "release_id": "rel-1"}}), _release)
}

test_out_of_scope_other_release if {
	not exceptions.in_scope(_with({"scope": {"service": "payments-api", "release_id": "rel-2"}}), _release)
}

test_out_of_scope_other_service if {
	not exceptions.in_scope(_with({"scope": {"service": "ledger-api", "release_id": null}}), _release)
}

test_active_before_expiry if {
	exceptions.active(_exception, _now)
}

test_inactive_at_expiry if {
	not exceptions.active(_with({"expires_at": _now}), _now)
}

test_inactive_when_only_requested if {
	not exceptions.active(_with({"status": "requested"}), _now)
}

test_inactive_when_rejected if {
	not exceptions.active(_with({"status": "rejected"}), _now)
}

test_valid_exception if {
	exceptions.problems(_exception) == set()
	exceptions.valid(_exception)
}

test_self_approved_invalid if {
	exceptions.problems(_with({"approver": "Alice"})) == {"was approved by Alice, the same person as its requester alice (segregation of duties)"}
}

test_missing_approver_invalid if {
	exceptions.problems(_with({"approver": null})) == {"has no approver"}
}

test_missing_requester_invalid if {
	exceptions.problems(_with({"requester": null})) == {"has no requester"}
}

test_blank_justification_invalid if {
	exceptions.problems(_with({"justification": "  "})) == {"has no justification"}
}

test_no_compensating_controls_invalid if {
	exceptions.problems(_with({"compensating_controls": []})) == {"names no compensating controls"}
}

test_blank_compensating_control_invalid if {
	exceptions.problems(_with({"compensating_controls": [""]})) == {"names no compensating controls"}
}

test_over_long_invalid if {
	exception := _with({"requested_at": "2026-08-01T00:00:00Z", "expires_at": "2026-12-30T12:00:00Z"})
	exceptions.problems(exception) == {"lasts 151.5 days from request to expiry, longer than the maximum of 90 days"}
}

test_exactly_max_duration_valid if {
	exceptions.valid(_with({"requested_at": "2026-12-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z"}))
}

test_max_duration_from_params if {
	problems := exceptions.problems(_exception) with data.releasegate.params.exceptions.max_duration_days as 7
	problems == {"lasts 29.63 days from request to expiry, longer than the maximum of 7 days"}
}

test_missing_max_duration_invalid if {
	problems := exceptions.problems(_exception) with data.releasegate.params.exceptions.max_duration_days as null
	problems == {"cannot be checked because params exceptions.max_duration_days is not a number"}
}

test_expiry_before_request_invalid if {
	exception := _with({"requested_at": "2026-12-31T00:00:00Z", "expires_at": "2026-12-30T00:00:00Z"})
	exceptions.problems(exception) == {"expires before it was requested"}
}

test_non_waivable_control_invalid if {
	exceptions.problems(_with({"control_id": "SOD-1"})) == {"targets SOD-1, which no exception may waive"}
}

test_non_waivable_in_any_case if {
	exceptions.non_waivable("sod-1")
	exceptions.problems(_with({"control_id": "sod-1"})) == {"targets sod-1, which no exception may waive"}
}

test_non_waivable_list_from_params if {
	problems := exceptions.problems(_exception) with data.releasegate.params.exceptions.non_waivable_controls as ["VUL-1"]
	problems == {"targets VUL-1, which no exception may waive"}
}

test_missing_non_waivable_list_invalid if {
	problems := exceptions.problems(_exception) with data.releasegate.params.exceptions.non_waivable_controls as null
	problems == {"cannot be checked because params exceptions.non_waivable_controls is not a list"}
}

test_missing_control_invalid if {
	exceptions.problems(_with({"control_id": null})) == {"names no control"}
}

test_several_problems_reported if {
	exceptions.problems(_with({"approver": "alice", "justification": "", "compensating_controls": []})) == {
		"was approved by alice, the same person as its requester alice (segregation of duties)",
		"has no justification",
		"names no compensating controls",
	}
}

test_relevant_keeps_active_in_scope if {
	active := _exception
	expired := _with({"id": "exc-2", "expires_at": "2026-12-04T19:00:00Z"})
	requested := _with({"id": "exc-3", "status": "requested"})
	other_service := _with({"id": "exc-4", "scope": {"service": "ledger-api"}})
	release := _release
	now := _now
	exceptions.relevant == {active} with input.exceptions as [active, expired, requested, other_service]
		with input.release as release
		with input.now as now
}

test_usable_drops_invalid if {
	valid := _exception
	invalid := _with({"id": "exc-2", "approver": "alice"})
	release := _release
	now := _now
	exceptions.usable == {valid} with input.exceptions as [valid, invalid]
		with input.release as release
		with input.now as now
}

test_covers_named_finding_key if {
	exceptions.covers(_exception, {"msg": "m", "key": "B602"})
}

test_covers_named_finding_in_keys if {
	exceptions.covers(_exception, {"msg": "m", "key": "fp-1", "keys": ["fp-1", "B602"]})
}

test_does_not_cover_other_finding if {
	not exceptions.covers(_exception, {"msg": "m", "key": "fp-2", "keys": ["fp-2", "B105"]})
}

test_does_not_cover_keyless_violation if {
	not exceptions.covers(_exception, {"msg": "m"})
}

test_control_wide_covers_all if {
	exceptions.covers(_with({"scope": {"service": "payments-api", "release_id": null, "finding": null}}), {"msg": "m"})
}

test_control_wide_without_finding_key if {
	exceptions.covers(_with({"scope": {"service": "payments-api"}}), {"msg": "m"})
}

test_same_person_by_alias if {
	exceptions.same_person(_with({"approver": "alice@acme.example", "requester_person": "alice", "approver_person": "alice"}))
	not exceptions.same_person(_with({"requester_person": "alice", "approver_person": "erin"}))
}

test_alias_self_approval_is_a_problem if {
	exception := _with({"approver": "a.archer", "requester_person": "alice", "approver_person": "alice"})
	"was approved by a.archer, the same person as its requester alice (segregation of duties)" in exceptions.problems(exception)
}

test_digest_scope_matches_release_artifact if {
	release := {"id": "rel-1", "service": "payments-api", "artifacts": [{"name": "api", "digest": "sha256:AA"}]}
	exceptions.in_scope(_with({"scope": {"service": "payments-api", "artifact_digest": "sha256:aa"}}), release)
	not exceptions.in_scope(_with({"scope": {"service": "payments-api", "artifact_digest": "sha256:bb"}}), release)
	exceptions.in_scope(_with({"scope": {"service": "payments-api", "artifact_digest": null}}), release)
}
