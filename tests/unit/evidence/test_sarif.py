"""Unit tests for the SARIF 2.1.0 parser, on small logs built in each test."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from releasegate.evidence import EvidenceError, SarifParser
from releasegate.model.evidence import Finding, ScanRun, Severity

SOURCE = "scan.sarif"


def make_run(
    results: list[Any] | None,
    *,
    rules: list[Any] | None = None,
    tool: str = "scanner",
    **extra: Any,
) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": tool}
    if rules is not None:
        driver["rules"] = rules
    run: dict[str, Any] = {"tool": {"driver": driver}, **extra}
    if results is not None:
        run["results"] = results
    return run


def parse_document(document: Any) -> ScanRun:
    return SarifParser().parse(json.dumps(document).encode("utf-8"), source=SOURCE)


def parse_runs(*runs: dict[str, Any]) -> ScanRun:
    return parse_document({"version": "2.1.0", "runs": list(runs)})


def parse_error(document: Any) -> EvidenceError:
    with pytest.raises(EvidenceError) as caught:
        parse_document(document)
    return caught.value


def only_finding(result: dict[str, Any], rules: list[Any] | None = None) -> Finding:
    scan = parse_runs(make_run([result], rules=rules))
    assert len(scan.findings) == 1
    return scan.findings[0]


def result(rule_id: str = "R1", **extra: Any) -> dict[str, Any]:
    return {"ruleId": rule_id, "message": {"text": "problem"}, **extra}


def rule_with(rule_id: str = "R1", **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, **extra}


# Basic reading


def test_sarif_minimal_finding_fields() -> None:
    scan = parse_runs(
        make_run(
            [
                result(
                    "py/sql-injection",
                    level="error",
                    locations=[
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "app/db.py"},
                                "region": {"startLine": 12},
                            }
                        }
                    ],
                )
            ],
            tool="CodeQL",
        )
    )

    assert scan.format == "sarif"
    assert scan.tools == ("CodeQL",)
    assert scan.execution_successful is None
    assert scan.warnings == ()
    finding = scan.findings[0]
    assert finding.tool == "CodeQL"
    assert finding.rule_id == "py/sql-injection"
    assert finding.level == "error"
    assert finding.severity is Severity.HIGH
    assert finding.severity_source == "level error (result)"
    assert finding.message == "problem"
    assert finding.location == "app/db.py"
    assert finding.line == 12
    assert finding.cve is None
    assert finding.suppressed is False


def test_sarif_empty_results_is_clean_scan() -> None:
    scan = parse_runs(make_run([]))

    assert scan.findings == ()
    assert scan.tools == ("scanner",)


def test_sarif_reads_all_runs() -> None:
    scan = parse_runs(
        make_run([result("A")], tool="first"),
        make_run([result("B"), result("C")], tool="second"),
        make_run([result("D")], tool="first"),
    )

    assert scan.tools == ("first", "second")
    assert [(finding.tool, finding.rule_id) for finding in scan.findings] == [
        ("first", "A"),
        ("second", "B"),
        ("second", "C"),
        ("first", "D"),
    ]


# Kind and level


@pytest.mark.parametrize("kind", ["pass", "notApplicable", "informational", "open", "review"])
def test_sarif_non_fail_kind_is_not_finding(kind: str) -> None:
    scan = parse_runs(make_run([result(kind=kind, level="error"), result("R2", kind="fail")]))

    assert [finding.rule_id for finding in scan.findings] == ["R2"]
    assert scan.warnings == (
        f"runs[0] (scanner): results with a kind other than 'fail' are not findings and "
        f"were skipped ({kind}: 1)",
    )


def test_sarif_level_from_rule_default() -> None:
    finding = only_finding(result(), rules=[rule_with(defaultConfiguration={"level": "note"})])

    assert finding.level == "note"
    assert finding.severity is Severity.LOW
    assert finding.severity_source == "level note (rule default)"


def test_sarif_result_level_overrides_rule_default() -> None:
    finding = only_finding(
        result(level="error"), rules=[rule_with(defaultConfiguration={"level": "note"})]
    )

    assert finding.level == "error"
    assert finding.severity is Severity.HIGH


def test_sarif_level_defaults_to_warning() -> None:
    finding = only_finding(result())

    assert finding.level == "warning"
    assert finding.severity is Severity.MEDIUM
    assert finding.severity_source == "level warning (SARIF default)"


def test_sarif_level_none_is_info() -> None:
    finding = only_finding(result(level="none"))

    assert finding.severity is Severity.INFO


# Severity


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("10.0", Severity.CRITICAL),
        ("9.0", Severity.CRITICAL),
        ("8.9", Severity.HIGH),
        ("7.0", Severity.HIGH),
        ("6.9", Severity.MEDIUM),
        ("4.0", Severity.MEDIUM),
        ("3.9", Severity.LOW),
        ("0.1", Severity.LOW),
        ("0.0", Severity.INFO),
        (7.5, Severity.HIGH),
        (9, Severity.CRITICAL),
    ],
)
def test_sarif_security_severity_bands(score: Any, expected: Severity) -> None:
    finding = only_finding(
        result(level="note"), rules=[rule_with(properties={"security-severity": score})]
    )

    assert finding.severity is expected
    assert finding.severity_source == f"security-severity {score} ({expected.value})"


def test_sarif_result_security_severity() -> None:
    finding = only_finding(result(properties={"security-severity": "9.8"}))

    assert finding.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("CRITICAL", Severity.CRITICAL),
        ("HIGH", Severity.HIGH),
        ("MEDIUM", Severity.MEDIUM),
        ("low", Severity.LOW),
        ("Negligible", Severity.LOW),
    ],
)
def test_sarif_severity_from_tag(tag: str, expected: Severity) -> None:
    finding = only_finding(
        result(level="error"),
        rules=[rule_with(properties={"tags": ["security", tag]})],
    )

    assert finding.severity is expected
    assert finding.severity_source == f"tag {tag} ({expected.value})"


def test_sarif_severity_from_property() -> None:
    finding = only_finding(result(), rules=[rule_with(properties={"severity": "HIGH"})])

    assert finding.severity is Severity.HIGH
    assert finding.severity_source == "property severity HIGH (high)"


def test_sarif_severity_from_help_text() -> None:
    finding = only_finding(
        result(), rules=[rule_with(help={"text": "Package: x\nSeverity: critical\nLink: y"})]
    )

    assert finding.severity is Severity.CRITICAL
    assert finding.severity_source == "help text 'Severity: critical' (critical)"


def test_sarif_disagreeing_sources_take_most_severe() -> None:
    finding = only_finding(
        result(),
        rules=[rule_with(properties={"security-severity": "1.0", "tags": ["CRITICAL"]})],
    )

    assert finding.severity is Severity.CRITICAL
    assert finding.severity_source == (
        "security-severity 1.0 (low); tag CRITICAL (critical); the most severe, critical, was used"
    )


def test_sarif_score_above_text_wins() -> None:
    finding = only_finding(
        result(), rules=[rule_with(properties={"security-severity": "9.8", "tags": ["LOW"]})]
    )

    assert finding.severity is Severity.CRITICAL


def test_sarif_explicit_severity_beats_level() -> None:
    finding = only_finding(
        result(level="error"), rules=[rule_with(properties={"security-severity": "2.0"})]
    )

    assert finding.level == "error"
    assert finding.severity is Severity.LOW


def test_sarif_unknown_text_alone_is_unknown() -> None:
    finding = only_finding(
        result(level="note"), rules=[rule_with(properties={"tags": ["UNKNOWN"]})]
    )

    assert finding.severity is Severity.UNKNOWN
    assert finding.severity_source == "tag UNKNOWN"


def test_sarif_unknown_text_yields_to_score() -> None:
    finding = only_finding(
        result(), rules=[rule_with(properties={"security-severity": "7.1", "tags": ["UNKNOWN"]})]
    )

    assert finding.severity is Severity.HIGH


def test_sarif_unrecognized_severity_property_warns() -> None:
    scan = parse_runs(make_run([result()], rules=[rule_with(properties={"severity": "spicy"})]))

    assert scan.findings[0].severity is Severity.MEDIUM
    assert scan.warnings == (
        "runs[0].tool.driver.rules[0].properties.severity 'spicy' is not a known severity "
        "and was ignored",
    )


# Rule lookup


def test_sarif_rule_found_by_index() -> None:
    rules = [rule_with("A"), rule_with("B", defaultConfiguration={"level": "error"})]
    finding = only_finding(result("B", ruleIndex=1), rules=rules)

    assert finding.level == "error"


def test_sarif_rule_found_by_id() -> None:
    rules = [rule_with("A"), rule_with("B", defaultConfiguration={"level": "error"})]
    finding = only_finding(result("B"), rules=rules)

    assert finding.level == "error"


def test_sarif_rule_id_from_index_only() -> None:
    rules = [rule_with("only-by-index", defaultConfiguration={"level": "note"})]
    finding = only_finding({"ruleIndex": 0, "message": {"text": "m"}}, rules=rules)

    assert finding.rule_id == "only-by-index"
    assert finding.level == "note"


def test_sarif_empty_rule_id_uses_indexed_rule() -> None:
    finding = only_finding(
        {"ruleId": " ", "ruleIndex": 0, "message": {"text": "m"}}, [rule_with("X")]
    )

    assert finding.rule_id == "X"


def test_sarif_rule_id_from_rule_reference() -> None:
    finding = only_finding({"rule": {"id": "ref-id"}, "message": {"text": "m"}})

    assert finding.rule_id == "ref-id"


def test_sarif_rule_found_in_extension() -> None:
    extension_rule = rule_with("ext", properties={"security-severity": "9.1"})
    run = make_run(
        [result("ext", rule={"id": "ext", "index": 0, "toolComponent": {"index": 0}})],
        rules=[],
    )
    run["tool"]["extensions"] = [{"name": "pack", "rules": [extension_rule]}]

    scan = parse_runs(run)

    assert scan.findings[0].severity is Severity.CRITICAL
    assert scan.warnings == ()


def test_sarif_extension_rule_by_id() -> None:
    run = make_run([result("ext")])
    run["tool"]["extensions"] = [
        {"name": "pack", "rules": [rule_with("ext", defaultConfiguration={"level": "error"})]}
    ]

    scan = parse_runs(run)

    assert scan.findings[0].level == "error"


def test_sarif_hierarchical_rule_id() -> None:
    finding = only_finding(
        result("CA2101/1"), rules=[rule_with("CA2101", defaultConfiguration={"level": "error"})]
    )

    assert finding.rule_id == "CA2101/1"
    assert finding.level == "error"


def test_sarif_rule_index_out_of_range_warns() -> None:
    scan = parse_runs(
        make_run(
            [result("B", ruleIndex=5)],
            rules=[rule_with("B", defaultConfiguration={"level": "error"})],
        )
    )

    assert scan.findings[0].level == "error"
    assert scan.warnings == (
        "runs[0].results[0].ruleIndex 5 is out of range because the tool defines 1 rule, "
        "so the rule was looked up by ruleId",
    )


def test_sarif_rule_index_mismatch_warns() -> None:
    rules = [rule_with("A"), rule_with("B", defaultConfiguration={"level": "error"})]
    scan = parse_runs(make_run([result("B", ruleIndex=0)], rules=rules))

    assert scan.findings[0].level == "error"
    assert scan.warnings == (
        "runs[0].results[0].ruleIndex 0 points at rule 'A' but ruleId is 'B', so the rule "
        "was looked up by ruleId",
    )


def test_sarif_undefined_rule_warns() -> None:
    scan = parse_runs(make_run([result("missing")], rules=[rule_with("other")]))

    assert scan.findings[0].severity is Severity.MEDIUM
    assert scan.warnings == (
        "runs[0].results[0]: rule 'missing' is not defined by scanner, so its severity comes "
        "from the result alone",
    )


# Execution status


def test_sarif_execution_all_successful() -> None:
    scan = parse_runs(
        make_run([], invocations=[{"executionSuccessful": True}]),
        make_run([], invocations=[{"executionSuccessful": True}]),
    )

    assert scan.execution_successful is True


def test_sarif_execution_one_failed_run() -> None:
    scan = parse_runs(
        make_run([], invocations=[{"executionSuccessful": True}]),
        make_run([], tool="semgrep", invocations=[{"executionSuccessful": False}]),
    )

    assert scan.execution_successful is False
    assert scan.warnings == ("runs[1].invocations[0]: semgrep reports executionSuccessful false",)


def test_sarif_execution_error_notification_fails() -> None:
    invocation = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": "invalid rule config"}}
        ],
    }
    scan = parse_runs(make_run([], invocations=[invocation]))

    assert scan.execution_successful is False
    assert scan.warnings == (
        "runs[0].invocations[0].toolExecutionNotifications[0]: scanner reports an error: "
        "invalid rule config",
    )


def test_sarif_execution_configuration_error_fails() -> None:
    invocation = {
        "executionSuccessful": True,
        "toolConfigurationNotifications": [{"level": "error", "message": {"text": "bad"}}],
    }
    scan = parse_runs(make_run([], invocations=[invocation]))

    assert scan.execution_successful is False


def test_sarif_execution_warning_notification_passes() -> None:
    invocation = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [{"message": {"text": "slow"}}],
    }
    scan = parse_runs(make_run([], invocations=[invocation]))

    assert scan.execution_successful is True


def test_sarif_execution_flag_missing_is_unknown() -> None:
    scan = parse_runs(make_run([], invocations=[{"executionSuccessful": True}, {}]))

    assert scan.execution_successful is None


def test_sarif_execution_without_invocations_is_unknown() -> None:
    scan = parse_runs(make_run([]), make_run([], invocations=[]))

    assert scan.execution_successful is None


def test_sarif_execution_flag_wrong_type_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"runs\[0\].invocations\[0\].executionSuccessful must be a boolean, found string",
    ):
        parse_runs(make_run([], invocations=[{"executionSuccessful": "true"}]))


# Fingerprint, CVE, suppression


def test_sarif_fingerprints_preferred() -> None:
    finding = only_finding(
        result(
            fingerprints={"stable/v1": "abc"},
            partialFingerprints={"primaryLocationLineHash": "def"},
        )
    )

    assert finding.fingerprint == "stable/v1=abc"


def test_sarif_partial_fingerprints_sorted() -> None:
    finding = only_finding(result(partialFingerprints={"b": "2", "a": "1"}))

    assert finding.fingerprint == "a=1;b=2"


def test_sarif_fingerprint_hash_fallback() -> None:
    location = [
        {"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}
    ]
    finding = only_finding(result(locations=location))

    identity = "\x1f".join(("scanner", "R1", "a.py", "3", "problem"))
    assert finding.fingerprint == hashlib.sha256(identity.encode()).hexdigest()


def test_sarif_fingerprint_differs_by_line() -> None:
    def at_line(line: int) -> dict[str, Any]:
        region = {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": line}}
        return result(locations=[{"physicalLocation": region}])

    scan = parse_runs(make_run([at_line(1), at_line(2)]))

    assert scan.findings[0].fingerprint != scan.findings[1].fingerprint


def test_sarif_fingerprint_value_wrong_type_rejected() -> None:
    with pytest.raises(
        EvidenceError, match=r"partialFingerprints.hash must be a string, found number"
    ):
        parse_runs(make_run([result(partialFingerprints={"hash": 5})]))


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        ("CVE-2021-44228", "CVE-2021-44228"),
        ("CVE-1999-0001-package-1", "CVE-1999-0001"),
        ("cve-2023-123456", "CVE-2023-123456"),
        ("js/xss", None),
        ("GHSA-jfh8-c2jp-5v3q", None),
        ("CVE-21-1", None),
    ],
)
def test_sarif_cve_from_rule_id(rule_id: str, expected: str | None) -> None:
    assert only_finding(result(rule_id)).cve == expected


@pytest.mark.parametrize(
    ("suppressions", "expected"),
    [
        ([{"kind": "external"}], True),
        ([{"kind": "inSource", "status": "accepted"}], True),
        ([{"kind": "external", "status": "underReview"}], False),
        ([{"kind": "external", "status": "rejected"}], False),
        ([{"status": "rejected"}, {"kind": "external"}], True),
        ([], False),
    ],
)
def test_sarif_suppression_status(suppressions: list[Any], expected: bool) -> None:
    assert only_finding(result(suppressions=suppressions)).suppressed is expected


# Locations and messages


def test_sarif_location_by_artifact_index() -> None:
    run = make_run(
        [result(locations=[{"physicalLocation": {"artifactLocation": {"index": 1}}}])],
        artifacts=[{"location": {"uri": "a.js"}}, {"location": {"uri": "b.js"}}],
    )

    assert parse_runs(run).findings[0].location == "b.js"


def test_sarif_location_index_out_of_range_warns() -> None:
    run = make_run(
        [result(locations=[{"physicalLocation": {"artifactLocation": {"index": 4}}}])],
        artifacts=[{"location": {"uri": "a.js"}}],
    )

    scan = parse_runs(run)

    assert scan.findings[0].location is None
    assert scan.warnings == (
        "runs[0].results[0].locations[0].physicalLocation.artifactLocation.index 4 is out "
        "of range because the run lists 1 artifact, so the location is unknown",
    )


def test_sarif_invalid_uri_kept_as_text() -> None:
    location = [{"physicalLocation": {"artifactLocation": {"uri": "not a valid URI"}}}]

    assert only_finding(result(locations=location)).location == "not a valid URI"


def test_sarif_logical_location_fallback() -> None:
    location = [{"logicalLocations": [{"fullyQualifiedName": "pkg.Module.function"}]}]

    assert only_finding(result(locations=location)).location == "pkg.Module.function"


def test_sarif_start_line_zero_rejected() -> None:
    location = [
        {"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}
    ]

    with pytest.raises(EvidenceError, match="startLine 0 is invalid because lines start at 1"):
        parse_runs(make_run([result(locations=location)]))


def test_sarif_message_from_message_strings() -> None:
    rules = [rule_with(messageStrings={"default": {"text": "Variable {0} is unused in {1}."}})]
    finding = only_finding(
        {"ruleId": "R1", "message": {"id": "default", "arguments": ["x", "f"]}}, rules=rules
    )

    assert finding.message == "Variable x is unused in f."


# Rejected input


def test_sarif_empty_file_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"scan\.sarif: file is empty"):
        SarifParser().parse(b"", source=SOURCE)


def test_sarif_truncated_json_rejected() -> None:
    data = b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": ['

    with pytest.raises(EvidenceError) as caught:
        SarifParser().parse(data, source=SOURCE)

    assert caught.value.field == "line 1, column 79"
    assert str(caught.value).startswith(
        "scan.sarif: line 1, column 79: invalid JSON: Expecting value"
    )


def test_sarif_non_utf8_rejected() -> None:
    data = b'{"version": "2.1.0", "runs": [\xff]}'

    with pytest.raises(EvidenceError, match="byte offset 30: file is not valid UTF-8: byte 0xff"):
        SarifParser().parse(data, source=SOURCE)


def test_sarif_nan_rejected() -> None:
    data = b'{"version": "2.1.0", "runs": [], "x": NaN}'

    with pytest.raises(EvidenceError, match="invalid JSON: NaN is not a JSON number"):
        SarifParser().parse(data, source=SOURCE)


def test_sarif_deep_nesting_rejected() -> None:
    data = b"[" * 100_000 + b"]" * 100_000

    with pytest.raises(
        EvidenceError, match="invalid JSON: arrays and objects are nested too deeply"
    ):
        SarifParser().parse(data, source=SOURCE)


@pytest.mark.parametrize(("document", "found"), [([], "array"), ("sarif", "string"), (3, "number")])
def test_sarif_top_level_not_object_rejected(document: Any, found: str) -> None:
    with pytest.raises(
        EvidenceError, match=f"scan.sarif: a SARIF log must be a JSON object, found {found}"
    ):
        parse_document(document)


def test_sarif_version_missing_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"scan\.sarif: version: SARIF version is missing"):
        parse_document({"runs": []})


def test_sarif_version_other_rejected() -> None:
    error = parse_error({"version": "2.0.0", "runs": [make_run([])]})

    assert str(error).startswith(
        "scan.sarif: version: SARIF version '2.0.0' is not supported, only 2.1.0 is"
    )
    assert error.field == "version"


def test_sarif_version_number_rejected() -> None:
    with pytest.raises(EvidenceError, match="version must be a string, found number"):
        parse_document({"version": 2.1, "runs": []})


def test_sarif_runs_missing_rejected() -> None:
    with pytest.raises(EvidenceError, match="runs: runs is missing, so the log contains no scan"):
        parse_document({"version": "2.1.0"})


def test_sarif_runs_string_rejected() -> None:
    error = parse_error({"version": "2.1.0", "runs": "none"})

    assert str(error).startswith("scan.sarif: runs: runs must be an array, found string")
    assert error.hint is not None
    assert "an array" in error.hint


def test_sarif_runs_empty_rejected() -> None:
    with pytest.raises(
        EvidenceError, match="runs is empty, and a SARIF log with no runs proves nothing"
    ):
        parse_document({"version": "2.1.0", "runs": []})


def test_sarif_run_not_object_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"runs\[0\] must be an object, found array"):
        parse_document({"version": "2.1.0", "runs": [[]]})


def test_sarif_tool_name_missing_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"runs\[0\].tool.driver.name: tool name is missing"):
        parse_runs({"tool": {"driver": {}}, "results": []})


def test_sarif_tool_missing_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"runs\[0\].tool must be an object, found null"):
        parse_runs({"results": []})


def test_sarif_results_missing_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"runs\[0\].results: results is missing, which in SARIF means the tool did not "
        "produce results",
    ):
        parse_runs(make_run(None))


def test_sarif_results_object_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"runs\[0\].results must be an array, found object"):
        parse_runs(make_run({"0": result()}))  # type: ignore[arg-type]


def test_sarif_result_not_object_rejected() -> None:
    with pytest.raises(
        EvidenceError, match=r"runs\[0\].results\[1\] must be an object, found string"
    ):
        parse_runs(make_run([result(), "R2"]))


def test_sarif_level_number_rejected() -> None:
    error = parse_error({"version": "2.1.0", "runs": [make_run([result(), result(level=2)])]})

    assert error.field == "runs[0].results[1].level"
    assert str(error).startswith(
        "scan.sarif: runs[0].results[1].level: runs[0].results[1].level must be a string, "
        "found number"
    )


def test_sarif_level_unknown_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"runs\[0\].results\[0\].level: unknown level 'fatal', expected one of error, "
        "warning, note, none",
    ):
        parse_runs(make_run([result(level="fatal")]))


def test_sarif_rule_default_level_unknown_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"runs\[0\].tool.driver.rules\[0\].defaultConfiguration.level: unknown level 'high'",
    ):
        parse_runs(make_run([result()], rules=[rule_with(defaultConfiguration={"level": "high"})]))


def test_sarif_kind_unknown_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"results\[0\].kind: unknown kind 'bad'"):
        parse_runs(make_run([result(kind="bad")]))


def test_sarif_rule_id_missing_rejected() -> None:
    with pytest.raises(
        EvidenceError, match=r"runs\[0\].results\[0\].ruleId: result has no rule id"
    ):
        parse_runs(make_run([{"message": {"text": "m"}}]))


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("high", "security-severity 'high' is not a number"),
        ("11.0", "security-severity 11.0 is outside the range 0.0 to 10.0"),
        ("-1", "security-severity -1 is outside the range 0.0 to 10.0"),
        ("nan", "security-severity nan is outside the range 0.0 to 10.0"),
        (True, "security-severity must be a number or a numeric string, found boolean"),
    ],
)
def test_sarif_security_severity_invalid_rejected(score: Any, message: str) -> None:
    error = parse_error(
        {
            "version": "2.1.0",
            "runs": [
                make_run([result()], rules=[rule_with(properties={"security-severity": score})])
            ],
        }
    )

    assert error.field == "runs[0].tool.driver.rules[0].properties.security-severity"
    assert str(error).split("\n")[0].endswith(message)


def test_sarif_tags_not_array_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"properties.tags must be an array, found string"):
        parse_runs(make_run([result()], rules=[rule_with(properties={"tags": "HIGH"})]))


def test_sarif_duplicate_key_rejected():
    from releasegate.evidence.interface import EvidenceError
    from releasegate.evidence.sarif import SarifParser

    data = (
        b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": '
        b'[{"ruleId": "R1", "level": "error", "message": {"text": "m"}}]}], '
        b'"runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}'
    )
    with pytest.raises(EvidenceError, match="scan.sarif: invalid JSON: the key 'runs' appears twice"):
        SarifParser().parse(data, source="scan.sarif")
