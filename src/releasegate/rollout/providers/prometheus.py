"""Prometheus provider: range queries through the HTTP API (`/api/v1/query_range`)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import httpx

from releasegate.rollout.providers.interface import ProviderError


class PrometheusProvider:
    """Query a Prometheus server; a query must return at most one series."""

    name = "prometheus"

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def samples(
        self,
        query: str,
        *,
        indicator: str,
        role: str,
        start: datetime,
        end: datetime,
        step_seconds: float,
        environment: str = "",
    ) -> list[float]:
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{max(step_seconds, 0.001):.3f}",
        }
        try:
            response = httpx.get(
                f"{self.url}/api/v1/query_range", params=params, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"Prometheus at {self.url} did not respond to the query for {indicator}: {exc}",
                hint="check that the server runs and the URL is right",
            ) from exc
        body = _json(response, self.url, indicator)
        if response.status_code != 200 or body.get("status") != "success":
            raise ProviderError(
                f"Prometheus at {self.url} rejected the query for {indicator} "
                f"(HTTP {response.status_code}): {body.get('error', 'no error message')}",
                hint="check the indicator's query in the catalog",
            )
        data = body.get("data") or {}
        series = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(series, list):
            raise ProviderError(
                f"Prometheus at {self.url} returned a {data.get('resultType')!r} result for "
                f"{indicator}, expected a matrix",
                hint="write the query so that it returns an instant vector",
            )
        if len(series) > 1:
            raise ProviderError(
                f"the query for {indicator} returned {len(series)} series, expected one",
                hint="aggregate the query, for example with sum() or avg()",
            )
        if not series:
            return []
        values = []
        for pair in series[0].get("values", []):
            value = float(pair[1])
            values.append(value if math.isfinite(value) else math.nan)
        return values


def _json(response: httpx.Response, url: str, indicator: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError(
            f"Prometheus at {url} returned HTTP {response.status_code} without JSON "
            f"for {indicator}",
            hint="check that the URL points at the Prometheus server itself",
        ) from exc
    if not isinstance(body, dict):
        raise ProviderError(f"Prometheus at {url} returned unexpected JSON for {indicator}")
    return body
