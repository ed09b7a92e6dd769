package enterprise.change_record_test

import rego.v1

import data.enterprise.change_record

test_ticket_present_passes if {
	count(change_record.deny) == 0 with input.release as {"id": "r1", "change_type": "normal", "ticket": "CHG-1"}
}

test_missing_ticket_denies if {
	count(change_record.deny) == 1 with input.release as {"id": "r1", "change_type": "normal", "ticket": null}
}

test_malformed_ticket_denies if {
	count(change_record.deny) == 1 with input.release as {"id": "r1", "change_type": "emergency", "ticket": "JIRA-9"}
}

test_standard_change_needs_no_ticket if {
	count(change_record.deny) == 0 with input.release as {"id": "r1", "change_type": "standard", "ticket": null}
}
