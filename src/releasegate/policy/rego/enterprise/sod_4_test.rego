package releasegate_test.controls.sod_4

import rego.v1

import data.releasegate.controls.sod_4

_digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

_release := {"id": "rel-1", "artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}

_approval := {
	"id": "apr-1",
	"approver": "dana",
	"decision": "approve",
	"current": true,
	"artifact_digests": ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
	"policy_revision": "3f2a9c",
	"created_at": "2026-12-04T18:00:00Z",
	"expires_at": "2026-12-11T18:00:00Z",
}

_sod_4_messages(approval_list) := {violation.msg |
	release := _release
	some violation in sod_4.violation with input.release as release
		with input.approvals as approval_list
		with input.policy as {"revision": "3f2a9c"}
		with input.now as "2026-12-04T20:00:00Z"
}

test_applicable if {
	sod_4.applicable
}

test_bound_approval_passes if {
	_sod_4_messages([_approval]) == set()
}

test_no_approvals_pass if {
	_sod_4_messages([]) == set()
}

test_stale_approval_not_marked_current_passes if {
	stale := object.union(_approval, {"current": false, "policy_revision": "old"})
	_sod_4_messages([stale]) == set()
}

test_other_digests if {
	approval := object.union(_approval, {"artifact_digests": ["sha256:1111"]})
	_sod_4_messages([approval]) == {concat("", [
		"approval apr-1 by dana is marked current but names artifact digests sha256:1111, not the release's ",
		_digest, "; it must not count",
	])}
}

test_extra_digest if {
	approval := object.union(_approval, {"artifact_digests": [_digest, "sha256:1111"]})
	count(_sod_4_messages([approval])) == 1
}

test_other_revision if {
	approval := object.union(_approval, {"policy_revision": "9e8d7c"})
	_sod_4_messages([approval]) == {"approval apr-1 by dana is marked current but was given under policy revision 9e8d7c, not the current revision 3f2a9c; it must not count"}
}

test_expired if {
	approval := object.union(_approval, {"expires_at": "2026-12-04T20:00:00Z"})
	_sod_4_messages([approval]) == {"approval apr-1 by dana is marked current but expires at 2026-12-04T20:00:00Z, which is not after now (2026-12-04T20:00:00Z); it must not count"}
}

test_malformed_expiry if {
	approval := object.union(_approval, {"expires_at": "next week"})
	count(_sod_4_messages([approval])) == 1
}

test_current_not_stated if {
	approval := object.remove(_approval, ["current"])
	_sod_4_messages([approval]) == {"approval apr-1 by dana does not state whether it is current, so it cannot be checked"}
}

test_no_policy_revision if {
	release := _release
	approval_list := [_approval]
	messages := {violation.msg |
		some violation in sod_4.violation with input.release as release
			with input.approvals as approval_list
			with input.policy as {}
			with input.now as "2026-12-04T20:00:00Z"
	}
	messages == {"the policy input names no policy revision, so no approval can be shown to be current"}
}

test_lapsed_approval_is_pending if {
	lapsed := object.union(_approval, {"current": false, "superseded": false, "lapsed": ["it was given for source commit aaaa, and the release is now at commit cccc"]})
	_sod_4_messages([lapsed]) == {"approval apr-1 by dana no longer counts: it was given for source commit aaaa, and the release is now at commit cccc; dana must approve the release again"}
}

test_superseded_lapsed_approval_passes if {
	old := object.union(_approval, {"current": false, "superseded": true, "lapsed": []})
	_sod_4_messages([old]) == set()
}
