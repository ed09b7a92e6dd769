# METADATA
# title: Control scope helpers
# description: >-
#   Decide whether a control that is limited to the most critical services
#   applies. An unknown criticality or a malformed limit in params makes the
#   control apply, so a gap in the catalog or in params never switches a
#   control off.
package releasegate.lib.scope

import rego.v1

import data.releasegate.lib.text

# METADATA
# title: Service criticality
# description: The criticality of the release's service, undefined when it is not in the catalog.
criticality := input.service.criticality if {
	is_object(input.service)
	is_number(input.service.criticality)
}

# METADATA
# title: Up to a criticality
# description: >-
#   True when the service's criticality is at most the given maximum (0 is
#   the most critical), and also when the criticality or the maximum is not
#   a number.
up_to_criticality(maximum) if not is_number(criticality)

up_to_criticality(maximum) if not is_number(maximum)

up_to_criticality(maximum) if criticality <= maximum

# METADATA
# title: Parameter at a path
# description: >-
#   Return the value of data.releasegate.params at the path (a list of
#   keys), or null when any key on the way is missing.
param(path) := object.get(data.releasegate.params, path, null)

# METADATA
# title: Number parameter problem
# description: >-
#   Return a set with one message when the parameter at the path is not a
#   number, an empty set otherwise.
number_problems(path) := {msg |
	not is_number(param(path))
	msg := text.join(["params ", concat(".", path), " is not a number, so the control cannot be evaluated; set it in the policy layer's data document"])
}

# METADATA
# title: List parameter problem
# description: >-
#   Return a set with one message when the parameter at the path is not a
#   list, an empty set otherwise.
list_problems(path) := {msg |
	not is_array(param(path))
	msg := text.join(["params ", concat(".", path), " is not a list, so the control cannot be evaluated; set it in the policy layer's data document"])
}
