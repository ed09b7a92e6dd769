"""Health gate measurements and Argo Rollouts' limits on their outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from releasegate.model.rollout import IndicatorGate
from releasegate.model.service import HealthIndicator
from releasegate.rollout.health import (
    SCORE_INDICATOR,
    Assessment,
    Outcome,
    assess,
    gate_status,
    measure_indicator,
    measure_round,
    substitute,
)
from releasegate.rollout.providers.interface import ProviderError
from releasegate.rollout.providers.synthetic import SyntheticProvider

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
P, F, INC, E = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.ERROR


def _indicator(name: str = "rate", **gate: object) -> HealthIndicator:
    return HealthIndicator(name=name, kind="business", query="q{role}", gate=IndicatorGate(**gate))


def _provider(**indicators: dict) -> SyntheticProvider:
    return SyntheticProvider({"seed": 1, "indicators": indicators})


@pytest.mark.parametrize(
    ("outcomes", "limits", "expected"),
    [
        ([P], {}, Outcome.PASS),
        ([F], {}, Outcome.FAIL),
        ([F], {"failure_limit": 1, "count": 3}, Outcome.RUNNING),
        ([F, P, P], {"failure_limit": 1, "count": 3}, Outcome.PASS),
        ([F, F], {"failure_limit": 1, "count": 3}, Outcome.FAIL),
        ([F, F, F], {"failure_limit": -1, "count": 3}, Outcome.PASS),
        ([INC], {}, Outcome.INCONCLUSIVE),
        ([INC, P], {"inconclusive_limit": 1, "count": 2}, Outcome.PASS),
        ([E, E, E, E], {}, Outcome.RUNNING),  # the limit of 4 is compared with >
        ([E, E, E, E, E], {}, Outcome.ERROR),
        ([E, E, E, E, P], {}, Outcome.PASS),  # a result resets the error streak
        ([E, E, P, E, E, E, E], {"count": 2}, Outcome.RUNNING),
        ([F, E, E], {"consecutive_error_limit": 1}, Outcome.ERROR),  # error wins over failed
        ([INC, F], {"count": 2}, Outcome.INCONCLUSIVE),  # inconclusive wins over failed
    ],
)
def test_assess_applies_argo_limits(outcomes, limits, expected):
    gate = IndicatorGate(max=1, **limits)

    assert assess("x", gate, outcomes, shadow=False).status is expected


def test_gate_status_fails_fast_and_ignores_shadow():
    def a(name, status, shadow=False):
        return Assessment(name, status, shadow, 1, 0, 0, 0)

    assert gate_status([a("x", Outcome.FAIL), a("y", Outcome.RUNNING)]) is Outcome.FAIL
    assert gate_status([a("x", Outcome.PASS), a("y", Outcome.RUNNING)]) is Outcome.RUNNING
    assert gate_status([a("x", Outcome.PASS), a("s", Outcome.FAIL, True)]) is Outcome.PASS
    assert gate_status([a("x", Outcome.PASS), a("y", Outcome.ERROR)]) is Outcome.ERROR
    assert gate_status([a("x", Outcome.INCONCLUSIVE), a("y", Outcome.ERROR)]) is Outcome.ERROR
    assert gate_status([a("s", Outcome.PASS, True)]) is Outcome.INCONCLUSIVE


def test_absolute_threshold_fails_with_value():
    provider = _provider(rate={"canary": {"mean": 0.05, "sd": 0}, "samples": 10})

    measurement, _, _ = measure_indicator(_indicator(max=0.02), provider, {}, window_end=NOW)

    assert measurement.outcome is Outcome.FAIL
    assert measurement.detail["canary_mean"] == pytest.approx(0.05)
    assert "above the maximum 0.02" in measurement.reason


def test_relative_decrease_against_baseline():
    provider = _provider(
        rate={"baseline": {"mean": 1.0, "sd": 0}, "canary": {"mean": 0.95, "sd": 0}, "samples": 10}
    )

    tolerant, _, _ = measure_indicator(_indicator(max_decrease=0.1), provider, {}, window_end=NOW)
    strict, _, _ = measure_indicator(_indicator(max_decrease=0.01), provider, {}, window_end=NOW)

    assert tolerant.outcome is Outcome.PASS
    assert strict.outcome is Outcome.FAIL
    assert strict.detail["relative_change"] == pytest.approx(-0.05)


def test_too_few_samples_is_inconclusive():
    provider = _provider(rate={"canary": {"mean": 1.0}, "samples": 3})

    measurement, _, _ = measure_indicator(
        _indicator(min=0.5, min_samples=20), provider, {}, window_end=NOW
    )

    assert measurement.outcome is Outcome.INCONCLUSIVE
    assert measurement.reason == "3 samples, fewer than the minimum of 20"


def test_relative_without_baseline_is_inconclusive():
    provider = _provider(rate={"baseline": {"mean": 0.0}, "canary": {"mean": 1.0}, "samples": 5})

    measurement, _, _ = measure_indicator(
        _indicator(max_increase=0.1), provider, {}, window_end=NOW
    )

    assert measurement.outcome is Outcome.INCONCLUSIVE


def test_provider_down_is_error_not_pass():
    provider = _provider(rate={"canary": {"mean": 1.0}, "down": True})

    measurement, _, _ = measure_indicator(_indicator(min=0.5), provider, {}, window_end=NOW)

    assert measurement.outcome is Outcome.ERROR
    assert "down" in measurement.reason


def test_round_adds_canary_score_of_judged_indicators():
    provider = _provider(
        rate={
            "baseline": {"mean": 0.99, "sd": 0.001},
            "canary": {"mean": 0.95, "sd": 0.001},
            "samples": 60,
        },
        latency={
            "baseline": {"mean": 100, "sd": 5},
            "canary": {"mean": 100, "sd": 5},
            "samples": 60,
        },
    )
    indicators = [
        _indicator("rate", judge=True, critical=True, direction="decrease"),
        _indicator("latency", judge=True, direction="increase"),
    ]

    measurements = measure_round(
        indicators, provider, {}, window_end=NOW, pass_score=95, marginal_score=75
    )

    by_name = {m.indicator: m for m in measurements}
    assert by_name[SCORE_INDICATOR].outcome is Outcome.FAIL
    assert by_name[SCORE_INDICATOR].detail["score"] == 0.0
    assert "critical metric rate (Low)" in by_name[SCORE_INDICATOR].reason


def test_round_score_without_data_is_inconclusive():
    indicators = [_indicator("rate", judge=True)]

    measurements = measure_round(
        indicators, _provider(), {}, window_end=NOW, pass_score=95, marginal_score=75
    )

    assert [m.outcome for m in measurements] == [Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE]


def test_substitute_replaces_known_placeholders_only():
    query = 'rate(x{role="{role}",region="{region}"}[5m]) {other}'

    assert substitute(query, {"role": "canary", "region": "eu-west-1"}) == (
        'rate(x{role="canary",region="eu-west-1"}[5m]) {other}'
    )


def test_gate_needs_a_judgement():
    with pytest.raises(ValueError, match="at least one judgement"):
        IndicatorGate(shadow=True)


def test_provider_error_is_a_releasegate_error():
    error = ProviderError("down", hint="start it")

    assert str(error) == "down\n  hint: start it"


def test_round_weighs_judge_groups():
    provider = _provider(
        errors={
            "baseline": {"mean": 1.0, "sd": 0.01},
            "canary": {"mean": 2.0, "sd": 0.01},
            "samples": 60,
        },
        settlement={
            "baseline": {"mean": 0.99, "sd": 0.001},
            "canary": {"mean": 0.99, "sd": 0.001},
            "samples": 60,
        },
    )
    indicators = [
        HealthIndicator(
            name="errors",
            kind="technical",
            query="e",
            gate=IndicatorGate(judge=True, group_weight=20),
        ),
        HealthIndicator(
            name="settlement",
            kind="business",
            query="s",
            gate=IndicatorGate(judge=True, group_weight=80),
        ),
    ]

    measurements = measure_round(
        indicators, provider, {}, window_end=NOW, pass_score=95, marginal_score=75
    )

    score_measurement = measurements[-1]
    assert score_measurement.detail["score"] == 80.0
    assert score_measurement.detail["group_scores"] == {"technical": 0.0, "business": 100.0}
    assert score_measurement.outcome is Outcome.INCONCLUSIVE  # marginal: a person decides
