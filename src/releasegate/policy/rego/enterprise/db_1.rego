# METADATA
# title: Migrations are expand-contract safe
# description: >-
#   No database migration that the release ships breaks the version that is
#   still running or locks a table for long: no drop or rename of a column
#   or table that the running version still reads, no NOT NULL column
#   without a default (and no SET NOT NULL) on a table of at least params
#   database.large_table_rows rows, no index built without CONCURRENTLY on an
#   existing table, and no narrowing of a column type. A fact the migration
#   report does not know (whether the running version reads an object, a
#   table's size, whether a type change narrows) counts as unsafe.
# custom:
#   id: DB-1
#   short_name: expand_contract_safe
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#     - SOX ITGC change management
#   failure_msg: A database migration is not expand-contract safe
#   solution: >-
#     Split the change into expand and contract steps: add new columns
#     nullable or with a default, build indexes concurrently, copy data to a
#     wider column instead of narrowing one, and drop or rename only in a
#     later release, once no running version reads the old object.
package releasegate.controls.db_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.migrations
import data.releasegate.lib.scope
import data.releasegate.lib.text

_large_path := ["database", "large_table_rows"]

_large_rows := scope.param(_large_path)

_destructive := {
	"drop_column": "drops column",
	"drop_table": "drops table",
	"rename_column": "renames column",
	"rename_table": "renames table",
}

# METADATA
# title: Applies to every release
# description: Every release attaches its migration report, which may list no script.
applicable := true

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
# title: Large table size configured
# description: Params database.large_table_rows is a number.
# custom:
#   short_name: large_rows_configured
#   failure_msg: The size of a large table is not configured
#   solution: Set params database.large_table_rows to a number of rows.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_large_path)
}

# METADATA
# title: No drop or rename of objects in use
# description: >-
#   No script drops or renames a column or table unless the report shows
#   that the running version no longer reads it.
# custom:
#   short_name: no_destructive_change_in_use
#   failure_msg: A migration drops or renames an object the running version still reads
#   solution: >-
#     Stop reading the object in one release, and drop or rename it in a
#     later contract release.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	verb := _destructive[operation.kind]
	object.get(operation, "read_by_running_version", null) != false
	msg := text.join([
		migrations.name(script), " ", verb, " ", _target(operation), ", which the running version ",
		_reads_text(operation), "; remove the reads first and drop or rename it in a later release",
	])
}

# METADATA
# title: No NOT NULL without default on a large table
# description: >-
#   No script adds a NOT NULL column without a default, or sets NOT NULL on
#   a column, of a table with at least params database.large_table_rows
#   rows or of unknown size.
# custom:
#   short_name: no_blocking_not_null
#   failure_msg: A migration adds a NOT NULL constraint that scans or rewrites a large table
#   solution: >-
#     Add the column nullable or with a default, backfill it in batches and
#     add the constraint as NOT VALID followed by VALIDATE in a later step.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	_blocking_not_null(operation)
	not _small(operation)
	msg := text.join([
		migrations.name(script), " ", _not_null_text(operation), " ", _target(operation), " of ",
		_size_text(operation), "; add it nullable or with a default and validate the constraint separately",
	])
}

# METADATA
# title: No blocking index build
# description: No script builds an index on an existing table without CONCURRENTLY.
# custom:
#   short_name: no_blocking_index
#   failure_msg: A migration builds an index that blocks writes
#   solution: Build the index with CREATE INDEX CONCURRENTLY, outside a transaction.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "create_index"
	object.get(operation, "concurrent", null) != true
	not _created_in(script, operation.table)
	msg := text.join([
		migrations.name(script), " builds an index on ", _target(operation),
		" without CONCURRENTLY, which blocks writes; build it concurrently",
	])
}

# METADATA
# title: No type narrowing
# description: No script narrows the type of a column, and a type change not shown to widen counts as narrowing.
# custom:
#   short_name: no_type_narrowing
#   failure_msg: A migration narrows a column type
#   solution: Add a column of the new type, copy the data over and switch readers before dropping the old one.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "alter_column_type"
	object.get(operation, "narrowing", null) != false
	msg := text.join([
		migrations.name(script), " changes the type of ", _target(operation), _narrowing_text(operation),
		"; add a column of the new type and copy the data instead",
	])
}

_target(operation) := text.join([operation.table, ".", operation.column]) if {
	text.present(operation.table)
	text.present(operation.column)
} else := text.join([operation.table]) if {
	text.present(operation.table)
} else := "an unnamed object"

_reads_text(operation) := "still reads" if {
	operation.read_by_running_version == true
} else := "may still read (the report does not say)"

_blocking_not_null(operation) if {
	operation.kind == "add_column"
	operation.nullable == false
	object.get(operation, "has_default", null) != true
}

_blocking_not_null(operation) if operation.kind == "set_not_null"

_not_null_text(operation) := "adds NOT NULL column without a default" if {
	operation.kind == "add_column"
} else := "sets NOT NULL on"

_small(operation) if {
	is_number(operation.table_rows)
	is_number(_large_rows)
	operation.table_rows < _large_rows
}

_size_text(operation) := text.join(["a table of ", operation.table_rows, " rows"]) if {
	is_number(operation.table_rows)
} else := "a table of unknown size"

_created_in(script, table) if {
	some operation in evidence.list_of(script.operations)
	operation.kind == "create_table"
	operation.table == table
}

_narrowing_text(operation) := " to a narrower type" if {
	operation.narrowing == true
} else := ", which the report does not show to be widening"
