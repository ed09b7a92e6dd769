package releasegate_test.controls.chg_1

import rego.v1

import data.releasegate.controls.chg_1

# NOTE: regopy 1.5.2 ignores a `with` value that refers to a rule, so tests
# bind fixtures to local variables before a `with` clause.

_release := {
	"id": "rel-1",
	"service": "payments-api",
	"version": "2.4.0",
	"description": "Retry settlement file uploads",
	"change_type": "normal",
	"source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "uri": null}],
	"authors": ["alice"],
	"requester": "alice",
}

_service := {"name": "payments-api", "criticality": 0}

_messages(release, service) := {violation.msg |
	some violation in chg_1.violation with input.release as release with input.service as service
}

test_applicable if {
	chg_1.applicable
}

test_complete_record_passes if {
	_messages(_release, _service) == set()
}

test_service_not_in_catalog if {
	_messages(_release, null) == {"service payments-api is not in the service catalog"}
}

test_no_service_named if {
	_messages(object.remove(_release, ["service"]), null) == {"the release names no service"}
}

test_missing_version if {
	_messages(object.union(_release, {"version": ""}), _service) == {"the release has no version"}
}

test_no_artifacts if {
	_messages(object.union(_release, {"artifacts": []}), _service) == {"the release has no artifact digest"}
}

test_artifact_without_digest if {
	release := object.union(_release, {"artifacts": [{"name": "payments-api", "digest": null}]})
	_messages(release, _service) == {"the release has no artifact digest"}
}

test_missing_source_commit if {
	_messages(object.union(_release, {"source_commit": null}), _service) == {"the release has no source commit"}
}

test_missing_description if {
	_messages(object.union(_release, {"description": "   "}), _service) == {"the release has no description"}
}

test_missing_change_type if {
	_messages(object.remove(_release, ["change_type"]), _service) == {"the release has no change type"}
}

test_unknown_change_type if {
	_messages(object.union(_release, {"change_type": "urgent"}), _service) == {"change type urgent is not one of standard, normal, emergency"}
}

test_one_violation_per_missing_item if {
	release := object.remove(_release, ["version", "description", "source_commit"])
	_messages(release, _service) == {
		"the release has no version",
		"the release has no description",
		"the release has no source commit",
	}
}
