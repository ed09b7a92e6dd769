# METADATA
# title: Linked change helpers
# description: >-
#   Decide which change controls apply to a release. A control for a kind of
#   change applies when the release manifest links a change of that kind or
#   when evidence of that kind is attached. A linked change without its
#   evidence then fails the control, which names the missing evidence.
package releasegate.lib.changes

import rego.v1

import data.releasegate.lib.evidence

_linked_kinds := {change.kind |
	is_array(input.release.linked_changes)
	some change in input.release.linked_changes
	is_object(change)
}

# METADATA
# title: Infrastructure change
# description: The release links an infrastructure or privileged IAM change, or attaches a Terraform plan.
default infrastructure := false

infrastructure if "infrastructure" in _linked_kinds

infrastructure if "privileged-iam" in _linked_kinds

infrastructure if count(evidence.items("iac_plans")) > 0

# METADATA
# title: Database change
# description: The release links a database migration, or attaches a migration report.
default database := false

database if "database-migration" in _linked_kinds

database if count(evidence.items("migrations")) > 0

# METADATA
# title: API change
# description: The release links an API schema change, or attaches an API diff report.
default api := false

api if "api-schema" in _linked_kinds

api if count(evidence.items("api_changes")) > 0

# METADATA
# title: Event schema change
# description: The release links an event schema change, or attaches a schema compatibility report.
default events := false

events if "event-schema" in _linked_kinds

events if count(evidence.items("event_schemas")) > 0
