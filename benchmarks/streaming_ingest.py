"""Streaming ingest of large Trivy JSON and SARIF reports against a `json.load` baseline.

A Trivy schema 2 report of about 100 MB is generated (one image target, vulnerabilities
with realistic titles, descriptions, references and CVSS blocks). So is a SARIF 2.1.0
log of about 100 MB shaped like Trivy's SARIF output: one rule per CVE with its
description and help as text and Markdown, and two results per rule, each with a
message, a location and a fingerprint. As in Trivy's output, rules are most of the
bytes. Each series runs in its own child process, so that its peak resident set size
(ru_maxrss) is its own. For the Trivy report:

1. streaming: `TrivyParser.parse_stream` on the open file, which walks the token
   stream with ijson in chunks and keeps only the normalized findings;
2. streaming from bytes: `TrivyParser.parse` on the whole file read into memory, as
   `releasegate evidence add` calls it today;
3. ingest: the whole `releasegate evidence add` use case in process on a SQLite
   working folder (stream parse, chunked blob store, ledger entry);
4. baseline: `json.load` of the same file, then one pass over the vulnerabilities
   that reads the same fields, without building findings.

For the SARIF log, the same four: `parse_sarif_stream` on the open file, the whole
`evidence add`, `SarifParser.parse` (the in-memory parser used below 16 MiB) on the
file's bytes, and `json.load` with one pass over the results.

Run: .venv/bin/python benchmarks/streaming_ingest.py [--megabytes N] [--report trivy|sarif]
[--json]
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


SARIF_HELP = (
    "Vulnerability {cve}\nSeverity: {severity}\nPackage: {package}\nFixed Version: "
    "{fixed}\nLink: [{cve}](https://avd.aquasec.com/nvd/{lower})\n" + DESCRIPTION
)


def sarif_rule(index: int) -> dict:
    cve = f"CVE-2026-{index:06d}"
    severity = ["LOW", "MEDIUM", "HIGH", "CRITICAL"][index % 4]
    package = f"lib{index % 900}"
    text = SARIF_HELP.format(cve=cve, severity=severity, package=package,
                             fixed=f"1.{index % 17}.1", lower=cve.lower())
    return {
        "id": cve,
        "name": "OsPackageVulnerability",
        "shortDescription": {"text": f"{package}: out-of-bounds read in parser {index}"},
        "fullDescription": {"text": DESCRIPTION[:700]},
        "defaultConfiguration": {"level": "error" if index % 4 >= 2 else "warning"},
        "helpUri": f"https://avd.aquasec.com/nvd/{cve.lower()}",
        "help": {"text": text, "markdown": text},
        "properties": {"precision": "very-high",
                       "security-severity": ["2.5", "5.3", "7.5", "9.8"][index % 4],
                       "tags": ["vulnerability", "security", severity]},
    }


def sarif_result(rule: int, copy: int) -> dict:
    cve = f"CVE-2026-{rule:06d}"
    package = f"lib{(rule + copy) % 900}"
    return {
        "ruleId": cve,
        "ruleIndex": rule,
        "level": "error" if rule % 4 >= 2 else "warning",
        "message": {"text": f"Package: {package}\nInstalled Version: 1.{rule % 17}.0\n"
                            f"Vulnerability {cve}\nSeverity: HIGH\nFixed Version: "
                            f"1.{rule % 17}.1\nLink: [{cve}](https://avd.aquasec.com/nvd/"
                            f"{cve.lower()})"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f"usr/lib/{package}/layer{copy}.so",
                                 "uriBaseId": "ROOTPATH"},
            "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
            "message": {"text": f"usr/lib/{package}/layer{copy}.so: {package}@1.{rule % 17}.0"}}],
        "partialFingerprints": {"primaryLocationLineHash": f"{rule:08x}{copy:04x}"},
    }


def generate_sarif(path: Path, megabytes: int) -> int:
    """Write a SARIF log of about `megabytes` MB; return the number of results."""
    # One rule is about 3.3 kB and its two results about 1.2 kB together.
    rules = megabytes * 1_000_000 // 4_460
    with path.open("w", encoding="utf-8") as out:
        out.write('{"version": "2.1.0", "$schema": "https://json.schemastore.org/'
                  'sarif-2.1.0.json", "runs": [{"tool": {"driver": {"fullName": "Trivy '
                  'Vulnerability Scanner", "informationUri": "https://github.com/aquasecurity/'
                  'trivy", "name": "Trivy", "version": "0.58.0", "rules": [')
        out.write(",".join(json.dumps(sarif_rule(index)) for index in range(rules)))
        out.write(']}}, "results": [')
        out.write(",".join(json.dumps(sarif_result(rule, copy))
                           for rule in range(rules) for copy in range(2)))
        out.write('], "columnKind": "utf16CodeUnits", "originalUriBaseIds": {"ROOTPATH": '
                  '{"uri": "file:///"}}, "properties": {"imageName": "registry.example.com/'
                  'payments/payments-api:2.4.0"}}]}\n')
    return rules * 2


def child(mode: str, path: Path) -> dict:
    start = time.perf_counter()
    if mode == "sarif-streaming":
        from releasegate.evidence.sarif_stream import parse_sarif_stream

        with path.open("rb") as handle:
            scan = parse_sarif_stream(handle, source=str(path))
        findings = len(scan.findings)
    elif mode == "sarif-bytes":
        from releasegate.evidence.sarif import SarifParser

        scan = SarifParser().parse(path.read_bytes(), source=str(path))
        findings = len(scan.findings)
    elif mode == "sarif-baseline":
        with path.open("rb") as handle:
            document = json.load(handle)
        findings = 0
        for run in document["runs"]:
            rules = run["tool"]["driver"].get("rules", [])
            for result in run["results"]:
                rule = rules[result["ruleIndex"]]
                _ = (result["ruleId"], result.get("level"), result["message"].get("text"),
                     rule["properties"].get("security-severity"), result["locations"][0])
                findings += 1
    elif mode == "streaming":
        from releasegate.evidence.trivy import TrivyParser

        with path.open("rb") as handle:
            scan = TrivyParser().parse_stream(handle, source=str(path))
        findings = len(scan.findings)
    elif mode in ("ingest", "sarif-ingest"):
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
    parser.add_argument("--report", choices=("trivy", "sarif"), action="append",
                        help="a report to measure, repeatable (default: both)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return

    machine = (f"{platform.machine()}, {platform.python_implementation()} "
               f"{platform.python_version()}")
    reports = []
    for report_name in args.report or ["trivy", "sarif"]:
        with tempfile.TemporaryDirectory() as folder:
            if report_name == "trivy":
                path = Path(folder) / "trivy.json"
                count = generate(path, args.megabytes)
                modes = ("streaming", "ingest", "bytes", "baseline")
                label = "vulnerabilities"
            else:
                path = Path(folder) / "trivy.sarif"
                count = generate_sarif(path, args.megabytes)
                modes = ("sarif-streaming", "sarif-ingest", "sarif-bytes", "sarif-baseline")
                label = "results"
            size_mb = path.stat().st_size / 1_000_000
            results = [run_child(mode, path) for mode in modes]
        reports.append({"report": report_name, "file_mb": round(size_mb, 1), label: count,
                        "series": results})
    if args.json:
        print(json.dumps({"machine": machine, "reports": reports}, indent=2))
        return
    for report in reports:
        label = "vulnerabilities" if report["report"] == "trivy" else "results"
        print(f"{report['report']} report: {report['file_mb']:.1f} MB, {report[label]} "
              f"{label} ({machine})")
        for series in report["series"]:
            print(f"{series['mode']:>15}: {series['seconds']:6.2f} s, peak RSS "
                  f"{series['peak_rss_mb']:7.1f} MB, {series['findings']} findings")


if __name__ == "__main__":
    main()
