"""Argo Rollouts `web` metric endpoint: the health gate verdict as JSON, as a small ASGI app.

`GET /api/v1/verdict?service=S&environment=E[&region=R][&version=V]` measures
every gated indicator of the service once, now, and responds with HTTP 200 and

    {"verdict": "pass" | "fail" | "inconclusive" | "error", "service": ...,
     "measured_at": ..., "indicators": [{"indicator", "outcome", "reason", ...}]}

An AnalysisTemplate reads it with `jsonPath: "{$.verdict}"`,
`successCondition: result == "pass"` and `failureCondition: result ==
"fail"`. Any other verdict is Inconclusive for Argo, which pauses the
rollout: a metrics provider that is down gives "error" with HTTP 200 on
purpose, because Argo aborts (rolls back) after consecutive non-2xx
answers and an outage of the metrics source must not roll back a healthy
release. Non-2xx answers are kept for requests the endpoint cannot serve:
400 for a missing parameter, 404 for an unknown service, 405 for a method
other than GET.

Run it with any ASGI server, for example
`uvicorn --factory releasegate.rollout.argo_web:app_from_environment`, with
`RELEASEGATE_METRICS` set to `prometheus:URL` (or `synthetic:FILE`) and the
usual `RELEASEGATE_*` settings for the catalog and policies.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from releasegate.clock import rfc3339
from releasegate.errors import ReleasegateError
from releasegate.rollout.health import Measurement, Outcome, measure_round
from releasegate.rollout.providers.interface import load_provider, parse_provider_option
from releasegate.service.app import Application

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def verdict_of(measurements: list[Measurement]) -> str:
    """Combine one round: fail over error over inconclusive over pass; shadow never decides."""
    deciding = [m.outcome for m in measurements if not m.shadow]
    if not deciding:
        return Outcome.INCONCLUSIVE.value
    for outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.INCONCLUSIVE):
        if outcome in deciding:
            return outcome.value
    return Outcome.PASS.value


class VerdictApp:
    """ASGI application that serves Argo's web metric requests."""

    def __init__(self, app: Application, metrics: dict[str, Any]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, body = self.handle(
            scope["method"], scope["path"], scope.get("query_string", b"").decode()
        )
        data = json.dumps(body, default=str).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    def handle(self, method: str, path: str, query: str) -> tuple[int, dict[str, Any]]:
        """Serve one request; return the status code and the JSON body."""
        if path != "/api/v1/verdict":
            return 404, {"error": f"no endpoint {path}; use /api/v1/verdict"}
        if method != "GET":
            return 405, {"error": f"method {method} is not allowed; use GET"}
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        missing = [name for name in ("service", "environment") if not params.get(name)]
        if missing:
            return 400, {"error": f"missing query parameter {', '.join(missing)}"}
        service = self.app.catalog.service(params["service"])
        if service is None:
            return 404, {"error": f"service {params['service']!r} is not in the catalog"}
        try:
            policy_params = self.app.policy(service.name).params
            rollout = policy_params.get("rollout", {})
            provider = load_provider(self.metrics)
        except ReleasegateError as error:
            return 500, {"error": error.message}
        now: datetime = self.app.clock()
        context = {
            "service": service.name,
            "environment": params["environment"],
            "region": params.get("region", ""),
            "version": params.get("version", ""),
        }
        indicators = [i for i in service.health_indicators if i.gate is not None]
        measurements = measure_round(
            indicators,
            provider,
            context,
            window_end=now,
            pass_score=float(rollout.get("judge_pass_score", 95)),
            marginal_score=float(rollout.get("judge_marginal_score", 75)),
        )
        return 200, {
            "verdict": verdict_of(measurements),
            "service": service.name,
            "environment": params["environment"],
            "measured_at": rfc3339(now),
            "indicators": [m.as_dict() for m in measurements],
        }


def app_from_environment() -> VerdictApp:
    """Build the endpoint from `RELEASEGATE_*` settings and `RELEASEGATE_METRICS`."""
    from releasegate.settings import load_settings

    metrics = os.environ.get("RELEASEGATE_METRICS", "")
    return VerdictApp(Application(load_settings()), parse_provider_option(metrics))
