package releasegate_test.controls.src_1

import rego.v1

import data.releasegate.controls.src_1

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_head := "8e1d0c9b8a7f6e5d4c3b4f1c2a9e8b7d6c5b4a3f"

_release := {
	"id": "rel-1",
	"source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"source_repository": "https://git.example.com/payments/payments-api",
	"pull_request": "https://git.example.com/payments/payments-api/pull/812",
}

_pull_request := {
	"id": "ev-pr",
	"url": "https://git.example.com/payments/payments-api/pull/812",
	"repository": "https://git.example.com/payments/payments-api.git",
	"state": "merged",
	"merge_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"head_commit": "8e1d0c9b8a7f6e5d4c3b4f1c2a9e8b7d6c5b4a3f",
	"base_branch": "main",
	"base_branch_protected": true,
	"author": "alice",
	"reviews": [{"reviewer": "bob", "state": "approved", "commit": "8e1d0c9b8a7f6e5d4c3b4f1c2a9e8b7d6c5b4a3f"}],
}

_src_1_messages(release, pull_requests) := {violation.msg |
	evidence := {"pull_requests": pull_requests}
	some violation in src_1.violation with input.release as release with input.evidence as evidence
}

_pr := "pull request https://git.example.com/payments/payments-api/pull/812"

test_applicable if {
	src_1.applicable
}

test_reviewed_merge_passes if {
	_src_1_messages(_release, [_pull_request]) == set()
}

test_missing_pull_request if {
	_src_1_messages(_release, []) == {concat("", [
		"no pull request evidence attached for source commit ", _commit,
		" (the release links https://git.example.com/payments/payments-api/pull/812); attach the pull request record",
		" from the Git host with its merge commit, reviews and base branch protection",
	])}
}

test_pull_request_of_other_commit_is_missing if {
	other := object.union(_pull_request, {"merge_commit": _head})
	count(_src_1_messages(_release, [other])) == 1
}

test_not_merged if {
	pull_request := object.union(_pull_request, {"state": "open"})
	_src_1_messages(_release, [pull_request]) == {concat("", [_pr, " is open, not merged; merge it and build the release from its merge commit"])}
}

test_unprotected_branch if {
	pull_request := object.union(_pull_request, {"base_branch_protected": false})
	_src_1_messages(_release, [pull_request]) == {concat("", [_pr, " was merged into branch main, which is not shown to be protected; protect the branch and merge through pull requests only"])}
}

test_protection_unknown if {
	pull_request := object.remove(_pull_request, ["base_branch_protected"])
	count(_src_1_messages(_release, [pull_request])) == 1
}

test_self_review_does_not_count if {
	pull_request := object.union(_pull_request, {"reviews": [{"reviewer": "Alice", "state": "approved", "commit": _head}]})
	_src_1_messages(_release, [pull_request]) == {concat("", [
		_pr, " has 0 approving reviews of its head commit ", _head,
		" by reviewers other than its author, and needs 1; ask an independent reviewer to approve the final commit",
	])}
}

test_stale_review_does_not_count if {
	pull_request := object.union(_pull_request, {"reviews": [{"reviewer": "bob", "state": "approved", "commit": _commit}]})
	count(_src_1_messages(_release, [pull_request])) == 1
}

test_changes_requested_does_not_count if {
	pull_request := object.union(_pull_request, {"reviews": [{"reviewer": "bob", "state": "changes_requested", "commit": _head}]})
	count(_src_1_messages(_release, [pull_request])) == 1
}

test_unknown_author if {
	pull_request := object.remove(_pull_request, ["author"])
	_src_1_messages(_release, [pull_request]) == {
		concat("", [_pr, " names no author, so no review can be shown to be independent; attach the record with its author"]),
		concat("", [
			_pr, " has 0 approving reviews of its head commit ", _head,
			" by reviewers other than its author, and needs 1; ask an independent reviewer to approve the final commit",
		]),
	}
}

test_other_repository if {
	pull_request := object.union(_pull_request, {"repository": "https://git.example.com/payments/fork"})
	_src_1_messages(_release, [pull_request]) == {concat("", [
		_pr, " belongs to repository https://git.example.com/payments/fork,",
		" not the release's source repository https://git.example.com/payments/payments-api",
	])}
}

test_no_source_commit if {
	release := object.remove(_release, ["source_commit"])
	_src_1_messages(release, [_pull_request]) == {"the release names no source commit, so its pull request cannot be found"}
}

test_two_approvals_from_params if {
	release := _release
	pull_requests := [_pull_request]
	result := _src_1_messages(release, pull_requests) with data.releasegate.params.source.min_pull_request_approvals as 2
	count(result) == 1
}
