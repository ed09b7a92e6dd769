package releasegate_test.controls.art_3

import rego.v1

import data.releasegate.controls.art_3

_artifact := {"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "uri": "registry.example.com/payments/payments-api"}

_label := "artifact payments-api (sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)"

_art_3_messages(artifacts) := {violation.msg |
	release := {"id": "rel-1", "artifacts": artifacts}
	some violation in art_3.violation with input.release as release
		with data.releasegate.params.artifacts.approved_registries as ["registry.example.com/payments/"]
}

test_applicable if {
	art_3.applicable
}

test_approved_registry_passes if {
	_art_3_messages([_artifact]) == set()
}

test_tag_and_digest_suffixes_pass if {
	tagged := object.union(_artifact, {"uri": "oci://registry.example.com/payments/payments-api:2.4.0"})
	pinned := object.union(_artifact, {"name": "worker", "digest": "sha256:1111", "uri": "Registry.Example.com/payments@sha256:1111"})
	_art_3_messages([tagged, pinned]) == set()
}

test_unapproved_registry if {
	artifact := object.union(_artifact, {"uri": "docker.io/library/payments-api"})
	_art_3_messages([artifact]) == {concat("", [
		_label, " comes from docker.io/library/payments-api, which is not in params artifacts.approved_registries",
		" (registry.example.com/payments); push it to an approved registry",
	])}
}

test_prefix_needs_a_boundary if {
	artifact := object.union(_artifact, {"uri": "registry.example.com/payments-old/payments-api"})
	count(_art_3_messages([artifact])) == 1
}

test_missing_location if {
	artifact := object.union(_artifact, {"uri": null})
	_art_3_messages([artifact]) == {concat("", [_label, " names no registry location (uri); set artifacts[].uri in the release manifest to where the artifact is stored"])}
}

test_no_artifacts if {
	_art_3_messages([]) == {"the release lists no artifact digest, so no registry can be checked"}
}

test_default_params_approve_nothing if {
	release := {"id": "rel-1", "artifacts": [_artifact]}
	messages := {violation.msg | some violation in art_3.violation with input.release as release}
	messages == {concat("", [
		_label, " comes from registry.example.com/payments/payments-api, which is not in params",
		" artifacts.approved_registries (the list is empty); push it to an approved registry",
	])}
}
