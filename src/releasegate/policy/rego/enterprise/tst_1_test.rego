package releasegate_test.controls.tst_1

import rego.v1

import data.releasegate.controls.tst_1

_commit := "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"

_release := {"id": "rel-1", "service": "payments-api", "source_commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}

_report(id) := {
	"id": id,
	"sha256": "0f343b0931126a20f133d67c2b018a3b4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f",
	"format": "junit",
	"commit": "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
	"tests": 12,
	"failures": 0,
	"errors": 0,
	"skipped": 1,
	"flaky": 0,
}

_messages(release, reports) := {violation.msg |
	evidence := {"test_reports": reports, "scans": [], "findings": []}
	some violation in tst_1.violation with input.release as release with input.evidence as evidence
}

test_applicable if {
	tst_1.applicable
}

test_passing_report_passes if {
	_messages(_release, [_report("ev-1")]) == set()
}

test_several_passing_reports_pass if {
	_messages(_release, [_report("ev-1"), _report("ev-2")]) == set()
}

test_no_report if {
	_messages(_release, []) == {"no test report attached"}
}

test_report_without_commit if {
	report := object.union(_report("ev-1"), {"commit": null})
	_messages(_release, [report]) == {"test report ev-1 names no source commit"}
}

test_report_for_other_commit if {
	report := object.union(_report("ev-1"), {"commit": "0000000000000000000000000000000000000000"})
	_messages(_release, [report]) == {concat("", [
		"test report ev-1 is for commit 0000000000000000000000000000000000000000, ",
		"not the release's source commit ", _commit,
	])}
}

test_commit_compared_without_case if {
	report := object.union(_report("ev-1"), {"commit": upper(_commit)})
	_messages(_release, [report]) == set()
}

test_release_without_commit if {
	release := object.remove(_release, ["source_commit"])
	_messages(release, [_report("ev-1")]) == {"the release names no source commit, so no test report can be matched to it"}
}

test_failures if {
	report := object.union(_report("ev-1"), {"failures": 2})
	_messages(_release, [report]) == {"test report ev-1 records 2 failed and 0 errored tests"}
}

test_errors if {
	report := object.union(_report("ev-2"), {"errors": 1})
	_messages(_release, [_report("ev-1"), report]) == {"test report ev-2 records 0 failed and 1 errored tests"}
}

test_no_tests if {
	report := object.union(_report("ev-1"), {"tests": 0, "skipped": 0})
	_messages(_release, [report]) == {"the attached test reports contain no tests"}
}

test_tests_counted_across_reports if {
	empty := object.union(_report("ev-1"), {"tests": 0})
	_messages(_release, [empty, _report("ev-2")]) == set()
}

test_count_not_a_number if {
	report := object.union(_report("ev-1"), {"failures": "0"})
	_messages(_release, [report]) == {"test report ev-1 has no number of failures"}
}

test_skipped_tests_do_not_fail if {
	report := object.union(_report("ev-1"), {"skipped": 5, "flaky": 2})
	_messages(_release, [report]) == set()
}

test_all_skipped_fails if {
	report := object.union(_report("ev-1"), {"tests": 4, "skipped": 4})
	_messages(_release, [report]) == {"every test in the attached reports was skipped, so no test ran"}
}

test_one_executed_test_is_enough if {
	skipped := object.union(_report("ev-1"), {"tests": 4, "skipped": 4})
	ran := object.union(_report("ev-2"), {"tests": 1, "skipped": 0})
	_messages(_release, [skipped, ran]) == set()
}

test_header_declaring_missing_failures_fails if {
	report := object.union(_report("ev-1"), {"missing_failures": 1})
	_messages(_release, [report]) == {"test report ev-1 declares 1 more failed or errored tests in its header than its test cases show; the report may be truncated"}
}
