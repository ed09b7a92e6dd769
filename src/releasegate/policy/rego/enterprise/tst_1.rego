# METADATA
# title: Tests passed for the release's commit
# description: >-
#   At least one test report is attached, every report was produced from the
#   release's source commit, the reports contain tests, and none of them
#   records a failed or errored test.
# custom:
#   id: TST-1
#   short_name: tests_passed
#   blocking: true
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 6.5.1
#     - SOC 2 CC8.1
#   failure_msg: The release has no passing test report for its source commit
#   solution: >-
#     Run the test suite on the release's source commit, fix failing tests,
#     and attach the resulting report (for example JUnit XML) to the release.
#     Remove reports produced from other commits.
package releasegate.controls.tst_1

import rego.v1

import data.releasegate.lib.text

_reports := object.get(object.get(input, "evidence", {}), "test_reports", [])

_count_fields := ["tests", "failures", "errors"]

# METADATA
# title: Applies to every release
# description: Every release needs passing tests.
applicable := true

# METADATA
# title: Test report attached
# description: At least one test report is attached to the release.
# custom:
#   short_name: report_attached
#   failure_msg: No test report is attached
#   solution: Run the test suite on the release's source commit and attach its report.
violation contains {"msg": "no test report attached"} if {
	count(_reports) == 0
}

# METADATA
# title: Report names a commit
# description: Each test report names the commit it was produced from.
# custom:
#   short_name: report_names_commit
#   failure_msg: A test report does not name the commit it was produced from
#   solution: >-
#     Record the commit when attaching the report (for example from the CI
#     environment), or produce a report format that carries it.
violation contains {"msg": msg} if {
	some report in _reports
	not text.present(report.commit)
	msg := text.join(["test report ", object.get(report, "id", null), " names no source commit"])
}

# METADATA
# title: Report is for the release's commit
# description: Each test report was produced from the release's source commit.
# custom:
#   short_name: report_for_release_commit
#   failure_msg: A test report was produced from another commit
#   solution: Run the tests on the release's source commit and attach that report instead.
violation contains {"msg": msg} if {
	some report in _reports
	text.present(report.commit)
	text.present(input.release.source_commit)
	lower(report.commit) != lower(input.release.source_commit)
	msg := text.join([
		"test report ", object.get(report, "id", null), " is for commit ", report.commit,
		", not the release's source commit ", input.release.source_commit,
	])
}

# METADATA
# title: Release commit known
# description: The release names its source commit, so that reports can be matched to it.
# custom:
#   short_name: release_commit_known
#   failure_msg: The release names no source commit to match test reports against
#   solution: Set the source_commit field of the release manifest.
violation contains {"msg": "the release names no source commit, so no test report can be matched to it"} if {
	count(_reports) > 0
	not text.present(input.release.source_commit)
}

# METADATA
# title: Report counts are numbers
# description: Each test report gives its test, failure and error counts as numbers.
# custom:
#   short_name: report_counts_numeric
#   failure_msg: A test report has a count that is not a number
#   solution: Attach a report that the test report parser can read, or fix the parser output.
violation contains {"msg": msg} if {
	some report in _reports
	some field in _count_fields
	not is_number(report[field])
	msg := text.join(["test report ", object.get(report, "id", null), " has no number of ", field])
}

# METADATA
# title: No failed tests
# description: No test report records a failed or errored test.
# custom:
#   short_name: no_failures
#   failure_msg: A test report records failed or errored tests
#   solution: Fix the failing tests, run the suite again on the release's source commit and attach the new report.
violation contains {"msg": msg} if {
	some report in _reports
	is_number(report.failures)
	is_number(report.errors)
	report.failures + report.errors > 0
	msg := text.join([
		"test report ", object.get(report, "id", null), " records ", report.failures, " failed and ",
		report.errors, " errored tests",
	])
}

# METADATA
# title: Tests ran
# description: The attached test reports contain at least one test in total.
# custom:
#   short_name: tests_ran
#   failure_msg: The test reports contain no tests
#   solution: Check that the test suite ran and that the attached report is the right one.
violation contains {"msg": "the attached test reports contain no tests"} if {
	count(_reports) > 0
	every report in _reports {
		is_number(report.tests)
	}
	sum([report.tests | some report in _reports]) == 0
}

# METADATA
# title: Some test ran
# description: At least one test case of the attached reports ran rather than being skipped.
# custom:
#   short_name: some_test_ran
#   failure_msg: Every test case was skipped
#   solution: Run the test suite so that its tests execute, then attach the new report.
violation contains {"msg": "every test in the attached reports was skipped, so no test ran"} if {
	count(_reports) > 0
	every report in _reports {
		is_number(report.tests)
		is_number(object.get(report, "skipped", null))
	}
	sum([report.tests | some report in _reports]) > 0
	sum([ran | some report in _reports; ran := report.tests - report.skipped]) == 0
}

# METADATA
# title: Report header agrees with its failures
# description: >-
#   No suite header declares more failed or errored tests than the report's
#   test cases show; a report cut short or edited must not pass.
# custom:
#   short_name: header_failures_accounted
#   failure_msg: A suite header declares failures that the test cases do not show
#   solution: >-
#     Attach the complete report as the test runner wrote it; if the runner
#     writes such headers itself, rerun the suite and attach the new report.
violation contains {"msg": msg} if {
	some report in _reports
	missing := object.get(report, "missing_failures", 0)
	is_number(missing)
	missing > 0
	msg := text.join([
		"test report ", object.get(report, "id", null), " declares ", missing,
		" more failed or errored tests in its header than its test cases show; ",
		"the report may be truncated",
	])
}
