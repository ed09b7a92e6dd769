# METADATA
# title: Approval helpers
# description: >-
#   Classify the approvals of the policy input: which identities wrote or
#   requested the release, and which current approvals come from someone
#   else. Only approvals with current == true count. releasegate sets current
#   when the approval names the release's artifact digests and policy
#   revision and has not expired.
package releasegate.lib.approvals

import rego.v1

import data.releasegate.lib.text

# METADATA
# title: Release authors
# description: Lowercase identities of the release's commit authors.
authors contains lower(author) if {
	some author in input.release.authors
	is_string(author)
}

# METADATA
# title: Release requester
# description: Lowercase identity of the release's requester.
requester := lower(input.release.requester) if is_string(input.release.requester)

# METADATA
# title: Author or requester
# description: True when the identity wrote or requested the release.
is_author_or_requester(identity) if lower(identity) in authors

is_author_or_requester(identity) if lower(identity) == requester

# METADATA
# title: Conflict of interest
# description: >-
#   Return why the identity may not approve the release, or undefined when
#   it may.
conflict(identity) := "is an author and the requester of the release" if {
	lower(identity) in authors
	lower(identity) == requester
} else := "is an author of the release" if {
	lower(identity) in authors
} else := "is the requester of the release" if {
	lower(identity) == requester
}

# METADATA
# title: Current approvals
# description: Approvals that still count for this release (current == true).
current contains approval if {
	some approval in input.approvals
	approval.current == true
	is_string(approval.approver)
}

# METADATA
# title: Eligible approvals
# description: >-
#   Current approvals from identities that neither wrote nor requested the
#   release, whatever their decision.
eligible contains approval if {
	some approval in current
	not is_author_or_requester(approval.approver)
	count(chain_conflicts(object.get(approval, "person", null))) == 0
}

# An identity outside every approval group never counts as a distinct approver.
_holds_a_role(approval) if {
	some held in object.get(approval, "roles", {})
	held == true
}

# METADATA
# title: Person key of an approval
# description: >-
#   The person releasegate resolved the approver to, or the lowercased
#   identity when the input names no person (inputs built without an
#   identity directory).
person_key(approval) := approval.person if {
	text.present(object.get(approval, "person", null))
} else := lower(approval.approver)

# METADATA
# title: Eligible approvers
# description: >-
#   Persons with an eligible, current "approve" decision. A set, so a person
#   who approves twice, under one alias or several, counts once.
approvers contains person_key(approval) if {
	some approval in eligible
	approval.decision == "approve"
	_holds_a_role(approval)
}

# METADATA
# title: Aliases of one approver
# description: >-
#   Return, for each person who approved under more than one alias, a text
#   naming the aliases and the person.
alias_collisions contains msg if {
	some person in approvers
	aliases := {approval.approver |
		some approval in eligible
		approval.decision == "approve"
		person_key(approval) == person
	}
	count(aliases) > 1
	msg := text.join([text.list(sort(aliases)), " are the same person (", person, ") and count as one approver"])
}

# METADATA
# title: Release chain
# description: >-
#   The participants releasegate lists for the release: each identity in a
#   role (author, co_author, committer, signer, requester, reviewer), with
#   the person it resolves to or null when it is unknown.
participants := [participant |
	some participant in _list(object.get(_release, "participants", []))
	is_object(participant)
]

_release := input.release if {
	is_object(input.release)
} else := {}

_list(value) := value if {
	is_array(value)
} else := []

_author_roles := {"author", "co_author", "committer", "signer", "requester"}

# METADATA
# title: Chain conflicts of a person
# description: >-
#   Return the descriptions of the author-side participants (author,
#   co-author, committer, signer, requester) who are the given person.
chain_conflicts(person) := {participant.description |
	some participant in participants
	participant.role in _author_roles
	text.present(person)
	participant.person == person
}

# METADATA
# title: Unknown author-side participants
# description: >-
#   Author-side participants that resolve to no person. No approver can be
#   shown to be someone else, so SOD-1 fails while any is left.
unknown_participants contains participant if {
	some participant in participants
	participant.role in _author_roles
	not text.present(object.get(participant, "person", null))
}

# METADATA
# title: Chain known
# description: True when releasegate listed the release's participants with their persons.
chain_known if count(participants) > 0

# METADATA
# title: Covered roles
# description: >-
#   Approval roles held by at least one eligible approver, read from the
#   approval's roles object.
covered_roles contains role if {
	some approval in eligible
	approval.decision == "approve"
	some role, held in approval.roles
	held == true
}

# METADATA
# title: Eligible rejections
# description: Eligible, current approvals whose decision is "reject".
rejections contains approval if {
	some approval in eligible
	approval.decision == "reject"
}
