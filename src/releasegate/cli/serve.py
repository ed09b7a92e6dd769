"""`releasegate serve`: run the HTTP API and the web pages.

The server authenticates personal API tokens from `releasegate token create`
and OIDC tokens of the issuers in the identities file.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.errors import ReleasegateError

if TYPE_CHECKING:
    from releasegate.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    max_upload_mb: Annotated[
        int, typer.Option("--max-upload-mb", min=1, max=2048, help="Largest evidence upload.")
    ] = 50,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the port.")
    ] = 1,
    token_cache_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            max=60,
            help="Seconds a verified token is trusted without checking it again; a revoked "
            "or expired token is rejected at most this long after. 0 checks every request.",
        ),
    ] = 5.0,
    controller: Annotated[
        bool,
        typer.Option(
            "--controller/--no-controller",
            help="Run the rollout controller in a background thread (lease owner host:pid).",
        ),
    ] = True,
) -> None:
    """Run the HTTP API, the web pages and the rollout controller.

    JSON logs go to stderr and metrics to /metrics. Serves the working folder,
    also when RELEASEGATE_URL is set.
    """
    from releasegate.api.app import create_app
    from releasegate.api.identity_auth import IdentityTokenVerifier
    from releasegate.api.observability import configure_json_logging
    from releasegate.api.token_cache import CachingTokenVerifier
    from releasegate.cli.main import _application, _fail
    from releasegate.service.rollout_controller import BackgroundController

    try:
        application = _application(allow_remote=True)
        background = BackgroundController(application) if controller else None
        server = create_app(
            application,
            CachingTokenVerifier(
                IdentityTokenVerifier(application),
                ttl_seconds=token_cache_seconds,
            ),
            max_upload_bytes=max_upload_mb * 1024 * 1024,
            controller=background if workers == 1 else None,
        )
    except ReleasegateError as error:
        _fail(error)
    configure_json_logging(log_level.upper())
    log = logging.getLogger("releasegate.server")
    log.info(
        "serving http://%s:%d (database %s)", host, port, application.settings.resolved_database_url
    )
    if background is not None:
        # With several workers the controller runs here, in the supervising process.
        background.start()
    _exit_after_signals()
    try:
        _listen(
            server,
            host,
            port,
            workers,
            application.settings,
            max_upload_mb,
            log_level,
            token_cache_seconds,
        )
    finally:
        if background is not None and not background.stop():
            log.warning("the rollout controller did not stop in time; its lease will expire")
        log.info("stopped")


def _exit_after_signals() -> None:
    """Turn SIGTERM and SIGINT into a normal exit once uvicorn has shut down.

    uvicorn restores the handlers it found and raises the signal again after
    its graceful shutdown. These handlers turn that signal into SystemExit, so
    `serve` leaves through its `finally` and stops the rollout controller.
    """
    import signal
    import sys

    def leave(signum: int, _frame: object) -> None:
        sys.exit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, leave)


def _listen(
    server: Any,
    host: str,
    port: int,
    workers: int,
    settings: Settings,
    max_upload_mb: int,
    log_level: str,
    token_cache_seconds: float,
) -> None:
    import os

    import uvicorn

    from releasegate.api.factory import LOG_LEVEL_VARIABLE, TOKEN_CACHE_VARIABLE

    if workers == 1:
        uvicorn.run(server, host=host, port=port, log_config=None, access_log=False)
    else:
        # Worker processes build their own application from the resolved settings.
        _export_settings(settings, max_upload_mb * 1024 * 1024)
        os.environ[LOG_LEVEL_VARIABLE] = log_level.upper()
        os.environ[TOKEN_CACHE_VARIABLE] = str(token_cache_seconds)
        uvicorn.run(
            "releasegate.api.factory:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
        )


def _export_settings(settings: Settings, max_upload_bytes: int) -> None:
    import os

    from releasegate.api.factory import UPLOAD_VARIABLE

    os.environ["RELEASEGATE_HOME"] = str(settings.home)
    os.environ["RELEASEGATE_DATABASE_URL"] = settings.resolved_database_url
    os.environ["RELEASEGATE_BLOB_DIR"] = str(settings.resolved_blob_dir)
    os.environ["RELEASEGATE_CATALOG"] = str(settings.resolved_catalog)
    os.environ["RELEASEGATE_POLICY_DIR"] = str(settings.resolved_policy_dir)
    if settings.calendar is not None:
        os.environ["RELEASEGATE_CALENDAR"] = str(settings.calendar)
    os.environ[UPLOAD_VARIABLE] = str(max_upload_bytes)
