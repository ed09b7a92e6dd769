"""JUnit XML test reports, as written by Maven Surefire, pytest, C++ test frameworks and others.

Counts always come from the <testcase> elements. Header attributes such as
tests="57" are only compared with them, and each disagreement becomes a warning.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from releasegate.evidence._xml import local_name, parse_xml
from releasegate.evidence.interface import EvidenceError
from releasegate.model.evidence import (
    EvidenceKind,
    TestCase,
    TestOutcome,
    TestReport,
    TestSuite,
)

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 1000
"""Failure messages longer than this many characters are cut, with a marker."""

MAX_SUITE_DEPTH = 64
"""Deepest <testsuite> nesting accepted, as a guard against crafted input."""

_ROOT_ELEMENTS = frozenset({"testsuites", "testsuite"})

# When a case carries several outcome signals, the one with the highest rank wins.
_OUTCOME_RANK = {
    TestOutcome.PASSED: 0,
    TestOutcome.SKIPPED: 1,
    TestOutcome.FAILED: 2,
    TestOutcome.ERROR: 3,
}

_CHILD_OUTCOMES = {
    "failure": TestOutcome.FAILED,
    "error": TestOutcome.ERROR,
    "skipped": TestOutcome.SKIPPED,
}

# Maven Surefire writes these when a rerun was needed. Without a <failure> or <error>
# element the test passed on a rerun, so it counts as passed and flaky.
_FLAKY_ELEMENTS = frozenset({"flakyFailure", "flakyError", "rerunFailure", "rerunError"})

# Values of the testcase `status` attribute that some writers, C++ test frameworks
# among them, add next to the child elements. "run" and "passed" add nothing to them.
_STATUS_OUTCOMES = {
    "passed": TestOutcome.PASSED,
    "pass": TestOutcome.PASSED,
    "success": TestOutcome.PASSED,
    "ok": TestOutcome.PASSED,
    "run": TestOutcome.PASSED,
    "failed": TestOutcome.FAILED,
    "failure": TestOutcome.FAILED,
    "fail": TestOutcome.FAILED,
    "error": TestOutcome.ERROR,
    "errored": TestOutcome.ERROR,
    "skipped": TestOutcome.SKIPPED,
    "skip": TestOutcome.SKIPPED,
    "disabled": TestOutcome.SKIPPED,
    "notrun": TestOutcome.SKIPPED,
    "ignored": TestOutcome.SKIPPED,
}


@dataclass
class _SuiteNode:
    """One <testsuites> or <testsuite> element with its direct test cases and child suites."""

    element: Element
    path: str
    name: str
    label: str
    cases: list[TestCase] = field(default_factory=list)
    children: list[_SuiteNode] = field(default_factory=list)

    def walk(self) -> Iterator[_SuiteNode]:
        """Yield this node and every nested node in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def all_cases(self) -> list[TestCase]:
        """Return the test cases of this node and of every nested suite."""
        return [case for node in self.walk() for case in node.cases]


class JUnitParser:
    """Parser for JUnit XML with a <testsuites> or <testsuite> root."""

    format = "junit"
    kind = EvidenceKind.TEST_REPORT

    def parse(self, data: bytes, *, source: str) -> TestReport:
        """Parse a JUnit XML report.

        Raises EvidenceError for unsafe or malformed XML, a root element other than
        <testsuites> or <testsuite>, a test case without a name, and a report that
        contains no test cases at all.
        """
        root = parse_xml(data, source=source)
        root_name = local_name(root.tag)
        if root_name not in _ROOT_ELEMENTS:
            raise EvidenceError(
                f"root element is <{root_name}>, but a JUnit report starts with "
                "<testsuites> or <testsuite>",
                source=source,
                field=f"<{root_name}>",
                hint="Upload the JUnit XML report of the test run (for example "
                "pytest --junitxml or the Surefire TEST-*.xml files).",
            )

        reader = _ReportReader(source)
        tree = reader.read_suite(root, path=root_name, depth=0)
        report = reader.build_report(tree)
        logger.debug(
            "parsed JUnit report %s: %d tests, %d failures, %d errors, %d skipped, %d flaky",
            source,
            report.tests,
            report.failures,
            report.errors,
            report.skipped,
            report.flaky,
        )
        return report


class _ReportReader:
    """State for reading one report: the file name for errors and the warnings so far."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []
        self.missing_failures = 0

    def read_suite(self, element: Element, *, path: str, depth: int) -> _SuiteNode:
        """Read `element` and its nested suites into a tree of nodes."""
        if depth > MAX_SUITE_DEPTH:
            raise EvidenceError(
                f"test suites are nested more than {MAX_SUITE_DEPTH} levels deep",
                source=self.source,
                field=path,
                hint="Flatten the nested suites of the report, then upload it again.",
            )

        is_root_collection = local_name(element.tag) == "testsuites"
        name = (element.get("name") or "").strip()
        if is_root_collection:
            label = f"<testsuites> '{name}'" if name else "<testsuites>"
        else:
            label = f"suite '{name or path}'"
        node = _SuiteNode(element=element, path=path, name=name or path, label=label)

        suite_count = 0
        case_count = 0
        for child in element:
            child_name = local_name(child.tag)
            if child_name == "testsuite":
                suite_count += 1
                child_path = f"{path}/testsuite[{suite_count}]"
                node.children.append(self.read_suite(child, path=child_path, depth=depth + 1))
            elif child_name == "testcase":
                case_count += 1
                node.cases.append(self.read_case(child, path=f"{path}/testcase[{case_count}]"))

        if is_root_collection and node.cases:
            self.warnings.append(
                f"{node.label} contains {_count_cases(len(node.cases))} outside any "
                "<testsuite>, so they are reported as their own suite"
            )
        return node

    def read_case(self, element: Element, *, path: str) -> TestCase:
        """Read one <testcase>, taking the most severe of its child elements and status."""
        name = (element.get("name") or "").strip()
        if not name:
            raise EvidenceError(
                "test case has no name attribute",
                source=self.source,
                field=path,
                hint="Every <testcase> needs a name. Check the report writer of the test runner.",
            )

        outcome_element: Element | None = None
        child_outcome: TestOutcome | None = None
        flaky_element: Element | None = None
        for child in element:
            child_name = local_name(child.tag)
            outcome = _CHILD_OUTCOMES.get(child_name)
            if outcome is not None:
                if child_outcome is None or _OUTCOME_RANK[outcome] > _OUTCOME_RANK[child_outcome]:
                    child_outcome = outcome
                    outcome_element = child
            elif child_name in _FLAKY_ELEMENTS and flaky_element is None:
                flaky_element = child

        candidates = [TestOutcome.PASSED, child_outcome, self._status_outcome(element, name, path)]
        final = max(
            (candidate for candidate in candidates if candidate is not None),
            key=_OUTCOME_RANK.__getitem__,
        )
        flaky = final is TestOutcome.PASSED and flaky_element is not None

        message: str | None = None
        if outcome_element is not None:
            message = _message_of(outcome_element)
        elif flaky and flaky_element is not None:
            message = _message_of(flaky_element)

        return TestCase(
            name=name,
            classname=element.get("classname", ""),
            outcome=final,
            time_seconds=_parse_seconds(element.get("time")),
            message=message,
            flaky=flaky,
        )

    def _status_outcome(self, element: Element, name: str, path: str) -> TestOutcome | None:
        raw = element.get("status")
        if raw is None or not raw.strip():
            return None
        outcome = _STATUS_OUTCOMES.get(raw.strip().lower())
        if outcome is None:
            self.warnings.append(
                f"test case '{name}' ({path}) has unknown status '{raw}', so its outcome "
                "comes from its child elements"
            )
        return outcome

    def build_report(self, tree: _SuiteNode) -> TestReport:
        """Flatten the tree into suites, compare every header, and total the counts."""
        total_cases = len(tree.all_cases())
        if total_cases == 0:
            raise EvidenceError(
                "report contains no test cases, and a test report with zero test cases "
                "proves nothing",
                source=self.source,
                field=tree.path,
                hint="Check that the tests ran and that the runner wrote their results "
                "into this file before it was collected.",
            )

        suites: list[TestSuite] = []
        for node in tree.walk():
            self._compare_header(node)
            # A suite that only groups other suites adds no cases of its own.
            if node.cases or not node.children:
                suites.append(_to_suite(node))

        cases = [case for suite in suites for case in suite.cases]
        return TestReport(
            format=JUnitParser.format,
            suites=tuple(suites),
            tests=len(cases),
            failures=sum(1 for case in cases if case.outcome is TestOutcome.FAILED),
            errors=sum(1 for case in cases if case.outcome is TestOutcome.ERROR),
            skipped=sum(1 for case in cases if case.outcome is TestOutcome.SKIPPED),
            flaky=sum(1 for case in cases if case.flaky),
            missing_failures=self.missing_failures,
            warnings=tuple(self.warnings),
        )

    def _compare_header(self, node: _SuiteNode) -> None:
        """Add a warning for each header count that differs from the test cases under `node`."""
        cases = node.all_cases()
        counted = {
            "tests": len(cases),
            "failures": sum(1 for case in cases if case.outcome is TestOutcome.FAILED),
            "errors": sum(1 for case in cases if case.outcome is TestOutcome.ERROR),
            "skipped": sum(1 for case in cases if case.outcome is TestOutcome.SKIPPED),
        }
        phrases = {
            "tests": "present",
            "failures": "failed",
            "errors": "ended in an error",
            "skipped": "skipped",
        }

        declared: dict[str, int] = {}
        for attribute in ("tests", "failures", "errors", "skipped", "disabled"):
            value = self._header_number(node, attribute)
            if value is not None:
                declared[attribute] = value

        # Disabled cases count as skipped, so a `disabled` header adds to `skipped`.
        if "disabled" in declared:
            disabled = declared.pop("disabled")
            if "skipped" in declared:
                declared["skipped+disabled"] = declared.pop("skipped") + disabled
            else:
                declared["disabled"] = disabled

        # A header that declares more failures and errors than the cases show
        # points at a truncated or rewritten report, which must not pass.
        declared_failing = declared.get("failures", 0) + declared.get("errors", 0)
        counted_failing = counted["failures"] + counted["errors"]
        self.missing_failures = max(self.missing_failures, declared_failing - counted_failing)

        for attribute, value in declared.items():
            key = "skipped" if attribute in ("disabled", "skipped+disabled") else attribute
            actual = counted[key]
            if value != actual:
                self.warnings.append(
                    f"{node.label} header says {attribute}={value} but "
                    f"{_count_cases(actual)} {_verb(actual, phrases[key])}"
                )

    def _header_number(self, node: _SuiteNode, attribute: str) -> int | None:
        raw = node.element.get(attribute)
        if raw is None or not raw.strip():
            return None
        try:
            return int(raw.strip())
        except ValueError:
            self.warnings.append(
                f"{node.label} header attribute {attribute}='{raw}' is not a whole "
                "number and was ignored"
            )
            return None


def _to_suite(node: _SuiteNode) -> TestSuite:
    cases = tuple(node.cases)
    return TestSuite(
        name=node.name,
        tests=len(cases),
        failures=sum(1 for case in cases if case.outcome is TestOutcome.FAILED),
        errors=sum(1 for case in cases if case.outcome is TestOutcome.ERROR),
        skipped=sum(1 for case in cases if case.outcome is TestOutcome.SKIPPED),
        cases=cases,
    )


def _message_of(element: Element) -> str | None:
    """Return the `message` attribute, else the element text, else the `type` attribute."""
    for candidate in (element.get("message"), element.text, element.get("type")):
        if candidate is not None and candidate.strip():
            return _trim(candidate.strip())
    return None


def _trim(text: str) -> str:
    if len(text) <= MAX_MESSAGE_LENGTH:
        return text
    cut = len(text) - MAX_MESSAGE_LENGTH
    return f"{text[:MAX_MESSAGE_LENGTH]}… [{cut} more characters]"


def _parse_seconds(raw: str | None) -> float | None:
    """Return the `time` attribute in seconds, or None when it is absent or not a plain number.

    Surefire can write locale-formatted values such as "1,234.5", or an empty string.
    Those give None, because the comma could be a decimal or a thousands separator.
    """
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _count_cases(count: int) -> str:
    return f"{count} test case" if count == 1 else f"{count} test cases"


def _verb(count: int, phrase: str) -> str:
    """Return the verb phrase for "N test cases …", for example "are present"."""
    if phrase in ("present", "skipped"):
        return f"{'is' if count == 1 else 'are'} {phrase}"
    return phrase
