"""Derive a rollout plan from the release's risk tier, the catalog entry and the policy params.

The plan lists every step in order. Each environment of params
`promotion.order` starts with a gate step that asks the release gate again;
production also starts with a telemetry check (every gated indicator returns
data). Outside production one deploy at 100 % follows, then a health gate.
In production the service's regions are split into waves of at most
`rollout.max_regions_per_wave` regions; services of criticality up to
`rollout.canary_max_criticality` step through `rollout.canary_weights` in
each wave, others deploy each wave at 100 %. Every deploy is followed by a
health gate after the bake time of the release's risk tier.
"""

from __future__ import annotations

from typing import Any

from releasegate.errors import InputError, PolicyError
from releasegate.model.service import Service

PRODUCTION = "production"


def _param(params: dict[str, Any], *path: str) -> Any:
    value: Any = params
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise PolicyError(
                f"params {'.'.join(path)} is not set",
                hint="restore it in the policy layers' params (see the built-in params.yaml)",
            )
        value = value[key]
    return value


def _weights(params: dict[str, Any]) -> list[int]:
    weights = _param(params, "rollout", "canary_weights")
    valid = (
        isinstance(weights, list)
        and weights
        and all(isinstance(w, int) and 0 < w <= 100 for w in weights)
        and weights == sorted(set(weights))
        and weights[-1] == 100
    )
    if not valid:
        raise PolicyError(
            f"params rollout.canary_weights is {weights!r}, expected ascending percentages "
            "that end at 100",
            hint="write for example [10, 50, 100]",
        )
    return list(weights)


def _check_group_weights(service: Service) -> None:
    """Reject judge groups that set two weights, or weights that sum to more than 100."""
    weights: dict[str, float] = {}
    for indicator in service.health_indicators:
        gate = indicator.gate
        if gate is None or not gate.judge or gate.group_weight is None:
            continue
        group = gate.group or indicator.kind
        if weights.setdefault(group, gate.group_weight) != gate.group_weight:
            raise InputError(
                f"judge group {group!r} has the weights {weights[group]:g} and "
                f"{gate.group_weight:g}",
                source="catalog",
                field=f"services.{service.name}.health_indicators.{indicator.name}.gate",
                hint="give every indicator of a group the same group_weight",
            )
    if sum(weights.values()) > 100:
        raise InputError(
            f"the judge group weights of {service.name} add up to {sum(weights.values()):g}",
            source="catalog",
            field=f"services.{service.name}.health_indicators",
            hint="make the group_weight values add up to at most 100",
        )


def derive_plan(
    service: Service,
    *,
    risk_tier: str,
    params: dict[str, Any],
    start_environment: str | None = None,
) -> dict[str, Any]:
    """Return the plan document: strategy, waves, indicators and the ordered steps."""
    order = [str(e) for e in _param(params, "promotion", "order")]
    if start_environment is not None:
        if start_environment not in order:
            raise InputError(
                f"environment {start_environment!r} is not in the promotion order",
                source="--from",
                hint=f"use one of: {', '.join(order)}",
            )
        order = order[order.index(start_environment) :]

    bake_by_tier = _param(params, "rollout", "bake_minutes")
    if risk_tier not in bake_by_tier or not isinstance(bake_by_tier[risk_tier], (int, float)):
        raise PolicyError(
            f"params rollout.bake_minutes has no number for risk tier {risk_tier!r}",
            hint="add the tier to rollout.bake_minutes",
        )
    bake_seconds = float(bake_by_tier[risk_tier]) * 60
    per_wave = int(_param(params, "rollout", "max_regions_per_wave"))
    canary = service.criticality <= int(_param(params, "rollout", "canary_max_criticality"))
    weights = _weights(params) if canary else [100]

    gated = [i for i in service.health_indicators if i.gate is not None and not i.gate.shadow]
    if not gated:
        raise InputError(
            f"service {service.name} declares no health indicator with a deciding gate, so no "
            "health gate could pass or fail its rollout",
            source="catalog",
            field=f"services.{service.name}.health_indicators",
            hint="add a gate (max, min, max_increase, max_decrease or judge) to an indicator",
        )

    _check_group_weights(service)

    waves = [
        list(service.regions[i : i + per_wave]) for i in range(0, len(service.regions), per_wave)
    ]
    steps: list[dict[str, Any]] = []

    def add(kind: str, environment: str, **extra: Any) -> None:
        steps.append({"seq": len(steps), "kind": kind, "environment": environment, **extra})

    for environment in order:
        if environment == PRODUCTION:
            add("telemetry", environment, regions=list(service.regions))
            add("gate", environment, regions=list(service.regions))
            for number, regions in enumerate(waves, start=1):
                for weight in weights:
                    add("deploy", environment, wave=number, regions=regions, weight=weight)
                    add(
                        "health",
                        environment,
                        wave=number,
                        regions=regions,
                        weight=weight,
                        bake_seconds=bake_seconds,
                    )
        else:
            add("gate", environment, regions=[])
            add("deploy", environment, regions=[], weight=100)
            add("health", environment, regions=[], weight=100, bake_seconds=bake_seconds)

    if canary:
        strategy = "canary"
    elif len(waves) > 1:
        strategy = "rolling"
    else:
        strategy = "all_at_once"
    return {
        "service": service.name,
        "risk_tier": risk_tier,
        "environments": order,
        "strategy": strategy,
        "automated_rollback": True,
        "canary_weights": weights,
        "bake_seconds": bake_seconds,
        "waves": [{"regions": regions} for regions in waves] if PRODUCTION in order else [],
        "indicators": [i.model_dump(mode="json") for i in service.health_indicators],
        "judge": {
            "pass_score": float(_param(params, "rollout", "judge_pass_score")),
            "marginal_score": float(_param(params, "rollout", "judge_marginal_score")),
        },
        "steps": steps,
    }
