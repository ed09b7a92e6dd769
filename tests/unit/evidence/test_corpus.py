"""Parse every JUnit and SARIF file of the shared corpus of real tool output.

The corpus lives next to the repository checkout, in ../shared/corpus, and is read in
place. Each expected value below was derived by reading the file by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from releasegate.evidence import EvidenceError, JUnitParser, SarifParser, parse_evidence
from releasegate.model.evidence import ScanRun, Severity, TestOutcome, TestReport

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def corpus_file(folder: str, name: str) -> Path:
    path = CORPUS / folder / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return path


# JUnit


@dataclass(frozen=True)
class SuiteCounts:
    name: str
    tests: int
    failures: int
    errors: int
    skipped: int


@dataclass(frozen=True)
class ReportExpectation:
    tests: int
    failures: int
    errors: int
    skipped: int
    flaky: int
    suites: tuple[SuiteCounts, ...]
    warnings: tuple[str, ...] = ()


JUNIT_REPORTS = {
    "action-junit-report__issues_testDisabled.xml": ReportExpectation(
        tests=22,
        failures=4,
        errors=2,
        skipped=10,
        flaky=0,
        suites=(SuiteCounts("factorial", 22, 4, 2, 10),),
    ),
    "action-junit-report__maven_surefire_flaky_surefire-report.xml": ReportExpectation(
        tests=1,
        failures=0,
        errors=0,
        skipped=0,
        flaky=1,
        suites=(
            SuiteCounts(
                "io.sodadata.dependson.soda.integrations.msteams.MicrosoftTeamsCrudTest", 1, 0, 0, 0
            ),
        ),
    ),
    "action-junit-report__nested_multi-level.xml": ReportExpectation(
        tests=3,
        failures=0,
        errors=0,
        skipped=0,
        flaky=0,
        suites=(
            SuiteCounts("XEP-0199: XMPP Ping", 2, 0, 0, 0),
            SuiteCounts("XEP-0045: Multi-User Chat", 1, 0, 0, 0),
        ),
        warnings=(
            "<testsuites> 'XMPP specification test run with ID uj4f1' header says tests=57 "
            "but 3 test cases are present",
            "suite 'XEP-0045: Multi-User Chat' header says tests=27 but 1 test case is present",
        ),
    ),
    "action-junit-report__python_report_flaky.xml": ReportExpectation(
        tests=4,
        failures=2,
        errors=0,
        skipped=0,
        flaky=0,
        suites=(SuiteCounts("pytest", 4, 2, 0, 0),),
        warnings=("suite 'pytest' header says tests=3 but 4 test cases are present",),
    ),
}

JUNIT_CORRUPT = "action-junit-report__corrupt_TEST-test.CorruptTest.xml"


def parse_junit(name: str) -> TestReport:
    path = corpus_file("junit", name)
    return JUnitParser().parse(path.read_bytes(), source=name)


@pytest.mark.parametrize("name", sorted(JUNIT_REPORTS))
def test_corpus_junit_counts(name: str) -> None:
    expected = JUNIT_REPORTS[name]

    report = parse_junit(name)

    assert report.tests == expected.tests
    assert report.failures == expected.failures
    assert report.errors == expected.errors
    assert report.skipped == expected.skipped
    assert report.flaky == expected.flaky
    suites = tuple(
        SuiteCounts(suite.name, suite.tests, suite.failures, suite.errors, suite.skipped)
        for suite in report.suites
    )
    assert suites == expected.suites
    assert report.warnings == expected.warnings


def test_corpus_junit_corrupt_surefire_rejected() -> None:
    path = corpus_file("junit", JUNIT_CORRUPT)

    with pytest.raises(EvidenceError) as caught:
        JUnitParser().parse(path.read_bytes(), source=JUNIT_CORRUPT)

    error = caught.value
    assert error.source == JUNIT_CORRUPT
    assert error.field == "line 18, column 26"
    assert error.message == (
        f"{JUNIT_CORRUPT}: line 18, column 26: invalid XML: unclosed CDATA section"
    )
    assert error.hint is not None
    assert "truncated" in error.hint


def test_corpus_junit_disabled_status_outcomes() -> None:
    report = parse_junit("action-junit-report__issues_testDisabled.xml")

    cases = {case.name: case for case in report.suites[0].cases}
    assert cases["disabled_test"].outcome is TestOutcome.SKIPPED
    assert cases["factorial_of_value_from_fixture"].outcome is TestOutcome.FAILED
    assert cases["factorial_of_value_from_fixture"].message == (
        "tests/failed/main.cpp:58: error: check_eq(3628800, 3628801)"
    )
    assert cases["test_which_throws_unknown_exception"].outcome is TestOutcome.ERROR
    assert cases["test_which_throws_unknown_exception"].message == "uncaught unknown exception"
    assert cases["positive_arguments_must_produce_expected_result[3]"].outcome is (
        TestOutcome.PASSED
    )


def test_corpus_junit_surefire_flaky_case() -> None:
    report = parse_junit("action-junit-report__maven_surefire_flaky_surefire-report.xml")

    case = report.suites[0].cases[0]
    assert case.name == "createWebhook"
    assert case.outcome is TestOutcome.PASSED
    assert case.flaky is True
    assert case.time_seconds == 0.683
    assert case.message == "Expected: <false>\n     but: was <true>"


def test_corpus_junit_pytest_failure_messages() -> None:
    report = parse_junit("action-junit-report__python_report_flaky.xml")

    cases = {case.name: case for case in report.suites[0].cases}
    assert cases["test_which_fails"].message == (
        "AssertionError: assert 'test' == 'xyz'\n  - xyz\n  + test"
    )
    assert cases["test_with_error"].outcome is TestOutcome.FAILED
    assert cases["test_with_flaky_success"].outcome is TestOutcome.PASSED
    assert cases["test_with_flaky_success"].flaky is False


# SARIF


@dataclass(frozen=True)
class FindingExpectation:
    rule_id: str
    severity: Severity
    level: str
    location: str | None
    line: int | None
    cve: str | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class ScanExpectation:
    tools: tuple[str, ...]
    execution_successful: bool | None
    findings: tuple[FindingExpectation, ...]
    warnings: tuple[str, ...] = ()


_RULE_INDEX_WARNING = (
    "runs[0].results[{0}].ruleIndex 0 is out of range because the tool defines 0 rules, "
    "so the rule was looked up by ruleId"
)
_TRIVY_IMAGE = "testdata/fixtures/images/alpine-310.tar.gz"

SARIF_SCANS = {
    "codeql-action__fingerprinting.input.sarif": ScanExpectation(
        tools=("CodeQL command-line toolchain",),
        execution_successful=None,
        findings=(
            FindingExpectation(
                "js/unused-local-variable", Severity.MEDIUM, "warning", "testFile1.js", 1
            ),
            # This result names its artifact only by index into run.artifacts.
            FindingExpectation(
                "js/unused-local-variable", Severity.MEDIUM, "warning", "testFile2.js", 2
            ),
        ),
        warnings=(_RULE_INDEX_WARNING.format(0), _RULE_INDEX_WARNING.format(1)),
    ),
    "codeql-action__with-invalid-uri.sarif": ScanExpectation(
        tools=("LGTM.com",),
        execution_successful=None,
        findings=(
            FindingExpectation(
                "js/unused-local-variable", Severity.MEDIUM, "warning", "not a valid URI", 2
            ),
        ),
        warnings=(_RULE_INDEX_WARNING.format(0),),
    ),
    "gitleaks__sarif_simple.sarif": ScanExpectation(
        tools=("gitleaks",),
        execution_successful=None,
        findings=(FindingExpectation("test-rule", Severity.MEDIUM, "warning", "auth.py", 1),),
        warnings=(
            "runs[0].results[0]: rule 'test-rule' is not defined by gitleaks, so its severity "
            "comes from the result alone",
        ),
    ),
    "grype__TestSarifPresenter_image.golden": ScanExpectation(
        tools=("grype",),
        execution_successful=None,
        findings=(
            # security-severity 4.0 (medium) outranks the help text "Severity: low".
            FindingExpectation(
                "CVE-1999-0001-package-1",
                Severity.MEDIUM,
                "warning",
                "image/somefile-1.txt",
                1,
                cve="CVE-1999-0001",
            ),
            # The help text "Severity: critical" outranks security-severity 1.0 (low).
            FindingExpectation(
                "CVE-1999-0002-package-2",
                Severity.CRITICAL,
                "warning",
                "image/somefile-2.txt",
                1,
                cve="CVE-1999-0002",
            ),
        ),
    ),
    "sarif-sdk__Baseline_SuppressionTestCurrent.sarif": ScanExpectation(
        tools=("CodeScanner",),
        execution_successful=None,
        findings=(
            FindingExpectation(
                "TST0001",
                Severity.MEDIUM,
                "warning",
                "file:///C:/code/file1.c",
                None,
                suppressed=True,
            ),
            FindingExpectation(
                "TST0002",
                Severity.MEDIUM,
                "warning",
                "file:///C:/code/file2.c",
                None,
                suppressed=True,
            ),
            FindingExpectation(
                "TST0003",
                Severity.MEDIUM,
                "warning",
                "file:///C:/code/file3.c",
                None,
                suppressed=True,
            ),
            FindingExpectation(
                "TST0004", Severity.MEDIUM, "warning", "file:///C:/code/file4.c", None
            ),
        ),
    ),
    "sarif-sdk__GitHubIngestionVisitor_Inputs_NonErrorResults.sarif": ScanExpectation(
        tools=("Sarif.UnitTests",),
        execution_successful=None,
        findings=(
            FindingExpectation("TEST1001", Severity.MEDIUM, "warning", None, None),
            FindingExpectation("TEST1002", Severity.HIGH, "error", None, None),
            FindingExpectation("TEST1003", Severity.HIGH, "error", None, None),
            FindingExpectation("TEST1004", Severity.MEDIUM, "warning", None, None),
        ),
    ),
    "trivy__alpine-310.sarif.golden": ScanExpectation(
        tools=("Trivy",),
        execution_successful=None,
        findings=tuple(
            FindingExpectation(rule_id, Severity.MEDIUM, "warning", _TRIVY_IMAGE, 1, cve=rule_id)
            for rule_id in ("CVE-2019-1549", "CVE-2019-1551", "CVE-2019-1549", "CVE-2019-1551")
        ),
    ),
}


def parse_sarif(name: str) -> ScanRun:
    path = corpus_file("sarif", name)
    return SarifParser().parse(path.read_bytes(), source=name)


@pytest.mark.parametrize("name", sorted(SARIF_SCANS))
def test_corpus_sarif_findings(name: str) -> None:
    expected = SARIF_SCANS[name]

    scan = parse_sarif(name)

    assert scan.tools == expected.tools
    assert scan.execution_successful is expected.execution_successful
    findings = tuple(
        FindingExpectation(
            finding.rule_id,
            finding.severity,
            finding.level,
            finding.location,
            finding.line,
            cve=finding.cve,
            suppressed=finding.suppressed,
        )
        for finding in scan.findings
    )
    assert findings == expected.findings
    assert scan.warnings == expected.warnings


def test_corpus_sarif_grype_severity_sources() -> None:
    scan = parse_sarif("grype__TestSarifPresenter_image.golden")

    assert [finding.severity_source for finding in scan.findings] == [
        "security-severity 4.0 (medium); help text 'Severity: low' (low); the most severe, "
        "medium, was used",
        "security-severity 1.0 (low); help text 'Severity: critical' (critical); the most "
        "severe, critical, was used",
    ]


def test_corpus_sarif_trivy_fingerprints_distinct() -> None:
    scan = parse_sarif("trivy__alpine-310.sarif.golden")

    # Same CVE on two packages: the messages differ, so the hashes must too.
    assert len({finding.fingerprint for finding in scan.findings}) == 4
    assert scan.findings[0].severity_source == (
        "security-severity 5.3 (medium); tag MEDIUM (medium); help text 'Severity: MEDIUM' (medium)"
    )


def test_corpus_sarif_gitleaks_fingerprint() -> None:
    scan = parse_sarif("gitleaks__sarif_simple.sarif")

    assert scan.findings[0].fingerprint == (
        "author=Example User;commitMessage=opps;commitSha=0000000000000000;"
        "date=10-19-2003;email=user@example.com"
    )


# Coverage of the corpus folders and detection


def test_corpus_every_file_has_expectations() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus {CORPUS} is absent; nothing to compare")

    junit_files = {path.name for path in (CORPUS / "junit").iterdir()}
    sarif_files = {path.name for path in (CORPUS / "sarif").iterdir()}

    assert junit_files == {*JUNIT_REPORTS, JUNIT_CORRUPT}
    assert sarif_files == set(SARIF_SCANS)


@pytest.mark.parametrize(
    ("folder", "name", "expected_format"),
    [("junit", name, "junit") for name in sorted(JUNIT_REPORTS)]
    + [("sarif", name, "sarif") for name in sorted(SARIF_SCANS)],
)
def test_corpus_format_detected(folder: str, name: str, expected_format: str) -> None:
    path = corpus_file(folder, name)

    format_name, _ = parse_evidence(path.read_bytes(), source=name)

    assert format_name == expected_format
