# METADATA
# title: Schema change and feature activation released separately
# description: >-
#   A release that migrates the database schema turns no feature flag on in
#   the target environment: the flag that activates the code using the new
#   schema stays off until a later release. The flag states before and after
#   the release come from input.evidence.feature_flags, one record per
#   environment; a release without migration scripts needs no flag states.
# custom:
#   id: DB-3
#   short_name: migration_without_activation
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: The release migrates the schema and activates a feature in the same release
#   solution: >-
#     Release the migration with the feature flag off, check the new schema
#     in production, and turn the flag on in a later release.
package releasegate.controls.db_3

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.migrations
import data.releasegate.lib.text

_migrating := {name |
	some script in migrations.scripts
	count(evidence.list_of(script.operations)) > 0
	name := object.get(script, "name", "an unnamed script")
}

_flag_records := [record |
	some record in evidence.items("feature_flags")
	record.environment == input.environment
]

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
# title: Flag states attached
# description: A release that migrates the schema attaches the feature flag states of the target environment.
# custom:
#   short_name: flag_states_attached
#   failure_msg: The release migrates the schema and attaches no feature flag states
#   solution: >-
#     Attach the feature flag states before and after the release for the
#     target environment, exported from the flag service.
violation contains {"msg": msg} if {
	count(_migrating) > 0
	count(_flag_records) == 0
	msg := text.join([
		"the release migrates the schema (", text.list(_migrating), ") but no feature flag states for ",
		evidence.environment, " are attached; attach the flag states before and after the release from the flag service",
	])
}

# METADATA
# title: No flag turned on
# description: >-
#   No feature flag goes from off to on in the target environment in a
#   release that migrates the schema. A flag whose states are not both
#   known counts as turned on.
# custom:
#   short_name: no_flag_turned_on
#   failure_msg: The release migrates the schema and turns a feature flag on
#   solution: Keep the flag off in this release and turn it on in a later one.
violation contains {"msg": msg, "key": object.get(flag, "key", null)} if {
	count(_migrating) > 0
	some record in _flag_records
	some flag in evidence.list_of(record.flags)
	not _stays_off_or_on(flag)
	msg := text.join([
		"the release migrates the schema (", text.list(_migrating), ") and ", _change_text(flag), " flag ",
		object.get(flag, "key", null), " in ", evidence.environment,
		"; keep the flag as it is and change it in a later release",
	])
}

_stays_off_or_on(flag) if {
	is_boolean(flag.enabled_before)
	is_boolean(flag.enabled_after)
	not _turned_on(flag)
}

_turned_on(flag) if {
	flag.enabled_before == false
	flag.enabled_after == true
}

_change_text(flag) := "turns on" if {
	_turned_on(flag)
} else := "does not show the before and after states of"
