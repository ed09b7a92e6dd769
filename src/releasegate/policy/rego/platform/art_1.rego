# METADATA
# title: Artifacts signed by a trusted signer
# description: >-
#   Every artifact of the release has a signature that verifies and that was
#   made by a trusted key or signing identity: a key id listed in params
#   artifacts.signing.trusted_key_ids, or a certificate whose issuer is listed
#   in artifacts.signing.trusted_issuers and whose identity is listed in
#   artifacts.signing.trusted_identities. The signature
#   records come from input.evidence.signatures; the parser verifies each
#   signature cryptographically and this control decides whom to trust.
# custom:
#   id: ART-1
#   short_name: artifacts_signed
#   blocking: true
#   frameworks:
#     - NIST SP 800-53 SI-7
#     - PCI DSS v4.0 6.5
#   failure_msg: An artifact has no signature that verifies against a trusted key or signing identity
#   solution: >-
#     Sign each artifact digest in the release pipeline (for example with
#     cosign sign, keyless or with a key), attach the signature or Sigstore
#     bundle to the release, and make sure the key id or the certificate
#     issuer and identity are listed in params artifacts.signing.
package releasegate.controls.art_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.signatures

# METADATA
# title: Applies to every release
# description: Every artifact released anywhere must be signed.
applicable := true

# METADATA
# title: Artifacts listed
# description: The release lists at least one artifact digest whose signature can be checked.
# custom:
#   short_name: artifacts_listed
#   failure_msg: The release lists no artifact digest
#   solution: List the built artifacts with their digests in the release manifest.
violation contains {"msg": "the release lists no artifact digest, so no signature can be checked"} if {
	count(evidence.release_artifacts) == 0
}

# METADATA
# title: Trust configured
# description: Params artifacts.signing name the trusted keys and identities as lists.
# custom:
#   short_name: trust_configured
#   failure_msg: The trusted signers are not configured
#   solution: >-
#     Set params artifacts.signing.trusted_key_ids, trusted_issuers and
#     trusted_identities to lists, which may be empty.
violation contains {"msg": msg} if {
	some msg in signatures.config_problems
}

# METADATA
# title: Artifact signed by a trusted signer
# description: >-
#   Each artifact digest has a signature that verifies and comes from a
#   trusted signer. The message says whether no signature is attached, none
#   verifies, or the signer is not trusted. The violation's key is the
#   digest, so an exception may name one artifact.
# custom:
#   short_name: artifact_signed
#   failure_msg: An artifact has no signature that verifies against a trusted key or signing identity
#   solution: >-
#     Sign the artifact with a trusted key or signing identity and attach the
#     signature, or add the signer to params artifacts.signing after review.
violation contains {"msg": msg, "key": artifact.digest} if {
	some artifact in evidence.release_artifacts
	msg := signatures.problem(artifact)
}
