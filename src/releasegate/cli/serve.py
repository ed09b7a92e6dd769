"""`releasegate serve` and `releasegate api-token`: run the server and manage its tokens."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json
from releasegate.errors import ReleasegateError

if TYPE_CHECKING:
    from releasegate.settings import Settings

token_app = typer.Typer(help="Personal API tokens of the HTTP server.", no_args_is_help=True)

TokensOption = Annotated[
    Path | None,
    typer.Option(
        "--tokens",
        help="API tokens file (default: .releasegate/api-tokens.yaml in the working folder).",
        dir_okay=False,
    ),
]


def _tokens_path(tokens: Path | None) -> Path:
    from releasegate.cli.main import _State
    from releasegate.settings import load_settings

    if tokens is not None:
        return tokens
    return load_settings(home=_State.home, overrides=_State.overrides).state_dir / "api-tokens.yaml"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    tokens: TokensOption = None,
    max_upload_mb: Annotated[
        int, typer.Option("--max-upload-mb", min=1, max=2048, help="Largest evidence upload.")
    ] = 50,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the port.")
    ] = 1,
    controller: Annotated[
        bool,
        typer.Option(
            "--controller/--no-controller",
            help="Run the rollout controller in a background thread (lease owner host:pid).",
        ),
    ] = True,
) -> None:
    """Run the HTTP API and the web pages (JSON logs on stderr, metrics at /metrics)."""
    from releasegate.api.app import create_app
    from releasegate.api.auth import HashedTokenVerifier
    from releasegate.api.identity_auth import IdentityTokenVerifier
    from releasegate.api.observability import configure_json_logging
    from releasegate.cli.main import _application, _fail
    from releasegate.service.rollout_controller import BackgroundController

    try:
        application = _application(allow_remote=True)
        path = _tokens_path(tokens)
        background = BackgroundController(application) if controller else None
        server = create_app(
            application,
            IdentityTokenVerifier(application, HashedTokenVerifier(path)),
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
        _listen(server, host, port, workers, application.settings, path, max_upload_mb, log_level)
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
    path: Path,
    max_upload_mb: int,
    log_level: str,
) -> None:
    import os

    import uvicorn

    from releasegate.api.factory import LOG_LEVEL_VARIABLE

    if workers == 1:
        uvicorn.run(server, host=host, port=port, log_config=None, access_log=False)
    else:
        # Worker processes build their own application from the resolved settings.
        _export_settings(settings, path, max_upload_mb * 1024 * 1024)
        os.environ[LOG_LEVEL_VARIABLE] = log_level.upper()
        uvicorn.run(
            "releasegate.api.factory:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
        )


def _export_settings(settings: Settings, tokens: Path, max_upload_bytes: int) -> None:
    import os

    from releasegate.api.factory import TOKENS_VARIABLE, UPLOAD_VARIABLE

    os.environ["RELEASEGATE_HOME"] = str(settings.home)
    os.environ["RELEASEGATE_DATABASE_URL"] = settings.resolved_database_url
    os.environ["RELEASEGATE_BLOB_DIR"] = str(settings.resolved_blob_dir)
    os.environ["RELEASEGATE_CATALOG"] = str(settings.resolved_catalog)
    os.environ["RELEASEGATE_POLICY_DIR"] = str(settings.resolved_policy_dir)
    if settings.calendar is not None:
        os.environ["RELEASEGATE_CALENDAR"] = str(settings.calendar)
    os.environ[TOKENS_VARIABLE] = str(tokens.resolve())
    os.environ[UPLOAD_VARIABLE] = str(max_upload_bytes)


@token_app.command("create")
def token_create(
    identity: Annotated[str, typer.Argument(help="Identity the token acts as, e.g. dana.")],
    role: Annotated[
        list[str],
        typer.Option(help="viewer, submitter, approver, release-manager, admin or auditor."),
    ],
    name: Annotated[
        str | None, typer.Option(help="Name of the token (default: the identity).")
    ] = None,
    tokens: TokensOption = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.TABLE,
) -> None:
    """Create a token; it is printed once, and only its SHA-256 is stored."""
    from releasegate.api.auth import Role, add_token
    from releasegate.cli.main import _fail
    from releasegate.errors import InputError
    from releasegate.service.approvals import parse_identity

    try:
        who = parse_identity(identity, source="IDENTITY")
        try:
            roles = frozenset(Role(r) for r in role)
        except ValueError as exc:
            raise InputError(
                str(exc), source="--role", hint=f"use {', '.join(r.value for r in Role)}"
            ) from exc
        path = _tokens_path(tokens)
        token = add_token(path, identity=who, roles=roles, name=name or who)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json({"name": name or who, "identity": who, "roles": sorted(roles), "token": token})
        return
    console.print(f"token for {who} ({', '.join(sorted(roles))}), shown only now:")
    console.print(token, markup=False)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="Name of the token.")],
    tokens: TokensOption = None,
) -> None:
    """Remove a token; the server refuses it from the next request on."""
    from releasegate.api.auth import revoke_token
    from releasegate.cli.main import _fail

    try:
        revoke_token(_tokens_path(tokens), name)
    except ReleasegateError as error:
        _fail(error)
    console.print(f"token {name} revoked")
