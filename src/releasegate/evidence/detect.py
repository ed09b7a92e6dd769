"""Evidence format detection by content, and the registry of parsers."""

from __future__ import annotations

from typing import Any

from releasegate.evidence._xml import local_name, parse_xml
from releasegate.evidence.interface import EvidenceError, Parser, decode_utf8, reject_empty
from releasegate.evidence.junit import JUnitParser
from releasegate.evidence.sarif import SarifParser, json_type, load_json
from releasegate.model.evidence import ScanRun, TestReport

PARSERS: dict[str, Parser] = {parser.format: parser for parser in (JUnitParser(), SarifParser())}
"""Parser for each supported format name."""

_SUPPORTED = (
    "sarif (SARIF 2.1.0 JSON with 'version' and 'runs') and "
    "junit (JUnit XML with a <testsuites> or <testsuite> root)"
)
_UTF8_BOM = b"\xef\xbb\xbf"


def detect_format(data: bytes, *, source: str) -> str:
    """Return the format name of `data`, judged by its content and never by the file name.

    A JSON object with "version" and "runs" is SARIF, whatever the version, so that
    the SARIF parser can reject versions other than 2.1.0 with a precise message. XML
    whose root is <testsuites> or <testsuite> is JUnit. Raises EvidenceError for
    anything else, and for empty, non-UTF-8, malformed or unsafe input.
    """
    reject_empty(data, source=source)
    start = data.removeprefix(_UTF8_BOM).lstrip()[:1]

    if start in (b"{", b"["):
        document = load_json(data, source=source)
        if isinstance(document, dict) and "runs" in document and "version" in document:
            return SarifParser.format
        if isinstance(document, dict) and "format_version" in document:
            raise EvidenceError(
                "this is Terraform JSON, which `evidence add` does not read",
                source=source,
                hint="Analyse and attach the plan with `releasegate analyze plan FILE --release ID`.",
            )
        raise _unsupported(source, f"it is JSON, but {_describe_json(document)}")

    if start == b"<":
        root = parse_xml(data, source=source)
        root_name = local_name(root.tag)
        if root_name in ("testsuites", "testsuite"):
            return JUnitParser.format
        raise _unsupported(source, f"it is XML with root element <{root_name}>")

    decode_utf8(data, source=source)
    raise _unsupported(source, "it is neither JSON nor XML")


def parse_evidence(
    data: bytes, *, source: str, format: str | None = None
) -> tuple[str, TestReport | ScanRun]:
    """Parse `data` with the parser for `format`, detecting the format when it is None.

    Returns the format name and the parsed facts. Raises EvidenceError for an unknown
    format name and for every input the parser rejects.
    """
    if format is None:
        format = detect_format(data, source=source)
    parser = PARSERS.get(format)
    if parser is None:
        raise EvidenceError(
            f"unknown evidence format '{format}'",
            source=source,
            field="format",
            hint=f"Use one of the supported formats: {_SUPPORTED}.",
        )
    return format, parser.parse(data, source=source)


def _describe_json(document: Any) -> str:
    if not isinstance(document, dict):
        return f"the top level is {json_type(document)}, not an object"
    missing = [key for key in ("version", "runs") if key not in document]
    return f"the object has no {' or '.join(repr(key) for key in missing)} property"


def _unsupported(source: str, reason: str) -> EvidenceError:
    return EvidenceError(
        f"unrecognized evidence format: {reason}",
        source=source,
        hint=f"Upload a supported format: {_SUPPORTED}.",
    )
