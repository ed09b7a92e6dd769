# METADATA
# title: Artifacts from approved registries
# description: >-
#   Every artifact of the release names where it is stored (artifacts[].uri
#   in the release manifest), and that location is inside a registry or
#   repository listed in params artifacts.approved_registries. A listed
#   prefix matches the whole location or a path, tag or digest below it, so
#   registry.example.com/payments does not match
#   registry.example.com/payments-old.
# custom:
#   id: ART-3
#   short_name: approved_registry
#   blocking: true
#   frameworks:
#     - NIST SP 800-53 CM-7
#   failure_msg: An artifact does not come from an approved registry
#   solution: >-
#     Push the artifact to an approved registry and name that location in
#     artifacts[].uri of the release manifest, or add the registry to params
#     artifacts.approved_registries after review.
package releasegate.controls.art_3

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_registries_path := ["artifacts", "approved_registries"]

_registries := [trim_suffix(lower(registry), "/") |
	some registry in evidence.list_of(scope.param(_registries_path))
	text.present(registry)
]

_schemes := ["https://", "http://", "oci://", "docker://"]

# METADATA
# title: Applies to every release
# description: Every artifact released anywhere must come from an approved registry.
applicable := true

# METADATA
# title: Approved registries configured
# description: Params artifacts.approved_registries is a list.
# custom:
#   short_name: registries_configured
#   failure_msg: The approved registries are not configured
#   solution: Set params artifacts.approved_registries to a list of registry prefixes.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_registries_path)
}

# METADATA
# title: Artifacts listed
# description: The release lists at least one artifact digest.
# custom:
#   short_name: artifacts_listed
#   failure_msg: The release lists no artifact digest
#   solution: List the built artifacts with their digests and locations in the release manifest.
violation contains {"msg": "the release lists no artifact digest, so no registry can be checked"} if {
	count(evidence.release_artifacts) == 0
}

# METADATA
# title: Location named
# description: Each artifact names the registry location it is stored in.
# custom:
#   short_name: location_named
#   failure_msg: An artifact names no registry location
#   solution: Set artifacts[].uri in the release manifest to the artifact's registry location.
violation contains {"msg": msg, "key": artifact.digest} if {
	some artifact in evidence.release_artifacts
	not text.present(artifact.uri)
	msg := text.join([
		evidence.label(artifact),
		" names no registry location (uri); set artifacts[].uri in the release manifest to where the artifact is stored",
	])
}

# METADATA
# title: Registry approved
# description: Each artifact's location is inside an approved registry or repository.
# custom:
#   short_name: registry_approved
#   failure_msg: An artifact does not come from an approved registry
#   solution: Push the artifact to an approved registry and name that location in the release manifest.
violation contains {"msg": msg, "key": artifact.digest} if {
	some artifact in evidence.release_artifacts
	text.present(artifact.uri)
	not _approved(artifact.uri)
	msg := text.join([
		evidence.label(artifact), " comes from ", artifact.uri,
		", which is not in params artifacts.approved_registries (", _registries_text,
		"); push it to an approved registry",
	])
}

_registries_text := text.list(_registries) if {
	count(_registries) > 0
} else := "the list is empty"

_location(uri) := trimmed if {
	some scheme in _schemes
	startswith(lower(uri), scheme)
	trimmed := substring(lower(uri), count(scheme), -1)
} else := lower(uri)

_approved(uri) if {
	some registry in _registries
	_location(uri) == registry
}

_approved(uri) if {
	some registry in _registries
	some separator in ["/", ":", "@"]
	startswith(_location(uri), concat("", [registry, separator]))
}
