# METADATA
# title: No breaking API change without a new major version
# description: >-
#   No published API of the release has a breaking change (a removed path or
#   field, a new required input, a narrowed type, changed authentication)
#   unless the new API version raises the major version over the published
#   one. The changes come from input.evidence.api_changes, one diff report
#   per API between the published description and the release's (for
#   example oasdiff for OpenAPI); a report without changes shows an
#   unchanged API. An API not marked unpublished counts as published.
# custom:
#   id: API-1
#   short_name: no_breaking_api_change
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: A published API has a breaking change without a new major version
#   solution: >-
#     Make the change compatible (keep the path or field, make the new input
#     optional, keep the type and the authentication), or publish it as a
#     new major version next to the old one and deprecate the old version.
package releasegate.controls.api_1

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.text

_reports := evidence.items("api_changes")

# METADATA
# title: Applies to releases that change this
# description: The release links an API schema change or attaches an API diff report.
default applicable := false

applicable if changes.api

# METADATA
# title: API diff attached
# description: At least one API diff report is attached.
# custom:
#   short_name: api_diff_attached
#   failure_msg: No API diff report is attached
#   solution: >-
#     Compare each published API description with the release's (for
#     example oasdiff breaking base.yaml revision.yaml) and attach the
#     report, which lists no change when the API is unchanged.
violation contains {"msg": msg} if {
	count(_reports) == 0
	msg := concat("", [
		"no API diff report attached; compare each published API description with the release's",
		" (for example oasdiff with JSON output) and attach the report, which lists no change when the API is unchanged",
	])
}

# METADATA
# title: Report lists its changes
# description: Each API diff report has a list of changes, which may be empty.
# custom:
#   short_name: report_lists_changes
#   failure_msg: An API diff report has no list of changes
#   solution: Attach the API diff report as releasegate normalizes it.
violation contains {"msg": msg} if {
	some report in _reports
	not is_array(report.changes)
	msg := text.join(["API diff report ", evidence.record_id(report), " lists no changes; attach the report as normalized by releasegate"])
}

# METADATA
# title: Breaking change under a new major version
# description: >-
#   Each breaking change of a published API comes with a new major version.
#   A version that cannot be read does not count as a new major version.
#   The violation's key is the change's fingerprint, and its keys also hold
#   the change id, so an exception may name either.
# custom:
#   short_name: breaking_change_versioned
#   failure_msg: A published API has a breaking change without a new major version
#   solution: Make the change compatible, or publish it under a new major version.
violation contains {"msg": msg, "key": key, "keys": keys} if {
	some report in _reports
	object.get(report, "published", null) != false
	not _new_major(report)
	some change in evidence.list_of(report.changes)
	change.level == "breaking"
	keys := [value |
		some field in ["fingerprint", "id"]
		value := object.get(change, field, null)
		text.present(value)
	]
	key := _first(keys)
	msg := text.join([
		_api_name(report), ": breaking change ", object.get(change, "id", null), _where(change), _change_text(change),
		" without a new major version (", _version_text(report),
		"); make it compatible or publish it as a new major version",
	])
}

_api_name(report) := text.join(["API ", report.api]) if {
	text.present(report.api)
} else := text.join(["the API of report ", evidence.record_id(report)])

_new_major(report) if _major(report.revision_version) > _major(report.base_version)

_major(version) := to_number(digits) if {
	is_string(version)
	digits := split(trim_prefix(trim_prefix(version, "v"), "V"), ".")[0]
	regex.match(`^[0-9]+$`, digits)
}

_version_text(report) := text.join([
	object.get(report, "base_version", null), " to ", object.get(report, "revision_version", null),
])

_where(change) := text.join([" at ", change.operation, " ", change.path]) if {
	text.present(change.operation)
	text.present(change.path)
} else := text.join([" at ", change.path]) if {
	text.present(change.path)
} else := ""

_change_text(change) := text.join([" (", change.text, ")"]) if {
	text.present(change.text)
} else := ""

_first(values) := values[0] if {
	count(values) > 0
} else := null
