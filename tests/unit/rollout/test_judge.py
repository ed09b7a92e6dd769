"""The Mann-Whitney canary judge reproduces Kayenta's classifications on constructed samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from releasegate.model.rollout import Direction
from releasegate.rollout.judge import (
    Classification,
    MetricConfig,
    MetricResult,
    Verdict,
    classify,
    common_language_effect,
    score,
    shift_interval,
)


def _normal(mean: float, sd: float, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, n)


def _brute_force(x: np.ndarray, y: np.ndarray, level: float) -> tuple[float, float, float]:
    """Order statistics of all pairwise differences, computed the slow way."""
    differences = np.sort((x[:, None] - y[None, :]).ravel())
    m, n = x.size, y.size
    pooled = np.concatenate([x, y])
    _, ties = np.unique(pooled, return_counts=True)
    variance = m * n / 12 * ((m + n + 1) - (ties**3 - ties).sum() / ((m + n) * (m + n - 1)))
    z = stats.norm.ppf(0.5 + level / 2)
    k = min(max(math.ceil(m * n / 2 - 0.5 - z * math.sqrt(variance)), 1), m * n)
    return float(np.median(differences)), differences[k - 1], differences[m * n - k]


@pytest.mark.parametrize(
    ("m", "n", "seed", "kind"),
    [
        (300, 250, 1, "normal"),
        (41, 57, 2, "normal"),
        (200, 180, 3, "integers"),
        (5, 7, 4, "normal"),
        (1500, 1200, 5, "exponential"),
        (2000, 2000, 6, "few values"),
    ],
)
def test_shift_interval_matches_brute_force(m, n, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "integers":
        x = np.sort(rng.integers(0, 5, m).astype(float))
        y = np.sort(rng.integers(0, 5, n).astype(float))
    elif kind == "exponential":
        x = np.sort(rng.exponential(3.0, m))
        y = np.sort(rng.exponential(2.0, n))
    elif kind == "few values":
        x = np.sort(rng.integers(0, 3, m).astype(float))
        y = np.sort(rng.integers(1, 3, n).astype(float))
    else:
        x = np.sort(rng.normal(10, 2, m))
        y = np.sort(rng.normal(9, 2, n))

    shift, lower, upper, p_value = shift_interval(x, y, 0.98)

    expected_shift, expected_lower, expected_upper = _brute_force(x, y, 0.98)
    assert shift == pytest.approx(expected_shift)
    assert lower == pytest.approx(expected_lower)
    assert upper == pytest.approx(expected_upper)
    expected = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue
    assert p_value == pytest.approx(expected, rel=1e-9)


def test_known_increase_is_high():
    result = classify(_normal(100, 5, 200, 1), _normal(120, 5, 200, 2), MetricConfig("latency"))

    assert result.classification is Classification.HIGH
    assert result.shift == pytest.approx(20, abs=1.5)
    assert result.ci_lower > 0.25 * abs(result.shift)
    assert result.mean_ratio == pytest.approx(1.2, abs=0.02)
    assert result.p_value < 1e-10


def test_known_decrease_is_low():
    result = classify(
        _normal(0.99, 0.002, 100, 3), _normal(0.95, 0.002, 100, 4), MetricConfig("rate")
    )

    assert result.classification is Classification.LOW
    assert result.ci_upper < -0.25 * abs(result.shift)


def test_no_shift_passes():
    result = classify(_normal(50, 5, 500, 5), _normal(50, 5, 500, 6), MetricConfig("latency"))

    assert result.classification is Classification.PASS
    assert result.ci_lower < 0 < result.ci_upper


def test_direction_ignores_good_change():
    baseline, canary = _normal(100, 5, 200, 7), _normal(80, 5, 200, 8)

    assert (
        classify(
            baseline, canary, MetricConfig("errors", direction=Direction.INCREASE)
        ).classification
        is Classification.PASS
    )
    assert (
        classify(
            baseline, canary, MetricConfig("errors", direction=Direction.DECREASE)
        ).classification
        is Classification.LOW
    )


def test_effect_size_below_allowed_increase_passes():
    baseline, canary = _normal(100, 1, 300, 9), _normal(105, 1, 300, 10)

    strict = classify(baseline, canary, MetricConfig("latency"))
    tolerant = classify(baseline, canary, MetricConfig("latency", allowed_increase=1.1))

    assert strict.classification is Classification.HIGH
    assert tolerant.classification is Classification.PASS


def test_empty_sample_is_nodata():
    result = classify([], [1.0, 2.0], MetricConfig("queue"))

    assert result.classification is Classification.NODATA
    assert result.critical is False


def test_empty_sample_with_must_have_data_fails_metric():
    result = classify([1.0, 2.0], [], MetricConfig("queue", must_have_data=True))

    assert result.classification is Classification.NODATA_FAIL


def test_empty_critical_sample_is_marked_critical():
    result = classify([1.0], [], MetricConfig("settlement", critical=True, must_have_data=True))

    assert result.classification is Classification.NODATA
    assert result.critical is True


def test_nan_values_are_removed_or_replaced():
    removed = classify([math.nan, math.nan], [1.0], MetricConfig("lag"))
    replaced = classify([math.nan, math.nan], [0.0], MetricConfig("lag", nan_strategy="replace"))

    assert removed.classification is Classification.NODATA
    assert replaced.classification is Classification.PASS


def test_fewer_than_minimum_samples_is_nodata():
    result = classify([1.0] * 10, [1.0] * 10, MetricConfig("breaks", min_samples=50))

    assert result.classification is Classification.NODATA
    assert "fewer than the minimum of 50" in result.reason


def test_identical_samples_pass():
    values = [3.0, 1.0, 2.0]

    result = classify(values, list(reversed(values)), MetricConfig("x"))

    assert result.classification is Classification.PASS
    assert result.reason == "identical samples"


def test_constant_samples_get_noise_and_compare():
    result = classify([10.0] * 60, [12.0] * 60, MetricConfig("depth"))

    assert result.classification is Classification.HIGH
    assert result.shift == pytest.approx(2.0, rel=1e-3)


def test_critical_metric_high_beyond_critical_increase():
    baseline, canary = _normal(100, 2, 200, 11), _normal(130, 2, 200, 12)

    mild = classify(baseline, canary, MetricConfig("x", critical=True, critical_increase=1.5))
    severe = classify(baseline, canary, MetricConfig("x", critical=True, critical_increase=1.2))

    assert mild.classification is Classification.HIGH and mild.critical is False
    assert severe.classification is Classification.HIGH and severe.critical is True


def test_cles_effect_measure():
    baseline, canary = _normal(0, 1, 400, 13), _normal(3, 1, 400, 14)

    result = classify(
        baseline, canary, MetricConfig("x", effect_measure="cles", allowed_increase=0.9)
    )

    assert result.effect == pytest.approx(
        common_language_effect(np.sort(canary), np.sort(baseline))
    )
    assert result.effect > 0.95
    assert result.classification is Classification.HIGH


def _result(
    name: str, group: str, classification: Classification, critical: bool = False
) -> MetricResult:
    return MetricResult(name, group, classification, critical, "", 10, 10)


def test_score_weights_groups():
    results = [
        _result("a", "technical", Classification.PASS),
        _result("b", "technical", Classification.HIGH),
        _result("c", "business", Classification.PASS),
    ]

    weighted = score(results, group_weights={"business": 70, "technical": 30})
    even = score(results)

    assert weighted.score == 85.0  # 70 x 100 % + 30 x 50 %
    assert weighted.verdict is Verdict.MARGINAL
    assert even.score == 75.0
    assert weighted.group_scores == {"technical": 50.0, "business": 100.0}


def test_score_leaves_nodata_out_of_denominator():
    results = [
        _result("a", "g", Classification.PASS),
        _result("b", "g", Classification.NODATA),
        _result("c", "g", Classification.PASS),
    ]

    result = score(results)

    assert result.score == 100.0
    assert result.verdict is Verdict.PASS


def test_score_half_nodata_is_zero():
    results = [_result("a", "g", Classification.PASS), _result("b", "h", Classification.NODATA)]

    result = score(results)

    assert result.score == 0.0
    assert result.verdict is Verdict.FAIL
    assert "1 of 2 metrics have no data" in result.reason


def test_score_critical_failure_is_zero():
    results = [
        _result("a", "g", Classification.PASS),
        _result("b", "g", Classification.PASS),
        _result("settlement", "h", Classification.LOW, critical=True),
    ]

    result = score(results)

    assert result.score == 0.0
    assert result.reason == "canary failed: critical metric settlement (Low)"


def test_score_nodata_fail_counts_as_failure():
    results = [
        _result("a", "g", Classification.PASS),
        _result("b", "g", Classification.NODATA_FAIL),
    ]

    assert score(results).score == 50.0


def test_judge_import_keeps_rego_time_format():
    """regopy aborted in time.format when numpy was loaded first; the package loads regopy first."""
    import subprocess
    import sys

    script = (
        "import releasegate.rollout.judge\n"
        "from regopy import Interpreter\n"
        "rego = Interpreter()\n"
        "rego.add_module('m', 'package m\\nx := time.format([1764583200000000000, \"UTC\", "
        '"2006-01-02T15:04:05"])\\n\')\n'
        "print(rego.query('x = data.m.x'))\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert '"x":"2025-12-01T10:00:00"' in completed.stdout
