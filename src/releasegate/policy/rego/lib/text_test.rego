package releasegate_test.lib.text

import rego.v1

import data.releasegate.lib.text

test_join_strings_unquoted if {
	text.join(["criticality ", lower("ZERO"), " (", concat(",", ["a", "b"]), ")"]) == "criticality zero (a,b)"
}

test_join_numbers if {
	text.join(["adds ", 5, ", ", 1.5, " days"]) == "adds 5, 1.5 days"
}

test_join_booleans_and_null if {
	text.join([true, " ", null]) == "true null"
}

test_join_empty if {
	text.join([]) == ""
}

test_list_sorted if {
	text.list(["eu-west-1", "eu-central-1"]) == "eu-central-1, eu-west-1"
}

test_present_string if {
	text.present("v1.0")
}

test_blank_not_present if {
	not text.present(" \t")
	not text.present("")
}

test_non_string_not_present if {
	not text.present(null)
	not text.present(1)
}
