package releasegate_test.lib.approvals

import rego.v1

import data.releasegate.lib.approvals

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so each
# test binds its fixture to a local variable first.
_release := {"authors": ["alice", "Bob"], "requester": "carol"}

_approval_by(approver, decision, roles) := {
	"id": concat("-", ["apr", approver]),
	"approver": approver,
	"decision": decision,
	"roles": roles,
	"current": true,
}

_engineering := {"engineering": true, "business_control": false, "cab": false}

_business_control := {"engineering": false, "business_control": true, "cab": false}

test_authors_are_lowercased if {
	release := _release
	approvals.authors == {"alice", "bob"} with input.release as release
}

test_requester_is_lowercased if {
	approvals.requester == "carol" with input.release as {"authors": [], "requester": "Carol"}
}

test_conflict_author if {
	release := _release
	approvals.conflict("BOB") == "is an author of the release" with input.release as release
}

test_conflict_requester if {
	release := _release
	approvals.conflict("carol") == "is the requester of the release" with input.release as release
}

test_conflict_author_and_requester if {
	approvals.conflict("alice") == "is an author and the requester of the release" with input.release as {"authors": ["alice"], "requester": "alice"}
}

test_no_conflict_for_other_identity if {
	release := _release
	not approvals.conflict("dana") with input.release as release
}

test_current_excludes_stale_approvals if {
	stale := object.union(_approval_by("dana", "approve", _engineering), {"current": false})
	fresh := _approval_by("erin", "approve", _engineering)
	approvals.current == {fresh} with input.approvals as [stale, fresh]
}

test_eligible_excludes_authors_and_requester if {
	release := _release
	author := _approval_by("alice", "approve", _engineering)
	requester := _approval_by("carol", "approve", _engineering)
	other := _approval_by("dana", "approve", _engineering)
	approvals.eligible == {other} with input.release as release
		with input.approvals as [author, requester, other]
}

test_approvers_are_distinct if {
	release := _release
	first := _approval_by("dana", "approve", _engineering)
	second := object.union(first, {"id": "apr-dana-2"})
	approvals.approvers == {"dana"} with input.release as release
		with input.approvals as [first, second]
}

test_approvers_exclude_rejections if {
	release := _release
	count(approvals.approvers) == 0 with input.release as release
		with input.approvals as [_approval_by("dana", "reject", _engineering)]
}

test_covered_roles_from_eligible_approvers if {
	release := _release
	approvals.covered_roles == {"business_control"} with input.release as release
		with input.approvals as [
			_approval_by("alice", "approve", _engineering),
			_approval_by("dana", "approve", _business_control),
		]
}

test_rejections_from_eligible_identities if {
	release := _release
	rejection := _approval_by("dana", "reject", _engineering)
	approvals.rejections == {rejection} with input.release as release
		with input.approvals as [rejection, _approval_by("alice", "reject", _engineering)]
}
