"""Unit tests for the JUnit XML parser, on small reports built in each test."""

from __future__ import annotations

import pytest

from releasegate.evidence import EvidenceError, JUnitParser
from releasegate.evidence.junit import MAX_MESSAGE_LENGTH, MAX_SUITE_DEPTH
from releasegate.model.evidence import TestOutcome, TestReport

SOURCE = "report.xml"


def parse(xml: str | bytes) -> TestReport:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return JUnitParser().parse(data, source=SOURCE)


def parse_error(xml: str | bytes) -> EvidenceError:
    with pytest.raises(EvidenceError) as caught:
        parse(xml)
    return caught.value


def single_case(body: str, attributes: str = "") -> TestReport:
    return parse(
        f'<testsuite name="s"><testcase name="t" {attributes}>{body}</testcase></testsuite>'
    )


# Structure and counting


def test_junit_bare_testsuite_counts_cases() -> None:
    report = parse(
        '<testsuite name="unit" tests="2">'
        '<testcase classname="a.B" name="one" time="0.5"/>'
        '<testcase classname="a.B" name="two"><failure message="boom"/></testcase>'
        "</testsuite>"
    )

    assert report.format == "junit"
    assert report.tests == 2
    assert report.failures == 1
    assert report.errors == 0
    assert report.skipped == 0
    assert report.flaky == 0
    assert report.warnings == ()
    assert [suite.name for suite in report.suites] == ["unit"]
    assert report.suites[0].cases[0].classname == "a.B"
    assert report.suites[0].cases[0].time_seconds == 0.5


def test_junit_nested_suites_any_depth() -> None:
    report = parse(
        "<testsuites>"
        '<testsuite name="outer">'
        '<testcase name="o1"/>'
        '<testsuite name="middle">'
        '<testsuite name="inner"><testcase name="i1"/><testcase name="i2"><error/></testcase>'
        "</testsuite>"
        "</testsuite>"
        "</testsuite>"
        '<testsuite name="second"><testcase name="s1"><skipped/></testcase></testsuite>'
        "</testsuites>"
    )

    # "middle" only groups "inner", so it adds no suite of its own.
    assert [suite.name for suite in report.suites] == ["outer", "inner", "second"]
    assert [suite.tests for suite in report.suites] == [1, 2, 1]
    assert report.tests == 4
    assert report.errors == 1
    assert report.skipped == 1


def test_junit_empty_leaf_suite_is_kept() -> None:
    report = parse(
        '<testsuites><testsuite name="empty"/><testsuite name="full"><testcase name="t"/>'
        "</testsuite></testsuites>"
    )

    assert [(suite.name, suite.tests) for suite in report.suites] == [("empty", 0), ("full", 1)]


def test_junit_unnamed_suite_uses_path() -> None:
    report = parse('<testsuites><testsuite><testcase name="t"/></testsuite></testsuites>')

    assert report.suites[0].name == "testsuites/testsuite[1]"


def test_junit_namespaced_root_is_accepted() -> None:
    report = parse('<testsuite xmlns="urn:example"><testcase name="t"/></testsuite>')

    assert report.tests == 1


def test_junit_stray_cases_kept_with_warning() -> None:
    report = parse(
        '<testsuites name="run"><testcase name="stray"><failure/></testcase>'
        '<testsuite name="s"><testcase name="t"/></testsuite></testsuites>'
    )

    assert report.tests == 2
    assert report.failures == 1
    assert [suite.name for suite in report.suites] == ["run", "s"]
    assert report.warnings == (
        "<testsuites> 'run' contains 1 test case outside any <testsuite>, so they are "
        "reported as their own suite",
    )


# Header attributes


def test_junit_header_mismatch_warns() -> None:
    report = parse(
        '<testsuite name="x" tests="57" failures="2" errors="3" skipped="4">'
        '<testcase name="a"><failure/></testcase>'
        '<testcase name="b"><error/></testcase>'
        '<testcase name="c"/>'
        "</testsuite>"
    )

    assert report.tests == 3
    assert report.warnings == (
        "suite 'x' header says tests=57 but 3 test cases are present",
        "suite 'x' header says failures=2 but 1 test case failed",
        "suite 'x' header says errors=3 but 1 test case ended in an error",
        "suite 'x' header says skipped=4 but 0 test cases are skipped",
    )


def test_junit_root_header_counts_nested_cases() -> None:
    report = parse(
        '<testsuites name="all" tests="2" failures="1">'
        '<testsuite name="a" tests="1"><testcase name="a1"/></testsuite>'
        '<testsuite name="b" tests="1" failures="1"><testcase name="b1"><failure/></testcase>'
        "</testsuite></testsuites>"
    )

    assert report.warnings == ()


def test_junit_header_not_a_number_warns() -> None:
    report = parse('<testsuite name="x" tests="1,234"><testcase name="t"/></testsuite>')

    assert report.tests == 1
    assert report.warnings == (
        "suite 'x' header attribute tests='1,234' is not a whole number and was ignored",
    )


def test_junit_disabled_header_counts_as_skipped() -> None:
    report = parse(
        '<testsuite name="x" tests="2" disabled="1">'
        '<testcase name="a" status="disabled"/><testcase name="b"/></testsuite>'
    )

    assert report.skipped == 1
    assert report.warnings == ()


def test_junit_skipped_disabled_headers_add() -> None:
    report = parse(
        '<testsuite name="x" tests="2" skipped="1" disabled="2">'
        '<testcase name="a" status="disabled"/><testcase name="b"><skipped/></testcase>'
        "</testsuite>"
    )

    assert report.warnings == (
        "suite 'x' header says skipped+disabled=3 but 2 test cases are skipped",
    )


# Outcomes and messages


def test_junit_failure_message_from_attribute() -> None:
    report = single_case('<failure message="expected 1" type="AssertionError">trace</failure>')

    case = report.suites[0].cases[0]
    assert case.outcome is TestOutcome.FAILED
    assert case.message == "expected 1"


def test_junit_failure_message_from_text() -> None:
    report = single_case("<failure>\n  expected 2 but was 3\n  </failure>")

    assert report.suites[0].cases[0].message == "expected 2 but was 3"


def test_junit_failure_message_from_type() -> None:
    report = single_case('<failure type="java.lang.AssertionError"/>')

    assert report.suites[0].cases[0].message == "java.lang.AssertionError"


def test_junit_failure_without_message_is_none() -> None:
    report = single_case("<failure/>")

    assert report.suites[0].cases[0].message is None


def test_junit_long_message_is_trimmed() -> None:
    report = single_case(f'<failure message="{"x" * (MAX_MESSAGE_LENGTH + 5)}"/>')

    message = report.suites[0].cases[0].message
    assert message == "x" * MAX_MESSAGE_LENGTH + "… [5 more characters]"


def test_junit_error_outcome() -> None:
    report = single_case('<error message="NullPointerException"/>')

    assert report.suites[0].cases[0].outcome is TestOutcome.ERROR
    assert report.errors == 1
    assert report.failures == 0


def test_junit_skipped_outcome_keeps_reason() -> None:
    report = single_case('<skipped message="needs a database"/>')

    case = report.suites[0].cases[0]
    assert case.outcome is TestOutcome.SKIPPED
    assert case.message == "needs a database"


def test_junit_error_outranks_failure() -> None:
    report = single_case('<failure message="f"/><error message="e"/>')

    case = report.suites[0].cases[0]
    assert case.outcome is TestOutcome.ERROR
    assert case.message == "e"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("disabled", TestOutcome.SKIPPED),
        ("notrun", TestOutcome.SKIPPED),
        ("failed", TestOutcome.FAILED),
        ("fail", TestOutcome.FAILED),
        ("errored", TestOutcome.ERROR),
        ("passed", TestOutcome.PASSED),
        ("run", TestOutcome.PASSED),
        ("PASSED", TestOutcome.PASSED),
    ],
)
def test_junit_status_attribute_sets_outcome(status: str, expected: TestOutcome) -> None:
    report = single_case("", attributes=f'status="{status}"')

    assert report.suites[0].cases[0].outcome is expected
    assert report.warnings == ()


def test_junit_status_passed_cannot_hide_failure() -> None:
    report = single_case('<failure message="boom"/>', attributes='status="passed"')

    assert report.suites[0].cases[0].outcome is TestOutcome.FAILED


def test_junit_status_failed_outranks_skipped_element() -> None:
    report = single_case("<skipped/>", attributes='status="failed"')

    assert report.suites[0].cases[0].outcome is TestOutcome.FAILED


def test_junit_status_unknown_warns() -> None:
    report = single_case("", attributes='status="weird"')

    assert report.suites[0].cases[0].outcome is TestOutcome.PASSED
    assert report.warnings == (
        "test case 't' (testsuite/testcase[1]) has unknown status 'weird', so its outcome "
        "comes from its child elements",
    )


@pytest.mark.parametrize("element", ["flakyFailure", "flakyError", "rerunFailure", "rerunError"])
def test_junit_rerun_only_is_flaky_pass(element: str) -> None:
    report = single_case(f'<{element} message="first try failed"/>')

    case = report.suites[0].cases[0]
    assert case.outcome is TestOutcome.PASSED
    assert case.flaky is True
    assert case.message == "first try failed"
    assert report.flaky == 1
    assert report.failures == 0


def test_junit_rerun_with_failure_not_flaky() -> None:
    report = single_case('<failure message="still failing"/><rerunFailure message="again"/>')

    case = report.suites[0].cases[0]
    assert case.outcome is TestOutcome.FAILED
    assert case.flaky is False
    assert case.message == "still failing"
    assert report.flaky == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('time="1.5"', 1.5),
        ('time=" 2 "', 2.0),
        ('time="1,234.5"', None),
        ('time="0,5"', None),
        ('time=""', None),
        ('time="abc"', None),
        ('time="-1"', None),
        ('time="nan"', None),
        ("", None),
    ],
)
def test_junit_time_is_tolerant(raw: str, expected: float | None) -> None:
    report = single_case("", attributes=raw)

    assert report.suites[0].cases[0].time_seconds == expected


def test_junit_declared_latin1_encoding_is_honoured() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="s">'
        '<testcase name="caf\xe9"/></testsuite>'
    ).encode("latin-1")

    report = parse(data)

    assert report.suites[0].cases[0].name == "café"


# Rejected input


def test_junit_empty_file_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"report\.xml: file is empty"):
        parse(b"")


def test_junit_whitespace_file_rejected() -> None:
    with pytest.raises(EvidenceError, match="file is empty"):
        parse(b" \n\t ")


def test_junit_truncated_xml_rejected() -> None:
    error = parse_error('<testsuite name="s"><testcase name="t">')

    assert str(error).startswith("report.xml: line 1, column 40: invalid XML: no element found")
    assert error.source == SOURCE
    assert error.field == "line 1, column 40"
    assert error.hint is not None
    assert "truncated" in error.hint


def test_junit_wrong_root_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"<html>: root element is <html>, but a JUnit report starts with <testsuites>",
    ):
        parse("<html><body/></html>")


def test_junit_no_test_cases_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match="report contains no test cases, and a test report with zero test cases "
        "proves nothing",
    ):
        parse('<testsuite name="s" tests="3"/>')


def test_junit_nested_suites_without_cases_rejected() -> None:
    error = parse_error("<testsuites><testsuite><testsuite/></testsuite></testsuites>")

    assert error.field == "testsuites"
    assert "no test cases" in error.message


def test_junit_case_without_name_rejected() -> None:
    error = parse_error('<testsuites><testsuite><testcase classname="a"/></testsuite></testsuites>')

    assert error.message == (
        "report.xml: testsuites/testsuite[1]/testcase[1]: test case has no name attribute"
    )
    assert error.field == "testsuites/testsuite[1]/testcase[1]"


def test_junit_too_deep_nesting_rejected() -> None:
    depth = MAX_SUITE_DEPTH + 2
    xml = "<testsuite>" * depth + '<testcase name="t"/>' + "</testsuite>" * depth

    with pytest.raises(EvidenceError, match=f"nested more than {MAX_SUITE_DEPTH} levels deep"):
        parse(xml)


def test_junit_non_utf8_rejected() -> None:
    error = parse_error(b'<testsuite name="s"><testcase name="caf\xe9"/></testsuite>')

    assert error.message == (
        "report.xml: byte offset 39: file is not valid UTF-8: byte 0xe9 cannot be decoded"
    )
    assert error.field == "byte offset 39"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite name="&lol3;"><testcase name="t"/></testsuite>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuite name="s"><testcase name="&secret;"/></testsuite>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/junit.dtd">
<testsuite name="s"><testcase name="t"/></testsuite>
"""


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "entity", "dtd"]
)
def test_junit_unsafe_xml_rejected(document: str) -> None:
    error = parse_error(document)

    assert error.message == (
        "report.xml: <!DOCTYPE>: XML document type declarations (<!DOCTYPE>) are not allowed"
    )
    assert error.field == "<!DOCTYPE>"
    assert error.hint is not None
    assert "Remove the <!DOCTYPE> declaration" in error.hint


def test_junit_undefined_entity_rejected() -> None:
    with pytest.raises(EvidenceError, match="invalid XML: undefined entity"):
        parse('<testsuite name="&x;"><testcase name="t"/></testsuite>')
