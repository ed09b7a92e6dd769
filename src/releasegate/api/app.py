"""The FastAPI application: routers under /api/v1, problem details, health and metrics.

`create_app` wires one `Application` (the use cases' shared context) with a
token verifier. Nothing here decides anything: every route calls a use case
in `releasegate.service`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from releasegate.api.auth import AuthenticationError, TokenVerifier
from releasegate.api.deps import ApiContext
from releasegate.api.observability import Metrics, RequestContextMiddleware, request_id_var
from releasegate.api.problems import PROBLEM_MEDIA_TYPE, from_error, problem
from releasegate.errors import ReleasegateError
from releasegate.service.app import Application

if TYPE_CHECKING:
    from releasegate.service.rollout_controller import BackgroundController

API_PREFIX = "/api/v1"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024

log = logging.getLogger(__name__)


def _problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location[1:]] if location else []
    text = ""
    for part in parts:
        if part.isdigit():
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = part
    return text


def create_app(
    application: Application,
    verifier: TokenVerifier,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    web: bool = True,
    controller: BackgroundController | None = None,
) -> RequestContextMiddleware:
    """Build the server: API, web pages (unless `web` is False), health, readiness, metrics.

    `controller` is the rollout controller thread of `releasegate serve`, if any;
    readiness reports its state.
    """
    from releasegate.api.decision_cache import LatestDecisionCache
    from releasegate.api.rollout_metrics import RolloutCollector
    from releasegate.api.routes import governance, ledger, operations, releases, rollouts
    from releasegate.service.rollout_views import rollout_counts
    from releasegate.service.status import ledger_size

    metrics = Metrics(ledger_size=lambda: ledger_size(application))
    metrics.registry.register(RolloutCollector(lambda: rollout_counts(application)))
    decision_cache = LatestDecisionCache(application.database)

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        # The cache keeps a SQLite connection of its own, which closes with the server.
        try:
            yield
        finally:
            decision_cache.close()

    api = FastAPI(
        lifespan=lifespan,
        title="releasegate",
        version="1",
        summary="Release control plane for regulated finance.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    api.state.context = ApiContext(
        application=application,
        verifier=verifier,
        metrics=metrics,
        max_upload_bytes=max_upload_bytes,
        decision_cache=decision_cache,
    )
    for router in (
        releases.router,
        governance.router,
        ledger.router,
        operations.router,
        rollouts.router,
    ):
        api.include_router(router, prefix=API_PREFIX, responses=_PROBLEM_RESPONSES)

    @api.exception_handler(ReleasegateError)
    async def domain_error(request: Request, error: ReleasegateError) -> Response:
        if web and not request.url.path.startswith(API_PREFIX):
            from releasegate.web.pages import error_page

            return error_page(request, error)
        body = from_error(error, instance=request.url.path, request_id=request_id_var.get())
        metrics.failures.labels(body["type"]).inc()
        if body["status"] >= 500:
            log.error("%s: %s", type(error).__name__, error.message)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, AuthenticationError) else None
        return _problem_response(body, headers)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
        location = tuple(first.get("loc", ()))
        where = str(location[0]) if location else "request"
        field = _field_path(location)
        found = "" if first.get("type") == "missing" else f"; found {first.get('input')!r}"[:220]
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        detail = f"{where}: {field + ': ' if field else ''}{first['msg']}{found}{more}"
        body = problem(
            status=422,
            slug="invalid-input",
            title="Invalid input",
            detail=detail,
            hint=f"correct '{field or where}' and send the request again",
            instance=request.url.path,
            request_id=request_id_var.get(),
            source=f"request {where}",
            field=field or None,
            errors=[
                {
                    "loc": [str(p) for p in e.get("loc", ())],
                    "msg": e.get("msg"),
                    "type": e.get("type"),
                }
                for e in errors[:20]
            ],
        )
        metrics.failures.labels(body["type"]).inc()
        return _problem_response(body)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and not request.url.path.startswith(API_PREFIX) and web:
            from releasegate.web.pages import not_found_page

            return not_found_page(request)
        body = problem(
            status=error.status_code,
            slug="http",
            title=str(error.detail),
            detail=f"{request.method} {request.url.path}: {error.detail}",
            instance=request.url.path,
            request_id=request_id_var.get(),
        )
        return _problem_response(body, dict(error.headers or {}))

    @api.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = problem(
            status=500,
            slug="internal",
            title="Internal error",
            detail=f"internal error: {type(error).__name__}",
            hint="report it with the request id",
            instance=request.url.path,
            request_id=request_id_var.get(),
        )
        metrics.failures.labels(body["type"]).inc()
        return _problem_response(body)

    @api.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    def ready() -> JSONResponse:
        try:
            application.database.require_schema()
            size = ledger_size(application)
        except ReleasegateError as error:
            return JSONResponse({"status": "unavailable", "reason": error.message}, 503)
        body: dict[str, Any] = {"status": "ready", "ledger_entries": size}
        if controller is not None:
            body["rollout_controller"] = controller.report()
            if not controller.alive():
                body["status"] = "unavailable"
                body["reason"] = "the rollout controller thread is not running"
                return JSONResponse(body, 503)
        return JSONResponse(body)

    @api.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if web:
        from releasegate.web.pages import mount_web

        mount_web(api)

    # The middleware is the outermost layer so that every response, errors included,
    # carries the request id.
    return RequestContextMiddleware(api, metrics)


_PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "hint": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
_PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}}}
    for code, text in (
        (401, "No valid bearer token."),
        (403, "The role or segregation of duties does not allow it."),
        (404, "Not found."),
        (409, "Conflicts with stored state."),
        (422, "Invalid input."),
    )
}
