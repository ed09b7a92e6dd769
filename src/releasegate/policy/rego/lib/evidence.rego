# METADATA
# title: Evidence helpers
# description: >-
#   Read the normalized evidence of the policy input and describe the
#   release's artifacts in messages. An evidence kind that is missing, null
#   or not a list reads as an empty list, so every control that needs it
#   reports the evidence as missing instead of passing.
package releasegate.lib.evidence

import rego.v1

import data.releasegate.lib.text

_evidence := input.evidence if {
	is_object(input.evidence)
} else := {}

# METADATA
# title: Evidence of one kind
# description: >-
#   Return the list under input.evidence.<kind>, or an empty list when the
#   key is missing or does not hold a list.
items(kind) := found if {
	found := _evidence[kind]
	is_array(found)
} else := []

# METADATA
# title: Release artifacts with a digest
# description: >-
#   The artifacts of the release that name a digest. Controls that check
#   artifacts fail when this is empty, because an empty list would pass
#   every check.
release_artifacts := [artifact |
	is_array(input.release.artifacts)
	some artifact in input.release.artifacts
	is_object(artifact)
	text.present(artifact.digest)
]

# METADATA
# title: Release artifact digests
# description: The digests of the release's artifacts, lowercased.
release_digests := {lower(artifact.digest) | some artifact in release_artifacts}

# METADATA
# title: Artifact label
# description: >-
#   Return how messages name an artifact: its name and digest, or the digest
#   alone when it has no name.
label(artifact) := text.join(["artifact ", artifact.name, " (", artifact.digest, ")"]) if {
	text.present(artifact.name)
} else := text.join(["artifact ", artifact.digest])

# METADATA
# title: Evidence id
# description: Return the id of an evidence record for messages, or "without id".
record_id(record) := record.id if {
	text.present(record.id)
} else := "without id"

# METADATA
# title: Same commit
# description: True when both values are commit ids that are equal without regard to case.
same_commit(a, b) if {
	text.present(a)
	text.present(b)
	lower(a) == lower(b)
}

# METADATA
# title: List or empty
# description: >-
#   Return the value when it is a list, an empty list otherwise. Iterating a
#   string raises a built-in error in regopy 1.5.2, so nested lists of
#   evidence are read through this.
list_of(value) := value if {
	is_array(value)
} else := []

_release := input.release if {
	is_object(input.release)
} else := {}

# METADATA
# title: Release field
# description: >-
#   Return a field of input.release, or null when the release or the field is
#   missing, so that a message naming it is still built.
release_field(name) := object.get(_release, name, null)

# METADATA
# title: Target environment
# description: The environment the release is evaluated for, or null when the input names none.
environment := input.environment if {
	is_string(input.environment)
} else := null

# METADATA
# title: Evaluation time
# description: The time of the evaluation (input.now), or null when the input names none.
now := input.now if {
	is_string(input.now)
} else := null
