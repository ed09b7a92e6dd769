package releasegate_test.controls.sod_2

import rego.v1

import data.releasegate.controls.sod_2

_release := {"id": "rel-1", "service": "payments-api", "authors": ["alice", "bob"], "requester": "carol"}

_deployment(triggered_by) := {
	"id": "ev-dep",
	"release_id": "rel-1",
	"service": "payments-api",
	"environment": "production",
	"artifacts": [],
	"status": "planned",
	"triggered_by": triggered_by,
}

_sod_2_messages(deployments) := {violation.msg |
	release := _release
	evidence := {"deployments": deployments}
	some violation in sod_2.violation with input.release as release
		with input.evidence as evidence
		with input.environment as "production"
}

test_applicable_to_production if {
	sod_2.applicable with input.environment as "production"
}

test_not_applicable_to_staging if {
	not sod_2.applicable with input.environment as "staging"
}

test_independent_trigger_passes if {
	_sod_2_messages([_deployment("oscar")]) == set()
}

test_missing_deployment if {
	_sod_2_messages([]) == {"no deployment record names who triggers the production deployment of release rel-1; attach the deployment request from the deploy pipeline with its triggered_by identity"}
}

test_deployment_of_other_release_is_missing if {
	deployment := object.union(_deployment("oscar"), {"release_id": "rel-9"})
	count(_sod_2_messages([deployment])) == 1
}

test_author_triggers if {
	_sod_2_messages([_deployment("Bob")]) == {"production deployment ev-dep is triggered by Bob, who is an author of the release; let an identity that neither wrote nor requested the release trigger it"}
}

test_requester_triggers if {
	_sod_2_messages([_deployment("carol")]) == {"production deployment ev-dep is triggered by carol, who is the requester of the release; let an identity that neither wrote nor requested the release trigger it"}
}

test_trigger_missing if {
	_sod_2_messages([_deployment(null)]) == {"production deployment ev-dep names no identity that triggers it; record the triggering identity in the deploy pipeline"}
}

test_not_applicable_reports_nothing if {
	release := _release
	count(sod_2.violation) == 0 with input.release as release with input.evidence as {} with input.environment as "staging"
}

_chain_messages(deployments) := {violation.msg |
	release := object.union(_release, {"participants": [
		{"role": "author", "identity": "alice", "person": "alice", "commit": null, "description": "author alice"},
		{"role": "committer", "identity": "Bob <bob@acme.example>", "person": "bob", "commit": "c0ffee", "description": "committer Bob <bob@acme.example> of commit c0ffee"},
	]})
	evidence := {"deployments": deployments}
	some violation in sod_2.violation with input.release as release
		with input.evidence as evidence
		with input.environment as "production"
}

test_trigger_by_committer_alias if {
	deployment := object.union(_deployment("bob-gh"), {"triggered_by_person": "bob"})
	_chain_messages([deployment]) == {"production deployment ev-dep is triggered by bob-gh (person bob), the same person as committer Bob <bob@acme.example> of commit c0ffee"}
}

test_unknown_trigger_fails_closed if {
	deployment := object.union(_deployment("ci-bot"), {"triggered_by_person": null})
	_chain_messages([deployment]) == {"production deployment ev-dep is triggered by ci-bot, who is not a known identity, so it cannot be shown to be someone other than the authors"}
}

test_independent_person_passes if {
	deployment := object.union(_deployment("oscar"), {"triggered_by_person": "oscar"})
	_chain_messages([deployment]) == set()
}
