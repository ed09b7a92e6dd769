"""The Argo Rollouts web metric endpoint answers with the health gate verdict."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest
import yaml
from support import EXAMPLES

from releasegate.rollout.argo_web import VerdictApp
from releasegate.service.app import Application
from releasegate.settings import load_settings

HEALTHY = {
    "seed": 2,
    "indicators": {
        "http-error-rate": {
            "baseline": {"mean": 0.004, "sd": 0.001},
            "canary": {"mean": 0.004, "sd": 0.001},
        },
        "settlement-completion-rate": {
            "baseline": {"mean": 0.995, "sd": 0.001},
            "canary": {"mean": 0.995, "sd": 0.001},
        },
    },
}


def _app(tmp_path, **changes: dict) -> VerdictApp:
    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies", dirs_exist_ok=True)
    document = yaml.safe_load(yaml.safe_dump(HEALTHY))
    for name, change in changes.items():
        document["indicators"][name].update(change)
    metrics = tmp_path / "metrics.yaml"
    metrics.write_text(yaml.safe_dump(document))
    application = Application(load_settings(home=tmp_path, environ={}))
    return VerdictApp(application, {"kind": "synthetic", "path": str(metrics)})


def _get(app: VerdictApp, url: str, method: str = "GET") -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://judge") as client:
            return await client.request(method, url)

    return asyncio.run(call())


URL = "/api/v1/verdict?service=payments-api&environment=production&region=eu-west-1"


def test_healthy_service_passes(tmp_path):
    response = _get(_app(tmp_path), URL)

    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "pass"
    assert [m["indicator"] for m in body["indicators"]] == [
        "http-error-rate",
        "settlement-completion-rate",
        "canary-score",
    ]


def test_degraded_indicator_fails(tmp_path):
    app = _app(tmp_path, **{"settlement-completion-rate": {"canary": {"mean": 0.96, "sd": 0.002}}})

    body = _get(app, URL).json()

    assert body["verdict"] == "fail"
    failing = {m["indicator"] for m in body["indicators"] if m["outcome"] == "fail"}
    assert failing == {"settlement-completion-rate", "canary-score"}


def test_too_few_samples_is_inconclusive(tmp_path):
    body = _get(_app(tmp_path, **{"http-error-rate": {"samples": 3}}), URL).json()

    assert body["verdict"] == "inconclusive"


def test_provider_down_is_error_with_200(tmp_path):
    response = _get(_app(tmp_path, **{"http-error-rate": {"down": True}}), URL)

    assert response.status_code == 200
    assert response.json()["verdict"] == "error"


@pytest.mark.parametrize(
    ("url", "method", "status", "message"),
    [
        ("/api/v1/verdict?service=payments-api", "GET", 400, "missing query parameter environment"),
        (
            "/api/v1/verdict?service=ledger&environment=production",
            "GET",
            404,
            "service 'ledger' is not in the catalog",
        ),
        (URL, "POST", 405, "method POST is not allowed"),
        ("/metrics", "GET", 404, "no endpoint /metrics"),
    ],
)
def test_bad_requests(tmp_path, url, method, status, message):
    response = _get(_app(tmp_path), url, method)

    assert response.status_code == status
    assert message in response.json()["error"]
