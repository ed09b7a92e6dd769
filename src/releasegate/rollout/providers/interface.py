"""Contract of a metric provider, and the factory that builds one from a rollout's settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from releasegate.errors import InputError, ReleasegateError


class ProviderError(ReleasegateError):
    """The metrics source failed: unreachable, timed out, or returned an error.

    A health gate records this as a provider error, never as pass or fail.
    """


class MetricProvider(Protocol):
    """Source of metric samples over a time window."""

    name: str

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
        """Return the values of `query` in [start, end]; an empty list means no data.

        `indicator`, `role` and `environment` describe the query for providers
        that do not run it, such as the synthetic one.

        Raises ProviderError when the source cannot answer.
        """
        ...


def load_provider(config: dict[str, Any]) -> MetricProvider:
    """Build the provider that `config` names (`kind` prometheus or synthetic)."""
    kind = config.get("kind")
    if kind == "prometheus":
        from releasegate.rollout.providers.prometheus import PrometheusProvider

        return PrometheusProvider(str(config["url"]), timeout=float(config.get("timeout", 10)))
    if kind == "synthetic":
        from releasegate.rollout.providers.synthetic import SyntheticProvider

        return SyntheticProvider.from_file(str(config["path"]))
    raise InputError(
        f"unknown metric provider {kind!r}",
        source="--metrics",
        hint="use prometheus:URL or synthetic:FILE",
    )


def parse_provider_option(value: str) -> dict[str, Any]:
    """Parse `prometheus:URL` or `synthetic:FILE` into a provider configuration."""
    kind, _, rest = value.partition(":")
    if kind == "prometheus" and rest:
        return {"kind": "prometheus", "url": rest}
    if kind == "synthetic" and rest:
        from pathlib import Path

        return {"kind": "synthetic", "path": str(Path(rest).resolve())}
    raise InputError(
        f"invalid metric provider {value!r}",
        source="--metrics",
        hint="write prometheus:http://127.0.0.1:9090 or synthetic:metrics.yaml",
    )
