package releasegate_test.controls.src_2

import rego.v1

import data.releasegate.controls.src_2

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_release := {"id": "rel-1", "source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}

_signature := {"id": "ev-sig", "commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "verified": true, "signer": "Alice@Example.com", "key_id": "SHA256:abc"}

_src_2_messages(release, signature_list) := {violation.msg |
	evidence := {"commit_signatures": signature_list}
	some violation in src_2.violation with input.release as release
		with input.evidence as evidence
		with data.releasegate.params.source.commit_signing.trusted_signer_domains as ["example.com"]
}

test_applicable_criticality_0_and_1 if {
	src_2.applicable with input.service as {"criticality": 0}
	src_2.applicable with input.service as {"criticality": 1}
}

test_not_applicable_criticality_2 if {
	not src_2.applicable with input.service as {"criticality": 2}
}

test_applicable_without_catalog_entry if {
	src_2.applicable with input.service as null
}

test_signed_commit_passes if {
	_src_2_messages(_release, [_signature]) == set()
}

test_missing_signature if {
	_src_2_messages(_release, []) == {concat("", [
		"no commit signature evidence attached for source commit ", _commit,
		"; attach the signature verification of the change's commits (for example from the Git host's commit API or git verify-commit)",
	])}
}

test_signature_does_not_verify if {
	signature := object.union(_signature, {"verified": false})
	_src_2_messages(_release, [signature]) == {concat("", ["the signature of commit ", _commit, " (evidence ev-sig) does not verify; sign the commit with a valid key"])}
}

test_other_commit_of_change_checked if {
	unsigned := {"id": "ev-sig-2", "commit": "8e1d0c9b8a7f6e5d4c3b4f1c2a9e8b7d6c5b4a3f", "verified": null, "signer": null}
	_src_2_messages(_release, [_signature, unsigned]) == {"the signature of commit 8e1d0c9b8a7f6e5d4c3b4f1c2a9e8b7d6c5b4a3f (evidence ev-sig-2) does not verify; sign the commit with a valid key"}
}

test_untrusted_domain if {
	signature := object.union(_signature, {"signer": "mallory@example.org"})
	_src_2_messages(_release, [signature]) == {concat("", [
		"commit ", _commit, " is signed by mallory@example.org, whose domain is not in params",
		" source.commit_signing.trusted_signer_domains (example.com); sign it with an identity of a trusted domain",
	])}
}

test_signer_without_domain_untrusted if {
	signature := object.union(_signature, {"signer": "alice"})
	count(_src_2_messages(_release, [signature])) == 1
}

test_no_source_commit if {
	_src_2_messages({"id": "rel-1"}, []) == {"the release names no source commit, so no commit signature can be checked"}
}

test_default_params_trust_no_domain if {
	release := _release
	evidence := {"commit_signatures": [_signature]}
	count(src_2.violation) == 1 with input.release as release with input.evidence as evidence
}
