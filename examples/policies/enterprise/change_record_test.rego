package enterprise.change_record_test

import rego.v1

import data.enterprise.change_record

_params := {"acme": {"ticket_pattern": "^CHG-[0-9]+$"}}

test_ticket_present_passes if {
	count(change_record.deny) == 0 with input as {"release": {"id": "r1", "change_type": "normal", "ticket": "CHG-1"}}
		with data.releasegate.params as _params
}

test_missing_ticket_denies if {
	count(change_record.deny) == 1 with input as {"release": {"id": "r1", "change_type": "normal", "ticket": null}}
		with data.releasegate.params as _params
}

test_standard_change_needs_no_ticket if {
	count(change_record.deny) == 0 with input as {"release": {"id": "r1", "change_type": "standard", "ticket": null}}
		with data.releasegate.params as _params
}
