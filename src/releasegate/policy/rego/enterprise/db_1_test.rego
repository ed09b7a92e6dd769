package releasegate_test.controls.db_1

import rego.v1

import data.releasegate.controls.db_1

_script(operations) := {"name": "V42__settlement_key", "phase": "expand", "standalone": false, "reversible": true, "operations": operations}

_db_1_messages(scripts) := {violation.msg |
	evidence := {"migrations": [{"id": "ev-mig", "tool": "squawk", "commit": "4f1c2a9", "scripts": scripts}]}
	some violation in db_1.violation with input.evidence as evidence
}

test_applicable if {
	db_1.applicable
}

test_report_without_scripts_passes if {
	_db_1_messages([]) == set()
}

test_safe_expand_passes if {
	operations := [
		{"kind": "add_column", "table": "settlements", "column": "idempotency_key", "nullable": true, "has_default": false, "table_rows": 12000000},
		{"kind": "create_index", "table": "settlements", "column": "idempotency_key", "concurrent": true},
		{"kind": "alter_column_type", "table": "settlements", "column": "note", "narrowing": false},
		{"kind": "drop_column", "table": "settlements", "column": "legacy_ref", "read_by_running_version": false},
	]
	_db_1_messages([_script(operations)]) == set()
}

test_drop_column_still_read if {
	operation := {"kind": "drop_column", "table": "settlements", "column": "amount", "read_by_running_version": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key drops column settlements.amount, which the running version still reads; remove the reads first and drop or rename it in a later release"}
}

test_rename_with_unknown_reads if {
	operation := {"kind": "rename_table", "table": "settlements"}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key renames table settlements, which the running version may still read (the report does not say); remove the reads first and drop or rename it in a later release"}
}

test_not_null_without_default_on_large_table if {
	operation := {"kind": "add_column", "table": "settlements", "column": "currency", "nullable": false, "has_default": false, "table_rows": 12000000}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key adds NOT NULL column without a default settlements.currency of a table of 12000000 rows; add it nullable or with a default and validate the constraint separately"}
}

test_not_null_on_small_table_passes if {
	operation := {"kind": "add_column", "table": "currencies", "column": "symbol", "nullable": false, "has_default": false, "table_rows": 180}
	_db_1_messages([_script([operation])]) == set()
}

test_set_not_null_on_table_of_unknown_size if {
	operation := {"kind": "set_not_null", "table": "settlements", "column": "currency"}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key sets NOT NULL on settlements.currency of a table of unknown size; add it nullable or with a default and validate the constraint separately"}
}

test_blocking_index if {
	operation := {"kind": "create_index", "table": "settlements", "column": "batch_id", "concurrent": false}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key builds an index on settlements.batch_id without CONCURRENTLY, which blocks writes; build it concurrently"}
}

test_index_on_new_table_passes if {
	operations := [
		{"kind": "create_table", "table": "payouts"},
		{"kind": "create_index", "table": "payouts", "column": "batch_id", "concurrent": false},
	]
	_db_1_messages([_script(operations)]) == set()
}

test_type_narrowing if {
	operation := {"kind": "alter_column_type", "table": "settlements", "column": "amount", "narrowing": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key changes the type of settlements.amount to a narrower type; add a column of the new type and copy the data instead"}
}

test_type_change_not_shown_widening if {
	operation := {"kind": "alter_column_type", "table": "settlements", "column": "amount"}
	count(_db_1_messages([_script([operation])])) == 1
}

test_no_report if {
	messages := {violation.msg | some violation in db_1.violation with input.evidence as {"migrations": []}}
	messages == {"no database migration report attached; attach the migration analysis of the release (one report per database, listing no script when the release changes no schema)"}
}

test_violation_key_is_script if {
	operation := {"kind": "drop_table", "table": "legacy", "read_by_running_version": true}
	evidence := {"migrations": [{"id": "ev-mig", "scripts": [_script([operation])]}]}
	some violation in db_1.violation with input.evidence as evidence
	violation.key == "V42__settlement_key"
}
