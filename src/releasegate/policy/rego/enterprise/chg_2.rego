# METADATA
# title: Risk tier computed
# description: >-
#   The release has a risk tier computed by policy, and every contribution to
#   its score is recorded with the factor and the reason, so that reviewers
#   and auditors can see why the release got its tier.
# custom:
#   id: CHG-2
#   short_name: risk_tier_computed
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#     - NIST SP 800-53 CM-4
#   failure_msg: No risk tier was computed for the release
#   solution: >-
#     Make sure the release's service is in the service catalog with a known
#     criticality and data classification, that the change type is known, and
#     that params risk holds a number for every weight and tier threshold.
#     Then evaluate the release again.
package releasegate.controls.chg_2

import rego.v1

import data.releasegate.lib.text
import data.releasegate.risk

# METADATA
# title: Applies to every release
# description: Every release needs a risk tier.
applicable := true

# METADATA
# title: Risk tier computed
# description: >-
#   The risk assessment is defined. Each problem that prevents it gives one
#   violation.
# custom:
#   short_name: tier_computed
#   failure_msg: No risk tier was computed for the release
#   solution: >-
#     Fix the problem the message names: add the service to the catalog, or
#     give params risk a number for the missing weight or threshold.
violation contains {"msg": msg} if {
	some problem in risk.problems
	msg := text.join(["no risk tier was computed: ", problem])
}

# METADATA
# title: Risk tier computed without a named problem
# description: >-
#   The risk assessment is defined even when the risk policy names no problem,
#   for example when the service entry lacks a field.
# custom:
#   short_name: tier_computed_unexplained
#   failure_msg: No risk tier was computed for the release
#   solution: >-
#     Check that the service entry has criticality, data classification,
#     finance processes, regions and legal entities, and that the release has
#     a change type.
violation contains {"msg": "no risk tier was computed for the release"} if {
	not risk.assessment
	not _problems_named
}

_problems_named if count(risk.problems) > 0

# METADATA
# title: Tier recorded
# description: The risk assessment names a tier.
# custom:
#   short_name: tier_recorded
#   failure_msg: The risk assessment has no tier
#   solution: Correct the risk policy so that its assessment always names a tier.
violation contains {"msg": "the risk assessment has no tier"} if {
	is_object(risk.assessment)
	not text.present(risk.assessment.tier)
}

# METADATA
# title: Contribution factors recorded
# description: Every contribution to the risk score names its factor.
# custom:
#   short_name: contribution_factors_recorded
#   failure_msg: A contribution to the risk score names no factor
#   solution: Correct the risk policy so that every contribution names its factor.
violation contains {"msg": msg} if {
	some index, contribution in risk.assessment.contributions
	not text.present(contribution.factor)
	msg := text.join(["risk contribution ", index + 1, " has no factor"])
}

# METADATA
# title: Contribution reasons recorded
# description: Every contribution to the risk score gives a reason.
# custom:
#   short_name: contribution_reasons_recorded
#   failure_msg: A contribution to the risk score has no reason
#   solution: Correct the risk policy so that every contribution has a reason.
violation contains {"msg": msg} if {
	some index, contribution in risk.assessment.contributions
	not text.present(contribution.reason)
	msg := text.join(["risk contribution ", index + 1, " (", object.get(contribution, "factor", null), ") has no reason"])
}
