# METADATA
# title: Observability ready before production
# description: >-
#   Before a production release, the service declares each signal of params
#   observability.required_signals (logs, metrics and traces by default) and
#   at least one business health indicator in the catalog, and a check
#   younger than params observability.max_check_age_hours shows that every
#   required signal and every health indicator of the catalog returns data.
#   The checks come from input.evidence.telemetry.
# custom:
#   id: OBS-1
#   short_name: observability_ready
#   blocking: true
#   frameworks:
#     - EU DORA Art. 10
#   failure_msg: The service's logs, metrics, traces or health indicators are not declared or return no data
#   solution: >-
#     Declare the service's log, metric and trace sources and at least one
#     business indicator in the catalog, make them return data, then query
#     them and attach the result of the check.
package releasegate.controls.obs_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_signals_path := ["observability", "required_signals"]

_age_path := ["observability", "max_check_age_hours"]

_signals := evidence.list_of(scope.param(_signals_path))

_max_hours := scope.param(_age_path)

_indicators := [indicator |
	some indicator in evidence.list_of(input.service.health_indicators)
	text.present(indicator.name)
]

_recent := [check |
	timestamps.valid(input.now)
	is_number(_max_hours)
	some check in evidence.items("telemetry")
	timestamps.valid(check.checked_at)
	timestamps.elapsed(check.checked_at, input.now, timestamps.ns_per_hour) <= _max_hours
]

# METADATA
# title: Applies to production
# description: Applies when the release is evaluated for the production environment.
default applicable := false

applicable if input.environment == "production"

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Observability parameters configured
# description: Params observability hold a list of signals and a maximum check age.
# custom:
#   short_name: observability_configured
#   failure_msg: The observability parameters are not configured
#   solution: Set params observability.required_signals to a list and max_check_age_hours to a number.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.list_problems(_signals_path) | scope.number_problems(_age_path)
}

# METADATA
# title: Business indicator declared
# description: The service's catalog entry declares at least one health indicator of kind business.
# custom:
#   short_name: business_indicator_declared
#   failure_msg: The service declares no business health indicator
#   solution: >-
#     Add a health indicator of kind business to the service's catalog
#     entry, such as a transaction completion rate.
violation contains {"msg": msg} if {
	applicable
	not _business_indicator
	msg := text.join([
		"service ", evidence.release_field("service"),
		" declares no business health indicator in the catalog; add one of kind business, such as a transaction completion rate",
	])
}

# METADATA
# title: Recent check attached
# description: A telemetry check younger than the maximum age is attached.
# custom:
#   short_name: recent_check_attached
#   failure_msg: No recent telemetry check is attached
#   solution: >-
#     Query the service's logs, metrics, traces and health indicators and
#     attach the result of the check.
violation contains {"msg": msg} if {
	applicable
	count(_recent) == 0
	msg := text.join([
		"no telemetry check younger than ", _max_hours, " hours attached; query the service's logs, metrics, traces",
		" and health indicators and attach the result",
	])
}

# METADATA
# title: Signals declared and returning data
# description: A recent check shows each required signal declared and returning data.
# custom:
#   short_name: signals_return_data
#   failure_msg: A required signal is not declared or returns no data
#   solution: Declare the signal's source for the service and make it return data, then check again.
violation contains {"msg": msg} if {
	applicable
	count(_recent) > 0
	some kind in _signals
	not _signal_ok(kind)
	msg := text.join([
		"no recent telemetry check shows ", kind, " of service ", evidence.release_field("service"),
		" declared and returning data; declare the source and make it return data, then check again",
	])
}

# METADATA
# title: Indicators returning data
# description: A recent check shows each health indicator of the catalog returning data.
# custom:
#   short_name: indicators_return_data
#   failure_msg: A health indicator returns no data
#   solution: Fix the indicator's query or the metrics it reads, then check again.
violation contains {"msg": msg} if {
	applicable
	count(_recent) > 0
	some indicator in _indicators
	not _indicator_ok(indicator.name)
	msg := text.join([
		"no recent telemetry check shows health indicator ", indicator.name,
		" returning data; fix its query or the metrics it reads, then check again",
	])
}

_business_indicator if {
	some indicator in _indicators
	indicator.kind == "business"
}

_signal_ok(kind) if {
	some check in _recent
	some signal in evidence.list_of(check.signals)
	signal.kind == kind
	signal.declared == true
	signal.returns_data == true
}

_indicator_ok(name) if {
	some check in _recent
	some result in evidence.list_of(check.indicators)
	result.name == name
	result.returns_data == true
}
