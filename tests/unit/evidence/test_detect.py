"""Unit tests for content-based format detection and the parser registry."""

from __future__ import annotations

import json

import pytest

from releasegate.evidence import (
    PARSERS,
    EvidenceError,
    JUnitParser,
    SarifParser,
    detect_format,
    parse_evidence,
)
from releasegate.model.evidence import EvidenceKind, ScanRun, TestReport

SOURCE = "upload.bin"
SARIF = json.dumps(
    {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}
).encode()
JUNIT = b'<testsuite name="s"><testcase name="t"/></testsuite>'
SUPPORTED = r"Upload a supported format: sarif \(SARIF 2.1.0 JSON"


def test_detect_sarif() -> None:
    assert detect_format(SARIF, source=SOURCE) == "sarif"


def test_detect_sarif_with_bom_and_whitespace() -> None:
    assert detect_format(b"\xef\xbb\xbf\n  " + SARIF, source=SOURCE) == "sarif"


def test_detect_junit_testsuite() -> None:
    assert detect_format(JUNIT, source=SOURCE) == "junit"


def test_detect_junit_testsuites_with_declaration() -> None:
    data = b'<?xml version="1.0"?>\n<!-- run 7 -->\n<testsuites>' + JUNIT + b"</testsuites>"

    assert detect_format(data, source=SOURCE) == "junit"


def test_detect_ignores_file_name() -> None:
    assert detect_format(JUNIT, source="results.sarif") == "junit"


def test_detect_other_sarif_version_is_sarif() -> None:
    data = json.dumps({"version": "2.0.0", "runs": []}).encode()

    assert detect_format(data, source=SOURCE) == "sarif"


def test_detect_other_xml_root_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match=r"upload\.bin: unrecognized evidence format: it is XML with root element <project>",
    ) as caught:
        detect_format(b"<project/>", source=SOURCE)

    assert caught.value.hint is not None
    assert "junit (JUnit XML" in caught.value.hint


def test_detect_json_without_runs_rejected() -> None:
    with pytest.raises(
        EvidenceError,
        match="unrecognized evidence format: it is JSON, but the object has no 'runs' property",
    ):
        detect_format(b'{"version": "2.1.0"}', source=SOURCE)


def test_detect_json_without_keys_rejected() -> None:
    with pytest.raises(EvidenceError, match="the object has no 'version' or 'runs' property"):
        detect_format(b'{"name": "report", "items": []}', source=SOURCE)


def test_detect_json_array_rejected() -> None:
    with pytest.raises(
        EvidenceError, match="it is JSON, but the top level is array, not an object"
    ):
        detect_format(b"[1, 2]", source=SOURCE)


def test_detect_plain_text_rejected() -> None:
    with pytest.raises(EvidenceError) as caught:
        detect_format(b"all tests passed\n", source=SOURCE)

    assert str(caught.value).startswith(
        "upload.bin: unrecognized evidence format: it is neither JSON nor XML"
    )
    assert caught.value.hint is not None
    assert "sarif (SARIF 2.1.0 JSON" in caught.value.hint


def test_detect_binary_rejected_as_not_utf8() -> None:
    with pytest.raises(EvidenceError, match="byte offset 0: file is not valid UTF-8: byte 0x89"):
        detect_format(b"\x89PNG\r\n\x1a\n", source=SOURCE)


def test_detect_empty_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"upload\.bin: file is empty"):
        detect_format(b"", source=SOURCE)


def test_detect_truncated_json_rejected_by_parser() -> None:
    # Detection reads only up to the first decisive key; the parser reads the rest.
    assert detect_format(b'{"version": "2.1.0", "runs": [', source=SOURCE) == "sarif"
    with pytest.raises(EvidenceError, match="invalid JSON: Expecting"):
        parse_evidence(b'{"version": "2.1.0", "runs": [', source=SOURCE)


def test_detect_truncated_xml_rejected() -> None:
    with pytest.raises(EvidenceError, match="invalid XML: no element found"):
        detect_format(b"<testsuites><testsuite>", source=SOURCE)


def test_detect_unsafe_xml_rejected() -> None:
    data = b'<!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite name="&a;"/>'

    with pytest.raises(EvidenceError, match="document type declarations"):
        detect_format(data, source=SOURCE)


def test_detect_error_message_lists_formats() -> None:
    with pytest.raises(EvidenceError, match=SUPPORTED):
        detect_format(b"{}", source=SOURCE)


def test_parse_evidence_detects_sarif() -> None:
    format_name, facts = parse_evidence(SARIF, source=SOURCE)

    assert format_name == "sarif"
    assert isinstance(facts, ScanRun)


def test_parse_evidence_detects_junit() -> None:
    format_name, facts = parse_evidence(JUNIT, source=SOURCE)

    assert format_name == "junit"
    assert isinstance(facts, TestReport)
    assert facts.tests == 1


def test_parse_evidence_explicit_format() -> None:
    format_name, facts = parse_evidence(JUNIT, source=SOURCE, format="junit")

    assert format_name == "junit"
    assert isinstance(facts, TestReport)


def test_parse_evidence_explicit_format_mismatch_rejected() -> None:
    with pytest.raises(EvidenceError, match="invalid JSON"):
        parse_evidence(JUNIT, source=SOURCE, format="sarif")


def test_parse_evidence_unknown_format_rejected() -> None:
    with pytest.raises(
        EvidenceError, match=r"upload\.bin: format: unknown evidence format 'spdx'"
    ) as caught:
        parse_evidence(SARIF, source=SOURCE, format="spdx")

    assert caught.value.field == "format"


def test_parse_evidence_other_sarif_version_rejected() -> None:
    data = json.dumps({"version": "2.0.0", "runs": []}).encode()

    with pytest.raises(EvidenceError, match=r"SARIF version '2\.0\.0' is not supported"):
        parse_evidence(data, source=SOURCE)


def test_registry_contents() -> None:
    assert sorted(PARSERS) == [
        "commit-signatures",
        "cyclonedx",
        "detect-secrets",
        "dsse",
        "gitleaks",
        "grype",
        "in-toto",
        "junit",
        "key-signature",
        "pull-request",
        "sarif",
        "sigstore-bundle",
        "synthetic-test",
        "trivy",
    ]
    assert isinstance(PARSERS["junit"], JUnitParser)
    assert isinstance(PARSERS["sarif"], SarifParser)
    assert PARSERS["junit"].kind is EvidenceKind.TEST_REPORT
    assert PARSERS["sarif"].kind is EvidenceKind.SCAN
    for name, parser in PARSERS.items():
        assert parser.format == name
