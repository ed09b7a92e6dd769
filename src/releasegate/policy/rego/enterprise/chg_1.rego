# METADATA
# title: Release record complete
# description: >-
#   The release record names a service from the catalog, a version, at least
#   one artifact digest, the source commit, a description and a change type,
#   so that an auditor can tell what changed, from which source and why.
# custom:
#   id: CHG-1
#   short_name: release_record_complete
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 6.5.1
#     - ISO/IEC 27001:2022 A.8.32
#     - SOC 2 CC8.1
#   failure_msg: The release record is incomplete
#   solution: >-
#     Complete the release manifest: name a service that is in the service
#     catalog (or add the service to the catalog), and give the version, the
#     artifact digests, the source commit, a description and the change type
#     (standard, normal or emergency). Then submit the release again.
package releasegate.controls.chg_1

import rego.v1

import data.releasegate.lib.text

_change_types := ["standard", "normal", "emergency"]

# METADATA
# title: Applies to every release
# description: Every release needs a complete record.
applicable := true

# METADATA
# title: Service named
# description: The release names the service it changes.
# custom:
#   short_name: service_named
#   failure_msg: The release names no service
#   solution: Set the service field of the release manifest.
violation contains {"msg": "the release names no service"} if {
	not text.present(input.release.service)
}

# METADATA
# title: Service in catalog
# description: The service the release names is an entry of the service catalog.
# custom:
#   short_name: service_in_catalog
#   failure_msg: The release's service is not in the service catalog
#   solution: >-
#     Add the service to the service catalog with its criticality, data
#     classification, regions and owners, or correct the service name in the
#     release manifest.
violation contains {"msg": msg} if {
	text.present(input.release.service)
	not is_object(input.service)
	msg := text.join(["service ", input.release.service, " is not in the service catalog"])
}

# METADATA
# title: Version given
# description: The release has a version.
# custom:
#   short_name: version_given
#   failure_msg: The release has no version
#   solution: Set the version field of the release manifest.
violation contains {"msg": "the release has no version"} if {
	not text.present(input.release.version)
}

# METADATA
# title: Artifact digest given
# description: The release lists at least one artifact with a digest.
# custom:
#   short_name: artifact_digest_given
#   failure_msg: The release has no artifact digest
#   solution: >-
#     List the built artifacts with their digests (for example sha256:...) in
#     the release manifest.
violation contains {"msg": "the release has no artifact digest"} if {
	not _has_artifact_digest
}

# METADATA
# title: Source commit given
# description: The release names the source commit its artifacts were built from.
# custom:
#   short_name: source_commit_given
#   failure_msg: The release has no source commit
#   solution: Set the source_commit field of the release manifest to the full commit id.
violation contains {"msg": "the release has no source commit"} if {
	not text.present(input.release.source_commit)
}

# METADATA
# title: Description given
# description: The release says what it changes.
# custom:
#   short_name: description_given
#   failure_msg: The release has no description
#   solution: Describe the change in the description field of the release manifest.
violation contains {"msg": "the release has no description"} if {
	not text.present(input.release.description)
}

# METADATA
# title: Change type given
# description: The release has a change type of standard, normal or emergency.
# custom:
#   short_name: change_type_given
#   failure_msg: The release has no valid change type
#   solution: Set the change_type field of the release manifest to standard, normal or emergency.
violation contains {"msg": "the release has no change type"} if {
	not text.present(input.release.change_type)
}

# METADATA
# title: Change type known
# description: The release's change type is one of standard, normal or emergency.
# custom:
#   short_name: change_type_known
#   failure_msg: The release's change type is not standard, normal or emergency
#   solution: Set the change_type field of the release manifest to standard, normal or emergency.
violation contains {"msg": msg} if {
	text.present(input.release.change_type)
	not input.release.change_type in _change_types
	msg := text.join(["change type ", input.release.change_type, " is not one of standard, normal, emergency"])
}

_has_artifact_digest if {
	some artifact in input.release.artifacts
	text.present(artifact.digest)
}
