# METADATA
# title: Migrations are reversible
# description: >-
#   Every database migration that the release ships has a down step, or is
#   explicitly marked as a contract phase (phase contract) that is released
#   on its own, without application code (standalone true). A contract step
#   removes what no running version uses any more, so it is the one step
#   that may be irreversible.
# custom:
#   id: DB-2
#   short_name: reversible_migrations
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: A database migration cannot be reversed and is not a contract phase released on its own
#   solution: >-
#     Write the down migration and test it, or mark the migration as a
#     contract phase and ship it in a release of its own, after the code
#     that stopped using the old schema.
package releasegate.controls.db_2

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.migrations
import data.releasegate.lib.text

# METADATA
# title: Applies to releases that change this
# description: The release links a database migration or attaches a migration report.
default applicable := false

applicable if changes.database

# METADATA
# title: Migration report attached
# description: A migration report is attached for the release.
# custom:
#   short_name: report_attached
#   failure_msg: No database migration report is attached
#   solution: >-
#     Attach the migration analysis of the release's migration scripts; a
#     release without schema changes attaches a report without scripts.
violation contains {"msg": msg} if {
	some msg in migrations.report_problems
}

# METADATA
# title: Migration reversible or a standalone contract
# description: Each script has a down step, or is a contract phase released on its own.
# custom:
#   short_name: reversible_or_contract
#   failure_msg: A database migration has no down step and is not a contract phase released on its own
#   solution: >-
#     Add a down step, or mark the migration as a contract phase and
#     release it without application code.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	object.get(script, "reversible", null) != true
	not _standalone_contract(script)
	msg := text.join([
		migrations.name(script), " has no down step", _contract_text(script),
		"; add a down step, or mark it as a contract phase and release it without application code",
	])
}

_standalone_contract(script) if {
	script.phase == "contract"
	script.standalone == true
}

_contract_text(script) := " and is a contract phase released together with application code" if {
	script.phase == "contract"
} else := " and is not marked as a contract phase"
