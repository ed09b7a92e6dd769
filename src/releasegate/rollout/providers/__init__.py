"""Metric providers that health gates query: Prometheus and a synthetic source."""

from releasegate.rollout.providers.interface import MetricProvider, ProviderError, load_provider

__all__ = ["MetricProvider", "ProviderError", "load_provider"]
