# Payments team rule: production releases of the payments API go through a
# reviewed pull request, so the manifest must link one.
package application.payments_api

import rego.v1

deny contains msg if {
	input.environment == "production"
	not is_string(input.release.pull_request)
	msg := "payments-api releases to production must link their pull request (pull_request:)"
}
