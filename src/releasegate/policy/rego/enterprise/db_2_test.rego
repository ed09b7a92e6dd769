package releasegate_test.controls.db_2

import rego.v1

import data.releasegate.controls.db_2

_script := {"name": "V42__settlement_key", "phase": "expand", "standalone": false, "reversible": true, "operations": []}

_db_2_messages(scripts) := {violation.msg |
	evidence := {"migrations": [{"id": "ev-mig", "tool": "alembic", "scripts": scripts}]}
	some violation in db_2.violation with input.evidence as evidence
}

test_applicable_when_linked if {
	db_2.applicable with input.release as {"linked_changes": [{"kind": "database-migration", "reference": "change"}]}
}

test_not_applicable_without_change if {
	not db_2.applicable with input.release as {"linked_changes": []} with input.evidence as {}
}

test_reversible_passes if {
	_db_2_messages([_script]) == set()
}

test_no_scripts_pass if {
	_db_2_messages([]) == set()
}

test_standalone_contract_passes if {
	_db_2_messages([object.union(_script, {"reversible": false, "phase": "contract", "standalone": true})]) == set()
}

test_irreversible_expand if {
	_db_2_messages([object.union(_script, {"reversible": false})]) == {"migration V42__settlement_key has no down step and is not marked as a contract phase; add a down step, or mark it as a contract phase and release it without application code"}
}

test_contract_with_code if {
	_db_2_messages([object.union(_script, {"reversible": false, "phase": "contract", "standalone": false})]) == {"migration V42__settlement_key has no down step and is a contract phase released together with application code; add a down step, or mark it as a contract phase and release it without application code"}
}

test_reversibility_unknown if {
	count(_db_2_messages([object.remove(_script, ["reversible"])])) == 1
}

test_no_report if {
	count(db_2.violation) == 1 with input.evidence as {}
}

test_unnamed_script_still_fails if {
	_db_2_messages([object.remove(object.union(_script, {"reversible": false}), ["name"])]) == {"an unnamed migration of report ev-mig has no down step and is not marked as a contract phase; add a down step, or mark it as a contract phase and release it without application code"}
}
