package releasegate_test.controls.art_2

import rego.v1

import data.releasegate.controls.art_2

_digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_builder := "https://ci.example.com/builders/hosted-runner@v2"

_release := {
	"id": "rel-1",
	"source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"source_repository": "https://git.example.com/payments/payments-api",
	"artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "uri": null}],
}

_statement := {
	"id": "ev-prov",
	"predicate_type": "https://slsa.dev/provenance/v1",
	"subject_digests": ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
	"builder_id": "https://ci.example.com/builders/hosted-runner@v2",
	"source_repository": "git+https://git.example.com/payments/payments-api.git",
	"source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"signature_verified": true,
	"signers": [{"key_id": "sha256:build-key-1", "identity": null, "issuer": null}],
	"failed_checks": [],
}

_label := "artifact payments-api (sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)"

_art_2_messages(release, statements) := {violation.msg |
	evidence := {"provenance": statements}
	some violation in art_2.violation with input.release as release
		with input.evidence as evidence
		with data.releasegate.params.artifacts.provenance.trusted_builder_ids as ["https://ci.example.com/builders/hosted-runner@v2"]
		with data.releasegate.params.artifacts.signing.trusted_key_ids as ["sha256:build-key-1", "sha256:build-key-2"]
}

_problem(text) := concat("", ["provenance ev-prov of ", _label, " ", text])

test_applicable if {
	art_2.applicable
}

test_verified_provenance_passes if {
	_art_2_messages(_release, [_statement]) == set()
}

test_missing_provenance if {
	_art_2_messages(_release, []) == {concat("", [
		"no SLSA provenance attached for ", _label,
		"; attach an in-toto statement with predicate https://slsa.dev/provenance/v1 whose subject names this digest",
	])}
}

test_provenance_of_other_digest_is_missing if {
	statement := object.union(_statement, {"subject_digests": ["sha256:0000"]})
	count(_art_2_messages(_release, [statement])) == 1
}

test_untrusted_builder if {
	statement := object.union(_statement, {"builder_id": "https://laptop.example.com"})
	_art_2_messages(_release, [statement]) == {_problem("names builder https://laptop.example.com, which params artifacts.provenance.trusted_builder_ids do not trust; build on a trusted builder")}
}

test_signature_not_verified if {
	statement := object.remove(_statement, ["signature_verified"])
	_art_2_messages(_release, [statement]) == {_problem("has a signature that does not verify; attach the statement as the builder signed it")}
}

test_wrong_predicate_type if {
	statement := object.union(_statement, {"predicate_type": "https://slsa.dev/provenance/v0.2"})
	_art_2_messages(_release, [statement]) == {_problem("has predicate type https://slsa.dev/provenance/v0.2, which params artifacts.provenance.predicate_types do not accept; attach SLSA provenance v1")}
}

test_other_repository if {
	statement := object.union(_statement, {"source_repository": "https://git.example.com/payments/fork"})
	_art_2_messages(_release, [statement]) == {_problem("names source repository https://git.example.com/payments/fork, not https://git.example.com/payments/payments-api; build from the release's source repository")}
}

test_other_commit if {
	statement := object.union(_statement, {"source_commit": "0000000000000000000000000000000000000000"})
	_art_2_messages(_release, [statement]) == {_problem(concat("", ["names source commit 0000000000000000000000000000000000000000, not the release's source commit ", _commit, "; build from the release's source commit"]))}
}

test_one_good_statement_is_enough if {
	bad := object.union(_statement, {"id": "ev-bad", "builder_id": "https://laptop.example.com"})
	_art_2_messages(_release, [bad, _statement]) == set()
}

test_repository_from_catalog if {
	release := object.remove(_release, ["source_repository"])
	statements := [_statement]
	result := _art_2_messages(release, statements) with input.service as {"repository": "https://git.example.com/payments/payments-api"}
	result == set()
}

test_no_repository_anywhere if {
	release := object.remove(_release, ["source_repository"])
	statements := [_statement]
	result := _art_2_messages(release, statements) with input.service as null
	result == {"neither the release nor the catalog names the source repository, so provenance cannot be matched to its source"}
}

test_no_artifacts if {
	release := object.union(_release, {"artifacts": []})
	_art_2_messages(release, []) == {"the release lists no artifact digest, so no provenance can be checked"}
}

test_default_params_trust_no_builder if {
	release := _release
	evidence := {"provenance": [_statement]}
	messages := {v.msg | some v in art_2.violation} with input.release as release with input.evidence as evidence
	messages == {
		_problem("names builder https://ci.example.com/builders/hosted-runner@v2, which params artifacts.provenance.trusted_builder_ids do not trust; build on a trusted builder"),
		_problem("is signed by 0 trusted signers and needs 1 distinct keys or identities from params artifacts.signing; sign it with trusted keys"),
	}
}

test_untrusted_signer if {
	statement := object.union(_statement, {"signers": [{"key_id": "sha256:someone-else"}]})
	_art_2_messages(_release, [statement]) == {_problem(
		"is signed by 0 trusted signers and needs 1 distinct keys or identities from params artifacts.signing; sign it with trusted keys",
	)}
}

test_threshold_counts_distinct_keys if {
	statement := object.union(_statement, {"signers": [{"key_id": "sha256:build-key-1"}, {"key_id": "sha256:build-key-1"}]})
	release := _release
	messages := _art_2_messages(release, [statement]) with data.releasegate.params.artifacts.provenance.min_trusted_signers as 2
	messages == {_problem(
		"is signed by 1 trusted signers and needs 2 distinct keys or identities from params artifacts.signing; sign it with trusted keys",
	)}
}

test_threshold_met_by_two_keys if {
	statement := object.union(_statement, {"signers": [{"key_id": "sha256:build-key-1"}, {"key_id": "sha256:build-key-2"}]})
	release := _release
	messages := _art_2_messages(release, [statement]) with data.releasegate.params.artifacts.provenance.min_trusted_signers as 2
	messages == set()
}

test_failed_check_named if {
	statement := object.union(_statement, {
		"signature_verified": false,
		"signers": [],
		"failed_checks": [{"name": "digest binding", "detail": "the bundle's content is not what was logged"}],
	})
	_art_2_messages(_release, [statement]) == {
		_problem("has a signature that does not verify; attach the statement as the builder signed it"),
		_problem("failed check 'digest binding': the bundle's content is not what was logged"),
	}
}
