# METADATA
# title: Merged through a reviewed pull request into a protected branch
# description: >-
#   The release's source commit is the merge commit of a pull request that
#   was merged into a protected branch after at least params
#   source.min_pull_request_approvals approving reviews of its final head
#   commit by reviewers other than its author. The pull request facts come
#   from input.evidence.pull_requests, read from the Git host.
# custom:
#   id: SRC-1
#   short_name: reviewed_pull_request
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 6.5.1
#   failure_msg: The source commit was not merged through a reviewed pull request into a protected branch
#   solution: >-
#     Merge the change through a pull request into a protected branch after
#     an independent review of its final commit, build the release from the
#     merge commit and attach the pull request record.
package releasegate.controls.src_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_min_path := ["source", "min_pull_request_approvals"]

_min_approvals := scope.param(_min_path)

_commit := input.release.source_commit if text.present(input.release.source_commit)

_pull_requests := [pull_request |
	some pull_request in evidence.items("pull_requests")
	evidence.same_commit(pull_request.merge_commit, _commit)
]

# METADATA
# title: Applies to every release
# description: Every release's source must come through a reviewed pull request.
applicable := true

# METADATA
# title: Minimum approvals configured
# description: Params source.min_pull_request_approvals is a number.
# custom:
#   short_name: min_approvals_configured
#   failure_msg: The minimum number of pull request approvals is not configured
#   solution: Set params source.min_pull_request_approvals to a number.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_min_path)
}

# METADATA
# title: Source commit named
# description: The release names its source commit, which the pull request must have merged.
# custom:
#   short_name: source_commit_named
#   failure_msg: The release names no source commit
#   solution: Set the source_commit field of the release manifest to the merge commit.
violation contains {"msg": "the release names no source commit, so its pull request cannot be found"} if {
	not _commit
}

# METADATA
# title: Pull request attached
# description: A pull request record whose merge commit is the release's source commit is attached.
# custom:
#   short_name: pull_request_attached
#   failure_msg: No pull request evidence is attached for the source commit
#   solution: >-
#     Attach the pull request record from the Git host (its state, merge and
#     head commits, reviews and the protection of its base branch), and build
#     releases from merge commits of pull requests.
violation contains {"msg": msg} if {
	_commit
	count(_pull_requests) == 0
	msg := text.join([
		"no pull request evidence attached for source commit ", _commit, _linked_text,
		"; attach the pull request record from the Git host with its merge commit, reviews and base branch protection",
	])
}

# METADATA
# title: Pull request merged
# description: The pull request is merged.
# custom:
#   short_name: pull_request_merged
#   failure_msg: The pull request is not merged
#   solution: Merge the pull request and build the release from its merge commit.
violation contains {"msg": msg} if {
	some pull_request in _pull_requests
	object.get(pull_request, "state", null) != "merged"
	msg := text.join([
		"pull request ", _name(pull_request), " is ", object.get(pull_request, "state", null),
		", not merged; merge it and build the release from its merge commit",
	])
}

# METADATA
# title: Base branch protected
# description: The pull request was merged into a branch the Git host protects.
# custom:
#   short_name: base_branch_protected
#   failure_msg: The pull request was merged into a branch that is not protected
#   solution: >-
#     Protect the base branch (required reviews, no direct pushes) and merge
#     changes into it only through pull requests.
violation contains {"msg": msg} if {
	some pull_request in _pull_requests
	object.get(pull_request, "base_branch_protected", null) != true
	msg := text.join([
		"pull request ", _name(pull_request), " was merged into branch ", object.get(pull_request, "base_branch", null),
		", which is not shown to be protected; protect the branch and merge through pull requests only",
	])
}

# METADATA
# title: Final commit reviewed
# description: >-
#   The pull request has enough approving reviews of its head commit, each
#   from a reviewer other than its author. Reviews of earlier commits do not
#   count, because the code changed after them.
# custom:
#   short_name: final_commit_reviewed
#   failure_msg: The pull request's final commit has too few independent approving reviews
#   solution: Ask reviewers other than the author to approve the pull request's final commit.
violation contains {"msg": msg} if {
	some pull_request in _pull_requests
	approvers := _approvers(pull_request)
	not _enough(count(approvers))
	msg := text.join([
		"pull request ", _name(pull_request), " has ", count(approvers),
		" approving reviews of its head commit ", object.get(pull_request, "head_commit", null),
		" by reviewers other than its author, and needs ", _min_approvals,
		"; ask an independent reviewer to approve the final commit",
	])
}

# METADATA
# title: Pull request author known
# description: >-
#   The pull request names its author. Without it no review can be shown to
#   be independent, so no review counts.
# custom:
#   short_name: author_known
#   failure_msg: The pull request names no author
#   solution: Attach the pull request record with its author as the Git host reports it.
violation contains {"msg": msg} if {
	some pull_request in _pull_requests
	not text.present(pull_request.author)
	msg := text.join([
		"pull request ", _name(pull_request),
		" names no author, so no review can be shown to be independent; attach the record with its author",
	])
}

# METADATA
# title: Pull request from the release's repository
# description: The pull request belongs to the repository the release names as its source.
# custom:
#   short_name: same_repository
#   failure_msg: The pull request belongs to another repository
#   solution: Attach the pull request of the release's source repository.
violation contains {"msg": msg} if {
	some pull_request in _pull_requests
	text.present(input.release.source_repository)
	text.present(pull_request.repository)
	_normalized(pull_request.repository) != _normalized(input.release.source_repository)
	msg := text.join([
		"pull request ", _name(pull_request), " belongs to repository ", pull_request.repository,
		", not the release's source repository ", input.release.source_repository,
	])
}

_linked_text := text.join([" (the release links ", input.release.pull_request, ")"]) if {
	text.present(input.release.pull_request)
} else := ""

_name(pull_request) := pull_request.url if {
	text.present(pull_request.url)
} else := evidence.record_id(pull_request)

_approvers(pull_request) := {lower(review.reviewer) |
	some review in evidence.list_of(pull_request.reviews)
	review.state == "approved"
	evidence.same_commit(review.commit, pull_request.head_commit)
	text.present(review.reviewer)
	text.present(pull_request.author)
	lower(review.reviewer) != lower(pull_request.author)
}

_enough(approver_count) if {
	is_number(_min_approvals)
	approver_count >= _min_approvals
}

_normalized(url) := trim_suffix(trim_suffix(trim_prefix(lower(url), "git+"), "/"), ".git")
