"""A SARIF log above the in-memory limit goes through `evidence add` and the gate."""

from __future__ import annotations

import json

from support import COMMIT, JUNIT_PASS, SARIF_CLEAN, approve_all, attach, control, create

from releasegate.documents import MAX_DOCUMENT_BYTES


def write_log(path, minimum_bytes: int) -> int:
    """Write a SARIF log with one critical result among many low ones; return the count."""
    rules = [
        {
            "id": "LOW-1",
            "properties": {"security-severity": "2.0"},
            "fullDescription": {"text": "d" * 3000},
        },
        {
            "id": "CVE-2026-4242",
            "help": {"text": "Vulnerability\nSeverity: CRITICAL\n", "markdown": "**CRITICAL**"},
        },
    ]
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "rules": ')
        out.write(json.dumps(rules) + '}}, "invocations": [{"executionSuccessful": true}], ')
        out.write('"results": [')
        written = 0
        while written < minimum_bytes:
            text = ("," if count else "") + json.dumps(
                {
                    "ruleId": "LOW-1",
                    "ruleIndex": 0,
                    "message": {"text": "m" * 1500},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"f{count}"}}}],
                }
            )
            out.write(text)
            written += len(text)
            count += 1
        out.write(',{"ruleId": "CVE-2026-4242", "ruleIndex": 1, "message": {"text": "openssl"}}')
        out.write("]}]}")
    return count + 1


def test_large_sarif_blocks_release_with_critical(ws):
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    path = ws.root / "big.sarif"
    count = write_log(path, MAX_DOCUMENT_BYTES + 4096)
    assert path.stat().st_size > MAX_DOCUMENT_BYTES

    result, added = ws.json("evidence", "add", release, str(path), "--commit", COMMIT)
    assert result.exit_code == 0, result.output
    assert added["format"] == "sarif"
    assert added["summary"]["findings"] == count
    assert added["summary"]["severity_critical"] == 1

    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code == 1, result.output
    vul = control(decision, "VUL-1")
    assert vul["outcome"] == "fail"
    assert len(vul["violations"]) == 1
    assert "CVE-2026-4242" in vul["violations"][0]["msg"]
