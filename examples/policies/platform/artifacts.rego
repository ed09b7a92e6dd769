# Acme platform rule: the container platform pulls images by SHA-256 digest only.
package platform.artifacts

import rego.v1

deny contains msg if {
	some artifact in input.release.artifacts
	not startswith(artifact.digest, "sha256:")
	msg := sprintf("artifact %s has digest %s; the platform pulls by sha256 only", [artifact.name, artifact.digest])
}

warn contains msg if {
	some artifact in input.release.artifacts
	artifact.uri == null
	msg := sprintf("artifact %s names no registry location (uri)", [artifact.name])
}
