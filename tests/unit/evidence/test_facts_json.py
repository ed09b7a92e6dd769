"""Canonical JSON of stored facts, serialized one finding at a time."""

from __future__ import annotations

import json

from releasegate.evidence import parse_evidence
from releasegate.ledger.canonical import canonical_json
from releasegate.service.evidence import facts_json


def test_facts_json_equals_canonical_json_of_dump() -> None:
    report = {"SchemaVersion": 2, "CreatedAt": "2026-12-01T08:00:00Z", "ArtifactName": "app",
              "Results": [{"Target": "app", "Vulnerabilities": [
                  {"VulnerabilityID": f"CVE-2026-{n}", "PkgName": f"lib-é{n}",
                   "InstalledVersion": "1", "Severity": "HIGH", "Title": "quote \" and \u2028"}
                  for n in range(3)]}]}
    _, scan = parse_evidence(json.dumps(report).encode(), source="t.json")
    assert facts_json(scan) == canonical_json(scan.model_dump(mode="json"))


def test_facts_json_of_empty_scan_and_other_facts() -> None:
    _, empty = parse_evidence(b"[]", source="g.json")
    assert facts_json(empty) == canonical_json(empty.model_dump(mode="json"))
    junit = b'<testsuite name="s"><testcase name="t"/></testsuite>'
    _, report = parse_evidence(junit, source="j.xml")
    assert facts_json(report) == canonical_json(report.model_dump(mode="json"))
