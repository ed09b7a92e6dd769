"""Start-up time of `releasegate --help` beside `python -c pass` and `import typer`.

Each series starts a fresh interpreter, and the series run interleaved so
that noise on a shared machine hits all of them. `releasegate --help` prints
the pre-rendered text (`releasegate.cli.launcher`); the series "through
Typer" renders the same text the way it was before, and `releasegate
release --help` shows the cost of a command that still goes through Typer.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_once(command: list[str]) -> float:
    start = time.perf_counter_ns()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter_ns() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    python = sys.executable
    series = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import typer'": [python, "-c", "import typer"],
        "releasegate --help": [str(Path(python).with_name("releasegate")), "--help"],
        "releasegate --help through Typer": [
            python,
            "-c",
            "import sys; sys.argv = ['releasegate', '--help']; "
            "from releasegate.cli.main import run; run()",
        ],
        "releasegate release --help": [
            str(Path(python).with_name("releasegate")),
            "release",
            "--help",
        ],
    }
    samples: dict[str, list[float]] = {name: [] for name in series}
    for command in series.values():  # warm the file cache once
        run_once(command)
    for _ in range(args.runs):
        for name, command in series.items():
            samples[name].append(run_once(command))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'series':<34} {'p50 ms':>8} {'p90 ms':>8} {'mean ms':>8}")
    for name, values in samples.items():
        print(
            f"{name:<34} {percentile(values, 0.5):8.1f} {percentile(values, 0.9):8.1f} "
            f"{statistics.fmean(values):8.1f}"
        )
    base = percentile(samples["python -c pass"], 0.5)
    help_p50 = percentile(samples["releasegate --help"], 0.5)
    print(f"releasegate --help minus bare interpreter at p50: {help_p50 - base:.1f} ms")


if __name__ == "__main__":
    main()
