# METADATA
# title: No public exposure
# description: >-
#   No storage or database resource that the release's Terraform plans leave
#   in place is public, and no network rule opens a port to the whole
#   internet (0.0.0.0/0 or ::/0) other than the web ports in params
#   iac.public_ingress_ports (80 and 443 by default). A value that Terraform
#   knows only after apply does not pass.
# custom:
#   id: IAC-4
#   short_name: no_public_exposure
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 1.3
#   failure_msg: A resource is exposed to the public internet
#   solution: >-
#     Block public access to the bucket or database (for example an S3 public
#     access block, publicly_accessible = false), narrow the rule's source to
#     known networks or put the service behind a load balancer on a web
#     port, plan again and attach the plan.
package releasegate.controls.iac_4

import rego.v1

import data.releasegate.lib.changes
import data.releasegate.lib.evidence
import data.releasegate.lib.iac
import data.releasegate.lib.scope
import data.releasegate.lib.text

_ports_path := ["iac", "public_ingress_ports"]

_web_ports := {port |
	some port in evidence.list_of(scope.param(_ports_path))
	is_number(port)
}

_world := {"0.0.0.0/0", "::/0"}

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
# title: Public ports configured
# description: Params iac.public_ingress_ports is a list.
# custom:
#   short_name: public_ports_configured
#   failure_msg: The ports that may be open to the internet are not configured
#   solution: Set params iac.public_ingress_ports to a list of port numbers, which may be empty.
violation contains {"msg": msg} if {
	some msg in scope.list_problems(_ports_path)
}

# METADATA
# title: Exposure known
# description: Whether a resource is public, and the sources and ports a rule opens, are known at plan time.
# custom:
#   short_name: exposure_known
#   failure_msg: The exposure of a resource is unknown until apply
#   solution: Set the access settings and rule sources to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "public") if {
	some resource in iac.of_categories(["storage", "database"])
	iac.unknown(resource, "public")
}

# METADATA
# title: Rule sources known
# description: The sources and ports each network rule opens are known at plan time.
# custom:
#   short_name: ingress_known
#   failure_msg: The ingress of a network rule is unknown until apply
#   solution: Set the rule's sources and ports to values known at plan time, then plan again.
violation contains iac.unknown_violation(resource, "ingress") if {
	some resource in iac.of_categories(["network_rule"])
	iac.unknown(resource, "ingress")
}

# METADATA
# title: Storage and databases not public
# description: >-
#   Each storage and database resource states that it is not public. A
#   missing value counts as public, because the parser sets it for every
#   such resource.
# custom:
#   short_name: not_public
#   failure_msg: A storage or database resource is public
#   solution: Block public access to the resource and plan again.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "public", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(["storage", "database"])
	not iac.unknown(resource, "public")
	object.get(resource, "public", null) != false
	msg := text.join([
		iac.name(resource), " ", _public_text(resource), " (plan ", resource.plan_id,
		"); block public access to it",
	])
	expected_value := false
	actual_value := object.get(resource, "public", null)
}

# METADATA
# title: No open non-web ports
# description: >-
#   No ingress rule opens a port outside params iac.public_ingress_ports to
#   0.0.0.0/0 or ::/0. A rule whose ports are not numbers counts as opening
#   every port.
# custom:
#   short_name: no_open_ports
#   failure_msg: A network rule opens a non-web port to the whole internet
#   solution: >-
#     Narrow the rule's source to known networks (a VPN, a bastion or peered
#     ranges), or serve the port through a load balancer on a web port.
violation contains {"msg": msg, "key": object.get(resource, "address", null), "attribute": "ingress", "expected": expected_value, "actual": actual_value} if {
	some resource in iac.of_categories(["network_rule"])
	not iac.unknown(resource, "ingress")
	some rule in evidence.list_of(resource.ingress)
	some source in evidence.list_of(rule.cidrs)
	source in _world
	not _only_web_ports(rule)
	msg := text.join([
		iac.name(resource), " opens ", _ports_text(rule), " to ", source, " (plan ", resource.plan_id,
		"), beyond the web ports (", text.list([format_int(port, 10) | some port in _web_ports]),
		"); narrow the source to known networks",
	])
	expected_value := text.join(["only ports ", text.list([format_int(port, 10) | some port in _web_ports]), " open to ", source])
	actual_value := text.join([_ports_text(rule), " open to ", source])
}

_public_text(resource) := "is public" if {
	resource.public == true
} else := "does not state whether it is public"

_only_web_ports(rule) if {
	is_number(rule.from_port)
	is_number(rule.to_port)
	rule.from_port <= rule.to_port
	allowed := {port | some port in _web_ports; port >= rule.from_port; port <= rule.to_port}
	count(allowed) == (rule.to_port - rule.from_port) + 1
}

_ports_text(rule) := text.join(["port ", rule.from_port]) if {
	is_number(rule.from_port)
	rule.from_port == rule.to_port
} else := text.join(["ports ", rule.from_port, "-", rule.to_port]) if {
	is_number(rule.from_port)
	is_number(rule.to_port)
} else := "every port"
