# METADATA
# title: Event schemas stay compatible
# description: >-
#   Every event or message schema subject the release changes passed the
#   schema registry's compatibility check under the compatibility mode of
#   the subject, or under the modes of params events.default_compatibility
#   (BACKWARD by default) when the subject has no mode of its own. A check
#   under a stricter mode counts (FULL covers BACKWARD and FORWARD, a
#   transitive mode covers its plain mode). A subject mode outside params
#   events.allowed_modes, such as NONE, fails. The checks come from
#   input.evidence.event_schemas, one report per registry; a report without
#   subjects shows that no schema changed.
# custom:
#   id: EVT-1
#   short_name: compatible_event_schemas
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: An event schema is not compatible under its registry mode
#   solution: >-
#     Change the schema compatibly (add fields with defaults, keep field
#     types), or publish it under a new subject or topic and migrate
#     consumers; then check it against the registry and attach the result.
package releasegate.controls.evt_1

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_defaults_path := ["events", "default_compatibility"]

_allowed_path := ["events", "allowed_modes"]

_allowed := evidence.list_of(scope.param(_allowed_path))

# Modes whose check also proves the mode of the key.
_covering := {
	"BACKWARD": {"BACKWARD", "BACKWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"},
	"BACKWARD_TRANSITIVE": {"BACKWARD_TRANSITIVE", "FULL_TRANSITIVE"},
	"FORWARD": {"FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"},
	"FORWARD_TRANSITIVE": {"FORWARD_TRANSITIVE", "FULL_TRANSITIVE"},
	"FULL": {"FULL", "FULL_TRANSITIVE"},
	"FULL_TRANSITIVE": {"FULL_TRANSITIVE"},
}

_reports := evidence.items("event_schemas")

_subjects contains subject if {
	some report in _reports
	some subject in evidence.list_of(report.subjects)
	is_object(subject)
}

# METADATA
# title: Applies to releases that change this
# description: The release links an event schema change or attaches a schema compatibility report.
default applicable := false

applicable if changes.events

# METADATA
# title: Compatibility report attached
# description: At least one schema compatibility report is attached.
# custom:
#   short_name: report_attached
#   failure_msg: No event schema compatibility report is attached
#   solution: >-
#     Check the release's event schemas against the schema registry and
#     attach the result, which lists no subject when no schema changed.
violation contains {"msg": msg} if {
	count(_reports) == 0
	msg := concat("", [
		"no event schema compatibility report attached; check the release's schemas against the schema registry",
		" and attach the result, which lists no subject when no schema changed",
	])
}

# METADATA
# title: Report lists its subjects
# description: Each schema compatibility report has a list of subjects, which may be empty.
# custom:
#   short_name: report_lists_subjects
#   failure_msg: A schema compatibility report has no list of subjects
#   solution: Attach the schema compatibility report as releasegate normalizes it.
violation contains {"msg": msg} if {
	some report in _reports
	not is_array(report.subjects)
	msg := text.join(["schema compatibility report ", evidence.record_id(report), " lists no subjects; attach the report as normalized by releasegate"])
}

# METADATA
# title: Compatibility modes configured
# description: Params events.default_compatibility and events.allowed_modes are lists.
# custom:
#   short_name: modes_configured
#   failure_msg: The compatibility modes are not configured
#   solution: Set params events.default_compatibility and events.allowed_modes to lists of modes.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_defaults_path) | scope.list_problems(_allowed_path)
}

# METADATA
# title: Subject mode allowed
# description: Each subject's registry mode is one params events.allowed_modes allow.
# custom:
#   short_name: mode_allowed
#   failure_msg: A subject uses a compatibility mode that params do not allow
#   solution: Set the subject's compatibility mode in the registry to an allowed one, such as BACKWARD.
violation contains {"msg": msg, "key": object.get(subject, "subject", null)} if {
	some subject in _subjects
	some mode in _required(subject)
	not mode in _allowed
	msg := text.join([
		_subject_name(subject), " uses compatibility mode ", mode, ", which params events.allowed_modes do not allow (",
		text.list(_allowed), "); set an allowed mode in the registry",
	])
}

# METADATA
# title: Checked under the required mode
# description: Each subject was checked under its required mode or a mode that covers it.
# custom:
#   short_name: checked_under_mode
#   failure_msg: A subject was not checked under its required compatibility mode
#   solution: Check the schema under the subject's mode and attach the result.
violation contains {"msg": msg, "key": object.get(subject, "subject", null)} if {
	some subject in _subjects
	some mode in _required(subject)
	mode in _allowed
	not object.get(subject, "checked_mode", null) in object.get(_covering, mode, set())
	msg := text.join([
		_subject_name(subject), " was checked under ", object.get(subject, "checked_mode", null),
		", which does not cover its required mode ", mode, "; check it under ", mode,
	])
}

# METADATA
# title: Compatible
# description: Each subject's check passed.
# custom:
#   short_name: compatible
#   failure_msg: An event schema is not compatible under its registry mode
#   solution: Change the schema compatibly, or publish it under a new subject and migrate consumers.
violation contains {"msg": msg, "key": object.get(subject, "subject", null)} if {
	some subject in _subjects
	object.get(subject, "compatible", null) != true
	msg := text.join([
		_subject_name(subject), " is not compatible under ", object.get(subject, "checked_mode", null),
		_messages_text(subject), "; change the schema compatibly or publish it under a new subject",
	])
}

_required(subject) := [subject.mode] if {
	text.present(subject.mode)
} else := [mode | some mode in evidence.list_of(scope.param(_defaults_path))]

_subject_name(subject) := text.join(["schema subject ", subject.subject]) if {
	text.present(subject.subject)
} else := "an unnamed schema subject"

_messages_text(subject) := text.join([" (", concat("; ", messages), ")"]) if {
	messages := [message | some message in evidence.list_of(subject.messages); is_string(message)]
	count(messages) > 0
} else := ""
