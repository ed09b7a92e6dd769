package releasegate_test.controls.art_1

import rego.v1

import data.releasegate.controls.art_1

_digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

_release := {"id": "rel-1", "artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "uri": null}]}

_key_signature := {"id": "ev-sig", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "verified": true, "key_id": "awskms:///alias/release-signing", "identity": null, "issuer": null}

_keyless_signature := {
	"id": "ev-sig-2",
	"digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"verified": true,
	"key_id": null,
	"identity": "https://git.example.com/payments/payments-api/.ci/release.yml@refs/heads/main",
	"issuer": "https://token.ci.example.com",
}

_label := "artifact payments-api (sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)"

# Violation messages for a release and its signature evidence, with one
# trusted key and one trusted keyless identity.
_art_1_messages(release, signature_list) := {violation.msg |
	evidence := {"signatures": signature_list}
	some violation in art_1.violation with input.release as release
		with input.evidence as evidence
		with data.releasegate.params.artifacts.signing.trusted_key_ids as ["awskms:///alias/release-signing"]
		with data.releasegate.params.artifacts.signing.trusted_issuers as ["https://token.ci.example.com"]
		with data.releasegate.params.artifacts.signing.trusted_identities as ["https://git.example.com/payments/payments-api/.ci/release.yml@refs/heads/main"]
}

test_applicable if {
	art_1.applicable
}

test_trusted_key_passes if {
	_art_1_messages(_release, [_key_signature]) == set()
}

test_trusted_keyless_identity_passes if {
	_art_1_messages(_release, [_keyless_signature]) == set()
}

test_one_trusted_signature_is_enough if {
	untrusted := object.union(_key_signature, {"id": "ev-other", "key_id": "ssh:other"})
	_art_1_messages(_release, [untrusted, _key_signature]) == set()
}

test_missing_signature if {
	_art_1_messages(_release, []) == {concat("", [
		"no signature attached for ", _label,
		"; sign the artifact (for example with cosign sign) and attach the Sigstore bundle or signature",
	])}
}

test_signature_for_other_digest_is_missing if {
	other := object.union(_key_signature, {"digest": "sha256:0000"})
	count(_art_1_messages(_release, [other])) == 1
}

test_signature_not_verified if {
	signature := object.union(_key_signature, {"verified": false})
	_art_1_messages(_release, [signature]) == {concat("", [
		"the signature of ", _label,
		" does not verify (evidence ev-sig); sign the artifact again and attach the new signature",
	])}
}

test_failed_check_named if {
	signature := object.union(_key_signature, {
		"verified": false,
		"failed_checks": [{"name": "digest binding", "detail": "the logged signature differs from the bundle's signature"}],
	})
	_art_1_messages(_release, [signature]) == {concat("", [
		"the signature of ", _label,
		" does not verify (evidence ev-sig): digest binding failed (the logged signature differs",
		" from the bundle's signature); sign the artifact again and attach the new signature",
	])}
}

test_verification_unknown_fails if {
	signature := object.remove(_key_signature, ["verified"])
	count(_art_1_messages(_release, [signature])) == 1
}

test_untrusted_key if {
	signature := object.union(_key_signature, {"key_id": "ssh:laptop-key"})
	_art_1_messages(_release, [signature]) == {concat("", [
		_label, " is signed only by key ssh:laptop-key, which params artifacts.signing do not trust;",
		" sign it with a trusted key or signing identity",
	])}
}

test_untrusted_issuer if {
	signature := object.union(_keyless_signature, {"issuer": "https://accounts.example.org"})
	_art_1_messages(_release, [signature]) == {concat("", [
		_label, " is signed only by identity https://git.example.com/payments/payments-api/.ci/release.yml@refs/heads/main",
		" (issuer https://accounts.example.org), which params artifacts.signing do not trust;",
		" sign it with a trusted key or signing identity",
	])}
}

test_no_artifacts if {
	_art_1_messages({"id": "rel-1", "artifacts": []}, []) == {"the release lists no artifact digest, so no signature can be checked"}
}

test_evidence_kind_missing if {
	release := _release
	messages := {violation.msg | some violation in art_1.violation with input.release as release with input.evidence as {}}
	count(messages) == 1
}

test_default_params_trust_nobody if {
	release := _release
	evidence := {"signatures": [_key_signature]}
	messages := {violation.msg | some violation in art_1.violation with input.release as release with input.evidence as evidence}
	messages == {concat("", [
		_label, " is signed only by key awskms:///alias/release-signing, which params artifacts.signing do not trust;",
		" sign it with a trusted key or signing identity",
	])}
}

test_violation_key_is_digest if {
	release := _release
	evidence := {"signatures": []}
	some violation in art_1.violation with input.release as release with input.evidence as evidence
	violation.key == _digest
}
