# METADATA
# title: Same digest promoted between environments
# description: >-
#   Each artifact digest of the release succeeded in the environment before
#   the target environment, in the order of params promotion.order, so that
#   what reaches an environment is exactly what was tested in the one
#   before it and nothing was rebuilt between stages. The first
#   environment of the order has no predecessor, so the control does not
#   apply there. The deployment records come from
#   input.evidence.deployments.
# custom:
#   id: CHG-3
#   short_name: same_digest_promoted
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - NIST SP 800-53 CM-3
#   failure_msg: An artifact did not succeed with the same digest in the previous environment
#   solution: >-
#     Deploy the release to the previous environment first and promote the
#     same digests from there; do not rebuild between stages. Attach the
#     deployment records of the previous environment.
package releasegate.controls.chg_3

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_order_path := ["promotion", "order"]

_order := evidence.list_of(scope.param(_order_path))

# The first place of the target environment in the order.
# NOTE: regopy 1.5.2 rejects `some key, value in xs` inside a comprehension
# ("Invalid collection"), so the comprehensions here index the list instead.
_position := positions[0] if {
	positions := [index |
		some index
		_order[index] == input.environment
	]
	count(positions) > 0
}

_previous := _order[_position - 1] if _position > 0

_succeeded := [deployment |
	some deployment in evidence.items("deployments")
	deployment.environment == _previous
	deployment.status == "succeeded"
	deployment.service == input.release.service
]

# METADATA
# title: Applies after the first environment
# description: >-
#   Applies to every environment after the first in params promotion.order,
#   and to environments missing from the order, which cannot be shown to be
#   the first.
default applicable := false

applicable if not _position == 0

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Promotion order configured
# description: Params promotion.order is a list that contains the target environment.
# custom:
#   short_name: order_configured
#   failure_msg: The target environment is not in the promotion order
#   solution: Add the environment to params promotion.order at its place in the promotion path.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.list_problems(_order_path)
}

# METADATA
# title: Target environment in the order
# description: The target environment is in params promotion.order, so the environment before it is known.
# custom:
#   short_name: environment_in_order
#   failure_msg: The target environment is not in the promotion order
#   solution: Add the environment to params promotion.order at its place in the promotion path.
violation contains {"msg": msg} if {
	applicable
	not _position
	msg := text.join([
		"environment ", evidence.environment, " is not in params promotion.order (", _order_text,
		"), so the environment before it is unknown; add it to the order",
	])
}

# METADATA
# title: Artifacts listed
# description: The release lists at least one artifact digest to compare with the previous environment.
# custom:
#   short_name: artifacts_listed
#   failure_msg: The release lists no artifact digest
#   solution: List the built artifacts with their digests in the release manifest.
violation contains {"msg": "the release lists no artifact digest, so no promotion can be checked"} if {
	applicable
	count(evidence.release_artifacts) == 0
}

# METADATA
# title: Artifact not rebuilt
# description: >-
#   No artifact of the release reaches the target environment with another
#   digest than the one a succeeded deployment ran in the previous
#   environment under the same artifact name.
# custom:
#   short_name: not_rebuilt
#   failure_msg: An artifact was rebuilt between environments
#   solution: Promote the digest that succeeded in the previous environment instead of rebuilding.
violation contains {"msg": msg, "key": artifact.digest} if {
	applicable
	_previous
	some artifact in evidence.release_artifacts
	not _succeeded_digest(artifact.digest)
	some deployment in _succeeded
	some deployed in evidence.list_of(deployment.artifacts)
	deployed.name == artifact.name
	msg := text.join([
		evidence.label(artifact), " goes to ", evidence.environment, " with another digest than the ",
		_previous, " deployment ", evidence.record_id(deployment), " ran (", object.get(deployed, "digest", null),
		"); promote the digest that succeeded in ", _previous, " instead of rebuilding",
	])
}

# METADATA
# title: Digest succeeded in the previous environment
# description: >-
#   Each artifact digest of the release is part of a succeeded deployment of
#   the service to the previous environment.
# custom:
#   short_name: digest_succeeded_before
#   failure_msg: An artifact has no succeeded deployment in the previous environment
#   solution: >-
#     Deploy the release's digests to the previous environment and attach
#     the deployment record.
violation contains {"msg": msg, "key": artifact.digest} if {
	applicable
	_previous
	some artifact in evidence.release_artifacts
	not _succeeded_digest(artifact.digest)
	not _ran_under_name(artifact.name)
	msg := text.join([
		"no succeeded deployment of ", evidence.label(artifact), " to ", _previous,
		" attached; deploy it to ", _previous, " first and attach the deployment record",
	])
}

_order_text := concat(", ", [name | some name in _order; is_string(name)])

_succeeded_digest(digest) if {
	some deployment in _succeeded
	some deployed in evidence.list_of(deployment.artifacts)
	is_string(deployed.digest)
	lower(deployed.digest) == lower(digest)
}

_ran_under_name(name) if {
	some deployment in _succeeded
	some deployed in evidence.list_of(deployment.artifacts)
	deployed.name == name
}
