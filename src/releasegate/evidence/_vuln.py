"""Helpers shared by the vulnerability report parsers (Trivy, Grype, CycloneDX).

The parsers read the tools' native JSON, which carries the vendor severity and the
fix state that SARIF exports flatten. Hand-written readers are used because the tools
publish no Python reader of their JSON, and cyclonedx-python-lib's deserializer
rejects the partial documents (VEX-only files, unknown properties) that real
pipelines produce.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from releasegate.evidence.interface import EvidenceError
from releasegate.model.evidence import Finding, Severity

SEVERITY_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    # "negligible" (Grype, Debian) maps to low rather than info so it is never under-rated.
    "negligible": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
    "unknown": Severity.UNKNOWN,
}

SEVERITY_RANK = {
    Severity.UNKNOWN: -1,
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

VEX_STATES = (
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
    "false_positive",
    "not_affected",
)


def severity_word(value: Any) -> Severity:
    """Map a tool's severity word to a Severity; anything unrecognised is unknown."""
    if isinstance(value, str):
        return SEVERITY_WORDS.get(value.strip().lower(), Severity.UNKNOWN)
    return Severity.UNKNOWN


def cvss_band(score: float) -> Severity:
    """Return the CVSS v3 qualitative rating of a base score."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 time, keeping it in UTC; None for absent or unreadable values."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Go writes up to nine fractional digits; Python reads at most six.
    if "." in text:
        head, _, rest = text.partition(".")
        count = len(rest) - len(rest.lstrip("0123456789"))
        digits, zone = rest[:count], rest[count:]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def fingerprint(*parts: str | None) -> str:
    """Return a stable SHA-256 over the identifying parts of a finding."""
    joined = "\x1f".join(part or "" for part in parts)
    return "sha256:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()


def require_object(value: Any, *, source: str, field: str, hint: str) -> dict[str, Any]:
    """Return `value` when it is a JSON object, else raise EvidenceError naming `field`."""
    if not isinstance(value, dict):
        raise EvidenceError(
            f"{field} is {_type_name(value)}, but an object is expected",
            source=source,
            field=field,
            hint=hint,
        )
    return value


def optional_text(value: Any) -> str | None:
    """Return a non-empty stripped string, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def object_at(owner: dict[str, Any], key: str) -> dict[str, Any]:
    """Return `owner[key]` when it is a JSON object, else an empty dict."""
    value = owner.get(key)
    return value if isinstance(value, dict) else {}


_SHARED_FIELD_SETS: dict[frozenset[str], set[str]] = {}


def compact(finding: Finding) -> Finding:
    """Return `finding` with its set of explicitly set fields shared with its peers.

    pydantic keeps one such set per instance (about 700 bytes for a finding), which
    is 40 % of a finding's memory in a report of tens of thousands of findings. The
    set is only read after construction: a frozen model cannot be changed, and
    `model_copy` copies the set before it adds to it.
    """
    # NOTE: this relies on pydantic 2 storing the set in __pydantic_fields_set__
    # and copying it in __copy__; test_compact_finding_stays_independent checks both.
    fields = finding.__pydantic_fields_set__
    shared = _SHARED_FIELD_SETS.setdefault(frozenset(fields), set(fields))
    object.__setattr__(finding, "__pydantic_fields_set__", shared)
    return finding
