# Acme Bank enterprise rule: every change that is not a pre-approved standard
# change references a ticket in the change management system.
package enterprise.change_record

import rego.v1

_ticket_pattern := data.releasegate.params.acme.ticket_pattern

deny contains msg if {
	input.release.change_type != "standard"
	not _has_ticket
	msg := sprintf(
		"release %s has no change ticket matching %s; add 'ticket:' to the manifest",
		[input.release.id, _ticket_pattern],
	)
}

_has_ticket if {
	is_string(input.release.ticket)
	regex.match(_ticket_pattern, input.release.ticket)
}
