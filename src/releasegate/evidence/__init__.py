"""Parsers that turn raw evidence files (JUnit XML, SARIF) into normalized facts."""

from releasegate.evidence.detect import PARSERS, detect_format, parse_evidence
from releasegate.evidence.interface import EvidenceError, Parser
from releasegate.evidence.junit import JUnitParser
from releasegate.evidence.sarif import SarifParser

__all__ = [
    "PARSERS",
    "EvidenceError",
    "JUnitParser",
    "Parser",
    "SarifParser",
    "detect_format",
    "parse_evidence",
]
