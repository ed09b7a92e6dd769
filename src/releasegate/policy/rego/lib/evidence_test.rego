package releasegate_test.lib.evidence

import rego.v1

import data.releasegate.lib.evidence

test_items_of_present_kind if {
	evidence.items("scans") == [{"id": "ev-1"}] with input.evidence as {"scans": [{"id": "ev-1"}]}
}

test_items_missing_kind_is_empty if {
	evidence.items("provenance") == [] with input.evidence as {"scans": []}
}

test_items_malformed_kind_is_empty if {
	evidence.items("provenance") == [] with input.evidence as {"provenance": "none"}
}

test_items_without_evidence_is_empty if {
	evidence.items("scans") == [] with input.evidence as null
}

test_list_of_non_list_is_empty if {
	evidence.list_of("abc") == []
	evidence.list_of([1]) == [1]
}

test_release_artifacts_need_a_digest if {
	release := {"artifacts": [{"name": "a", "digest": "sha256:aa"}, {"name": "b", "digest": null}, "c"]}
	evidence.release_artifacts == [{"name": "a", "digest": "sha256:aa"}] with input.release as release
}

test_label_with_and_without_name if {
	evidence.label({"name": "payments-api", "digest": "sha256:aa"}) == "artifact payments-api (sha256:aa)"
	evidence.label({"digest": "sha256:aa"}) == "artifact sha256:aa"
}

test_same_commit_ignores_case if {
	evidence.same_commit("ABC", "abc")
	not evidence.same_commit(null, "abc")
}

test_release_field_missing_is_null if {
	evidence.release_field("id") == null with input.release as null
	evidence.release_field("id") == "rel-1" with input.release as {"id": "rel-1"}
}
