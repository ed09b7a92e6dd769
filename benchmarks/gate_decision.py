"""Gate decision latency in process against raw regopy evaluation of the same bundle.

Both sides evaluate the compiled bundle of the example policies for the same
input document. The raw side sets the input and runs one bundle query. The
gate side runs `CompiledPolicy.evaluate` (the report, each team package's
deny/warn rules, and output checking) plus `decide` (control results and the
verdict), without the database. The release carries 20 evidence items (10
JUnit reports, 10 SARIF reports with one high finding each) and 5 approvals.
A third series times the whole `evaluate_gate` use case with SQLite writes
and the ledger append.

Run: .venv/bin/python benchmarks/gate_decision.py [--iterations N]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(function, iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        function()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()

    from support import COMMIT, JUNIT_PASS, MANIFEST, SARIF_HIGH  # the end-to-end fixtures
    from typer.testing import CliRunner

    from releasegate.cli.main import app
    from releasegate.policy.decide import decide
    from releasegate.policy.engine import compile_policy
    from releasegate.service.app import Application
    from releasegate.service.gate import evaluate_gate
    from releasegate.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="releasegate-bench-"))
    shutil.copy2(REPO / "examples" / "catalog.yaml", work / "catalog.yaml")
    shutil.copytree(REPO / "examples" / "policies", work / "policies")
    runner = CliRunner()

    def cli(*argv: str) -> str:
        result = runner.invoke(app, ["--home", str(work), *argv])
        if result.exit_code not in (0, 1, 3):
            raise SystemExit(result.output)
        return result.stdout

    cli("init")
    (work / "release.yaml").write_text(MANIFEST)
    release = json.loads(cli("release", "create", str(work / "release.yaml"), "-o", "json"))["id"]
    # 20 evidence items (10 test reports, 10 scans) and 5 approvals.
    for index in range(10):
        (work / f"junit-{index}.xml").write_text(JUNIT_PASS)
        (work / f"scan-{index}.sarif").write_text(SARIF_HIGH.replace("B602", f"B60{index}"))
        cli("evidence", "add", release, str(work / f"junit-{index}.xml"), "--commit", COMMIT)
        cli("evidence", "add", release, str(work / f"scan-{index}.sarif"), "--commit", COMMIT)
    for who in ("bob", "chen", "dana", "erin", "frank"):
        cli("approve", release, "--as", who)

    application = Application(load_settings(home=work, environ={}))
    decision = evaluate_gate(application, release, "production")
    document = decision.input_document
    assert document is not None
    policy = application.policy("payments-api")
    compiled = compile_policy(policy)
    interpreter, bundle = compiled._interpreter, compiled._bundle
    encoded = json.dumps(document)

    def raw() -> None:
        interpreter.set_input_term(encoded)
        output = interpreter.query_bundle(bundle)
        if not output.ok():
            raise RuntimeError("raw query failed")

    def gate() -> None:
        decide(policy, compiled.evaluate(document), document)

    for function in (raw, gate):
        timed(function, 50)  # warm-up
    raw_ms, gate_ms = [], []
    for _ in range(5):  # interleave rounds so machine noise hits both series
        raw_ms += timed(raw, args.iterations // 5)
        gate_ms += timed(gate, args.iterations // 5)
    full_ms = timed(lambda: evaluate_gate(application, release, "production"), 100)
    application.close()
    shutil.rmtree(work)

    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}")
    evidence = document["evidence"]
    print(f"controls: {len(policy.controls)}, team packages: {len(policy.custom_packages)}, "
          f"evidence items: {len(evidence['test_reports']) + len(evidence['scans'])}, "
          f"approvals: {len(document['approvals'])}, iterations: {len(raw_ms)}")
    print(f"{'series':<34} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in (
        ("raw regopy bundle query", raw_ms),
        ("gate decision in process", gate_ms),
        ("evaluate_gate with SQLite + ledger", full_ms),
    ):
        print(f"{name:<34} {percentile(samples, 0.5):>8.3f} {percentile(samples, 0.99):>8.3f} "
              f"{statistics.fmean(samples):>8.3f}")
    print(f"ratio gate/raw at p50: {percentile(gate_ms, 0.5) / percentile(raw_ms, 0.5):.2f}")
    print(f"ratio gate/raw at p99: {percentile(gate_ms, 0.99) / percentile(raw_ms, 0.99):.2f}")


if __name__ == "__main__":
    main()
