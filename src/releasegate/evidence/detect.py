"""Evidence format detection by content, and the registry of parsers."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from releasegate.evidence._stream import top_level_keys
from releasegate.evidence._xml import local_name, parse_xml
from releasegate.evidence.cyclonedx import CycloneDxParser
from releasegate.evidence.grype import GrypeParser
from releasegate.evidence.interface import (
    EvidenceError,
    Facts,
    Parser,
    VerificationContext,
    VerifyingParser,
    decode_utf8,
    reject_empty,
)
from releasegate.evidence.junit import JUnitParser
from releasegate.evidence.records import (
    COMMIT_SIGNATURES_TYPE,
    PULL_REQUEST_TYPE,
    SYNTHETIC_TEST_TYPE,
    CommitSignaturesParser,
    PullRequestParser,
    SyntheticTestParser,
)
from releasegate.evidence.sarif import SarifParser, json_type, load_json
from releasegate.evidence.sarif_stream import parse_sarif_stream
from releasegate.evidence.secrets import (
    DetectSecretsParser,
    GitleaksParser,
    as_secret_scan,
    is_secret_tool,
)
from releasegate.evidence.signing import (
    KEY_SIGNATURE_TYPE,
    DsseParser,
    KeySignatureParser,
    StatementParser,
)
from releasegate.evidence.sigstore_bundle import SigstoreBundleParser
from releasegate.evidence.trivy import TrivyParser
from releasegate.model.evidence import ScanRun

PARSERS: dict[str, Parser | VerifyingParser] = {
    parser.format: parser
    for parser in (
        JUnitParser(),
        SarifParser(),
        TrivyParser(),
        GrypeParser(),
        CycloneDxParser(),
        GitleaksParser(),
        DetectSecretsParser(),
        DsseParser(),
        StatementParser(),
        SigstoreBundleParser(),
        KeySignatureParser(),
        PullRequestParser(),
        SyntheticTestParser(),
        CommitSignaturesParser(),
    )
}
"""Parser for each supported format name."""

_SUPPORTED = (
    "sarif (SARIF 2.1.0 JSON with 'version' and 'runs'), "
    "junit (JUnit XML with a <testsuites> or <testsuite> root), "
    "trivy, grype, cyclonedx (SBOM with vulnerabilities, or VEX), gitleaks, "
    "detect-secrets, dsse, in-toto, sigstore-bundle, key-signature, pull-request, "
    "synthetic-test and commit-signatures"
)
_UTF8_BOM = b"\xef\xbb\xbf"
_SIGSTORE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle"
_STATEMENT_TYPE = "https://in-toto.io/Statement/"

# The first top-level key of this set decides the format; "_type" and "mediaType"
# decide by their value.
_DECISIVE_KEYS = frozenset(
    {
        "runs",
        "SchemaVersion",
        "Results",
        "matches",
        "bomFormat",
        "payloadType",
        "mediaType",
        "_type",
        "plugins_used",
    }
)
_KEY_FORMATS = {
    "runs": SarifParser.format,
    "SchemaVersion": TrivyParser.format,
    "Results": TrivyParser.format,
    "matches": GrypeParser.format,
    "bomFormat": CycloneDxParser.format,
    "payloadType": DsseParser.format,
    "plugins_used": DetectSecretsParser.format,
}
_TYPE_FORMATS = {
    KEY_SIGNATURE_TYPE: KeySignatureParser.format,
    PULL_REQUEST_TYPE: PullRequestParser.format,
    SYNTHETIC_TEST_TYPE: SyntheticTestParser.format,
    COMMIT_SIGNATURES_TYPE: CommitSignaturesParser.format,
}


def detect_format(data: bytes, *, source: str) -> str:
    """Return the format name of `data`, judged by its content and never by the file name.

    A JSON object is recognised by its first decisive top-level key (for example
    "runs" for SARIF, "SchemaVersion" for Trivy, "bomFormat" for CycloneDX), read as a
    stream so that a large report is not parsed twice. A JSON array is a gitleaks
    report. XML whose root is <testsuites> or <testsuite> is JUnit. Raises
    EvidenceError for anything else, and for empty, non-UTF-8, malformed or unsafe input.
    """
    reject_empty(data, source=source)
    start = data.removeprefix(_UTF8_BOM).lstrip()[:1]

    if start == b"{":
        keys = top_level_keys(data, wanted=_DECISIVE_KEYS)
        detected = _format_from_keys(keys)
        if detected is not None:
            return detected
        document = load_json(data, source=source)
        detected = _format_from_keys(document if isinstance(document, dict) else {})
        if detected is not None:
            return detected
        if isinstance(document, dict) and "format_version" in document:
            raise EvidenceError(
                "this is Terraform JSON, which `evidence add` does not read",
                source=source,
                hint="Analyse and attach the plan with `releasegate analyze plan FILE --release ID`.",
            )
        raise _unsupported(source, f"it is JSON, but {_describe_json(document)}")

    if start == b"[":
        document = load_json(data, source=source)
        if isinstance(document, list) and all(
            isinstance(entry, dict) and "RuleID" in entry for entry in document
        ):
            return GitleaksParser.format
        reason = f"it is JSON, but {_describe_json(document)}"
        if isinstance(document, list) and document:
            reason += ", and its entries are not gitleaks findings (no RuleID)"
        raise _unsupported(source, reason)

    if start == b"<":
        root = parse_xml(data, source=source)
        root_name = local_name(root.tag)
        if root_name in ("testsuites", "testsuite"):
            return JUnitParser.format
        raise _unsupported(source, f"it is XML with root element <{root_name}>")

    decode_utf8(data, source=source)
    raise _unsupported(source, "it is neither JSON nor XML")


def parse_evidence(
    data: bytes,
    *,
    source: str,
    format: str | None = None,
    context: VerificationContext | None = None,
) -> tuple[str, Facts]:
    """Parse `data` with the parser for `format`, detecting the format when it is None.

    `context` carries the public keys and the Sigstore trusted root that signature
    parsers verify against. Without it they verify nothing and report a failed check. Returns the
    format name and the parsed facts. Raises EvidenceError for an unknown format name
    and for every input the parser rejects.
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
    facts: Facts
    if "context" in inspect.signature(parser.parse).parameters:
        verifying: VerifyingParser = parser  # type: ignore[assignment]
        facts = verifying.parse(data, source=source, context=context or VerificationContext())
    else:
        plain: Parser = parser  # type: ignore[assignment]
        facts = plain.parse(data, source=source)
    if isinstance(facts, ScanRun) and format == SarifParser.format and is_secret_tool(facts.tools):
        facts = as_secret_scan(facts)
    return format, facts


STREAMED_FORMATS = (TrivyParser.format, GrypeParser.format, SarifParser.format)
"""Formats whose parser reads a file as a stream, so that it need not fit in memory."""

MAX_STREAMED_BYTES = 4 * 1024 * 1024 * 1024
_HEAD_BYTES = 1024 * 1024


def parse_large_evidence(path: Path, *, size: int, format: str | None = None) -> tuple[str, Facts]:
    """Parse a file too large to read at once, detecting its format from its first MiB.

    Raises EvidenceError when the file exceeds MAX_STREAMED_BYTES or its format is not
    one of STREAMED_FORMATS.
    """
    if size > MAX_STREAMED_BYTES:
        raise EvidenceError(
            f"file is {size} bytes, more than the {MAX_STREAMED_BYTES} bytes accepted",
            source=str(path),
            hint="Split the report, for example one scan per image.",
        )
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
        detected = format or detect_format(head, source=str(path))
        if detected not in STREAMED_FORMATS:
            raise EvidenceError(
                f"file is {size} bytes and in format {detected}, which is read only when it "
                "fits in memory (16 MiB)",
                source=str(path),
                hint="Large reports are accepted as SARIF and as Trivy and Grype JSON; for "
                "other formats, split the report.",
            )
        handle.seek(0)
        if detected == SarifParser.format:
            scan = parse_sarif_stream(handle, source=str(path))
            if is_secret_tool(scan.tools):
                return detected, as_secret_scan(scan)
            return detected, scan
        parser = PARSERS[detected]
        assert isinstance(parser, TrivyParser | GrypeParser)
        return detected, parser.parse_stream(handle, source=str(path))


def _format_from_keys(keys: dict[str, Any]) -> str | None:
    for key in keys:
        if key not in _DECISIVE_KEYS:
            continue
        if key == "runs":
            return SarifParser.format
        if key in _KEY_FORMATS:
            return _KEY_FORMATS[key]
        value = keys[key]
        if key == "mediaType" and isinstance(value, str) and value.startswith(_SIGSTORE_MEDIA_TYPE):
            return SigstoreBundleParser.format
        if key == "_type" and isinstance(value, str):
            if value.startswith(_STATEMENT_TYPE):
                return StatementParser.format
            if value in _TYPE_FORMATS:
                return _TYPE_FORMATS[value]
    if "results" in keys and "version" in keys and "runs" not in keys:
        return DetectSecretsParser.format
    return None


def _describe_json(document: Any) -> str:
    if not isinstance(document, dict):
        return f"the top level is {json_type(document)}, not an object"
    missing = [key for key in ("version", "runs") if key not in document]
    if missing:
        return (
            f"the object has no {' or '.join(repr(key) for key in missing)} property "
            "and no property of another supported format"
        )
    return "its properties match no supported format"


def _unsupported(source: str, reason: str) -> EvidenceError:
    return EvidenceError(
        f"unrecognized evidence format: {reason}",
        source=source,
        hint=f"Upload a supported format: {_SUPPORTED}.",
    )
