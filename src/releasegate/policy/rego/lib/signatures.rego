# METADATA
# title: Artifact signature helpers
# description: >-
#   Decide whether an artifact digest has a signature that verifies and
#   comes from a trusted key or signing identity. Control ART-1 reports each
#   artifact without one, and control EMG-1 requires signed artifacts on the
#   emergency path, so both read the same predicate from here. Trust comes
#   from params artifacts.signing.
package releasegate.lib.signatures

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.text

_params := object.get(data.releasegate.params, ["artifacts", "signing"], {})

_trusted_key_ids := ids if {
	ids := _params.trusted_key_ids
	is_array(ids)
} else := []

_trusted_issuers := issuers if {
	issuers := _params.trusted_issuers
	is_array(issuers)
} else := []

_trusted_identities := identities if {
	identities := _params.trusted_identities
	is_array(identities)
} else := []

# METADATA
# title: Signatures of a digest
# description: The signature records under input.evidence.signatures that name the digest.
of_digest(digest) := [signature |
	some signature in evidence.items("signatures")
	is_string(signature.digest)
	lower(signature.digest) == lower(digest)
]

# METADATA
# title: Signature verified
# description: True when the record says the signature verifies (true, not merely truthy).
verified(signature) if signature.verified == true

# METADATA
# title: Signature trusted
# description: >-
#   True when the signature's key id is in params
#   artifacts.signing.trusted_key_ids, or its certificate issuer is in
#   artifacts.signing.trusted_issuers and its identity in
#   artifacts.signing.trusted_identities.
trusted(signature) if {
	text.present(signature.key_id)
	signature.key_id in _trusted_key_ids
}

trusted(signature) if {
	text.present(signature.identity)
	text.present(signature.issuer)
	signature.issuer in _trusted_issuers
	signature.identity in _trusted_identities
}

# NOTE: issuers and identities are two lists, not pairs, because the
# parameter schema has no list of objects. An identity is trusted under any
# trusted issuer; CI identities are URIs of one issuer, so the two rarely
# overlap.

# METADATA
# title: Digest has a trusted signature
# description: True when some signature of the digest verifies and is trusted.
trusted_signature(digest) if {
	some signature in of_digest(digest)
	verified(signature)
	trusted(signature)
}

# METADATA
# title: Signer description
# description: Return how messages name the signer of a signature record.
signer(signature) := text.join(["key ", signature.key_id]) if {
	text.present(signature.key_id)
} else := text.join(["identity ", signature.identity, " (issuer ", object.get(signature, "issuer", null), ")"]) if {
	text.present(signature.identity)
} else := "an unnamed signer"

# METADATA
# title: Signature problem of an artifact
# description: >-
#   Return why the artifact has no trusted signature, or undefined when it
#   has one: no signature attached, no signature that verifies, or only
#   signatures from signers that params do not trust.
problem(artifact) := msg if {
	not trusted_signature(artifact.digest)
	count(of_digest(artifact.digest)) == 0
	msg := text.join([
		"no signature attached for ", evidence.label(artifact),
		"; sign the artifact (for example with cosign sign) and attach the Sigstore bundle or signature",
	])
} else := msg if {
	not trusted_signature(artifact.digest)
	every signature in of_digest(artifact.digest) {
		not verified(signature)
	}
	ids := [id | some signature in of_digest(artifact.digest); id := evidence.record_id(signature)]
	msg := text.join([
		"the signature of ", evidence.label(artifact), " does not verify (evidence ", text.list(ids),
		")", _failed_checks_text(artifact.digest), "; sign the artifact again and attach the new signature",
	])
} else := msg if {
	not trusted_signature(artifact.digest)
	signers := {name |
		some signature in of_digest(artifact.digest)
		verified(signature)
		name := signer(signature)
	}
	msg := text.join([
		evidence.label(artifact), " is signed only by ", text.list(signers),
		", which params artifacts.signing do not trust; sign it with a trusted key or signing identity",
	])
}

# METADATA
# title: Trust configuration problems
# description: Return a message for each params artifacts.signing entry that is not a list.
config_problems := {msg |
	some key in ["trusted_key_ids", "trusted_issuers", "trusted_identities"]
	not is_array(object.get(_params, key, null))
	msg := text.join(["params artifacts.signing.", key, " is not a list, so no signer can be trusted; set it in the policy layer's data document"])
}

_failed_checks_text(digest) := text.join([": ", text.list(failures)]) if {
	failures := [failure |
		some signature in of_digest(digest)
		some check in evidence.list_of(signature.failed_checks)
		failure := text.join([check.name, " failed (", check.detail, ")"])
	]
	count(failures) > 0
} else := ""
