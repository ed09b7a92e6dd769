package releasegate_test.controls.db_3

import rego.v1

import data.releasegate.controls.db_3

_script := {"name": "V42__settlement_key", "phase": "expand", "standalone": false, "reversible": true, "operations": [{"kind": "add_column", "table": "settlements", "column": "key", "nullable": true}]}

_flags(flags) := {"id": "ev-flags", "environment": "production", "flags": flags}

_db_3_messages(scripts, flag_records) := {violation.msg |
	evidence := {"migrations": [{"id": "ev-mig", "scripts": scripts}], "feature_flags": flag_records}
	some violation in db_3.violation with input.evidence as evidence with input.environment as "production"
}

test_applicable_when_linked if {
	db_3.applicable with input.release as {"linked_changes": [{"kind": "database-migration", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not db_3.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_flag_stays_off_passes if {
	_db_3_messages([_script], [_flags([{"key": "settlement-key-v2", "enabled_before": false, "enabled_after": false}])]) == set()
}

test_flag_already_on_passes if {
	_db_3_messages([_script], [_flags([{"key": "retry-uploads", "enabled_before": true, "enabled_after": true}])]) == set()
}

test_no_migration_needs_no_flags if {
	_db_3_messages([], []) == set()
}

test_flag_turned_on if {
	_db_3_messages([_script], [_flags([{"key": "settlement-key-v2", "enabled_before": false, "enabled_after": true}])]) == {"the release migrates the schema (V42__settlement_key) and turns on flag settlement-key-v2 in production; keep the flag as it is and change it in a later release"}
}

test_flag_state_unknown if {
	_db_3_messages([_script], [_flags([{"key": "settlement-key-v2", "enabled_before": false}])]) == {"the release migrates the schema (V42__settlement_key) and does not show the before and after states of flag settlement-key-v2 in production; keep the flag as it is and change it in a later release"}
}

test_flag_states_missing if {
	_db_3_messages([_script], []) == {"the release migrates the schema (V42__settlement_key) but no feature flag states for production are attached; attach the flag states before and after the release from the flag service"}
}

test_flags_of_other_environment_do_not_count if {
	record := object.union(_flags([]), {"environment": "staging"})
	count(_db_3_messages([_script], [record])) == 1
}

test_script_without_operations_is_no_migration if {
	_db_3_messages([object.union(_script, {"operations": []})], []) == set()
}

test_no_report if {
	count(db_3.violation) == 1 with input.evidence as {}
}

test_unnamed_migrating_script_still_counts if {
	script := object.remove(_script, ["name"])
	_db_3_messages([script], []) == {"the release migrates the schema (an unnamed script) but no feature flag states for production are attached; attach the flag states before and after the release from the flag service"}
}
