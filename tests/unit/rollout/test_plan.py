"""Rollout plans derived from the risk tier, the catalog entry and the layered params."""

from __future__ import annotations

import shutil

import pytest
import yaml
from support import EXAMPLES

from releasegate.errors import InputError, PolicyError
from releasegate.model.rollout import IndicatorGate
from releasegate.model.service import HealthIndicator, Service
from releasegate.policy.layers import load_policy_set
from releasegate.rollout.plan import derive_plan


def _service(
    criticality: int = 0,
    regions: tuple[str, ...] = ("eu-west-1", "eu-central-1"),
    gated: bool = True,
) -> Service:
    indicator = {"name": "error-rate", "kind": "technical", "query": "q"}
    if gated:
        indicator["gate"] = {"max": 0.02}
    return Service.model_validate(
        {
            "name": "payments-api",
            "title": "Payments",
            "criticality": criticality,
            "data_classification": "regulated",
            "regions": list(regions),
            "owners": {
                "engineering": "payments-engineering",
                "business_control": "payments-control-owners",
            },
            "health_indicators": [indicator],
        }
    )


def _params(tmp_path, application: dict | None = None) -> dict:
    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLES / "policies", policies)
    if application is not None:
        (policies / "application" / "payments-api" / "data.yaml").write_text(
            yaml.safe_dump(application)
        )
    return load_policy_set(policies, "payments-api", catalog=EXAMPLES / "catalog.yaml").params


def _shape(plan: dict) -> list[tuple]:
    return [(s["kind"], s["environment"], s.get("wave"), s.get("weight")) for s in plan["steps"]]


def test_critical_service_gets_canary_per_region(tmp_path):
    plan = derive_plan(
        _service(), risk_tier="critical", params=_params(tmp_path), start_environment="production"
    )

    assert plan["strategy"] == "canary"
    assert plan["automated_rollback"] is True
    assert plan["waves"] == [{"regions": ["eu-west-1"]}, {"regions": ["eu-central-1"]}]
    assert plan["bake_seconds"] == 30 * 60
    assert _shape(plan) == [
        ("telemetry", "production", None, None),
        ("gate", "production", None, None),
        ("deploy", "production", 1, 10),
        ("health", "production", 1, 10),
        ("deploy", "production", 1, 50),
        ("health", "production", 1, 50),
        ("deploy", "production", 1, 100),
        ("health", "production", 1, 100),
        ("deploy", "production", 2, 10),
        ("health", "production", 2, 10),
        ("deploy", "production", 2, 50),
        ("health", "production", 2, 50),
        ("deploy", "production", 2, 100),
        ("health", "production", 2, 100),
    ]


def test_every_environment_asks_the_gate(tmp_path):
    plan = derive_plan(_service(), risk_tier="low", params=_params(tmp_path))

    gates = [s["environment"] for s in plan["steps"] if s["kind"] == "gate"]
    assert gates == ["development", "test", "staging", "production"]
    assert plan["bake_seconds"] == 5 * 60


def test_less_critical_service_rolls_region_by_region(tmp_path):
    plan = derive_plan(
        _service(criticality=2),
        risk_tier="medium",
        params=_params(tmp_path),
        start_environment="production",
    )

    assert plan["strategy"] == "rolling"
    deploys = [(s["wave"], s["weight"]) for s in plan["steps"] if s["kind"] == "deploy"]
    assert deploys == [(1, 100), (2, 100)]


def test_single_region_service_all_at_once(tmp_path):
    plan = derive_plan(
        _service(criticality=3, regions=("eu-west-1",)),
        risk_tier="low",
        params=_params(tmp_path),
        start_environment="production",
    )

    assert plan["strategy"] == "all_at_once"


def test_service_layer_tightens_plan(tmp_path):
    params = _params(
        tmp_path,
        {"rollout": {"canary_weights": [5, 10, 50, 100], "bake_minutes": {"critical": 60}}},
    )

    plan = derive_plan(
        _service(), risk_tier="critical", params=params, start_environment="production"
    )

    assert plan["canary_weights"] == [5, 10, 50, 100]
    assert plan["bake_seconds"] == 3600


def test_service_layer_cannot_loosen_plan(tmp_path):
    with pytest.raises(PolicyError, match="bake_minutes"):
        _params(tmp_path, {"rollout": {"bake_minutes": {"critical": 1}}})


def test_invalid_weights_rejected(tmp_path):
    params = _params(tmp_path)
    params["rollout"]["canary_weights"] = [50, 10]

    with pytest.raises(PolicyError, match="ascending percentages that end at 100"):
        derive_plan(_service(), risk_tier="critical", params=params)


def test_service_without_gated_indicator_rejected(tmp_path):
    with pytest.raises(InputError, match="no health indicator with a deciding gate"):
        derive_plan(_service(gated=False), risk_tier="low", params=_params(tmp_path))


def test_unknown_start_environment_rejected(tmp_path):
    with pytest.raises(InputError, match="'prod' is not in the promotion order"):
        derive_plan(_service(), risk_tier="low", params=_params(tmp_path), start_environment="prod")


def test_conflicting_group_weights_rejected(tmp_path):
    service = _service().model_copy(
        update={
            "health_indicators": (
                HealthIndicator(
                    name="a",
                    kind="business",
                    query="q",
                    gate=IndicatorGate(judge=True, group="money", group_weight=60),
                ),
                HealthIndicator(
                    name="b",
                    kind="business",
                    query="q",
                    gate=IndicatorGate(judge=True, group="money", group_weight=40),
                ),
            )
        }
    )

    with pytest.raises(InputError, match="judge group 'money' has the weights 60 and 40"):
        derive_plan(service, risk_tier="low", params=_params(tmp_path))
