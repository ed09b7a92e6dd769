package releasegate_test.lib.scope

import rego.v1

import data.releasegate.lib.scope

test_up_to_criticality if {
	scope.up_to_criticality(1) with input.service as {"criticality": 1}
	not scope.up_to_criticality(1) with input.service as {"criticality": 2}
}

test_unknown_criticality_applies if {
	scope.up_to_criticality(0) with input.service as null
	scope.up_to_criticality(0) with input.service as {"criticality": "0"}
}

test_malformed_maximum_applies if {
	scope.up_to_criticality(null) with input.service as {"criticality": 3}
}

test_param_at_path if {
	scope.param(["vulnerabilities", "max_scan_age_days"]) == 7
	scope.param(["vulnerabilities", "missing"]) == null
}

test_number_problems if {
	scope.number_problems(["vulnerabilities", "max_scan_age_days"]) == set()
	scope.number_problems(["vulnerabilities", "missing"]) == {"params vulnerabilities.missing is not a number, so the control cannot be evaluated; set it in the policy layer's data document"}
}

test_list_problems if {
	scope.list_problems(["promotion", "order"]) == set()
	count(scope.list_problems(["promotion", "missing"])) == 1
}
