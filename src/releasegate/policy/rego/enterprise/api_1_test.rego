package releasegate_test.controls.api_1

import rego.v1

import data.releasegate.controls.api_1

_api_report(base, revision, changes) := {
	"id": "ev-api",
	"tool": "oasdiff",
	"api": "payments public API",
	"published": true,
	"base_version": base,
	"revision_version": revision,
	"changes": changes,
}

_removed_field := {
	"id": "response-property-removed",
	"level": "breaking",
	"kind": "removed_field",
	"operation": "GET",
	"path": "/v2/settlements/{id}",
	"fingerprint": "c3b1f0",
	"text": "removed the required property 'batchRef' from the response",
}

_api_1_violations(reports) := result if {
	evidence := {"api_changes": reports}
	result := api_1.violation with input.evidence as evidence
}

_api_1_messages(reports) := {violation.msg | some violation in _api_1_violations(reports)}

test_applicable_when_linked if {
	api_1.applicable with input.release as {"linked_changes": [{"kind": "api-schema", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not api_1.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_unchanged_api_passes if {
	_api_1_messages([_api_report("2.3.0", "2.4.0", [])]) == set()
}

test_compatible_change_passes if {
	added := {"id": "response-optional-property-added", "level": "info", "path": "/v2/settlements/{id}"}
	_api_1_messages([_api_report("2.3.0", "2.4.0", [added])]) == set()
}

test_breaking_change_without_major if {
	_api_1_violations([_api_report("2.3.0", "2.4.0", [_removed_field])]) == {{
		"msg": concat("", [
			"API payments public API: breaking change response-property-removed at GET /v2/settlements/{id}",
			" (removed the required property 'batchRef' from the response) without a new major version (2.3.0 to 2.4.0);",
			" make it compatible or publish it as a new major version",
		]),
		"key": "c3b1f0",
		"keys": ["c3b1f0", "response-property-removed"],
	}}
}

test_breaking_change_with_new_major_passes if {
	_api_1_messages([_api_report("v2.3.0", "v3.0.0", [_removed_field])]) == set()
}

test_unreadable_version_is_not_a_new_major if {
	count(_api_1_messages([_api_report("2.3.0", "next", [_removed_field])])) == 1
}

test_unpublished_api_passes if {
	report := object.union(_api_report("2.3.0", "2.4.0", [_removed_field]), {"published": false})
	_api_1_messages([report]) == set()
}

test_publication_unknown_counts_as_published if {
	report := object.remove(_api_report("2.3.0", "2.4.0", [_removed_field]), ["published"])
	count(_api_1_messages([report])) == 1
}

test_no_report if {
	_api_1_messages([]) == {"no API diff report attached; compare each published API description with the release's (for example oasdiff with JSON output) and attach the report, which lists no change when the API is unchanged"}
}

test_report_without_change_list if {
	report := object.remove(_api_report("2.3.0", "2.4.0", []), ["changes"])
	_api_1_messages([report]) == {"API diff report ev-api lists no changes; attach the report as normalized by releasegate"}
}
