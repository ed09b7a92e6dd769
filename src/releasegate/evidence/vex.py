"""Apply CycloneDX VEX statements to the findings of vulnerability scans.

A statement applies to a finding when the vulnerability ids are equal (or the
statement's id is the finding's CVE) and, when the statement names packages, one of
its package URLs names the finding's package. Package URLs are compared without
their qualifiers and subpath (`?arch=...`, `#...`), and a finding that names only a
package name matches a URL whose name part is that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from releasegate.model.integrity import VexStatement


def _purl_core(purl: str) -> str:
    return unquote(purl.split("#", 1)[0].split("?", 1)[0]).lower()


def _purl_name(purl: str) -> str:
    core = _purl_core(purl)
    path = core.split("@", 1)[0]
    return path.rsplit("/", 1)[-1]


def statement_applies(statement: VexStatement, finding: dict[str, Any]) -> bool:
    """True when `statement` is about the vulnerability and package of `finding`."""
    ids = {str(finding.get("rule_id") or "").upper(), str(finding.get("cve") or "").upper()}
    if statement.id.upper() not in ids:
        return False
    if not statement.purls:
        return not statement.refs
    package = finding.get("package")
    if not isinstance(package, str) or not package:
        return False
    if package.startswith("pkg:"):
        return any(_purl_core(package) == _purl_core(purl) for purl in statement.purls)
    return any(package.lower() == _purl_name(purl) for purl in statement.purls)


def apply_statements(
    findings: list[dict[str, Any]], statements: Iterable[tuple[str, VexStatement]]
) -> None:
    """Set `vex_state`, `vex_justification` and `vex_evidence_id` on matching findings.

    `statements` pairs each statement with the id of the evidence it came from. When
    several apply, the last attached one wins, as a later VEX document supersedes an
    earlier one. A finding whose own report carries a state keeps it unless a VEX
    document speaks about it.
    """
    ordered = list(statements)
    for finding in findings:
        for evidence_id, statement in ordered:
            if statement_applies(statement, finding):
                finding["vex_state"] = statement.state
                finding["vex_justification"] = statement.justification
                finding["vex_evidence_id"] = evidence_id
