# METADATA
# title: Source commits signed
# description: >-
#   For services of criticality up to params
#   source.commit_signing.max_criticality (0 and 1 by default), the
#   release's source commit has a commit signature that verifies, and every
#   commit signature record of the change verifies and comes from a signer
#   whose e-mail domain is in params source.commit_signing.trusted_signer_domains.
#   The records come from input.evidence.commit_signatures.
# custom:
#   id: SRC-2
#   short_name: signed_commits
#   blocking: true
#   frameworks:
#     - NIST SP 800-53 SI-7
#   failure_msg: A source commit is not signed by a trusted signer, or its signature does not verify
#   solution: >-
#     Sign commits (git commit -S with a GPG or SSH key, or gitsign) with an
#     identity of a trusted domain, make sure the merge commit is signed by
#     the Git host, and attach the commit signature verification.
package releasegate.controls.src_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_max_path := ["source", "commit_signing", "max_criticality"]

_domains_path := ["source", "commit_signing", "trusted_signer_domains"]

_domains := {lower(domain) |
	some domain in evidence.list_of(scope.param(_domains_path))
	is_string(domain)
}

_commit := input.release.source_commit if text.present(input.release.source_commit)

_signatures := evidence.items("commit_signatures")

# METADATA
# title: Applies to critical services
# description: >-
#   Applies to services of criticality up to params
#   source.commit_signing.max_criticality, and to services whose criticality
#   is unknown.
default applicable := false

applicable if scope.up_to_criticality(scope.param(_max_path))

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Commit signing configured
# description: Params source.commit_signing holds a number and a list of trusted domains.
# custom:
#   short_name: commit_signing_configured
#   failure_msg: Commit signing is not configured
#   solution: >-
#     Set params source.commit_signing.max_criticality to a number and
#     trusted_signer_domains to a list of e-mail domains.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_max_path) | scope.list_problems(_domains_path)
}

# METADATA
# title: Source commit named
# description: The release names its source commit, whose signature is checked.
# custom:
#   short_name: source_commit_named
#   failure_msg: The release names no source commit
#   solution: Set the source_commit field of the release manifest.
violation contains {"msg": "the release names no source commit, so no commit signature can be checked"} if {
	applicable
	not _commit
}

# METADATA
# title: Source commit signature attached
# description: A signature record for the release's source commit is attached.
# custom:
#   short_name: signature_attached
#   failure_msg: No signature evidence is attached for the source commit
#   solution: >-
#     Attach the commit signature verification of the change's commits (for
#     example the Git host's commit verification, or git verify-commit).
violation contains {"msg": msg} if {
	applicable
	_commit
	not _has_record(_commit)
	msg := text.join([
		"no commit signature evidence attached for source commit ", _commit,
		"; attach the signature verification of the change's commits (for example from the Git host's commit API or git verify-commit)",
	])
}

# METADATA
# title: Signatures verify
# description: Every commit signature record of the change verifies.
# custom:
#   short_name: signatures_verify
#   failure_msg: A commit signature does not verify
#   solution: Sign the commit again with a valid key and push it, or drop the unsigned commit from the change.
violation contains {"msg": msg, "key": object.get(signature, "commit", null)} if {
	applicable
	some signature in _signatures
	object.get(signature, "verified", null) != true
	msg := text.join([
		"the signature of commit ", object.get(signature, "commit", null), " (evidence ", evidence.record_id(signature),
		") does not verify; sign the commit with a valid key",
	])
}

# METADATA
# title: Signer trusted
# description: Every verified commit signature comes from a signer in a trusted e-mail domain.
# custom:
#   short_name: signer_trusted
#   failure_msg: A commit is signed by a signer outside the trusted domains
#   solution: Sign the commit with an identity of a trusted domain, or add the domain to params after review.
violation contains {"msg": msg, "key": object.get(signature, "commit", null)} if {
	applicable
	some signature in _signatures
	signature.verified == true
	not _trusted(signature.signer)
	msg := text.join([
		"commit ", object.get(signature, "commit", null), " is signed by ", object.get(signature, "signer", null),
		", whose domain is not in params source.commit_signing.trusted_signer_domains (", text.list(_domains),
		"); sign it with an identity of a trusted domain",
	])
}

_has_record(commit) if {
	some signature in _signatures
	evidence.same_commit(signature.commit, commit)
}

_trusted(signer) if {
	is_string(signer)
	parts := split(lower(signer), "@")
	count(parts) == 2
	parts[1] in _domains
}
