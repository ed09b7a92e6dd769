package releasegate_test.controls.chg_3

import rego.v1

import data.releasegate.controls.chg_3

_digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

_release := {
	"id": "rel-1",
	"service": "payments-api",
	"artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "uri": null}],
}

_deployment := {
	"id": "ev-dep",
	"release_id": "rel-1",
	"service": "payments-api",
	"environment": "staging",
	"artifacts": [{"name": "payments-api", "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
	"status": "succeeded",
	"triggered_by": "deploy-bot",
	"started_at": "2026-12-03T10:00:00Z",
	"finished_at": "2026-12-03T10:20:00Z",
}

_label := "artifact payments-api (sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)"

_chg_3_messages(environment, deployments) := {violation.msg |
	release := _release
	evidence := {"deployments": deployments}
	some violation in chg_3.violation with input.release as release
		with input.environment as environment
		with input.evidence as evidence
}

test_applicable_after_first_environment if {
	chg_3.applicable with input.environment as "production"
	chg_3.applicable with input.environment as "test"
}

test_not_applicable_to_first_environment if {
	not chg_3.applicable with input.environment as "development"
}

test_applicable_to_unknown_environment if {
	chg_3.applicable with input.environment as "dr-site"
}

test_same_digest_passes if {
	_chg_3_messages("production", [_deployment]) == set()
}

test_missing_deployment if {
	_chg_3_messages("production", []) == {concat("", [
		"no succeeded deployment of ", _label, " to staging attached; deploy it to staging first and attach the deployment record",
	])}
}

test_failed_deployment_does_not_count if {
	deployment := object.union(_deployment, {"status": "failed"})
	count(_chg_3_messages("production", [deployment])) == 1
}

test_deployment_to_other_environment_does_not_count if {
	count(_chg_3_messages("staging", [_deployment])) == 1
}

test_rebuilt_artifact if {
	deployment := object.union(_deployment, {"artifacts": [{"name": "payments-api", "digest": "sha256:1111"}]})
	_chg_3_messages("production", [deployment]) == {concat("", [
		_label, " goes to production with another digest than the staging deployment ev-dep ran (sha256:1111);",
		" promote the digest that succeeded in staging instead of rebuilding",
	])}
}

test_unknown_environment if {
	_chg_3_messages("dr-site", []) == {"environment dr-site is not in params promotion.order (development, test, staging, production), so the environment before it is unknown; add it to the order"}
}

test_violation_key_is_digest if {
	release := _release
	some violation in chg_3.violation with input.release as release with input.environment as "production" with input.evidence as {}
	violation.key == _digest
}

test_two_deployments_with_other_digests if {
	first := object.union(_deployment, {"artifacts": [{"name": "payments-api", "digest": "sha256:1111"}]})
	second := object.union(_deployment, {"id": "ev-dep-2", "artifacts": [{"name": "payments-api", "digest": "sha256:2222"}]})
	count(_chg_3_messages("production", [first, second])) == 2
}

test_no_artifacts if {
	evidence := {"deployments": [_deployment]}
	messages := {violation.msg |
		some violation in chg_3.violation with input.release as {"id": "rel-1", "service": "payments-api", "artifacts": []}
			with input.environment as "production"
			with input.evidence as evidence
	}
	messages == {"the release lists no artifact digest, so no promotion can be checked"}
}

test_environment_listed_twice_uses_first_place if {
	not chg_3.applicable with input.environment as "development" with data.releasegate.params.promotion.order as ["development", "test", "development"]
}
