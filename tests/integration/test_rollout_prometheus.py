"""Health gates against a real Prometheus server scraping an exporter the test controls.

The server is the Debian package's /usr/bin/prometheus, started on a free
loopback port with a temporary data folder and a 1 s scrape interval; the
exporter is prometheus_client's HTTP server with its own registry.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from releasegate.model.rollout import IndicatorGate
from releasegate.model.service import HealthIndicator
from releasegate.rollout.health import Outcome, measure_indicator, measure_round
from releasegate.rollout.providers.interface import ProviderError
from releasegate.rollout.providers.prometheus import PrometheusProvider

PROMETHEUS = Path("/usr/bin/prometheus")
_MINUTE = timedelta(minutes=1)

pytestmark = pytest.mark.skipif(
    not PROMETHEUS.is_file(),
    reason="Prometheus is not installed (apt-get install -y --no-install-recommends prometheus)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Metrics:
    """The exporter's gauges and the Prometheus server that scrapes them."""

    url: str
    settlement: Gauge
    errors: Gauge
    registry: CollectorRegistry

    def wait_for(self, query: str, samples: int = 3, timeout: float = 45.0) -> None:
        """Poll until `query` returns at least `samples` points over the last minute."""
        provider = PrometheusProvider(self.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = datetime.now(UTC)
            values = provider.samples(
                query,
                indicator="probe",
                role="canary",
                start=now.replace(microsecond=0) - _MINUTE,
                end=now,
                step_seconds=1,
            )
            if len(values) >= samples:
                return
            time.sleep(0.5)
        raise AssertionError(f"Prometheus returned no data for {query} within {timeout} s")


@pytest.fixture(scope="module")
def metrics(tmp_path_factory) -> Iterator[Metrics]:
    registry = CollectorRegistry()
    settlement = Gauge(
        "rg_settlement_completion_ratio", "Settlement completion ratio", ["role"], registry=registry
    )
    errors = Gauge("rg_http_error_ratio", "HTTP error ratio", ["role"], registry=registry)
    exporter_port = _free_port()
    server, thread = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)

    folder = tmp_path_factory.mktemp("prometheus")
    config = folder / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {
                        "job_name": "exporter",
                        "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                    }
                ],
            }
        )
    )
    port = _free_port()
    log = (folder / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("Prometheus did not become ready within 30 s")
        yield Metrics(url, settlement, errors, registry)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)


def _indicator(name: str, query: str, **gate: object) -> HealthIndicator:
    return HealthIndicator(
        name=name, kind="business", query=query, gate=IndicatorGate(window_minutes=1, **gate)
    )


SETTLEMENT = 'rg_settlement_completion_ratio{role="{role}"}'


def test_healthy_canary_passes(metrics):
    metrics.settlement.labels(role="canary").set(0.995)
    metrics.settlement.labels(role="baseline").set(0.996)
    metrics.wait_for('rg_settlement_completion_ratio{role="canary"}')
    indicator = _indicator("settlement", SETTLEMENT, min=0.98, max_decrease=0.01, min_samples=3)

    measurement, baseline, canary = measure_indicator(
        indicator, PrometheusProvider(metrics.url), {}, window_end=datetime.now(UTC)
    )

    assert measurement.outcome is Outcome.PASS, measurement.reason
    assert measurement.detail["canary_mean"] == pytest.approx(0.995)
    assert measurement.detail["baseline_mean"] == pytest.approx(0.996)
    assert len(canary) >= 3 and len(baseline) >= 3


def test_degraded_canary_fails(metrics):
    metrics.errors.labels(role="canary").set(0.08)
    metrics.errors.labels(role="baseline").set(0.004)
    metrics.wait_for('rg_http_error_ratio{role="canary"} > 0.05')
    indicator = _indicator(
        "errors",
        'max_over_time(rg_http_error_ratio{role="{role}"}[2s])',
        max=0.02,
        max_increase=0.5,
        min_samples=3,
    )

    measurement, _, _ = measure_indicator(
        indicator, PrometheusProvider(metrics.url), {}, window_end=datetime.now(UTC)
    )

    assert measurement.outcome is Outcome.FAIL
    assert "above the maximum 0.02" in measurement.reason
    assert measurement.detail["relative_change"] > 0.5


def test_missing_series_is_inconclusive(metrics):
    indicator = _indicator(
        "queue", 'rg_exception_queue_depth{role="{role}"}', max=10, min_samples=3
    )

    measurement, _, _ = measure_indicator(
        indicator, PrometheusProvider(metrics.url), {}, window_end=datetime.now(UTC)
    )

    assert measurement.outcome is Outcome.INCONCLUSIVE
    assert measurement.detail["canary_count"] == 0


def test_invalid_query_is_provider_error(metrics):
    with pytest.raises(ProviderError, match="rejected the query"):
        PrometheusProvider(metrics.url).samples(
            "sum(",
            indicator="broken",
            role="canary",
            start=datetime.now(UTC) - _MINUTE,
            end=datetime.now(UTC),
            step_seconds=1,
        )


def test_provider_down_is_error():
    closed = f"http://127.0.0.1:{_free_port()}"
    indicator = _indicator("settlement", SETTLEMENT, min=0.98)

    measurements = measure_round(
        [indicator],
        PrometheusProvider(closed, timeout=2),
        {},
        window_end=datetime.now(UTC),
        pass_score=95,
        marginal_score=75,
    )

    assert [m.outcome for m in measurements] == [Outcome.ERROR]
    assert "did not respond" in measurements[0].reason


def test_several_series_is_provider_error(metrics):
    metrics.wait_for('rg_settlement_completion_ratio{role="baseline"}')

    with pytest.raises(ProviderError, match="returned 2 series"):
        PrometheusProvider(metrics.url).samples(
            "rg_settlement_completion_ratio",
            indicator="settlement",
            role="canary",
            start=datetime.now(UTC) - _MINUTE,
            end=datetime.now(UTC),
            step_seconds=1,
        )


def _catalog_with_gauges(ws) -> None:
    """Point the payments-api indicators of the workspace catalog at the test gauges."""
    path = ws.root / "catalog.yaml"
    catalog = yaml.safe_load(path.read_text())
    service = next(s for s in catalog["services"] if s["name"] == "payments-api")
    service["health_indicators"] = [
        {
            "name": "http-error-rate",
            "kind": "technical",
            "query": 'rg_rollout_error_ratio{role="{role}"}',
            "gate": {"max": 0.02, "window_minutes": 1, "min_samples": 3},
        },
        {
            "name": "settlement-completion-rate",
            "kind": "business",
            "query": 'rg_rollout_settlement_ratio{role="{role}"}',
            "gate": {"min": 0.98, "max_decrease": 0.01, "window_minutes": 1, "min_samples": 3},
        },
    ]
    path.write_text(yaml.safe_dump(catalog))


def test_rollout_against_prometheus_rolls_back_on_business_drop(metrics, ws, request):
    from support import JUNIT_PASS, SARIF_CLEAN, approve_all, attach, create

    _catalog_with_gauges(ws)
    errors = Gauge(
        "rg_rollout_error_ratio", "HTTP error ratio", ["role"], registry=metrics.registry
    )
    settlement = Gauge(
        "rg_rollout_settlement_ratio",
        "Settlement completion ratio",
        ["role"],
        registry=metrics.registry,
    )
    # The exporter's registry outlives this test, which runs once per database backend.
    request.addfinalizer(lambda: metrics.registry.unregister(errors))
    request.addfinalizer(lambda: metrics.registry.unregister(settlement))
    errors.labels(role="canary").set(0.001)
    errors.labels(role="baseline").set(0.001)
    settlement.labels(role="canary").set(0.90)
    settlement.labels(role="baseline").set(0.995)
    metrics.wait_for('rg_rollout_settlement_ratio{role="canary"}')
    metrics.wait_for('rg_rollout_error_ratio{role="canary"}')
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    approve_all(ws, release)

    result = ws.run(
        "rollout",
        "start",
        release,
        "--metrics",
        f"prometheus:{metrics.url}",
        "--journal",
        str(ws.root / "journal.jsonl"),
        "--time-scale",
        "0",
        "--wait",
        "--output",
        "json",
    )

    import json

    status = json.loads(result.stdout)
    assert result.exit_code == 1, result.output
    assert status["status"] == "rolled_back"
    failed = next(s for s in status["steps"] if s["status"] == "failed")
    values = {m["indicator"]: m for m in failed["result"]["measurements"]}
    assert values["settlement-completion-rate"]["canary_mean"] == pytest.approx(0.90)
    assert values["settlement-completion-rate"]["outcome"] == "fail"
    assert values["http-error-rate"]["outcome"] == "pass"
