package releasegate_test.lib.changes

import rego.v1

import data.releasegate.lib.changes

test_nothing_linked_or_attached if {
	not changes.infrastructure with input.release as {"linked_changes": []} with input.evidence as {}
	not changes.database with input.release as {"linked_changes": []} with input.evidence as {}
}

test_linked_infrastructure if {
	changes.infrastructure with input.release as {"linked_changes": [{"kind": "infrastructure", "reference": "plan"}]}
}

test_linked_privileged_iam if {
	changes.infrastructure with input.release as {"linked_changes": [{"kind": "privileged-iam", "reference": "iam"}]}
}

test_attached_plan if {
	changes.infrastructure with input.evidence as {"iac_plans": [{"id": "ev-1"}]}
}

test_linked_migration_and_attached_report if {
	changes.database with input.release as {"linked_changes": [{"kind": "database-migration", "reference": "V1"}]}
	changes.database with input.evidence as {"migrations": [{"id": "ev-1"}]}
}

test_api_and_events if {
	changes.api with input.release as {"linked_changes": [{"kind": "api-schema", "reference": "openapi.yaml"}]}
	changes.events with input.evidence as {"event_schemas": [{"id": "ev-1"}]}
	not changes.api with input.release as {"linked_changes": [{"kind": "event-schema", "reference": "x"}]}
}
