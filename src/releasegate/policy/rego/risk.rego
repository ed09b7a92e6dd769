# METADATA
# title: Release risk assessment
# description: >-
#   Score a release from its service's criticality, data classification and
#   finance processes, its blast radius (regions and legal entities) and its
#   change type, then map the score to a tier with the thresholds in params
#   risk.tier_thresholds. Every weight comes from params risk, and every
#   contribution to the score carries a reason a reviewer can read.
package releasegate.risk

import rego.v1

import data.releasegate.lib.text

_params := data.releasegate.params.risk

_tiers_above_low := ["medium", "high", "critical"]

# METADATA
# title: Risk assessment
# description: >-
#   The tier, the score and the contributions for the release in the input.
#   Undefined when the service is not in the catalog, when a weight or
#   threshold is missing from params (problems then names the reason) or when
#   the service entry lacks a field the score needs.
assessment := _assess(_service, _release) if count(problems) == 0

# METADATA
# title: Risk problems
# description: Reasons the release has no risk assessment, empty when it has one.
problems := problems_for(_service, _release)

# A missing service or release reads as null or empty, so that problems
# names it instead of being undefined.
_service := object.get(input, "service", null)

_release := object.get(input, "release", {})

# METADATA
# title: Risk problems of a release
# description: >-
#   Return the reasons why no risk tier can be computed for the service and
#   release, an empty set when one can.
problems_for(service, release) := {problem |
	service == null
	problem := _catalog_problem(release)
} | _weight_problems(service, release) | _threshold_problems

# METADATA
# title: Risk contributions
# description: >-
#   Return one contribution per risk factor of the service and release, each
#   with its factor, its points and the reason for them. Undefined when a
#   weight is missing from params.
contributions(service, release) := array.concat(
	array.concat(
		array.concat(
			[_criticality(service), _data_classification(service)],
			_finance_processes(service),
		),
		[_regions(service), _legal_entities(service), _affected_services(release), _change_type(release)],
	),
	array.concat(_linked_changes(release), [_timing]),
)

# METADATA
# title: Tier for a score
# description: >-
#   Return the highest tier whose threshold in params risk.tier_thresholds the
#   score reaches, or low.
tier_for(score) := "critical" if {
	score >= _params.tier_thresholds.critical
} else := "high" if {
	score >= _params.tier_thresholds.high
} else := "medium" if {
	score >= _params.tier_thresholds.medium
} else := "low"

_catalog_problem(release) := text.join(["service ", release.service, " is not in the service catalog"]) if {
	text.present(release.service)
} else := "the release names no service"

_assess(service, release) := {"tier": tier_for(score), "score": score, "contributions": parts} if {
	parts := contributions(service, release)
	score := sum([part.points | some part in parts])
}

_criticality(service) := {
	"factor": "criticality",
	"points": points,
	"reason": text.join(["criticality ", service.criticality, " service (", service.name, ") adds ", points]),
} if {
	points := _params.criticality_points[format_int(service.criticality, 10)]
}

_data_classification(service) := {
	"factor": "data_classification",
	"points": points,
	"reason": text.join([service.data_classification, " data adds ", points]),
} if {
	points := _params.data_classification_points[service.data_classification]
}

_finance_processes(service) := [_no_finance_process] if {
	count(service.finance_processes) == 0
} else := [contribution |
	some process in sort(service.finance_processes)
	points := object.get(_params.finance_process_points, process, _params.finance_process_default_points)
	contribution := {
		"factor": "finance_process",
		"points": points,
		"reason": text.join([process, " finance process adds ", points]),
	}
]

_no_finance_process := {"factor": "finance_process", "points": 0, "reason": "no finance process adds 0"}

_regions(service) := _spread("regions", "region", "regions", service.regions, _params.additional_region_points)

_legal_entities(service) := _spread(
	"legal_entities", "legal entity", "legal entities",
	service.legal_entities, _params.additional_legal_entity_points,
)

# Blast radius: points for each item beyond the first.
_spread(factor, singular, plural, items, points_each) := {
	"factor": factor,
	"points": points,
	"reason": text.join([
		_listing(singular, plural, items), _verb(count(items)), points,
		" (", points_each, " per ", singular, " beyond the first)",
	]),
} if {
	points := max([count(items) - 1, 0]) * points_each
}

_listing(singular, plural, items) := text.join(["no ", plural]) if {
	count(items) == 0
} else := text.join(["1 ", singular, " (", items[0], ")"]) if {
	count(items) == 1
} else := text.join([count(items), " ", plural, " (", text.list(items), ")"])

_verb(1) := " adds "

_verb(number) := " add " if number != 1

_change_type(release) := {
	"factor": "change_type",
	"points": points,
	"reason": text.join([release.change_type, " change adds ", points]),
} if {
	points := _params.change_type_points[release.change_type]
}

# NOTE: each comprehension below binds its value in the body, because in
# regopy 1.5.2 a comprehension inside a function can yield nothing when its
# head refers to the function's arguments.
_weight_problems(service, release) := set() if {
	service == null
} else := {problem |
	not is_number(object.get(_params.criticality_points, format_int(service.criticality, 10), null))
	problem := text.join(["params risk.criticality_points has no number for criticality ", service.criticality])
} | {problem |
	classification := object.get(service, "data_classification", null)
	not is_number(object.get(_params.data_classification_points, classification, null))
	problem := text.join(["params risk.data_classification_points has no number for ", classification])
} | {problem |
	some process in service.finance_processes
	not is_number(object.get(_params.finance_process_points, process, _params.finance_process_default_points))
	problem := text.join([
		"params risk.finance_process_points has no number for ", process,
		" and finance_process_default_points is not a number",
	])
} | {problem |
	some key in ["additional_region_points", "additional_legal_entity_points"]
	not is_number(_params[key])
	problem := text.join(["params risk.", key, " is not a number"])
} | {problem |
	some change in object.get(release, "linked_changes", [])
	not is_number(object.get(_params.linked_change_points, change.kind, null))
	problem := text.join(["params risk.linked_change_points has no number for ", change.kind])
} | {problem |
	some key in ["affected_service_points", "freeze_period_points"]
	not is_number(_params[key])
	problem := text.join(["params risk.", key, " is not a number"])
} | {problem |
	change_type := object.get(release, "change_type", null)
	not is_number(object.get(_params.change_type_points, change_type, null))
	problem := text.join(["params risk.change_type_points has no number for change type ", change_type])
}

_threshold_problems := {problem |
	some tier in _tiers_above_low
	not is_number(object.get(_params.tier_thresholds, tier, null))
	problem := text.join(["params risk.tier_thresholds.", tier, " is not a number"])
}

_affected_services(release) := _spread_list(
	"affected_services", "other service", "other services",
	object.get(release, "affected_services", []), _params.affected_service_points,
)

# Unlike regions, every affected service beyond the released one counts.
_spread_list(factor, singular, plural, items, points_each) := {
	"factor": factor,
	"points": points,
	"reason": text.join([
		_listing(singular, plural, items), _verb(count(items)), points,
		" (", points_each, " per ", singular, ")",
	]),
} if {
	points := count(items) * points_each
}

_linked_changes(release) := [_no_linked_change] if {
	count(object.get(release, "linked_changes", [])) == 0
} else := [contribution |
	kinds := {change.kind | some change in release.linked_changes}
	some kind in sort(kinds)
	points := _params.linked_change_points[kind]
	contribution := {
		"factor": "linked_change",
		"points": points,
		"reason": text.join([kind, " change linked to the release adds ", points]),
	}
]

_no_linked_change := {"factor": "linked_change", "points": 0, "reason": "no linked change adds 0"}

# A comprehension over an absent input.calendar is empty, so no calendar means no freeze.
_freezes := [freeze | some freeze in input.calendar.freezes]

_timing := {
	"factor": "timing",
	"points": 0,
	"reason": "deployment outside every freeze period adds 0",
} if {
	count(_freezes) == 0
} else := {
	"factor": "timing",
	"points": _params.freeze_period_points,
	"reason": text.join([
		"deployment during freeze period ", _freezes[0].name, " adds ", _params.freeze_period_points,
	]),
}
