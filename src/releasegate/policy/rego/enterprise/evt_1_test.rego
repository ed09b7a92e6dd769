package releasegate_test.controls.evt_1

import rego.v1

import data.releasegate.controls.evt_1

_subject := {
	"subject": "payments.settlement-completed-value",
	"topic": "payments.settlement-completed",
	"format": "avro",
	"mode": null,
	"checked_mode": "BACKWARD",
	"compatible": true,
	"messages": [],
}

_evt_1_messages(subjects) := {violation.msg |
	evidence := {"event_schemas": [{"id": "ev-schemas", "registry": "https://registry.example.com", "subjects": subjects}]}
	some violation in evt_1.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	evt_1.applicable with input.release as {"linked_changes": [{"kind": "event-schema", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not evt_1.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_backward_compatible_passes if {
	_evt_1_messages([_subject]) == set()
}

test_no_subjects_pass if {
	_evt_1_messages([]) == set()
}

test_full_check_covers_backward if {
	_evt_1_messages([object.union(_subject, {"checked_mode": "FULL_TRANSITIVE"})]) == set()
}

test_incompatible if {
	subject := object.union(_subject, {"compatible": false, "messages": ["READER_FIELD_MISSING_DEFAULT_VALUE: batchRef"]})
	_evt_1_messages([subject]) == {"schema subject payments.settlement-completed-value is not compatible under BACKWARD (READER_FIELD_MISSING_DEFAULT_VALUE: batchRef); change the schema compatibly or publish it under a new subject"}
}

test_compatibility_unknown if {
	count(_evt_1_messages([object.remove(_subject, ["compatible"])])) == 1
}

test_checked_under_weaker_mode if {
	subject := object.union(_subject, {"mode": "FULL", "checked_mode": "BACKWARD"})
	_evt_1_messages([subject]) == {"schema subject payments.settlement-completed-value was checked under BACKWARD, which does not cover its required mode FULL; check it under FULL"}
}

test_mode_none_not_allowed if {
	subject := object.union(_subject, {"mode": "NONE", "checked_mode": "NONE"})
	_evt_1_messages([subject]) == {"schema subject payments.settlement-completed-value uses compatibility mode NONE, which params events.allowed_modes do not allow (BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE); set an allowed mode in the registry"}
}

test_default_modes_from_params if {
	subjects := [_subject]
	result := _evt_1_messages(subjects) with data.releasegate.params.events.default_compatibility as ["BACKWARD", "FORWARD"]
	result == {"schema subject payments.settlement-completed-value was checked under BACKWARD, which does not cover its required mode FORWARD; check it under FORWARD"}
}

test_no_report if {
	messages := {violation.msg | some violation in evt_1.violation with input.evidence as {}}
	messages == {"no event schema compatibility report attached; check the release's schemas against the schema registry and attach the result, which lists no subject when no schema changed"}
}
