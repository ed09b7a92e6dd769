# METADATA
# title: Gate report
# description: >-
#   Collect the risk assessment and, for each control package under
#   data.releasegate.controls, whether it applies and its violations, marking
#   each violation that a valid exception waives. releasegate turns the
#   report into the decision: no violations is pass, any violation without
#   waived_by is fail, and a control missing from the report is an error.
package releasegate.gate

import rego.v1

import data.releasegate.lib.exceptions

# The gate reads the controls and the exception helpers, and no control
# reads the gate, so evaluation has no cycle. EXC-1 and the waivers below
# share the validity predicate in data.releasegate.lib.exceptions.

# METADATA
# title: Gate report
# description: >-
#   The risk assessment (null when none was computed) and one entry per
#   control package with its applicable flag and its sorted violations.
report := build_report(data.releasegate.controls, _risk, exceptions.usable)

default _risk := null

_risk := data.releasegate.risk.assessment

# METADATA
# title: Build the gate report
# description: >-
#   Return the report for the evaluated control packages (an object of
#   package name to package document), the risk assessment or null, and the
#   set of usable exceptions. A package without a boolean applicable or
#   without a violation set gets no entry, which releasegate reports as an
#   error for that control.
build_report(controls, assessment, usable) := {
	"risk": assessment,
	"controls": {name: entry |
		some name, control in controls
		is_boolean(control.applicable)
		is_set(control.violation)
		entry := {
			"applicable": control.applicable,
			"violations": sort([marked |
				some violation in control.violation
				marked := _mark(name, violation, usable)
			]),
		}
	},
}

# NOTE: the comprehensions above bind each value in their body, because in
# regopy 1.5.2 a comprehension inside a function can yield nothing when its
# head refers to the function's arguments.

# Steps for one violation of the control package `name`:
#   1. Keep the usable exceptions (approved, unexpired, in scope, valid) whose
#      control id names this package.
#   2. Keep those that cover the violation: no finding named, or the named
#      finding is the violation's key or one of its keys.
#   3. Mark the violation waived by the lowest exception id left, if any.
_mark(name, violation, usable) := object.union(violation, {"waived_by": min(waivers)}) if {
	waivers := {exception.id |
		some exception in usable
		exceptions.package_name(exception.control_id) == name
		exceptions.covers(exception, violation)
	}
	count(waivers) > 0
} else := violation
