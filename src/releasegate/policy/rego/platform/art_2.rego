# METADATA
# title: Build provenance verifies
# description: >-
#   Every artifact of the release has build provenance (an in-toto statement
#   with a predicate type from params artifacts.provenance.predicate_types,
#   SLSA provenance v1 by default) whose signature verifies, whose subject
#   names the artifact's digest, whose builder id is in params
#   artifacts.provenance.trusted_builder_ids, and which names the release's
#   source repository and source commit, and which is signed by at least
#   params artifacts.provenance.min_trusted_signers distinct keys or
#   identities that params artifacts.signing trust. When several statements
#   name the digest, one that meets every expectation is enough. The
#   statements come from input.evidence.provenance.
# custom:
#   id: ART-2
#   short_name: provenance_verified
#   blocking: true
#   frameworks:
#     - NIST SP 800-53 SI-7
#     - NIST SP 800-53 SA-10
#   failure_msg: An artifact has no verified provenance from a trusted builder for the release's source
#   solution: >-
#     Build the artifact on a trusted builder that emits SLSA provenance v1
#     (for example a hosted CI with provenance generation), from the
#     release's source repository and commit, and attach the signed in-toto
#     statement to the release.
package releasegate.controls.art_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.signatures
import data.releasegate.lib.text

_types_path := ["artifacts", "provenance", "predicate_types"]

_builders_path := ["artifacts", "provenance", "trusted_builder_ids"]

_min_signers_path := ["artifacts", "provenance", "min_trusted_signers"]

_min_signers := scope.param(_min_signers_path)

_types := evidence.list_of(scope.param(_types_path))

_builders := evidence.list_of(scope.param(_builders_path))

_expected_repository := input.release.source_repository if {
	text.present(input.release.source_repository)
} else := input.service.repository if {
	text.present(input.service.repository)
}

_commit := input.release.source_commit if text.present(input.release.source_commit)

# METADATA
# title: Applies to every release
# description: Every artifact released anywhere needs provenance.
applicable := true

# METADATA
# title: Provenance trust configured
# description: Params artifacts.provenance name the accepted predicate types and trusted builders as lists.
# custom:
#   short_name: provenance_configured
#   failure_msg: The accepted provenance is not configured
#   solution: Set params artifacts.provenance.predicate_types and trusted_builder_ids to lists.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_types_path) | scope.list_problems(_builders_path) | scope.number_problems(_min_signers_path)
}

# METADATA
# title: Artifacts listed
# description: The release lists at least one artifact digest whose provenance can be checked.
# custom:
#   short_name: artifacts_listed
#   failure_msg: The release lists no artifact digest
#   solution: List the built artifacts with their digests in the release manifest.
violation contains {"msg": "the release lists no artifact digest, so no provenance can be checked"} if {
	count(evidence.release_artifacts) == 0
}

# METADATA
# title: Source commit named
# description: The release names the source commit that provenance must name.
# custom:
#   short_name: source_commit_named
#   failure_msg: The release names no source commit
#   solution: Set the source_commit field of the release manifest.
violation contains {"msg": "the release names no source commit, so provenance cannot be matched to its source"} if {
	not _commit
}

# METADATA
# title: Source repository named
# description: The release or the catalog names the source repository that provenance must name.
# custom:
#   short_name: source_repository_named
#   failure_msg: Neither the release nor the catalog names the source repository
#   solution: Set source_repository in the release manifest, or repository in the service's catalog entry.
violation contains {"msg": "neither the release nor the catalog names the source repository, so provenance cannot be matched to its source"} if {
	not _expected_repository
}

# METADATA
# title: Provenance attached
# description: Each artifact digest is the subject of at least one provenance statement.
# custom:
#   short_name: provenance_attached
#   failure_msg: An artifact has no provenance
#   solution: Attach the signed in-toto statement with SLSA provenance that the builder produced for the artifact.
violation contains {"msg": msg, "key": artifact.digest} if {
	some artifact in evidence.release_artifacts
	count(_statements(artifact.digest)) == 0
	msg := text.join([
		"no SLSA provenance attached for ", evidence.label(artifact),
		"; attach an in-toto statement with predicate https://slsa.dev/provenance/v1 whose subject names this digest",
	])
}

# METADATA
# title: Provenance meets expectations
# description: >-
#   At least one statement about each artifact meets every expectation. When
#   none does, each problem of each statement is reported.
# custom:
#   short_name: provenance_meets_expectations
#   failure_msg: The provenance of an artifact does not meet the expectations
#   solution: >-
#     Rebuild the artifact from the release's source commit on a trusted
#     builder, or correct the release's source repository and commit, and
#     attach the new provenance.
violation contains {"msg": msg, "key": artifact.digest} if {
	some artifact in evidence.release_artifacts
	statements := _statements(artifact.digest)
	count(statements) > 0
	every statement in statements {
		count(_problems(statement)) > 0
	}
	some statement in statements
	some problem in _problems(statement)
	msg := text.join(["provenance ", evidence.record_id(statement), " of ", evidence.label(artifact), " ", problem])
}

_statements(digest) := [statement |
	some statement in evidence.items("provenance")
	some subject in evidence.list_of(statement.subject_digests)
	is_string(subject)
	lower(subject) == lower(digest)
]

_problems(statement) := {problem |
	not object.get(statement, "predicate_type", null) in _types
	problem := text.join([
		"has predicate type ", object.get(statement, "predicate_type", null),
		", which params artifacts.provenance.predicate_types do not accept; attach SLSA provenance v1",
	])
} | {problem |
	object.get(statement, "signature_verified", null) != true
	problem := "has a signature that does not verify; attach the statement as the builder signed it"
} | {problem |
	object.get(statement, "signature_verified", null) == true
	is_number(_min_signers)
	trusted := _trusted_signers(statement)
	count(trusted) < _min_signers
	problem := text.join([
		"is signed by ", count(trusted), " trusted signers and needs ", _min_signers,
		" distinct keys or identities from params artifacts.signing; sign it with trusted keys",
	])
} | {problem |
	some check in evidence.list_of(statement.failed_checks)
	problem := text.join(["failed check '", check.name, "': ", check.detail])
} | {problem |
	not object.get(statement, "builder_id", null) in _builders
	problem := text.join([
		"names builder ", object.get(statement, "builder_id", null),
		", which params artifacts.provenance.trusted_builder_ids do not trust; build on a trusted builder",
	])
} | {problem |
	_expected_repository
	not _same_repository(object.get(statement, "source_repository", null), _expected_repository)
	problem := text.join([
		"names source repository ", object.get(statement, "source_repository", null), ", not ", _expected_repository,
		"; build from the release's source repository",
	])
} | {problem |
	_commit
	not evidence.same_commit(object.get(statement, "source_commit", null), _commit)
	problem := text.join([
		"names source commit ", object.get(statement, "source_commit", null), ", not the release's source commit ", _commit,
		"; build from the release's source commit",
	])
}

_same_repository(a, b) if {
	is_string(a)
	_normalized(a) == _normalized(b)
}

_normalized(url) := trim_suffix(trim_suffix(trim_prefix(lower(url), "git+"), "/"), ".git")

# Distinct trusted signers: a key counts once however many signatures it made.
_trusted_signers(statement) := {name |
	some signer in evidence.list_of(statement.signers)
	signatures.trusted(signer)
	name := signatures.signer(signer)
}
