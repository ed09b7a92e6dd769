# METADATA
# title: Listeners and endpoints require TLS 1.2 or later
# description: >-
#   Every listener and endpoint that the release's Terraform plans leave in
#   place requires TLS, and its lowest accepted TLS version is at least
#   params iac.min_tls_version (1.2 by default). The plan parser reads the
#   lowest version from the TLS policy the resource names. A value that
#   Terraform knows only after apply does not pass.
# custom:
#   id: IAC-2
#   short_name: tls_required
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 4.2
#   failure_msg: A listener or endpoint accepts connections without TLS 1.2 or later
#   solution: >-
#     Serve the listener or endpoint over HTTPS or TLS only, with a TLS policy
#     whose lowest version is 1.2 or later (for example an ELBSecurityPolicy-
#     TLS13-1-2 policy on AWS load balancers), plan again and attach the plan.
package releasegate.controls.iac_2

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_minimum_path := ["iac", "min_tls_version"]

_minimum := scope.param(_minimum_path)

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
# title: Minimum TLS version configured
# description: Params iac.min_tls_version is a number.
# custom:
#   short_name: min_tls_configured
#   failure_msg: The minimum TLS version is not configured
#   solution: Set params iac.min_tls_version to a number such as 1.2.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_minimum_path)
}

# METADATA
# title: TLS settings known
# description: Whether the listener requires TLS, and its lowest version, are known at plan time.
# custom:
#   short_name: tls_known
#   failure_msg: The TLS settings of a listener are unknown until apply
#   solution: Set the protocol and TLS policy to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, path) if {
	some resource in iac.of_categories(["listener"])
	some path in ["tls.required", "tls.min_version"]
	iac.unknown(resource, path)
}

# METADATA
# title: TLS required
# description: Each listener and endpoint accepts connections over TLS only.
# custom:
#   short_name: tls_only
#   failure_msg: A listener or endpoint accepts connections without TLS
#   solution: >-
#     Change the listener to HTTPS or TLS (redirect plain HTTP to HTTPS
#     instead of serving it), then plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "tls.required", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(["listener"])
	not iac.unknown(resource, "tls.required")
	iac.value(resource, "tls.required") != true
	msg := text.join([
		iac.name(resource), " accepts connections without TLS (plan ", resource.plan_id,
		"); serve it over TLS ", _minimum, " or later only",
	])
	expected_value := true
	actual_value := iac.value(resource, "tls.required")
}

# METADATA
# title: TLS version high enough
# description: The lowest TLS version each listener accepts is at least params iac.min_tls_version.
# custom:
#   short_name: tls_version
#   failure_msg: A listener or endpoint accepts a TLS version older than the minimum
#   solution: Attach a TLS policy whose lowest version is the minimum or later, then plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "tls.min_version", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(["listener"])
	iac.value(resource, "tls.required") == true
	not iac.unknown(resource, "tls.min_version")
	version := iac.value(resource, "tls.min_version")
	not _high_enough(version)
	msg := text.join([
		iac.name(resource), " accepts TLS versions from ", _version_text(version), " (plan ", resource.plan_id,
		"), older than the minimum TLS ", _minimum, "; attach a TLS policy with TLS ", _minimum, " or later",
	])
	expected_value := text.join(["at least ", _minimum])
	actual_value := version
}

_high_enough(version) if {
	is_number(version)
	is_number(_minimum)
	version >= _minimum
}

_version_text(version) := text.join(["TLS ", version]) if {
	is_number(version)
} else := "an unknown version"
