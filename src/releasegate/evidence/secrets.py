"""Secret scanner reports: gitleaks JSON and SARIF, detect-secrets baselines.

The matched text is never kept. gitleaks writes the secret into `Secret` and `Match`
(unless run with `--redact`) and into SARIF snippets; these readers copy only the rule,
the file, the line, the commit and a fingerprint. detect-secrets baselines hold a
SHA-1 of each secret (`hashed_secret`); the fingerprint kept here is a SHA-256 over
the file, the plugin type and that hash, so the stored value is no direct hash of
the secret.

`scan_path` runs the detect-secrets library over a folder and returns the same
normalized facts, for `releasegate scan secrets`.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releasegate.evidence._vuln import fingerprint, optional_text, require_object
from releasegate.evidence.interface import EvidenceError
from releasegate.evidence.sarif import load_json
from releasegate.model.evidence import EvidenceKind, Finding, ScanRun, Severity

logger = logging.getLogger(__name__)

SECRET_TOOLS = frozenset({"gitleaks", "detect-secrets", "trufflehog"})
"""Lower-case tool names whose SARIF output is a secret scan rather than a code scan."""

_GITLEAKS_HINT = "Upload the report `gitleaks git --report-format json --redact` wrote."
_BASELINE_HINT = "Upload the baseline `detect-secrets scan` wrote, unmodified."
_SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__"})


class GitleaksParser:
    """Parser for gitleaks' JSON report: an array of findings."""

    format = "gitleaks"
    kind = EvidenceKind.SECRET_SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun:
        """Parse a gitleaks JSON report; raises EvidenceError for an unreadable one."""
        document = load_json(data, source=source)
        if not isinstance(document, list):
            raise EvidenceError(
                "a gitleaks JSON report is an array of findings, but this file is not an array",
                source=source,
                hint=_GITLEAKS_HINT,
            )
        findings = []
        for index, value in enumerate(document):
            field = f"[{index}]"
            entry = require_object(value, source=source, field=field, hint=_GITLEAKS_HINT)
            rule_id = optional_text(entry.get("RuleID"))
            if rule_id is None:
                raise EvidenceError(
                    "finding has no RuleID", source=source, field=field, hint=_GITLEAKS_HINT
                )
            file = optional_text(entry.get("File"))
            line = entry.get("StartLine")
            line_number = line if isinstance(line, int) and not isinstance(line, bool) else None
            commit = optional_text(entry.get("Commit"))
            findings.append(
                Finding(
                    tool="gitleaks",
                    rule_id=rule_id,
                    # gitleaks rates no finding; every secret blocks.
                    severity=Severity.HIGH,
                    level="secret",
                    message=optional_text(entry.get("Description")) or f"secret matched {rule_id}",
                    location=file,
                    line=line_number,
                    fingerprint=optional_text(entry.get("Fingerprint"))
                    or ":".join(p for p in (commit, file, rule_id, str(line_number)) if p),
                    severity_source="gitleaks (no severity: every finding blocks)",
                    commit=commit,
                )
            )
        return ScanRun(
            format=self.format,
            tools=("gitleaks",),
            # gitleaks writes the report only after it has scanned everything.
            execution_successful=True,
            findings=tuple(findings),
            category="secret",
        )


class DetectSecretsParser:
    """Parser for a detect-secrets baseline (`.secrets.baseline`)."""

    format = "detect-secrets"
    kind = EvidenceKind.SECRET_SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun:
        """Parse a detect-secrets baseline; raises EvidenceError for an unreadable one."""
        document = require_object(
            load_json(data, source=source), source=source, field="(root)", hint=_BASELINE_HINT
        )
        return baseline_to_scan(document, source=source)


def baseline_to_scan(document: dict[str, Any], *, source: str) -> ScanRun:
    """Normalize a detect-secrets baseline object into a secret ScanRun."""
    results = document.get("results")
    if not isinstance(results, dict):
        raise EvidenceError(
            "baseline has no 'results' object",
            source=source,
            field="results",
            hint=_BASELINE_HINT,
        )
    findings = []
    for filename, entries in sorted(results.items()):
        if not isinstance(entries, list):
            raise EvidenceError(
                "results of a file must be an array",
                source=source,
                field=f"results.{filename}",
                hint=_BASELINE_HINT,
            )
        for index, value in enumerate(entries):
            field = f"results.{filename}[{index}]"
            entry = require_object(value, source=source, field=field, hint=_BASELINE_HINT)
            secret_type = optional_text(entry.get("type")) or "secret"
            line = entry.get("line_number")
            line_number = line if isinstance(line, int) and not isinstance(line, bool) else None
            hashed = optional_text(entry.get("hashed_secret"))
            # An audited baseline marks false positives; keep them as suppressed so
            # that only an exception, never the baseline itself, waives them.
            suppressed = entry.get("is_secret") is False
            findings.append(
                Finding(
                    tool="detect-secrets",
                    rule_id=secret_type,
                    severity=Severity.HIGH,
                    level="secret",
                    message=f"{secret_type} found",
                    location=filename,
                    line=line_number,
                    fingerprint=fingerprint("detect-secrets", filename, secret_type, hashed),
                    suppressed=suppressed,
                    severity_source="detect-secrets (no severity: every finding blocks)",
                )
            )
    generated = document.get("generated_at")
    scanned_at = None
    if isinstance(generated, str):
        try:
            scanned_at = datetime.fromisoformat(generated.replace("Z", "+00:00"))
            if scanned_at.tzinfo is None:
                scanned_at = scanned_at.replace(tzinfo=UTC)
        except ValueError:
            scanned_at = None
    version = optional_text(document.get("version"))
    return ScanRun(
        format="detect-secrets",
        tools=(f"detect-secrets {version}" if version else "detect-secrets",),
        execution_successful=True,
        findings=tuple(findings),
        category="secret",
        scanned_at=scanned_at,
    )


def as_secret_scan(scan: ScanRun) -> ScanRun:
    """Mark a SARIF scan from a secret scanner as a secret scan.

    gitleaks' SARIF has no invocations. It is written only once the scan is over, so a
    missing completion status is read as completed, with a warning.
    """
    warnings = scan.warnings
    completed = scan.execution_successful
    if completed is None:
        completed = True
        warnings = (
            *warnings,
            "the report records no completion status; a secret scanner "
            "writes its report only after the scan, so it counts as completed",
        )
    return scan.model_copy(
        update={"category": "secret", "execution_successful": completed, "warnings": warnings}
    )


def is_secret_tool(tools: tuple[str, ...]) -> bool:
    """True when every tool of a SARIF log is a known secret scanner."""
    return bool(tools) and all(tool.split()[0].lower() in SECRET_TOOLS for tool in tools)


def scan_path(path: Path) -> tuple[dict[str, Any], ScanRun]:
    """Scan the files under `path` with detect-secrets' default plugins and filters.

    Returns the baseline document (secret hashes only, never the secrets) and its
    normalized facts. Raises EvidenceError when `path` does not exist.
    """
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    if not path.exists():
        raise EvidenceError(
            "path does not exist",
            source=str(path),
            hint="Pass the folder or file to scan, for example the checked-out repository.",
        )
    # detect-secrets joins file names to its root, so both must be absolute.
    path = path.resolve()
    files = [path] if path.is_file() else _files_under(path)
    collection = SecretsCollection(root=str(path if path.is_dir() else path.parent))
    with default_settings():
        for file in files:
            collection.scan_file(str(file))
        document = baseline.format_for_output(collection)
    # Report paths relative to the scanned folder, so reports of two checkouts compare.
    base = path if path.is_dir() else path.parent
    relative: dict[str, Any] = {}
    for filename, entries in document.get("results", {}).items():
        name = os.path.relpath(filename, base) if os.path.isabs(filename) else filename
        relative[name] = [{**entry, "filename": name} for entry in entries]
    document["results"] = relative
    logger.info("scanned %d files under %s", len(files), path)
    return document, baseline_to_scan(json.loads(json.dumps(document)), source=str(path))


def _files_under(folder: Path) -> list[Path]:
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED_FOLDERS)
        for name in sorted(names):
            candidate = Path(root) / name
            if candidate.is_file() and not candidate.is_symlink():
                found.append(candidate)
    return found
