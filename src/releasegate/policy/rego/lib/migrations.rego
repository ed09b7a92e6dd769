# METADATA
# title: Database migration helpers
# description: >-
#   Read the migration reports under input.evidence.migrations for controls
#   DB-1 to DB-3. A report lists the migration scripts the release ships,
#   each with its phase, reversibility and operations; a report without
#   scripts shows that the release changes no schema.
package releasegate.lib.migrations

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.text

# METADATA
# title: Migration reports
# description: The report records under input.evidence.migrations.
reports := evidence.items("migrations")

# METADATA
# title: Migration scripts
# description: The scripts of every report, each with the id of its report under report_id.
scripts contains object.union(script, {"report_id": evidence.record_id(report)}) if {
	some report in reports
	some script in evidence.list_of(report.scripts)
	is_object(script)
}

# METADATA
# title: Report problems
# description: Messages for a missing migration report or one without a script list.
report_problems := {msg |
	count(reports) == 0
	msg := concat("", [
		"no database migration report attached; attach the migration analysis of the release",
		" (one report per database, listing no script when the release changes no schema)",
	])
} | {msg |
	some report in reports
	not is_array(report.scripts)
	msg := text.join(["migration report ", evidence.record_id(report), " lists no scripts; attach the report as normalized by releasegate"])
}

# METADATA
# title: Script name
# description: Return how messages name a migration script.
name(script) := text.join(["migration ", script.name]) if {
	text.present(script.name)
} else := text.join(["an unnamed migration of report ", script.report_id])
