package releasegate_test.controls.db_1

import rego.v1

import data.releasegate.controls.db_1

_script(operations) := {"name": "V42__settlement_key", "phase": "expand", "standalone": false, "reversible": true, "operations": operations}

_db_1_messages(scripts) := {violation.msg |
	evidence := {"migrations": [{"id": "ev-mig", "tool": "squawk", "commit": "4f1c2a9", "scripts": scripts}]}
	some violation in db_1.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	db_1.applicable with input.release as {"linked_changes": [{"kind": "database-migration", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not db_1.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_report_without_scripts_passes if {
	_db_1_messages([]) == set()
}

test_safe_expand_passes if {
	operations := [
		{"kind": "add_column", "table": "settlements", "column": "idempotency_key", "nullable": true, "has_default": false, "table_rows": 12000000},
		{"kind": "create_index", "table": "settlements", "column": "idempotency_key", "concurrent": true, "in_transaction": false},
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

test_unparsed_statement if {
	script := object.union(_script([]), {"parse_errors": [{"statement": 1, "line": 2, "message": "Invalid expression / Unexpected token"}]})
	_db_1_messages([script]) == {"migration V42__settlement_key has a statement that cannot be parsed (line 2): Invalid expression / Unexpected token; fix it, because an unparsed statement cannot be shown safe"}
}

test_no_parse_errors_passes if {
	script := object.union(_script([]), {"parse_errors": []})
	_db_1_messages([script]) == set()
}

test_unclassified_statement if {
	operation := {"kind": "other", "sql": "alter foreign table t alter c set (a b = 1)"}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key has a statement that releasegate cannot classify (alter foreign table t alter c set (a b = 1)); review it and request an exception for DB-1 that names the script when it is safe"}
}

test_classified_safe_statements_pass if {
	operations := [{"kind": "set_setting"}, {"kind": "comment"}, {"kind": "data_change", "table": "settlements"}]
	_db_1_messages([_script(operations)]) == set()
}

test_volatile_default if {
	operation := {"kind": "add_column", "table": "core_recipe", "column": "foo", "nullable": true, "has_default": true, "volatile_default": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key adds column core_recipe.foo with a default that is volatile or not shown otherwise, which rewrites the table; add it without a default and backfill"}
}

test_stable_default_passes if {
	operation := {"kind": "add_column", "table": "core_recipe", "column": "created_at", "nullable": true, "has_default": true, "volatile_default": false}
	_db_1_messages([_script([operation])]) == set()
}

test_foreign_key_without_not_valid if {
	operation := {"kind": "add_constraint", "table": "distributors", "name": "distfk", "constraint_type": "foreign_key", "not_valid": false}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key adds a foreign key constraint without NOT VALID on distributors, which checks every row under lock; add it NOT VALID and validate it in a separate transaction"}
}

test_foreign_key_not_valid_passes if {
	operations := [
		{"kind": "add_constraint", "table": "distributors", "name": "distfk", "constraint_type": "foreign_key", "not_valid": true},
		{"kind": "validate_constraint", "table": "distributors", "name": "distfk", "same_transaction_as_add": false},
	]
	_db_1_messages([_script(operations)]) == set()
}

test_check_without_not_valid if {
	operation := {"kind": "add_constraint", "table": "payments", "name": "positive", "constraint_type": "check", "not_valid": false}
	count(_db_1_messages([_script([operation])])) == 1
}

test_unique_constraint_build if {
	operation := {"kind": "add_constraint", "table": "table_name", "name": "uq", "constraint_type": "unique", "using_index": false}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key adds a unique constraint that builds its index under lock on table_name; build a unique index concurrently and add the constraint USING INDEX"}
}

test_unique_constraint_using_index_passes if {
	operation := {"kind": "add_constraint", "table": "table_name", "name": "uq", "constraint_type": "unique", "using_index": true}
	_db_1_messages([_script([operation])]) == set()
}

test_constraint_on_new_table_passes if {
	operation := {"kind": "add_constraint", "table": "payouts", "name": "uq", "constraint_type": "unique", "using_index": false, "new_table": true}
	_db_1_messages([_script([operation])]) == set()
}

test_validate_in_same_transaction if {
	operation := {"kind": "validate_constraint", "table": "app_email", "name": "fk_user", "same_transaction_as_add": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key validates constraint fk_user on app_email in the transaction that added it, or the report does not say otherwise; validate it in a separate transaction"}
}

test_concurrent_index_in_transaction if {
	operation := {"kind": "create_index", "table": "settlements", "concurrent": true, "in_transaction": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key runs a concurrent index operation on settlements inside a transaction (or the report does not say otherwise), which PostgreSQL refuses; run the script outside a transaction"}
}

test_concurrent_index_outside_transaction_passes if {
	operation := {"kind": "create_index", "table": "settlements", "concurrent": true, "in_transaction": false}
	_db_1_messages([_script([operation])]) == set()
}

test_blocking_index_drop if {
	operation := {"kind": "drop_index", "name": "settlements_batch_idx", "concurrent": false, "in_transaction": false}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key drops index settlements_batch_idx without CONCURRENTLY, which blocks reads and writes of its table; drop it concurrently"}
}

test_concurrent_index_drop_passes if {
	operation := {"kind": "drop_index", "name": "settlements_batch_idx", "concurrent": true, "in_transaction": false}
	_db_1_messages([_script([operation])]) == set()
}

test_truncate_cascade if {
	operation := {"kind": "truncate", "table": "settlements", "cascade": true}
	_db_1_messages([_script([operation])]) == {"migration V42__settlement_key truncates settlements with CASCADE (or the report does not say otherwise), which also empties the tables that refer to it; truncate them one by one"}
}

test_truncate_without_cascade_passes if {
	operation := {"kind": "truncate", "table": "settlements", "cascade": false}
	_db_1_messages([_script([operation])]) == set()
}

test_not_null_on_new_table_passes if {
	operation := {"kind": "add_column", "table": "payouts", "column": "currency", "nullable": false, "has_default": false, "new_table": true}
	_db_1_messages([_script([operation])]) == set()
}
