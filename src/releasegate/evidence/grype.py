"""Grype JSON reports (`grype IMAGE -o json`).

Each `matches[]` entry becomes a finding: the vulnerability id, Grype's severity
for its namespace, the matched package (purl when present) and the fix state. The
matches are read as a stream, one at a time.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from releasegate.evidence._stream import stream_json
from releasegate.evidence._vuln import (
    compact,
    fingerprint,
    object_at,
    optional_text,
    parse_time,
    require_object,
    severity_word,
)
from releasegate.evidence.interface import EvidenceError, reject_empty
from releasegate.model.evidence import EvidenceKind, Finding, ScanRun

_MATCH = "matches.item"
_SCALARS = frozenset(
    {"descriptor.name", "descriptor.version", "descriptor.timestamp", "source.target.userInput"}
)
_HINT = "Upload the report `grype -o json` wrote, unmodified."


class GrypeParser:
    """Parser for Grype's native JSON report."""

    format = "grype"
    kind = EvidenceKind.SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun:
        """Parse a Grype JSON report; raises EvidenceError for an unreadable report."""
        reject_empty(data, source=source)
        return self.parse_stream(io.BytesIO(data), source=source)

    def parse_stream(self, stream: BinaryIO, *, source: str) -> ScanRun:
        """Parse a Grype JSON report from a binary stream, reading it in chunks."""
        findings: list[Finding] = []
        header: dict[str, Any] = {}
        saw_matches = False
        for prefix, value in stream_json(
            stream,
            source=source,
            items=frozenset({_MATCH}),
            scalars=_SCALARS,
            markers=frozenset({"matches"}),
        ):
            if prefix == "matches":
                saw_matches = True
            elif prefix == _MATCH:
                saw_matches = True
                findings.append(compact(self._match(value, len(findings), source)))
            else:
                header[prefix] = value

        if not saw_matches:
            raise EvidenceError(
                "report has no 'matches' array",
                source=source,
                field="matches",
                hint=_HINT,
            )
        name = optional_text(header.get("descriptor.name")) or "grype"
        version = optional_text(header.get("descriptor.version"))
        tool = "Grype" if name.lower() == "grype" else name
        if version and not version.startswith("["):
            tool = f"{tool} {version}"
        return ScanRun(
            format=self.format,
            tools=(tool,),
            # Grype writes its JSON only after a completed scan.
            execution_successful=True,
            findings=tuple(findings),
            scanned_at=parse_time(header.get("descriptor.timestamp")),
            target=optional_text(header.get("source.target.userInput")),
        )

    def _match(self, value: Any, index: int, source: str) -> Finding:
        field = f"matches[{index}]"
        match = require_object(value, source=source, field=field, hint=_HINT)
        vulnerability = require_object(
            match.get("vulnerability"), source=source, field=f"{field}.vulnerability", hint=_HINT
        )
        artifact = require_object(
            match.get("artifact"), source=source, field=f"{field}.artifact", hint=_HINT
        )
        vulnerability_id = optional_text(vulnerability.get("id"))
        if vulnerability_id is None:
            raise EvidenceError(
                "match has no vulnerability id",
                source=source,
                field=f"{field}.vulnerability.id",
                hint=_HINT,
            )

        package = optional_text(artifact.get("purl")) or optional_text(artifact.get("name"))
        version = optional_text(artifact.get("version"))
        fix = object_at(vulnerability, "fix")
        versions = [v for v in fix.get("versions") or [] if isinstance(v, str) and v]
        state = optional_text(fix.get("state"))
        fix_available: bool | None
        if versions or state == "fixed":
            fix_available = True
        elif state in ("not-fixed", "wont-fix"):
            fix_available = False
        else:
            fix_available = None

        raw_locations = artifact.get("locations")
        locations: list[Any] = raw_locations if isinstance(raw_locations, list) else []
        location = next(
            (
                loc["path"]
                for loc in locations
                if isinstance(loc, dict) and isinstance(loc.get("path"), str)
            ),
            None,
        )
        severity = severity_word(vulnerability.get("severity"))
        namespace = optional_text(vulnerability.get("namespace"))
        return Finding(
            tool="Grype",
            rule_id=vulnerability_id,
            severity=severity,
            level=severity.value,
            message=" ".join(
                part
                for part in (vulnerability_id, "in", artifact.get("name") or "a package", version)
                if part
            ),
            location=location,
            fingerprint=fingerprint(vulnerability_id, package, version, location),
            cve=vulnerability_id if vulnerability_id.upper().startswith("CVE-") else None,
            severity_source=f"grype vulnerability.severity ({namespace})"
            if namespace
            else "grype vulnerability.severity",
            package=package,
            version=version,
            fixed_version=versions[0] if versions else None,
            fix_available=fix_available,
        )
