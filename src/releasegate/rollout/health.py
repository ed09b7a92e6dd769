"""Health gates: measure indicators, judge them and count outcomes as Argo Rollouts does.

A measurement has one of four outcomes, kept apart on purpose:

- pass: every judgement set for the indicator holds;
- fail: a judgement is violated;
- inconclusive: too few samples, or a relative judgement without a baseline;
- error: the provider did not respond or returned an error. An error is never read as pass or
  fail: it is retried after `error_retry_seconds` and, past the
  consecutive error limit, the gate pauses the rollout for a person.

Counting per indicator follows Argo Rollouts' metric assessment, checked in
this order, with strict "greater than" limits: failures > failure_limit
(unless -1) fails; inconclusive > inconclusive_limit is inconclusive;
consecutive errors > consecutive_error_limit is an error; `count` non-error
measurements pass. The statistical judge adds one gate-wide measurement,
"canary-score", from the weighted score of all judged indicators.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from releasegate.model.rollout import IndicatorGate
from releasegate.model.service import HealthIndicator
from releasegate.rollout.judge import Classification, MetricConfig, Verdict, classify, score
from releasegate.rollout.providers.interface import MetricProvider, ProviderError

SCORE_INDICATOR = "canary-score"
_SCORE_GATE = IndicatorGate(judge=True)


class Outcome(enum.StrEnum):
    """Outcome of one measurement or of a whole indicator."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    RUNNING = "running"


@dataclass(frozen=True)
class Measurement:
    """One measurement of one indicator, with the values it was judged on."""

    indicator: str
    outcome: Outcome
    shadow: bool
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "outcome": self.outcome.value,
            "shadow": self.shadow,
            "reason": self.reason,
            **self.detail,
        }


def substitute(query: str, context: Mapping[str, str]) -> str:
    """Replace `{name}` placeholders of the context in a query; other braces stay."""
    for key, value in context.items():
        query = query.replace("{" + key + "}", value)
    return query


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def _samples(
    provider: MetricProvider,
    indicator: HealthIndicator,
    role: str,
    context: Mapping[str, str],
    start: datetime,
    end: datetime,
) -> list[float]:
    query = substitute(indicator.query, {**context, "role": role})
    step = max((end - start).total_seconds() / 60, 1.0)
    return provider.samples(
        query,
        indicator=indicator.name,
        role=role,
        start=start,
        end=end,
        step_seconds=step,
        environment=context.get("environment", ""),
    )


def measure_indicator(
    indicator: HealthIndicator,
    provider: MetricProvider,
    context: Mapping[str, str],
    *,
    window_end: datetime,
) -> tuple[Measurement, list[float], list[float]]:
    """Measure one gated indicator; return the measurement and both samples (for the judge)."""
    gate = indicator.gate
    assert gate is not None  # only gated indicators are measured
    start = window_end - timedelta(minutes=gate.window_minutes)
    needs_baseline = gate.judge or gate.max_increase is not None or gate.max_decrease is not None
    shadow = gate.shadow

    # 1. Samples.
    try:
        canary = _samples(provider, indicator, "canary", context, start, window_end)
        baseline = (
            _samples(provider, indicator, "baseline", context, start, window_end)
            if needs_baseline
            else []
        )
    except ProviderError as exc:
        return Measurement(indicator.name, Outcome.ERROR, shadow, exc.message), [], []
    canary_mean, baseline_mean = _mean(canary), _mean(baseline)
    detail: dict[str, Any] = {
        "canary_count": len(canary),
        "canary_mean": canary_mean,
        "baseline_count": len(baseline) if needs_baseline else None,
        "baseline_mean": baseline_mean,
        "thresholds": gate.model_dump(
            include={"max", "min", "max_increase", "max_decrease", "min_samples"}
        ),
    }

    # 2. Enough data.
    fewest = min(len(canary), len(baseline)) if needs_baseline else len(canary)
    if fewest < gate.min_samples or canary_mean is None:
        return (
            Measurement(
                indicator.name,
                Outcome.INCONCLUSIVE,
                shadow,
                f"{fewest} samples, fewer than the minimum of {gate.min_samples}",
                detail,
            ),
            baseline,
            canary,
        )

    failures: list[str] = []
    doubts: list[str] = []

    # 3. Absolute thresholds on the window mean.
    if gate.max is not None and canary_mean > gate.max:
        failures.append(f"mean {canary_mean:.6g} above the maximum {gate.max:g}")
    if gate.min is not None and canary_mean < gate.min:
        failures.append(f"mean {canary_mean:.6g} below the minimum {gate.min:g}")

    # 4. Relative to the baseline over the same window.
    if gate.max_increase is not None or gate.max_decrease is not None:
        if baseline_mean is None or baseline_mean == 0:
            doubts.append("no baseline mean to compare with")
        else:
            change = (canary_mean - baseline_mean) / abs(baseline_mean)
            detail["relative_change"] = change
            if gate.max_increase is not None and change > gate.max_increase:
                failures.append(
                    f"{change:+.2%} against the baseline, more than the allowed increase "
                    f"of {gate.max_increase:.2%}"
                )
            if gate.max_decrease is not None and -change > gate.max_decrease:
                failures.append(
                    f"{change:+.2%} against the baseline, more than the allowed decrease "
                    f"of {gate.max_decrease:.2%}"
                )

    if failures:
        outcome, reason = Outcome.FAIL, "; ".join(failures)
    elif doubts:
        outcome, reason = Outcome.INCONCLUSIVE, "; ".join(doubts)
    else:
        outcome, reason = Outcome.PASS, f"mean {canary_mean:.6g} within the gate"
    return Measurement(indicator.name, outcome, shadow, reason, detail), baseline, canary


def group_weights(indicators: Iterable[HealthIndicator]) -> dict[str, float]:
    """Return the judge group weights that the indicators' gates set."""
    weights: dict[str, float] = {}
    for indicator in indicators:
        gate = indicator.gate
        if gate is not None and gate.judge and gate.group_weight is not None:
            weights[gate.group or indicator.kind] = gate.group_weight
    return weights


def judge_config(indicator: HealthIndicator) -> MetricConfig:
    gate = indicator.gate
    assert gate is not None
    return MetricConfig(
        name=indicator.name,
        group=gate.group or indicator.kind,
        direction=gate.direction,
        effect_measure=gate.effect_measure,
        allowed_increase=gate.allowed_increase,
        allowed_decrease=gate.allowed_decrease,
        critical_increase=gate.critical_increase,
        critical_decrease=gate.critical_decrease,
        critical=gate.critical,
        must_have_data=gate.must_have_data,
        muted=gate.shadow,
        min_samples=gate.min_samples,
    )


def measure_round(
    indicators: Iterable[HealthIndicator],
    provider: MetricProvider,
    context: Mapping[str, str],
    *,
    window_end: datetime,
    pass_score: float,
    marginal_score: float,
) -> list[Measurement]:
    """Measure each given indicator once and, when some are judged, add the canary score."""
    indicators = list(indicators)
    measurements: list[Measurement] = []
    judged = []
    for indicator in indicators:
        measurement, baseline, canary = measure_indicator(
            indicator, provider, context, window_end=window_end
        )
        measurements.append(measurement)
        gate = indicator.gate
        if gate is not None and gate.judge and measurement.outcome is not Outcome.ERROR:
            judged.append(classify(baseline, canary, judge_config(indicator)))
    errors = [m for m in measurements if m.outcome is Outcome.ERROR]
    judged_names = [i.name for i in indicators if i.gate is not None and i.gate.judge]
    if judged_names and errors and any(m.indicator in judged_names for m in errors):
        measurements.append(
            Measurement(
                SCORE_INDICATOR,
                Outcome.ERROR,
                False,
                "a judged indicator could not be measured",
                {},
            )
        )
    elif judged:
        result = score(
            judged,
            group_weights=group_weights(indicators),
            pass_threshold=pass_score,
            marginal_threshold=marginal_score,
        )
        outcome = {
            Verdict.PASS: Outcome.PASS,
            Verdict.MARGINAL: Outcome.INCONCLUSIVE,
            Verdict.FAIL: Outcome.FAIL,
        }[result.verdict]
        # A score that is low only because data is missing (a critical metric or half the
        # metrics without data) is a reason to wait for data, not to roll back.
        decisive = any(
            r.classification
            in (Classification.HIGH, Classification.LOW, Classification.NODATA_FAIL)
            for r in judged
            if not r.muted
        )
        if outcome is Outcome.FAIL and not decisive:
            outcome = Outcome.INCONCLUSIVE
        measurements.append(
            Measurement(
                SCORE_INDICATOR,
                outcome,
                all(r.muted for r in judged),
                f"canary score {result.score:g} ({result.verdict.value}): {result.reason}",
                result.as_dict(),
            )
        )
    return measurements


@dataclass(frozen=True)
class Assessment:
    """Status of one indicator after its measurements so far."""

    indicator: str
    status: Outcome
    shadow: bool
    measured: int
    failed: int
    inconclusive: int
    consecutive_errors: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "status": self.status.value,
            "shadow": self.shadow,
            "measured": self.measured,
            "failed": self.failed,
            "inconclusive": self.inconclusive,
            "consecutive_errors": self.consecutive_errors,
        }


def assess(name: str, gate: IndicatorGate, outcomes: list[Outcome], *, shadow: bool) -> Assessment:
    """Apply Argo Rollouts' limits to the outcomes of one indicator, oldest first."""
    measured = failed = inconclusive = consecutive_errors = 0
    for outcome in outcomes:
        if outcome is Outcome.ERROR:
            consecutive_errors += 1
            continue
        consecutive_errors = 0
        measured += 1
        if outcome is Outcome.FAIL:
            failed += 1
        elif outcome is Outcome.INCONCLUSIVE:
            inconclusive += 1

    status = Outcome.RUNNING
    if gate.failure_limit >= 0 and failed > gate.failure_limit:
        status = Outcome.FAIL
    if inconclusive > gate.inconclusive_limit:
        status = Outcome.INCONCLUSIVE
    if consecutive_errors > gate.consecutive_error_limit:
        status = Outcome.ERROR
    if status is Outcome.RUNNING and measured >= gate.count:
        status = Outcome.PASS
    return Assessment(name, status, shadow, measured, failed, inconclusive, consecutive_errors)


def score_gate(indicators: Iterable[HealthIndicator]) -> IndicatorGate:
    """Limits of the canary score: the strictest count of the judged indicators."""
    counts = [i.gate.count for i in indicators if i.gate is not None and i.gate.judge]
    return _SCORE_GATE.model_copy(update={"count": max(counts, default=1)})


_SEVERITY = {
    Outcome.PASS: 0,
    Outcome.RUNNING: 1,
    Outcome.INCONCLUSIVE: 2,
    Outcome.ERROR: 3,
    Outcome.FAIL: 4,
}


def gate_status(assessments: Iterable[Assessment]) -> Outcome:
    """Combine the deciding indicators: a failure decides at once, else wait for all to finish."""
    deciding = [a for a in assessments if not a.shadow]
    if not deciding:
        return Outcome.INCONCLUSIVE
    if any(a.status is Outcome.FAIL for a in deciding):
        return Outcome.FAIL
    if any(a.status is Outcome.RUNNING for a in deciding):
        return Outcome.RUNNING
    return max((a.status for a in deciding), key=lambda s: _SEVERITY[s])
