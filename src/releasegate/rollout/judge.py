"""Canary-versus-baseline judge following the method of Kayenta's NetflixACAJudge.

Each metric is classified from two samples, the baseline (control) and the
canary (experiment):

1. NaN values are dropped (`nan_strategy` remove) or set to 0 (replace);
   outliers outside the IQR fences are dropped when `remove_outliers` is set.
2. An empty sample gives Nodata, or NodataFailMetric when the metric must
   have data and is not critical. A sample smaller than `min_samples` gives
   Nodata as well: too few values to decide.
3. Identical samples, or a pooled sample of one value, pass.
4. When both samples are constant, Gaussian noise with a standard deviation
   of 1e-5 times the value (fixed seed) makes the interval defined.
5. The shift canary minus baseline is estimated by Hodges-Lehmann (median of
   all pairwise differences). Its two-sided 98 % confidence interval comes
   from the Mann-Whitney statistic (normal approximation with tie and
   continuity correction), and so does the reported p-value.
6. The shift is significant when the interval lies outside +-25 % of the
   absolute estimate.
7. The effect size is the mean ratio canary/baseline or the common-language
   effect size (Vargha-Delaney A); it must also reach the allowed increase or
   decrease before a metric is High or Low.
8. A critical metric that is High or Low by at least its critical effect, or
   that has no data, fails the whole canary.

The scorer weighs groups as Kayenta's WeightedSumScorer does: a group scores
100 x passed / counted metrics, Nodata is not counted, a group without a
counted metric scores 100, and half or more of the metrics without data, or
a failed critical metric, sets the score to 0.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from releasegate.model.rollout import Direction

CONFIDENCE_LEVEL = 0.98
SHIFT_TOLERANCE = 0.25
NODATA_SHARE = 0.5
CONSTANT_NOISE = 1e-5
# Candidates materialised at most when selecting an order statistic of the
# pairwise differences; the value bracket is narrowed by bisection until then.
_SELECT_CANDIDATES = 8192
_BRACKET_SAMPLE = 128

Float64Array = NDArray[np.float64]


class Classification(enum.StrEnum):
    """Kayenta's metric classifications."""

    PASS = "Pass"  # noqa: S105 - a classification, not a password
    HIGH = "High"
    LOW = "Low"
    NODATA = "Nodata"
    NODATA_FAIL = "NodataFailMetric"


class Verdict(enum.StrEnum):
    """Classification of the canary score against the pass and marginal thresholds."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    MARGINAL = "marginal"
    FAIL = "fail"


@dataclass(frozen=True)
class MetricConfig:
    """Judge settings of one metric; effect-size limits default by measure."""

    name: str
    group: str = "default"
    direction: Direction = Direction.EITHER
    effect_measure: str = "mean_ratio"
    allowed_increase: float | None = None
    allowed_decrease: float | None = None
    critical_increase: float | None = None
    critical_decrease: float | None = None
    critical: bool = False
    must_have_data: bool = False
    muted: bool = False
    nan_strategy: str = "remove"
    remove_outliers: bool = False
    outlier_factor: float = 3.0
    min_samples: int = 1

    def limit(self, name: str) -> float:
        """Return an effect-size limit: 1.0 for the mean ratio, 0.5 for CLES, if unset."""
        value: float | None = getattr(self, name)
        if value is None and name.startswith("critical_"):
            value = getattr(self, name.replace("critical_", "allowed_"))
        if value is None:
            return 1.0 if self.effect_measure == "mean_ratio" else 0.5
        return value


@dataclass(frozen=True)
class MetricResult:
    """Classification of one metric with the figures it rests on."""

    name: str
    group: str
    classification: Classification
    critical: bool
    reason: str
    baseline_count: int
    canary_count: int
    baseline_mean: float | None = None
    canary_mean: float | None = None
    mean_ratio: float | None = None
    effect: float | None = None
    shift: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    p_value: float | None = None
    muted: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "group": self.group,
            "classification": self.classification.value,
            "critical": self.critical,
            "reason": self.reason,
            "baseline_count": self.baseline_count,
            "canary_count": self.canary_count,
            "baseline_mean": _finite(self.baseline_mean),
            "canary_mean": _finite(self.canary_mean),
            "mean_ratio": _finite(self.mean_ratio),
            "effect": _finite(self.effect),
            "shift": _finite(self.shift),
            "ci_lower": _finite(self.ci_lower),
            "ci_upper": _finite(self.ci_upper),
            "p_value": _finite(self.p_value),
            "muted": self.muted,
        }


@dataclass(frozen=True)
class Score:
    """Canary score with its verdict, group scores and the metric results."""

    score: float
    verdict: Verdict
    reason: str
    group_scores: dict[str, float | None]
    metrics: tuple[MetricResult, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "group_scores": self.group_scores,
            "metrics": [m.as_dict() for m in self.metrics],
        }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# One metric -------------------------------------------------------------------


def _clean(values: Sequence[float] | Float64Array, config: MetricConfig) -> Float64Array:
    array = np.asarray(values, dtype=np.float64)
    if config.nan_strategy == "replace":
        array = np.where(np.isfinite(array), array, 0.0)
    else:
        array = array[np.isfinite(array)]
    if config.remove_outliers and array.size >= 4:
        p1, q1, q3, p99 = np.percentile(array, [1, 25, 75, 99])
        spread = config.outlier_factor * (q3 - q1)
        lower, upper = min(p1, q1 - spread), max(p99, q3 + spread)
        array = array[(array >= lower) & (array <= upper)]
    return array


def classify(
    baseline: Sequence[float] | Float64Array,
    canary: Sequence[float] | Float64Array,
    config: MetricConfig,
) -> MetricResult:
    """Classify one metric from its baseline and canary samples."""

    # 1. Clean both samples.
    control = np.sort(_clean(baseline, config))
    experiment = np.sort(_clean(canary, config))
    base = MetricResult(
        name=config.name,
        group=config.group,
        classification=Classification.NODATA,
        critical=config.critical,
        reason="",
        baseline_count=int(control.size),
        canary_count=int(experiment.size),
        muted=config.muted,
    )

    # 2. Missing or too little data.
    if control.size == 0 or experiment.size == 0:
        if config.nan_strategy == "replace":
            return replace(
                base,
                classification=Classification.PASS,
                critical=False,
                reason="no data, with NaN replaced by 0",
            )
        classification = (
            Classification.NODATA_FAIL
            if config.must_have_data and not config.critical
            else Classification.NODATA
        )
        return replace(
            base,
            classification=classification,
            critical=config.critical,
            reason="no data in the " + ("baseline" if control.size == 0 else "canary") + " sample",
        )
    if min(control.size, experiment.size) < config.min_samples:
        return replace(
            base,
            classification=Classification.NODATA,
            critical=config.critical,
            reason=f"{min(control.size, experiment.size)} samples, fewer than the minimum of "
            f"{config.min_samples}",
        )

    control_mean = float(control.mean())
    canary_mean = float(experiment.mean())
    ratio = canary_mean / control_mean if control_mean != 0 and canary_mean != 0 else math.nan
    base = replace(base, baseline_mean=control_mean, canary_mean=canary_mean, mean_ratio=ratio)

    # 3. Nothing to compare.
    if (control.size == experiment.size and np.array_equal(control, experiment)) or (
        control[0] == control[-1] == experiment[0] == experiment[-1]
    ):
        return replace(
            base,
            classification=Classification.PASS,
            critical=False,
            reason="identical samples",
            shift=0.0,
            ci_lower=0.0,
            ci_upper=0.0,
            effect=ratio,
        )

    # 4. Constant samples get a little noise.
    if control[0] == control[-1] and experiment[0] == experiment[-1]:
        rng = np.random.default_rng(0)
        control = np.sort(control + rng.normal(0, abs(control[0]) * CONSTANT_NOISE, control.size))
        experiment = np.sort(
            experiment + rng.normal(0, abs(experiment[0]) * CONSTANT_NOISE, experiment.size)
        )

    # 5. Shift estimate, confidence interval and p-value.
    shift, lower, upper, p_value = shift_interval(experiment, control, CONFIDENCE_LEVEL)

    # 6. Significance bound.
    bound = SHIFT_TOLERANCE * abs(shift)

    # 7. Effect size.
    if config.effect_measure == "cles":
        effect = common_language_effect(experiment, control)
    else:
        effect = ratio

    # 8. High, Low or Pass, and whether a critical metric fails the canary.
    base = replace(
        base, shift=shift, ci_lower=lower, ci_upper=upper, p_value=p_value, effect=effect
    )
    unknown_effect = math.isnan(effect)
    if (
        config.direction in (Direction.INCREASE, Direction.EITHER)
        and lower > bound
        and (unknown_effect or effect >= config.limit("allowed_increase"))
    ):
        critical = config.critical and (
            unknown_effect or effect >= config.limit("critical_increase")
        )
        return replace(
            base,
            classification=Classification.HIGH,
            critical=critical,
            reason=f"canary higher than baseline: shift {shift:.6g}, "
            f"98% interval [{lower:.6g}, {upper:.6g}]",
        )
    if (
        config.direction in (Direction.DECREASE, Direction.EITHER)
        and upper < -bound
        and (unknown_effect or effect <= config.limit("allowed_decrease"))
    ):
        critical = config.critical and (
            unknown_effect or effect <= config.limit("critical_decrease")
        )
        return replace(
            base,
            classification=Classification.LOW,
            critical=critical,
            reason=f"canary lower than baseline: shift {shift:.6g}, "
            f"98% interval [{lower:.6g}, {upper:.6g}]",
        )
    return replace(
        base,
        classification=Classification.PASS,
        critical=False,
        reason=f"no significant shift in the bad direction: shift {shift:.6g}, "
        f"98% interval [{lower:.6g}, {upper:.6g}]",
    )


def common_language_effect(experiment: Float64Array, control: Float64Array) -> float:
    """Return the Vargha-Delaney A: the chance that a canary value exceeds a baseline value."""
    m, n = experiment.size, control.size
    ranks = stats.rankdata(np.concatenate([experiment, control]))
    rank_sum = float(ranks[:m].sum())
    return (2 * rank_sum - m * (m + 1)) / (2 * m * n)


def shift_interval(
    experiment: Float64Array, control: Float64Array, level: float
) -> tuple[float, float, float, float]:
    """Return the Hodges-Lehmann shift, its confidence interval and the two-sided p-value.

    Both samples must be sorted. The bounds are order statistics of the
    m x n differences experiment - control, the k-th smallest and the k-th
    largest. k inverts the normal approximation of the Mann-Whitney U
    statistic, with the continuity correction of 0.5 and the tie correction
    of the pooled sample. The p-value is that of the same approximation at a
    shift of 0, as `scipy.stats.mannwhitneyu(method="asymptotic")` computes
    it; U comes from two `searchsorted` counts instead of a ranking.
    """
    m, n = experiment.size, control.size
    pairs = m * n
    z = float(special.ndtri(0.5 + level / 2))

    # Tie correction of the variance of U, from the pooled sample.
    _, tie_counts = np.unique(np.concatenate([experiment, control]), return_counts=True)
    total = m + n
    tie_term = float(((tie_counts.astype(np.float64) ** 3) - tie_counts).sum())
    variance = m * n / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
    k = math.ceil(pairs / 2 - 0.5 - z * math.sqrt(max(variance, 0.0)))
    k = min(max(k, 1), pairs)

    targets = [k, pairs + 1 - k]
    if pairs % 2:
        targets.append((pairs + 1) // 2)
    else:
        targets.extend([pairs // 2, pairs // 2 + 1])
    values = _order_statistics(experiment, control, targets)
    lower, upper = values[0], values[1]
    shift = values[2] if pairs % 2 else (values[2] + values[3]) / 2

    # U of the experiment sample: pairs with x > y, ties counting one half.
    at_most = _count_at_most(experiment, control, 0.0)
    below = int(pairs - np.searchsorted(control, experiment, side="right").sum())
    u = (pairs - at_most) + 0.5 * (at_most - below)
    sd = math.sqrt(max(variance, 0.0))
    if sd == 0:
        p_value = 1.0
    else:
        statistic = (abs(u - pairs / 2) - 0.5) / sd
        p_value = float(min(1.0, 2 * special.ndtr(-max(statistic, 0.0))))
    return shift, lower, upper, p_value


def _count_at_most(x: Float64Array, y: Float64Array, d: float) -> int:
    """Count the pairs with x_i - y_j <= d; `y` is sorted."""
    return int(x.size * y.size - np.searchsorted(y, x - d, side="left").sum())


def _counts_at_most(
    x: Float64Array, y: Float64Array, probes: list[float]
) -> tuple[list[int], NDArray[np.intp]]:
    """Count the pairs at or below each probe with one `searchsorted` call.

    Also returns, per probe and row i, the first j with x_i - y_j <= probe.
    """
    queries = (x[None, :] - np.asarray(probes)[:, None]).ravel()
    positions = np.searchsorted(y, queries, side="left").reshape(len(probes), x.size)
    below = positions.sum(axis=1)
    return [int(x.size * y.size - b) for b in below], positions


@dataclass
class _Bracket:
    """Values lo < hi whose counts enclose the ranks first..last of one group."""

    first: int
    last: int
    lo: float
    lo_count: int
    hi: float
    hi_count: int
    lo_rows: NDArray[np.intp] | None = None
    hi_rows: NDArray[np.intp] | None = None
    bisect: bool = False

    def width(self) -> int:
        return self.hi_count - self.lo_count

    def probes(self) -> list[float]:
        """Return the next values to count: interpolations just outside the group, or the midpoint.

        The count of differences grows almost linearly inside a narrow
        bracket, so interpolating the counts aims each probe close to its
        target. Each probe aims a quarter of the allowed width outside the
        group, so that both sides can close in one round.
        """
        if self.bisect:
            return [(self.lo + self.hi) / 2]
        margin = _SELECT_CANDIDATES // 4
        values = []
        for target in (self.first - margin, self.last + margin):
            if not self.lo_count < target < self.hi_count:
                continue
            fraction = (target - self.lo_count) / self.width()
            value = self.lo + fraction * (self.hi - self.lo)
            if self.lo < value < self.hi:
                values.append(value)
        return values or [(self.lo + self.hi) / 2]

    def update(self, value: float, count: int, rows: NDArray[np.intp]) -> None:
        before = self.width()
        if count < self.first:
            self.lo, self.lo_count, self.lo_rows = value, count, rows
        elif count >= self.last:
            self.hi, self.hi_count, self.hi_rows = value, count, rows
        # Fall back to bisection for one round when interpolation does not halve the bracket.
        self.bisect = not self.bisect and self.width() > before / 2


def _order_statistics(x: Float64Array, y: Float64Array, ranks: list[int]) -> list[float]:
    """Return the k-th smallest (1-based) of the differences x_i - y_j for each k.

    The m x n differences are never built. Ranks close to each other share a
    bracket of values. Each bracket starts from quantiles of the differences
    of a sample of both sorted arrays and narrows by interpolation (bisection
    when that stalls) on exact counts from `searchsorted`, all brackets in one
    call per round, until it contains few enough differences to materialise.
    """
    pairs = x.size * y.size
    sample_x = x[np.linspace(0, x.size - 1, min(x.size, _BRACKET_SAMPLE)).astype(int)]
    sample_y = y[np.linspace(0, y.size - 1, min(y.size, _BRACKET_SAMPLE)).astype(int)]
    sample = np.sort((sample_x[:, None] - sample_y[None, :]).ravel())
    # Values certainly below and above every difference, with exact counts 0 and m x n.
    floor, ceiling = float(x[0] - y[-1]), float(x[-1] - y[0])
    below, above = floor - (1.0 + abs(floor)), ceiling + (1.0 + abs(ceiling))

    brackets: list[_Bracket] = []
    for k in sorted(set(ranks)):
        if brackets and k - brackets[-1].first < _SELECT_CANDIDATES // 2:
            brackets[-1].last = k
        else:
            brackets.append(_Bracket(k, k, below, 0, above, pairs))

    # First round: sample quantiles just outside each group.
    guesses: dict[int, list[float]] = {}
    for index, bracket in enumerate(brackets):
        low_q = max((bracket.first - 0.5) / pairs - 1.0 / _BRACKET_SAMPLE, 0.0)
        high_q = min((bracket.last - 0.5) / pairs + 1.0 / _BRACKET_SAMPLE, 1.0)
        last = sample.size - 1
        guesses[index] = [float(sample[int(low_q * last)]), float(sample[int(high_q * last)])]

    for _ in range(200):
        active = [i for i, b in enumerate(brackets) if b.width() > _SELECT_CANDIDATES]
        if not active:
            break
        probes: list[tuple[int, float]] = []
        for index in active:
            bracket = brackets[index]
            candidates = guesses.pop(index, None) or bracket.probes()
            for value in candidates:
                if bracket.lo < value < bracket.hi:
                    probes.append((index, value))
        if not probes:
            break
        counts, rows = _counts_at_most(x, y, [value for _, value in probes])
        for number, ((index, value), count) in enumerate(zip(probes, counts, strict=True)):
            bracket = brackets[index]
            if bracket.lo < value < bracket.hi:
                bracket.update(value, count, rows[number])

    found: dict[int, float] = {}
    for bracket in brackets:
        wanted = [k for k in ranks if bracket.first <= k <= bracket.last]
        stops = bracket.lo_rows
        if stops is None:
            stops = np.searchsorted(y, x - bracket.lo, side="left")
        starts = bracket.hi_rows
        if starts is None:
            starts = np.searchsorted(y, x - bracket.hi, side="left")
        values = _select_between(x, y, starts, stops, [k - bracket.lo_count for k in wanted])
        found.update(zip(wanted, values, strict=True))
    return [found[k] for k in ranks]


def _select_between(
    x: Float64Array,
    y: Float64Array,
    starts: NDArray[np.intp],
    stops: NDArray[np.intp],
    ranks: list[int],
) -> list[float]:
    """Return the rank-th smallest differences x_i - y_j with starts[i] <= j < stops[i].

    The rows come from the bracket ends hi and lo, so these are the
    differences with lo < x_i - y_j <= hi.
    """
    counts = stops - starts
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    columns = np.arange(total) - offsets + np.repeat(starts, counts)
    differences = np.repeat(x, counts) - y[columns]
    positions = [r - 1 for r in ranks]
    ordered = np.partition(differences, positions)
    return [float(ordered[p]) for p in positions]


# Scoring ------------------------------------------------------------------------


def score(
    results: Sequence[MetricResult],
    *,
    group_weights: Mapping[str, float] | None = None,
    pass_threshold: float = 95.0,
    marginal_threshold: float = 75.0,
) -> Score:
    """Weigh the metric results into a canary score and classify it."""
    counted = [r for r in results if not r.muted]
    groups: dict[str, list[MetricResult]] = {}
    for result in counted:
        groups.setdefault(result.group, []).append(result)

    group_scores: dict[str, float | None] = {}
    for name, members in groups.items():
        scored = [m for m in members if m.classification is not Classification.NODATA]
        passed = sum(1 for m in scored if m.classification is Classification.PASS)
        group_scores[name] = 100.0 * passed / len(scored) if scored else None

    weights = dict(group_weights or {})
    explicit = sum(w for g, w in weights.items() if g in groups)
    unweighted = [g for g in groups if g not in weights]
    share = (100.0 - explicit) / len(unweighted) if unweighted else 0.0
    total = 0.0
    for name, value in group_scores.items():
        weight = weights.get(name, share)
        total += (100.0 if value is None else value) * weight / 100.0
    summary = round(total, 2)
    reason = "weighted group scores"

    nodata = sum(1 for r in counted if r.classification is Classification.NODATA)
    failed_critical = [r for r in counted if r.critical]
    if failed_critical:
        summary = 0.0
        reason = "canary failed: critical metric " + ", ".join(
            f"{r.name} ({r.classification.value})" for r in failed_critical
        )
    elif counted and nodata / len(counted) >= NODATA_SHARE:
        summary = 0.0
        reason = f"{nodata} of {len(counted)} metrics have no data"
    elif not counted:
        summary = 0.0
        reason = "no metric to judge"

    if summary >= pass_threshold:
        verdict = Verdict.PASS
    elif summary >= marginal_threshold:
        verdict = Verdict.MARGINAL
    else:
        verdict = Verdict.FAIL
    return Score(summary, verdict, reason, group_scores, tuple(results))
