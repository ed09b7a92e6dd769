"""CycloneDX JSON documents: SBOMs with vulnerabilities, and VEX documents.

A document whose every vulnerability carries an `analysis` is a VEX document: its
statements are applied to the findings of the release's other scans (see `vex.py`).
Any other document with a `vulnerabilities` array is a scan: each affected component
becomes a finding, with the most severe of its ratings. The reader is hand-written for
the reasons given in `_vuln.py`.
"""

from __future__ import annotations

from typing import Any

from releasegate.evidence._vuln import (
    SEVERITY_RANK,
    VEX_STATES,
    cvss_band,
    fingerprint,
    object_at,
    optional_text,
    parse_time,
    require_object,
    severity_word,
)
from releasegate.evidence.interface import EvidenceError
from releasegate.evidence.sarif import load_json
from releasegate.model.evidence import EvidenceKind, Finding, ScanRun, Severity
from releasegate.model.integrity import VexDocument, VexStatement

_HINT = "Upload the CycloneDX JSON document the tool wrote (specVersion 1.4 or later)."
_SUPPORTED_SPECS = ("1.4", "1.5", "1.6", "1.7")


def package_url_of(ref: str) -> str:
    """Return the component part of a BOM-link (`urn:cdx:serial/version#ref`), else `ref`."""
    if ref.startswith("urn:cdx:") and "#" in ref:
        return ref.split("#", 1)[1]
    return ref


class CycloneDxParser:
    """Parser for CycloneDX JSON; returns a ScanRun or, for VEX documents, a VexDocument."""

    format = "cyclonedx"
    kind = EvidenceKind.SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun | VexDocument:
        """Parse a CycloneDX JSON document; raises EvidenceError for an invalid one."""
        document = require_object(
            load_json(data, source=source), source=source, field="(root)", hint=_HINT
        )
        self._check_header(document, source)
        raw = document.get("vulnerabilities")
        if not isinstance(raw, list):
            raise EvidenceError(
                "document has no 'vulnerabilities' array, so it is an SBOM without scan results",
                source=source,
                field="vulnerabilities",
                hint="Scan the SBOM for vulnerabilities (for example `trivy sbom --format "
                "cyclonedx` or `grype sbom:FILE -o cyclonedx-json`) and upload that output.",
            )
        entries = [
            require_object(entry, source=source, field=f"vulnerabilities[{i}]", hint=_HINT)
            for i, entry in enumerate(raw)
        ]
        metadata = object_at(document, "metadata")
        timestamp = parse_time(metadata.get("timestamp"))
        spec = str(document["specVersion"])

        if entries and all(isinstance(entry.get("analysis"), dict) for entry in entries):
            statements = tuple(self._statement(e, i, source) for i, e in enumerate(entries))
            return VexDocument(
                format="cyclonedx-vex",
                spec_version=spec,
                statements=statements,
                issued_at=timestamp,
            )

        components = _components_by_ref(document)
        findings: list[Finding] = []
        for index, entry in enumerate(entries):
            findings.extend(self._findings(entry, index, components, source))
        return ScanRun(
            format=self.format,
            tools=(_tool_name(metadata),),
            # A CycloneDX document has no completion status; the producer wrote it
            # after the scan, so its presence is the only evidence of completion.
            execution_successful=None,
            findings=tuple(findings),
            scanned_at=timestamp,
            target=optional_text((metadata.get("component") or {}).get("name"))
            if isinstance(metadata.get("component"), dict)
            else None,
        )

    @staticmethod
    def _check_header(document: dict[str, Any], source: str) -> None:
        if document.get("bomFormat") != "CycloneDX":
            raise EvidenceError(
                f"bomFormat is {document.get('bomFormat')!r}, not 'CycloneDX'",
                source=source,
                field="bomFormat",
                hint=_HINT,
            )
        spec = document.get("specVersion")
        if spec not in _SUPPORTED_SPECS:
            raise EvidenceError(
                f"specVersion {spec!r} is not supported; releasegate reads "
                f"{', '.join(_SUPPORTED_SPECS)}",
                source=source,
                field="specVersion",
                hint="Write the document with CycloneDX 1.4 or later, where vulnerabilities "
                "and analysis are defined.",
            )
        serial = document.get("serialNumber")
        if serial is not None and not (isinstance(serial, str) and serial.startswith("urn:uuid:")):
            raise EvidenceError(
                f"serialNumber {serial!r} is not a 'urn:uuid:' string",
                source=source,
                field="serialNumber",
                hint="Fix the tool that wrote the document: CycloneDX defines serialNumber "
                "as a string of the form urn:uuid:<UUID>.",
            )

    def _statement(self, entry: dict[str, Any], index: int, source: str) -> VexStatement:
        field = f"vulnerabilities[{index}]"
        vulnerability_id = optional_text(entry.get("id"))
        if vulnerability_id is None:
            raise EvidenceError("vulnerability has no id", source=source, field=field, hint=_HINT)
        analysis = entry["analysis"]
        state = optional_text(analysis.get("state"))
        if state is not None and state not in VEX_STATES:
            raise EvidenceError(
                f"analysis state {state!r} is not a CycloneDX analysis state",
                source=source,
                field=f"{field}.analysis.state",
                hint=f"Use one of {', '.join(VEX_STATES)}.",
            )
        responses = analysis.get("response")
        if isinstance(responses, str):
            responses = [responses]
        refs = tuple(
            ref
            for affect in entry.get("affects") or []
            if isinstance(affect, dict) and isinstance(ref := affect.get("ref"), str)
        )
        return VexStatement(
            id=vulnerability_id,
            state=state,
            justification=optional_text(analysis.get("justification")),
            responses=tuple(r for r in responses or [] if isinstance(r, str)),
            detail=optional_text(analysis.get("detail")),
            refs=refs,
            purls=tuple(p for ref in refs if (p := package_url_of(ref)).startswith("pkg:")),
        )

    def _findings(
        self,
        entry: dict[str, Any],
        index: int,
        components: dict[str, dict[str, Any]],
        source: str,
    ) -> list[Finding]:
        field = f"vulnerabilities[{index}]"
        vulnerability_id = optional_text(entry.get("id"))
        if vulnerability_id is None:
            raise EvidenceError("vulnerability has no id", source=source, field=field, hint=_HINT)
        severity, severity_source = _rating(entry.get("ratings"))
        analysis = object_at(entry, "analysis")
        state = optional_text(analysis.get("state"))
        recommendation = optional_text(entry.get("recommendation"))
        refs = [
            affect["ref"]
            for affect in entry.get("affects") or []
            if isinstance(affect, dict) and isinstance(affect.get("ref"), str)
        ] or [None]
        findings = []
        for ref in refs:
            component = components.get(package_url_of(ref)) if ref else None
            package = None
            version = None
            if component is not None:
                package = optional_text(component.get("purl")) or optional_text(
                    component.get("name")
                )
                version = optional_text(component.get("version"))
            elif ref is not None:
                package = package_url_of(ref)
            findings.append(
                Finding(
                    tool="CycloneDX",
                    rule_id=vulnerability_id,
                    severity=severity,
                    level=severity.value,
                    message=f"{vulnerability_id} in {package or 'an unnamed component'}",
                    location=package,
                    fingerprint=fingerprint(vulnerability_id, package, version),
                    cve=vulnerability_id if vulnerability_id.upper().startswith("CVE-") else None,
                    severity_source=severity_source,
                    package=package,
                    version=version,
                    fix_available=True
                    if recommendation and "upgrade" in recommendation.lower()
                    else None,
                    vex_state=state,
                    vex_justification=optional_text(analysis.get("justification")),
                )
            )
        return findings


def _rating(ratings: Any) -> tuple[Severity, str]:
    """Return the most severe rating and its source; unknown when there is none."""
    best = Severity.UNKNOWN
    best_source = "no rating"
    for rating in ratings if isinstance(ratings, list) else []:
        if not isinstance(rating, dict):
            continue
        severity = severity_word(rating.get("severity"))
        score = rating.get("score")
        if severity is Severity.UNKNOWN and isinstance(score, int | float):
            severity = cvss_band(float(score))
        if SEVERITY_RANK[severity] > SEVERITY_RANK[best]:
            best = severity
            name = (
                (rating.get("source") or {}).get("name")
                if isinstance(rating.get("source"), dict)
                else None
            )
            best_source = f"cyclonedx rating ({name})" if name else "cyclonedx rating"
    return best, best_source


def _components_by_ref(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    pending = list(document.get("components") or [])
    while pending:
        component = pending.pop()
        if not isinstance(component, dict):
            continue
        ref = component.get("bom-ref")
        if isinstance(ref, str):
            found[ref] = component
        pending.extend(component.get("components") or [])
    return found


def _tool_name(metadata: dict[str, Any]) -> str:
    tools = metadata.get("tools")
    # CycloneDX 1.5 moved tools into {"components": [...]}; 1.4 has a plain list.
    if isinstance(tools, dict):
        tools = tools.get("components")
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and isinstance(tool.get("name"), str):
            version = tool.get("version")
            return f"{tool['name']} {version}" if isinstance(version, str) else tool["name"]
    return "CycloneDX"
