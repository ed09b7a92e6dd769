"""Request ids, JSON log lines and Prometheus metrics of the server.

Every request gets an id: the caller's `X-Request-ID` when it is a short
token, otherwise a new one. The id goes back in the response header and
into every log line written while the request runs (a context variable read
by a logging filter). Metrics live in a registry per application so that
several applications in one process (tests) do not share counters.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# A mutable holder: routes that run in worker threads bind the release id into
# it, and the access log line written afterwards on the event loop reads it.
_request_facts: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("request_facts")


def bind_release(release_id: str) -> None:
    """Name the release this request is about in its log lines."""
    facts = _request_facts.get(None)
    if facts is not None:
        facts["release_id"] = release_id


def _bound_release() -> str | None:
    facts = _request_facts.get(None)
    return None if facts is None else facts.get("release_id")


log = logging.getLogger("releasegate.api.access")


class RequestContextFilter(logging.Filter):
    """Adds the current request id (and release id, if known) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.release_id = _bound_release()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and release ids."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        release = getattr(record, "release_id", None)
        if release:
            line["release_id"] = release
        for key in ("method", "path", "status", "duration_ms", "identity"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_json_logging(level: str = "INFO") -> None:
    """Send the package's logs to stderr as JSON lines (the server's format)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger("releasegate")
    root.handlers = [handler]
    root.setLevel(level)
    root.propagate = False


class Metrics:
    """The server's Prometheus metrics, in a registry of their own."""

    def __init__(self, ledger_size: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "releasegate_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "releasegate_http_request_duration_seconds",
            "HTTP request duration by route.",
            ["route"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "releasegate_gate_decisions",
            "Gate decisions recorded through the API, by verdict.",
            ["verdict", "environment"],
            registry=self.registry,
        )
        self.gate_seconds = Histogram(
            "releasegate_gate_evaluation_seconds",
            "Time to evaluate and record one gate decision.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=self.registry,
        )
        self.failures = Counter(
            "releasegate_http_problems",
            "Problem responses by problem type.",
            ["type"],
            registry=self.registry,
        )
        if ledger_size is not None:
            self.registry.register(_LedgerCollector(ledger_size))


class _LedgerCollector(Collector):
    """Reads the ledger size from the database when Prometheus scrapes."""

    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size

    def collect(self) -> Any:
        family = GaugeMetricFamily(
            "releasegate_ledger_entries", "Entries in the ledger (tree size)."
        )
        try:
            family.add_metric([], float(self._size()))
        except Exception:  # a scrape must not fail because the database is busy
            log.warning("could not read the ledger size for /metrics", exc_info=True)
            return
        yield family


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Scope]]
Send = Callable[[Scope], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestContextMiddleware:
    """Assigns the request id, times the request, logs it and counts it."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app  # the FastAPI application; tests read its state
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = supplied if _VALID_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        facts_token = _request_facts.set({})
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Scope) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            # Routers included under a prefix report their path without it.
            if scope["path"].startswith("/api/") and not template.startswith("/api/"):
                template = "/api/v1" + template if template != "(unmatched)" else template
            status = status_holder["status"]
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.request_seconds.labels(template).observe(elapsed)
            log.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "identity": scope.get("state", {}).get("identity"),
                },
            )
            _request_facts.reset(facts_token)
            request_id_var.reset(token)
