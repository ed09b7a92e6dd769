"""Evidence records and the normalized facts parsers produce from raw files."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field

from releasegate.model.common import Frozen, NonEmpty, Sha256


class EvidenceKind(enum.StrEnum):
    """Subject of a piece of evidence, independent of its file format."""

    TEST_REPORT = "test-report"
    SCAN = "scan"
    IAC_PLAN = "iac-plan"
    MIGRATIONS = "migrations"
    API_CHANGES = "api-changes"
    EVENT_SCHEMAS = "event-schemas"
    SECRET_SCAN = "secret-scan"  # noqa: S105 - an evidence kind, not a secret
    VEX = "vex"
    PROVENANCE = "provenance"
    SIGNATURE = "signature"
    COMMIT_SIGNATURES = "commit-signatures"
    PULL_REQUEST = "pull-request"
    SYNTHETIC_TEST = "synthetic-test"


class TestOutcome(enum.StrEnum):
    """Result of one test case."""

    __test__ = False  # not a pytest test class despite the name

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class TestCase(Frozen):
    """One test case of a report."""

    __test__ = False

    name: str
    classname: str = ""
    outcome: TestOutcome
    time_seconds: float | None = None
    message: str | None = None
    flaky: bool = Field(default=False, description="Failed at least once, then passed on a rerun.")


class TestSuite(Frozen):
    """A suite with counts taken from its test cases, not from its header."""

    __test__ = False

    name: str
    tests: int
    failures: int
    errors: int
    skipped: int
    cases: tuple[TestCase, ...]


class TestReport(Frozen):
    """Normalized JUnit-style test report."""

    __test__ = False

    format: str
    suites: tuple[TestSuite, ...]
    tests: int
    failures: int
    errors: int
    skipped: int
    flaky: int
    missing_failures: int = Field(
        default=0,
        description="Failures and errors a suite header declares beyond its failing cases.",
    )
    warnings: tuple[str, ...] = ()


class Severity(enum.StrEnum):
    """Normalized finding severity, from most to least severe.

    `unknown` never counts as low: policies treat it as blocking.
    """

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    UNKNOWN = "unknown"


class Finding(Frozen):
    """One scanner result that counts as a finding."""

    tool: NonEmpty
    rule_id: NonEmpty
    severity: Severity
    level: str
    message: str
    location: str | None = None
    line: int | None = None
    fingerprint: NonEmpty
    cve: str | None = None
    suppressed: bool = False
    severity_source: str = Field(description="What the severity was derived from.")
    package: str | None = Field(default=None, description="Affected package name or purl.")
    version: str | None = Field(default=None, description="Installed version of the package.")
    fixed_version: str | None = Field(default=None, description="First version with a fix.")
    fix_available: bool | None = Field(
        default=None, description="Whether a fixed version exists; None when the report is silent."
    )
    vex_state: str | None = Field(
        default=None, description="CycloneDX analysis state the report or a VEX document gives."
    )
    vex_justification: str | None = None
    commit: str | None = Field(default=None, description="Commit a secret finding was seen in.")


class ScanRun(Frozen):
    """Normalized scanner output: one or more tool runs and their findings."""

    format: str
    tools: tuple[str, ...]
    execution_successful: bool | None
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...] = ()
    scanned_at: datetime | None = Field(
        default=None, description="When the scanner finished, if the report records it."
    )
    category: str = Field(
        default="vulnerability", description="What the scan looks for: vulnerability or secret."
    )
    target: str | None = Field(default=None, description="What was scanned (image, folder).")


class EvidenceRecord(Frozen):
    """A stored piece of evidence attached to a release."""

    id: NonEmpty
    release_id: NonEmpty
    kind: EvidenceKind
    format: NonEmpty
    sha256: Sha256
    filename: NonEmpty
    size: int
    commit: str | None = None
    collected_at: datetime
    summary: dict[str, int | str | bool | None]
