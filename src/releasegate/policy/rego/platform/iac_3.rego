# METADATA
# title: Resources stay in the approved regions of their data
# description: >-
#   Every resource with a region that the release's Terraform plans leave in
#   place runs in a region that params iac.approved_regions approve for the
#   service's data classification. Classifications listed in params
#   iac.unrestricted_classifications may run anywhere. Global resources,
#   which the plan parser gives no region, are not checked. A region that
#   Terraform knows only after apply does not pass.
# custom:
#   id: IAC-3
#   short_name: data_residency
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9
#     - GDPR data residency
#   failure_msg: A resource runs outside the approved regions of the service's data classification
#   solution: >-
#     Move the resource to an approved region of the service's data
#     classification (change the provider or resource region), plan again
#     and attach the plan. If the data may leave those regions, change the
#     approved regions in params after a data protection review.
package releasegate.controls.iac_3

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_unrestricted_path := ["iac", "unrestricted_classifications"]

_unrestricted := unrestricted if {
	unrestricted := scope.param(_unrestricted_path)
	is_array(unrestricted)
} else := []

_classification := input.service.data_classification if {
	is_object(input.service)
	text.present(input.service.data_classification)
}

_approved := approved if {
	approved := scope.param(["iac", "approved_regions", _classification])
	is_array(approved)
}

_restricted if not _classification in _unrestricted

_regional contains resource if {
	some resource in iac.remaining
	resource.region != null
}

_regional contains resource if {
	some resource in iac.remaining
	not "region" in object.keys(resource)
}

_regional contains resource if {
	some resource in iac.remaining
	iac.unknown(resource, "region")
}

# METADATA
# title: Applies to releases that change this
# description: The release links an infrastructure or privileged IAM change or attaches a Terraform plan.
default applicable := false

applicable if changes.infrastructure

# METADATA
# title: Plan attached and complete
# description: A complete Terraform plan is attached, without which no resource can be checked.
# custom:
#   short_name: plan_complete
#   failure_msg: No complete Terraform plan is attached
#   solution: >-
#     Attach the output of terraform show -json for the release's plan. A
#     plan that changes nothing still counts.
violation contains {"msg": msg} if {
	some msg in iac.plan_problems
}

# METADATA
# title: Data classification known
# description: The service is in the catalog with a data classification, which decides the approved regions.
# custom:
#   short_name: classification_known
#   failure_msg: The service's data classification is unknown
#   solution: Add the service to the catalog with its data classification.
violation contains {"msg": "the service has no data classification in the catalog, so its approved regions are unknown"} if {
	not _classification
}

# METADATA
# title: Unrestricted classifications configured
# description: Params iac.unrestricted_classifications is a list.
# custom:
#   short_name: unrestricted_configured
#   failure_msg: The unrestricted data classifications are not configured
#   solution: Set params iac.unrestricted_classifications to a list of classifications, which may be empty.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_unrestricted_path)
}

# METADATA
# title: Regions of the classification configured
# description: Params iac.approved_regions has a list for the service's classification, unless it is unrestricted.
# custom:
#   short_name: classification_regions_configured
#   failure_msg: The approved regions of the service's data classification are not configured
#   solution: >-
#     Add the classification to params iac.approved_regions with its list of
#     regions, or to iac.unrestricted_classifications.
violation contains {"msg": msg} if {
	_restricted
	not _approved
	msg := text.join([
		"params iac.approved_regions has no list for ", _classification,
		" data; add one, or list the classification in iac.unrestricted_classifications",
	])
}

# METADATA
# title: Region known
# description: The region of each resource is known at plan time.
# custom:
#   short_name: region_known
#   failure_msg: The region of a resource is unknown until apply
#   solution: Set the provider's region to a value known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "region") if {
	some resource in _regional
	iac.unknown(resource, "region")
}

# METADATA
# title: Region approved
# description: Each resource runs in an approved region of the service's data classification.
# custom:
#   short_name: region_approved
#   failure_msg: A resource runs outside the approved regions of the service's data classification
#   solution: Move the resource to an approved region and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "region", "expected": expected_value, "actual": actual_value} if {
	_restricted
	some resource in _regional
	not iac.unknown(resource, "region")
	not object.get(resource, "region", null) in _approved
	msg := text.join([
		iac.name(resource), " runs in ", _region_text(resource), " (plan ", resource.plan_id,
		"), outside the approved regions for ", _classification, " data (", text.list(_approved),
		"); move it to an approved region",
	])
	expected_value := _approved
	actual_value := object.get(resource, "region", null)
}

_region_text(resource) := text.join(["region ", resource.region]) if {
	is_string(resource.region)
} else := "a region the plan does not state"
