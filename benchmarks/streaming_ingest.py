"""Streaming ingest of a large Trivy JSON report against a `json.load` baseline.

A Trivy schema 2 report of about 100 MB is generated (one image target, vulnerabilities
with realistic titles, descriptions, references and CVSS blocks). Each series runs in
its own child process, so that its peak resident set size (ru_maxrss) is its own:

1. streaming: `TrivyParser.parse_stream` on the open file, which walks the token
   stream with ijson in chunks and keeps only the normalized findings;
2. streaming from bytes: `TrivyParser.parse` on the whole file read into memory, as
   `releasegate evidence add` calls it today;
3. ingest: the whole `releasegate evidence add` use case in process on a SQLite
   working folder (stream parse, chunked blob store, ledger entry);
4. baseline: `json.load` of the same file, then one pass over the vulnerabilities
   that reads the same fields, without building findings.

Run: .venv/bin/python benchmarks/streaming_ingest.py [--megabytes N] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESCRIPTION = (
    "A flaw was found in the parser of the library that allows a remote attacker to cause "
    "an out-of-bounds read by sending a crafted message; the impact is a denial of service "
    "and possibly disclosure of memory contents of the process. "
) * 4


def vulnerability(index: int) -> dict:
    return {
        "VulnerabilityID": f"CVE-2026-{index:06d}",
        "PkgID": f"lib{index % 900}@1.{index % 17}.0",
        "PkgName": f"lib{index % 900}",
        "PkgIdentifier": {"PURL": f"pkg:deb/debian/lib{index % 900}@1.{index % 17}.0"},
        "InstalledVersion": f"1.{index % 17}.0",
        "FixedVersion": f"1.{index % 17}.1" if index % 3 else "",
        "Status": "fixed" if index % 3 else "affected",
        "SeveritySource": "nvd",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/cve-2026-{index:06d}",
        "Title": f"lib{index % 900}: out-of-bounds read in parser {index}",
        "Description": DESCRIPTION,
        "Severity": ["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"][index % 5],
        "CweIDs": ["CWE-125"],
        "VendorSeverity": {"nvd": 3, "redhat": 2, "ubuntu": 2},
        "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                         "V3Score": 7.5}},
        "References": [f"https://security.example.org/advisory/{index}/{n}" for n in range(4)],
        "PublishedDate": "2026-01-02T03:04:05Z",
        "LastModifiedDate": "2026-02-03T04:05:06Z",
    }


def generate(path: Path, megabytes: int) -> int:
    """Write a report of about `megabytes` MB; return the number of vulnerabilities."""
    target = megabytes * 1_000_000
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"SchemaVersion": 2, "CreatedAt": "2026-12-04T10:00:00Z", '
                  '"ArtifactName": "registry.example.com/payments/payments-api:2.4.0", '
                  '"ArtifactType": "container_image", "Results": [{"Target": "payments-api '
                  '(debian 12.8)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [')
        written = 0
        while written < target:
            text = ("," if count else "") + json.dumps(vulnerability(count))
            out.write(text)
            written += len(text)
            count += 1
        out.write("]}]}\n")
    return count


def child(mode: str, path: Path) -> dict:
    start = time.perf_counter()
    if mode == "streaming":
        from releasegate.evidence.trivy import TrivyParser

        with path.open("rb") as handle:
            scan = TrivyParser().parse_stream(handle, source=str(path))
        findings = len(scan.findings)
    elif mode == "ingest":
        findings = _ingest(path)
    elif mode == "bytes":
        from releasegate.evidence.trivy import TrivyParser

        scan = TrivyParser().parse(path.read_bytes(), source=str(path))
        findings = len(scan.findings)
    else:
        with path.open("rb") as handle:
            document = json.load(handle)
        findings = 0
        for result in document["Results"]:
            for entry in result.get("Vulnerabilities", []):
                _ = (entry["VulnerabilityID"], entry.get("PkgName"), entry.get("Severity"),
                     entry.get("FixedVersion"), entry.get("InstalledVersion"))
                findings += 1
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"mode": mode, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_kib / 1024, 1),
            "findings": findings}


def _ingest(path: Path) -> int:
    import shutil

    from releasegate.service.app import Application
    from releasegate.service.evidence import add_evidence
    from releasegate.service.ledger import initialise_ledger
    from releasegate.service.releases import create_release, load_manifest
    from releasegate.settings import load_settings

    repo = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="releasegate-ingest-"))
    shutil.copy2(repo / "examples" / "catalog.yaml", work / "catalog.yaml")
    shutil.copytree(repo / "examples" / "policies", work / "policies")
    manifest = work / "release.yaml"
    manifest.write_text(
        "service: payments-api\nversion: '2.4.0'\ndescription: benchmark\n"
        "change_type: normal\nsource_commit: '" + "a" * 40 + "'\n"
        "artifacts:\n  - name: payments-api\n    digest: 'sha256:" + "b" * 64 + "'\n"
        "authors: [alice]\nrequester: alice\n"
    )
    settings = load_settings(home=work, environ={})
    app = Application(settings)
    settings.state_dir.mkdir(parents=True)
    app.database.initialise()
    initialise_ledger(app)
    release = create_release(app, load_manifest(manifest), source=str(manifest))
    record = add_evidence(app, release.id, path, commit="a" * 40)
    app.close()
    shutil.rmtree(work)
    return int(record.summary["findings"] or 0)


def run_child(mode: str, path: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trivy.json"
        count = generate(path, args.megabytes)
        size_mb = path.stat().st_size / 1_000_000
        modes = ("streaming", "ingest", "bytes", "baseline")
        results = [run_child(mode, path) for mode in modes]
    report = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "file_mb": round(size_mb, 1),
        "vulnerabilities": count,
        "series": results,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Trivy report: {size_mb:.1f} MB, {count} vulnerabilities ({report['machine']})")
    for series in results:
        print(f"{series['mode']:>9}: {series['seconds']:6.2f} s, peak RSS "
              f"{series['peak_rss_mb']:7.1f} MB, {series['findings']} findings")


if __name__ == "__main__":
    main()
