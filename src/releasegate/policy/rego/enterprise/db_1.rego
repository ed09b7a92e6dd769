# METADATA
# title: Migrations are expand-contract safe
# description: >-
#   No database migration that the release ships breaks the version that is
#   still running or locks a table for long: no drop or rename of a column
#   or table that the running version still reads, no NOT NULL column
#   without a default (and no SET NOT NULL) on a table of at least params
#   database.large_table_rows rows, no index built without CONCURRENTLY on an
#   existing table, and no narrowing of a column type. Nor does it take
#   long locks otherwise: no volatile default, no constraint added without
#   NOT VALID or USING INDEX, no validation in the adding transaction, no
#   concurrent index work inside a transaction, no blocking index drop and
#   no cascading truncation. Every statement must parse and be classified.
#   A fact the migration report does not know (whether the running version
#   reads an object, a table's size, whether a type change narrows) counts
#   as unsafe.
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

import data.releasegate.lib.changes
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
	"drop_object": "drops",
}

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
	not _new_table(script, operation)
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
	not _new_table(script, operation)
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
	not _new_table(script, operation)
	msg := text.join([
		migrations.name(script), " changes the type of ", _target(operation), _narrowing_text(operation),
		"; add a column of the new type and copy the data instead",
	])
}

# METADATA
# title: Every statement parsed
# description: >-
#   Every statement of every script was parsed. A statement the parser
#   cannot read cannot be shown safe, so it is reported, never skipped.
# custom:
#   short_name: statements_parsed
#   failure_msg: A migration statement cannot be parsed
#   solution: Fix the statement's syntax, or name the script's database dialect in the catalog.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some error in evidence.list_of(object.get(script, "parse_errors", []))
	msg := text.join([
		migrations.name(script), " has a statement that cannot be parsed", _line_text(error), ": ",
		object.get(error, "message", "no reason given"), "; fix it, because an unparsed statement cannot be shown safe",
	])
}

# METADATA
# title: Every statement classified
# description: >-
#   Every operation has a known kind. An operation of kind other is a
#   statement releasegate could parse but not classify, so it is not shown safe.
# custom:
#   short_name: statements_classified
#   failure_msg: A migration statement is not classified
#   solution: >-
#     Review the statement; when it is safe, request an exception for DB-1
#     that names the script.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "other"
	msg := text.join([
		migrations.name(script), " has a statement that releasegate cannot classify",
		_sql_text(operation), "; review it and request an exception for DB-1 that names the script when it is safe",
	])
}

# METADATA
# title: No default that rewrites the table
# description: >-
#   No script adds a column to an existing table with a volatile default
#   (such as random() or a serial), which makes PostgreSQL rewrite the table
#   under an exclusive lock. A default not shown to be non-volatile counts
#   as volatile.
# custom:
#   short_name: no_volatile_default
#   failure_msg: A migration adds a column whose default rewrites the table
#   solution: Add the column without a default, backfill it in batches, then set the default.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "add_column"
	operation.has_default == true
	object.get(operation, "volatile_default", null) != false
	not _new_table(script, operation)
	msg := text.join([
		migrations.name(script), " adds column ", _target(operation),
		" with a default that is volatile or not shown otherwise, which rewrites the table; add it without a default and backfill",
	])
}

# METADATA
# title: Constraints added without a full scan under lock
# description: >-
#   A foreign key or check constraint on an existing table is added NOT
#   VALID (and validated in a later transaction); a unique or primary key
#   constraint is added USING an index built concurrently.
# custom:
#   short_name: constraints_not_blocking
#   failure_msg: A migration adds a constraint that checks or indexes every row under lock
#   solution: >-
#     Add foreign key and check constraints NOT VALID and VALIDATE them in a
#     separate transaction; build a unique index concurrently and add the
#     constraint USING INDEX.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "add_constraint"
	not _new_table(script, operation)
	reason := _constraint_problem(operation)
	msg := text.join([migrations.name(script), " ", reason, " on ", _target(operation), _constraint_fix[reason]])
}

# METADATA
# title: Validation in its own transaction
# description: >-
#   No script validates a constraint in the same transaction that added it
#   NOT VALID, which would take the lock NOT VALID avoids.
# custom:
#   short_name: validate_separately
#   failure_msg: A migration validates a constraint in the transaction that added it
#   solution: Commit after adding the constraint NOT VALID and validate it in a separate transaction.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "validate_constraint"
	object.get(operation, "same_transaction_as_add", null) != false
	msg := text.join([
		migrations.name(script), " validates constraint ", object.get(operation, "name", "without name"), " on ",
		_target(operation), " in the transaction that added it, or the report does not say otherwise; validate it in a separate transaction",
	])
}

# METADATA
# title: Concurrent index operations outside a transaction
# description: >-
#   No script builds or drops an index concurrently inside a transaction
#   (an explicit one or the one the migration runner opens), where
#   PostgreSQL refuses it; and no script drops an index of an existing table
#   without CONCURRENTLY.
# custom:
#   short_name: concurrent_outside_transaction
#   failure_msg: A concurrent index operation runs inside a transaction, or an index drop blocks
#   solution: >-
#     Configure the migration runner not to wrap this script in a
#     transaction, and drop indexes with DROP INDEX CONCURRENTLY.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind in {"create_index", "drop_index"}
	operation.concurrent == true
	object.get(operation, "in_transaction", null) != false
	msg := text.join([
		migrations.name(script), " runs a concurrent index operation on ", _index_target(operation),
		" inside a transaction (or the report does not say otherwise), which PostgreSQL refuses; run the script outside a transaction",
	])
}

# METADATA
# title: No blocking index drop
# description: No script drops an index without CONCURRENTLY, which blocks reads and writes of its table.
# custom:
#   short_name: no_blocking_index_drop
#   failure_msg: A migration drops an index while blocking its table
#   solution: Drop the index with DROP INDEX CONCURRENTLY, outside a transaction.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "drop_index"
	object.get(operation, "concurrent", null) != true
	msg := text.join([
		migrations.name(script), " drops index ", object.get(operation, "name", "without name"),
		" without CONCURRENTLY, which blocks reads and writes of its table; drop it concurrently",
	])
}

# METADATA
# title: No truncation that cascades
# description: No script truncates a table with CASCADE, which empties every table that refers to it.
# custom:
#   short_name: no_truncate_cascade
#   failure_msg: A migration truncates tables with CASCADE
#   solution: Truncate the tables one by one, without CASCADE.
violation contains {"msg": msg, "key": object.get(script, "name", null)} if {
	some script in migrations.scripts
	some operation in evidence.list_of(script.operations)
	operation.kind == "truncate"
	object.get(operation, "cascade", null) != false
	msg := text.join([
		migrations.name(script), " truncates ", _target(operation),
		" with CASCADE (or the report does not say otherwise), which also empties the tables that refer to it; truncate them one by one",
	])
}

_constraint_problem(operation) := "adds a foreign key constraint without NOT VALID" if {
	operation.constraint_type == "foreign_key"
	object.get(operation, "not_valid", null) != true
} else := "adds a check constraint without NOT VALID" if {
	operation.constraint_type == "check"
	object.get(operation, "not_valid", null) != true
} else := "adds a unique constraint that builds its index under lock" if {
	operation.constraint_type in {"unique", "primary_key"}
	object.get(operation, "using_index", null) != true
} else := "adds a constraint of an unknown type" if {
	not operation.constraint_type in {"foreign_key", "check", "unique", "primary_key"}
}

_constraint_fix := {
	"adds a foreign key constraint without NOT VALID": ", which checks every row under lock; add it NOT VALID and validate it in a separate transaction",
	"adds a check constraint without NOT VALID": ", which checks every row under lock; add it NOT VALID and validate it in a separate transaction",
	"adds a unique constraint that builds its index under lock": "; build a unique index concurrently and add the constraint USING INDEX",
	"adds a constraint of an unknown type": ", which cannot be shown safe; review it and request an exception for DB-1 when it is safe",
}

_new_table(script, operation) if operation.new_table == true

_new_table(script, operation) if _created_in(script, operation.table)

_line_text(error) := text.join([" (line ", error.line, ")"]) if {
	is_number(error.line)
} else := ""

_sql_text(operation) := text.join([" (", operation.sql, ")"]) if {
	text.present(operation.sql)
} else := ""

_index_target(operation) := text.join([operation.table]) if {
	text.present(operation.table)
} else := text.join(["index ", operation.name]) if {
	text.present(operation.name)
} else := "an unnamed index"

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
