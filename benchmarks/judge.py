"""Canary judge time on 10,000 samples per side against the raw scipy Mann-Whitney call.

Both series run interleaved in rounds on the same two samples (normal, means
100 and 101, standard deviation 10, fixed seed), so that noise of a shared
machine hits both. The judge series is `releasegate.rollout.judge.classify`:
cleaning and sorting, the Hodges-Lehmann shift with its 98 % interval, the
p-value, the mean ratio and the classification. The baseline is one
`scipy.stats.mannwhitneyu(method="asymptotic")` call, which yields only the
p-value.

Run: .venv/bin/python benchmarks/judge.py [--iterations N] [--samples N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import scipy
from scipy import stats

from releasegate.rollout.judge import MetricConfig, classify


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    baseline = rng.normal(100, 10, args.samples)
    canary = rng.normal(101, 10, args.samples)
    config = MetricConfig("latency")

    def raw() -> None:
        stats.mannwhitneyu(canary, baseline, alternative="two-sided", method="asymptotic")

    def judge() -> None:
        classify(baseline, canary, config)

    series: dict[str, list[float]] = {"raw scipy mannwhitneyu": [], "judge classify": []}
    rounds = 5
    for _ in range(rounds):
        for name, function in (("raw scipy mannwhitneyu", raw), ("judge classify", judge)):
            for _ in range(args.iterations // rounds):
                start = time.perf_counter_ns()
                function()
                series[name].append((time.perf_counter_ns() - start) / 1e6)

    result = classify(baseline, canary, config)
    print(
        f"machine: {os.cpu_count()} CPUs, {cpu_name()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"samples per side: {args.samples}, iterations per series: {args.iterations}")
    print(
        f"classification: {result.classification.value}, shift {result.shift:.4f}, "
        f"98% interval [{result.ci_lower:.4f}, {result.ci_upper:.4f}]"
    )
    print("| series | p50 ms | p99 ms | min ms |")
    print("| --- | --- | --- | --- |")
    for name, samples in series.items():
        print(
            f"| {name} | {percentile(samples, 0.5):.3f} | {percentile(samples, 0.99):.3f} | "
            f"{min(samples):.3f} |"
        )
    raw_p50 = statistics.median(series["raw scipy mannwhitneyu"])
    judge_p50 = statistics.median(series["judge classify"])
    print(f"ratio judge/raw at p50: {judge_p50 / raw_p50:.2f}")


if __name__ == "__main__":
    main()
