package releasegate_test.controls.sod_1

import rego.v1

import data.releasegate.controls.sod_1

_release := {"id": "rel-1", "service": "payments-api", "authors": ["alice", "bob"], "requester": "carol"}

_approval(id, approver) := {
	"id": id,
	"approver": approver,
	"decision": "approve",
	"roles": {"engineering": true, "business_control": false, "cab": false},
	"current": true,
}

_messages(release, approval_list) := {violation.msg |
	some violation in sod_1.violation with input.release as release with input.approvals as approval_list
}

test_applicable if {
	sod_1.applicable
}

test_independent_approvers_pass if {
	_messages(_release, [_approval("apr-1", "dana"), _approval("apr-2", "erin")]) == set()
}

test_no_approvals_pass if {
	_messages(_release, []) == set()
}

test_author_approval if {
	_messages(_release, [_approval("apr-1", "bob")]) == {"bob approved the release but is an author of the release (approval apr-1)"}
}

test_requester_approval if {
	_messages(_release, [_approval("apr-1", "carol")]) == {"carol approved the release but is the requester of the release (approval apr-1)"}
}

test_author_and_requester_approval if {
	release := object.union(_release, {"requester": "alice"})
	_messages(release, [_approval("apr-1", "alice")]) == {"alice approved the release but is an author and the requester of the release (approval apr-1)"}
}

test_case_insensitive if {
	_messages(_release, [_approval("apr-1", "Bob")]) == {"Bob approved the release but is an author of the release (approval apr-1)"}
}

test_one_violation_per_approval if {
	approval_list := [_approval("apr-1", "alice"), _approval("apr-2", "bob"), _approval("apr-3", "dana")]
	_messages(_release, approval_list) == {
		"alice approved the release but is an author of the release (approval apr-1)",
		"bob approved the release but is an author of the release (approval apr-2)",
	}
}

test_stale_approval_ignored if {
	stale := object.union(_approval("apr-1", "alice"), {"current": false})
	_messages(_release, [stale]) == set()
}

test_author_rejection_ignored if {
	rejection := object.union(_approval("apr-1", "alice"), {"decision": "reject"})
	_messages(_release, [rejection]) == set()
}

_participant(role, identity, person, commit) := {
	"role": role,
	"identity": identity,
	"person": person,
	"commit": commit,
	"description": concat("", [replace(role, "_", "-"), " ", identity, " of commit ", commit]),
}

_chain_release := {
	"id": "rel-1",
	"service": "payments-api",
	"authors": ["alice"],
	"requester": "alice",
	"participants": [
		{"role": "author", "identity": "alice", "person": "alice", "commit": null, "description": "author alice"},
		{"role": "requester", "identity": "alice", "person": "alice", "commit": null, "description": "requester alice"},
		_participant("co_author", "Dana Diaz <dana@acme.example>", "dana", "c0ffee"),
	],
}

test_co_author_approval_by_alias if {
	approval := object.union(_approval("apr-1", "d.diaz"), {"person": "dana"})
	_messages(_chain_release, [approval]) == {"d.diaz (person dana) approved the release but is the same person as co-author Dana Diaz <dana@acme.example> of commit c0ffee (approval apr-1)"}
}

test_independent_person_passes_with_chain if {
	approval := object.union(_approval("apr-1", "erin"), {"person": "erin"})
	_messages(_chain_release, [approval]) == set()
}

test_unknown_author_fails_closed if {
	release := object.union(_chain_release, {"participants": array.concat(_chain_release.participants, [_participant("committer", "x@mail.example", null, "abc")])})
	_messages(release, []) == {"committer x@mail.example of commit abc is not a known identity, so no approver can be shown to be a different person; add it as an alias of its person in the identities file"}
}

test_self_review if {
	release := object.union(_chain_release, {"participants": array.concat(_chain_release.participants, [{"role": "reviewer", "identity": "ALICE", "person": "alice", "commit": null, "description": "reviewer ALICE"}])})
	_messages(release, []) == {"reviewer ALICE (person alice) is the same person as author alice, requester alice, so the review is not independent"}
}
