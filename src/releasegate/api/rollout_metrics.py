"""The `releasegate_rollouts` gauge: rollouts by state, read from the database at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class RolloutCollector(Collector):
    """Counts rollouts per state with one grouped query when Prometheus scrapes."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Any:
        family = GaugeMetricFamily(
            "releasegate_rollouts", "Rollouts in the database, by state.", labels=["state"]
        )
        try:
            counts = self._counts()
        except Exception:  # a scrape must not fail because the database is busy
            log.warning("could not count rollouts for /metrics", exc_info=True)
            return
        for state, count in sorted(counts.items()):
            family.add_metric([state], float(count))
        yield family
