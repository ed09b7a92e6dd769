"""Reports larger than the in-memory limit: streamed for Trivy, Grype and SARIF, else rejected."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from releasegate.documents import MAX_DOCUMENT_BYTES
from releasegate.evidence import EvidenceError
from releasegate.evidence.detect import parse_large_evidence
from releasegate.store.blobs import BlobStore


def write_trivy(path: Path, minimum_bytes: int) -> int:
    entry = {"VulnerabilityID": "CVE-2026-0001", "PkgName": "lib", "InstalledVersion": "1.0",
             "Severity": "HIGH", "Description": "x" * 2000}
    count = 0
    with path.open("w") as out:
        out.write('{"SchemaVersion": 2, "Results": [{"Target": "image", "Vulnerabilities": [')
        written = 0
        while written < minimum_bytes:
            text = ("," if count else "") + json.dumps({**entry, "PkgName": f"lib{count}"})
            out.write(text)
            written += len(text)
            count += 1
        out.write("]}]}")
    return count


def test_large_trivy_streamed_and_stored_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "trivy.json"
    count = write_trivy(path, MAX_DOCUMENT_BYTES + 1024)
    size = path.stat().st_size
    assert size > MAX_DOCUMENT_BYTES

    format_name, scan = parse_large_evidence(path, size=size)
    assert format_name == "trivy"
    assert len(scan.findings) == count
    assert scan.findings[-1].package == f"lib{count - 1}"

    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put_file(path, chunk_size=65536)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert blobs.get(digest) == path.read_bytes()


def test_large_junit_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_text('<testsuites><testsuite name="s" tests="0"/></testsuites>' + " " * 64)
    with pytest.raises(EvidenceError, match="in format junit, which is read only when it fits"):
        parse_large_evidence(path, size=MAX_DOCUMENT_BYTES + 1)
