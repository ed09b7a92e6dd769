# METADATA
# title: Production deployment not triggered by an author
# description: >-
#   The identity that triggers the production deployment of the release
#   neither wrote nor requested it. The deployment records come from
#   input.evidence.deployments: every record of this release for
#   production must name its triggering identity, and none may be an author
#   or the requester. Identities are compared without regard to case.
# custom:
#   id: SOD-2
#   short_name: deployer_not_author
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - NIST SP 800-53 CM-5
#   failure_msg: An author or the requester of the release triggers its production deployment
#   solution: >-
#     Let an identity that neither wrote nor requested the release trigger
#     the production deployment (an operator or a deploy pipeline started by
#     one), and attach the deployment record that names it.
package releasegate.controls.sod_2

import rego.v1

import data.releasegate.lib.approvals
import data.releasegate.lib.evidence
import data.releasegate.lib.text

_deployments := [deployment |
	some deployment in evidence.items("deployments")
	deployment.environment == "production"
	deployment.release_id == input.release.id
]

# METADATA
# title: Applies to production
# description: Applies when the release is evaluated for the production environment.
default applicable := false

applicable if input.environment == "production"

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Deployment record attached
# description: A deployment record of the release for production is attached.
# custom:
#   short_name: deployment_attached
#   failure_msg: No production deployment record of the release is attached
#   solution: >-
#     Attach the deployment request of the deploy pipeline (evidence kind
#     deployments) with the identity that triggers it.
violation contains {"msg": msg} if {
	applicable
	count(_deployments) == 0
	msg := text.join([
		"no deployment record names who triggers the production deployment of release ", evidence.release_field("id"),
		"; attach the deployment request from the deploy pipeline with its triggered_by identity",
	])
}

# METADATA
# title: Trigger identity named
# description: Each production deployment record of the release names the identity that triggers it.
# custom:
#   short_name: trigger_named
#   failure_msg: A production deployment record names no triggering identity
#   solution: Record the identity that starts the deployment in the deploy pipeline and attach the record again.
violation contains {"msg": msg} if {
	applicable
	some deployment in _deployments
	not text.present(deployment.triggered_by)
	msg := text.join([
		"production deployment ", evidence.record_id(deployment),
		" names no identity that triggers it; record the triggering identity in the deploy pipeline",
	])
}

# METADATA
# title: Trigger is not an author
# description: No production deployment of the release is triggered by one of its authors or its requester.
# custom:
#   short_name: trigger_not_author
#   failure_msg: An author or the requester of the release triggers its production deployment
#   solution: Let an identity that neither wrote nor requested the release trigger the deployment.
violation contains {"msg": msg} if {
	applicable
	some deployment in _deployments
	text.present(deployment.triggered_by)
	not "triggered_by_person" in object.keys(deployment)
	conflict := approvals.conflict(deployment.triggered_by)
	msg := text.join([
		"production deployment ", evidence.record_id(deployment), " is triggered by ", deployment.triggered_by,
		", who ", conflict, "; let an identity that neither wrote nor requested the release trigger it",
	])
}

# METADATA
# title: Trigger is no one in the release chain
# description: >-
#   No production deployment of the release is triggered by a person who
#   wrote, co-wrote, committed, signed or requested it, under any alias, and
#   each trigger identity is known.
# custom:
#   short_name: trigger_outside_chain
#   failure_msg: A person in the release chain triggers its production deployment
#   solution: Let a known identity that is none of the people the message names trigger it.
violation contains {"msg": msg} if {
	applicable
	some deployment in _deployments
	"triggered_by_person" in object.keys(deployment)
	text.present(deployment.triggered_by)
	msg := _trigger_problem(deployment)
}

_trigger_problem(deployment) := msg if {
	not text.present(deployment.triggered_by_person)
	msg := text.join([
		"production deployment ", evidence.record_id(deployment), " is triggered by ", deployment.triggered_by,
		", who is not a known identity, so it cannot be shown to be someone other than the authors",
	])
} else := msg if {
	found := approvals.chain_conflicts(deployment.triggered_by_person)
	count(found) > 0
	msg := text.join([
		"production deployment ", evidence.record_id(deployment), " is triggered by ", deployment.triggered_by,
		" (person ", deployment.triggered_by_person, "), the same person as ", text.list(sort(found)),
	])
}
