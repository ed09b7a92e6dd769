"""Trivy JSON reports (`trivy image|fs|repo --format json`, schema version 2).

Each `Results[].Vulnerabilities[]` entry becomes a finding with the package, the
installed and fixed versions and Trivy's own severity. Secrets that Trivy found
(`Results[].Secrets[]`) are findings too, without the matched text. The report is
read as a stream, one vulnerability at a time, because image reports reach tens of
megabytes.
"""

from __future__ import annotations

import io
import logging
from typing import Any, BinaryIO

from releasegate.evidence._stream import stream_json
from releasegate.evidence._vuln import (
    compact,
    fingerprint,
    optional_text,
    parse_time,
    require_object,
    severity_word,
)
from releasegate.evidence.interface import EvidenceError, reject_empty
from releasegate.model.evidence import EvidenceKind, Finding, ScanRun, Severity

logger = logging.getLogger(__name__)

_VULNERABILITY = "Results.item.Vulnerabilities.item"
_SECRET = "Results.item.Secrets.item"  # noqa: S105 - a JSON path, not a secret
_TARGET = "Results.item.Target"
_SCALARS = frozenset({"SchemaVersion", "CreatedAt", "ArtifactName", "Trivy.Version", _TARGET})
_HINT = "Upload the report `trivy --format json` wrote, unmodified."

# Trivy's fix states (`Status`) that mean no fixed version exists.
_NO_FIX_STATES = frozenset({"affected", "will_not_fix", "fix_deferred", "end_of_life"})


class TrivyParser:
    """Parser for Trivy's native JSON report."""

    format = "trivy"
    kind = EvidenceKind.SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun:
        """Parse a Trivy JSON report; raises EvidenceError for an unreadable report."""
        reject_empty(data, source=source)
        return self.parse_stream(io.BytesIO(data), source=source)

    def parse_stream(self, stream: BinaryIO, *, source: str) -> ScanRun:
        """Parse a Trivy JSON report from a binary stream, reading it in chunks."""
        findings: list[Finding] = []
        header: dict[str, Any] = {}
        target: str | None = None
        index = 0
        for prefix, value in stream_json(
            stream, source=source, items=frozenset({_VULNERABILITY, _SECRET}), scalars=_SCALARS
        ):
            if prefix == _TARGET:
                target = value if isinstance(value, str) else None
            elif prefix == _VULNERABILITY:
                findings.append(compact(self._vulnerability(value, target, index, source)))
                index += 1
            elif prefix == _SECRET:
                findings.append(self._secret(value, target, index, source))
                index += 1
            else:
                header[prefix] = value

        if header.get("SchemaVersion") != 2:
            raise EvidenceError(
                f"SchemaVersion is {header.get('SchemaVersion')!r}, but releasegate reads "
                "Trivy JSON schema version 2",
                source=source,
                field="SchemaVersion",
                hint="Scan with Trivy 0.20 or later, which writes schema version 2.",
            )
        version = header.get("Trivy.Version")
        tool = f"Trivy {version}" if isinstance(version, str) else "Trivy"
        logger.debug("parsed Trivy report %s: %d findings", source, len(findings))
        return ScanRun(
            format=self.format,
            tools=(tool,),
            # Trivy writes a report only when the scan completed; a failed scan exits
            # non-zero without one.
            execution_successful=True,
            findings=tuple(findings),
            scanned_at=parse_time(header.get("CreatedAt")),
            target=optional_text(header.get("ArtifactName")),
        )

    def _vulnerability(self, value: Any, target: str | None, index: int, source: str) -> Finding:
        field = f"Results[].Vulnerabilities[{index}]"
        entry = require_object(value, source=source, field=field, hint=_HINT)
        vulnerability_id = optional_text(entry.get("VulnerabilityID"))
        if vulnerability_id is None:
            raise EvidenceError(
                "vulnerability has no VulnerabilityID",
                source=source,
                field=field,
                hint=_HINT,
            )
        package = optional_text(entry.get("PkgName"))
        purl = optional_text((entry.get("PkgIdentifier") or {}).get("PURL"))
        installed = optional_text(entry.get("InstalledVersion"))
        fixed = optional_text(entry.get("FixedVersion"))
        status = optional_text(entry.get("Status"))
        fix_available: bool | None
        if fixed is not None:
            fix_available = True
        elif status in _NO_FIX_STATES:
            fix_available = False
        else:
            fix_available = None

        severity = severity_word(entry.get("Severity"))
        source_name = optional_text(entry.get("SeveritySource"))
        severity_source = f"trivy Severity ({source_name})" if source_name else "trivy Severity"
        title = optional_text(entry.get("Title")) or vulnerability_id
        return Finding(
            tool="Trivy",
            rule_id=vulnerability_id,
            severity=severity,
            level=severity.value,
            message=f"{title} in {package or 'an unnamed package'} {installed or ''}".strip(),
            location=target,
            fingerprint=optional_text(entry.get("Fingerprint"))
            or fingerprint(vulnerability_id, purl or package, installed, target),
            cve=vulnerability_id if vulnerability_id.upper().startswith("CVE-") else None,
            severity_source=severity_source,
            package=purl or package,
            version=installed,
            fixed_version=fixed,
            fix_available=fix_available,
        )

    def _secret(self, value: Any, target: str | None, index: int, source: str) -> Finding:
        # Only the rule, the place and a hash of the place are kept: `Match` and
        # `Code` hold the secret itself.
        field = f"Results[].Secrets[{index}]"
        entry = require_object(value, source=source, field=field, hint=_HINT)
        rule_id = optional_text(entry.get("RuleID")) or "secret"
        line = entry.get("StartLine")
        line_number = line if isinstance(line, int) and not isinstance(line, bool) else None
        return Finding(
            tool="Trivy",
            rule_id=rule_id,
            severity=severity_word(entry["Severity"]) if entry.get("Severity") else Severity.HIGH,
            level="secret",
            message=optional_text(entry.get("Title")) or f"secret matched rule {rule_id}",
            location=target,
            line=line_number,
            fingerprint=fingerprint("trivy-secret", rule_id, target, str(line_number)),
            severity_source="trivy secret Severity",
        )
