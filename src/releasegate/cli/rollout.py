"""`releasegate rollout`: start, watch and steer progressive rollouts.

Service modules are imported inside each command so that `releasegate
--help` stays fast.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, styled, table
from releasegate.errors import InputError, ReleasegateError

rollout_app = typer.Typer(
    help="Start, watch, pause, resume, abort and promote progressive rollouts.",
    no_args_is_help=True,
)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]
ByOption = Annotated[str, typer.Option("--as", help="Identity that runs the command.")]

_EXIT = {
    "succeeded": 0,
    "running": 0,
    "paused": 3,
    "rolled_back": 1,
    "failed": 1,
    "rolling_back": 1,
}


def _main() -> Any:
    from releasegate.cli import main

    return main


def _target_config(
    kind: str,
    journal: Path | None,
    command: str | None,
    url: str | None,
    secret_env: str,
    namespace: str | None = None,
    name: str | None = None,
    simulator_seconds: float = 0.0,
) -> dict[str, Any]:
    if kind == "simulator":
        config: dict[str, Any] = {
            "kind": "simulator",
            "journal": str((journal or Path(".releasegate/simulator.jsonl")).resolve()),
        }
        if simulator_seconds:
            config["seconds"] = simulator_seconds
        return config
    if kind == "command":
        if not command:
            raise InputError(
                "the command target needs --target-command",
                source="--target",
                hint="pass --target-command './deploy.sh'",
            )
        return {"kind": "command", "command": shlex.split(command)}
    if kind == "webhook":
        if not url:
            raise InputError(
                "the webhook target needs --target-url",
                source="--target",
                hint="pass --target-url https://deploy.example/hook",
            )
        return {"kind": "webhook", "url": url, "secret_env": secret_env}
    if kind in ("kubernetes", "argo"):
        if not (url and namespace and name):
            raise InputError(
                f"the {kind} target needs --target-url, --namespace and --target-name",
                source="--target",
                hint="pass the API server URL ({region} picks the wave's cluster), the "
                "namespace and the Deployment or Rollout name",
            )
        return {"kind": kind, "url": url, "namespace": namespace, "name": name}
    raise InputError(
        f"unknown deploy target {kind!r}",
        source="--target",
        hint="use simulator, command, webhook, kubernetes or argo",
    )


def print_status(status: dict[str, Any]) -> None:
    console.print(
        f"rollout {status['id']} of release {status['release_id']}: "
        f"{styled(status['status'])} ({status['strategy']}, risk tier {status['risk_tier']})"
    )
    if status.get("reason"):
        console.print(f"  {status['reason']}", markup=False)
    rows = []
    for step in status["steps"]:
        where = step["environment"]
        if step["wave"]:
            where += f" wave {step['wave']} ({', '.join(step['regions'])})"
        detail = ""
        result = step.get("result") or {}
        for measurement in result.get("measurements", []):
            value = measurement.get("canary_mean")
            shown = f"{value:.4g}" if isinstance(value, (int, float)) else "-"
            if measurement["indicator"] == "canary-score":
                shown = str(measurement.get("score", "-"))
            shadow = " shadow" if measurement.get("shadow") else ""
            detail += f"{measurement['indicator']}={shown} {measurement['outcome']}{shadow}\n"
        if "error" in result:
            detail += str(result["error"])
        if "outcome" in result:
            detail += f"gate {result['outcome']}"
        rows.append(
            [
                step["seq"],
                step["kind"],
                where,
                "" if step["weight"] is None else f"{step['weight']}%",
                styled(step["status"]),
                detail.strip(),
            ]
        )
    console.print(table(None, ["#", "step", "where", "weight", "status", "indicators"], rows))


def _report(status: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        emit_json(status)
    else:
        print_status(status)


@rollout_app.command("start")
def rollout_start(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    target: Annotated[
        str, typer.Option(help="Deploy target: simulator, command, webhook, kubernetes or argo.")
    ] = "simulator",
    journal: Annotated[
        Path | None, typer.Option(help="Journal file of the simulator target.")
    ] = None,
    simulator_seconds: Annotated[
        float, typer.Option(help="Seconds each simulated deploy or rollback takes.", min=0)
    ] = 0.0,
    target_command: Annotated[
        str | None, typer.Option(help="Deploy command of the command target.")
    ] = None,
    target_url: Annotated[
        str | None, typer.Option(help="URL of the webhook target or the Kubernetes API server.")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option(help="Namespace of the Kubernetes Deployment or Rollout.")
    ] = None,
    target_name: Annotated[
        str | None, typer.Option(help="Name of the Kubernetes Deployment or Argo Rollout.")
    ] = None,
    secret_env: Annotated[
        str, typer.Option(help="Variable holding the webhook secret.")
    ] = "RELEASEGATE_WEBHOOK_SECRET",  # noqa: S107 - the variable's name, not a secret
    metrics: Annotated[
        str, typer.Option(help="Metric provider: prometheus:URL or synthetic:FILE.")
    ] = "",
    start_from: Annotated[
        str | None, typer.Option("--from", help="First environment of the rollout.")
    ] = None,
    time_scale: Annotated[
        float, typer.Option(help="Factor on bake and wait times (0 waits not at all).", min=0)
    ] = 1.0,
    lease_seconds: Annotated[
        float,
        typer.Option(
            help="Lease on a claimed step, in seconds; a crashed controller's step "
            "is claimed again after it expires.",
            min=1,
        ),
    ] = 300.0,
    at: Annotated[
        str | None,
        typer.Option(
            help="Planned start, RFC 3339: the gate steps check the change calendar at this "
            "time plus the time passed since the start (default: now)."
        ),
    ] = None,
    rehearsal: Annotated[
        bool, typer.Option(help="Mark as a rollback rehearsal (abort it in pre-production).")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="Show live progress until the rollout stops; in process this runs the "
            "controller here, over HTTP the server's controller runs it."
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Identity that starts the rollout (default: pipeline; over HTTP the token's).",
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Plan a rollout from the risk tier and catalog, and start it."""
    from releasegate.cli.calendar import parse_time_option
    from releasegate.rollout.providers.interface import parse_provider_option
    from releasegate.service.rollouts import RolloutConfig

    main = _main()
    try:
        if not metrics:
            raise InputError(
                "no metric provider given",
                source="--metrics",
                hint="pass prometheus:URL or synthetic:FILE",
            )
        config = RolloutConfig(
            target=_target_config(
                target,
                journal,
                target_command,
                target_url,
                secret_env,
                namespace,
                target_name,
                simulator_seconds,
            ),
            metrics=parse_provider_option(metrics),
            time_scale=time_scale,
            lease_seconds=lease_seconds,
            planned_start=parse_time_option(at, "--at"),
        )
        client = main._client()
        status = client.start_rollout(
            release_id,
            config=config,
            started_by=by,
            start_environment=start_from,
            rehearsal=rehearsal,
        )
        if wait:
            status = _watch(client, status["id"], output)
    except ReleasegateError as error:
        main._fail(error, output)
    _report(status, output)
    raise typer.Exit(_EXIT.get(status["status"], 0))


def _latest_values(status: dict[str, Any]) -> str:
    """Return the indicator values of the latest measured health step, one per line."""
    measured = [
        s
        for s in status["steps"]
        if s["kind"] == "health" and (s.get("result") or {}).get("measurements")
    ]
    if not measured:
        return ""
    lines = []
    for measurement in measured[-1]["result"]["measurements"]:
        value = measurement.get("canary_mean", measurement.get("score"))
        shown = f"{value:.4g}" if isinstance(value, (int, float)) else "-"
        lines.append(f"\n  {measurement['indicator']} = {shown} ({measurement['outcome']})")
    return "".join(lines)


def _watch(client: Any, rollout_id: str, output: OutputFormat) -> dict[str, Any]:
    """Follow the rollout until it stops: run the controller in process, or poll the server."""
    from rich.live import Live

    application = _main()._in_process(client)
    if output is OutputFormat.JSON:
        _follow(client, application, rollout_id, None)
        return client.rollout_status(rollout_id)  # type: ignore[no-any-return]
    with Live(console=console, refresh_per_second=4, transient=True) as live:

        def show(status: dict[str, Any]) -> None:
            done = sum(1 for s in status["steps"] if s["status"] in ("succeeded", "skipped"))
            current = next(
                (s for s in status["steps"] if s["status"] in ("pending", "running")), None
            )
            where = (
                ""
                if current is None
                else (
                    f" - {current['kind']} {current['environment']}"
                    + (f" wave {current['wave']}" if current["wave"] else "")
                    + (f" {current['weight']}%" if current["weight"] is not None else "")
                )
            )
            live.update(
                f"{status['status']}: {done}/{len(status['steps'])} steps{where}"
                + _latest_values(status)
            )

        _follow(client, application, rollout_id, show)
    return client.rollout_status(rollout_id)  # type: ignore[no-any-return]


# Seconds between status reads while following a rollout the server runs.
POLL_SECONDS = 0.5


def _follow(
    client: Any, application: Any, rollout_id: str, show: Callable[[dict[str, Any]], None] | None
) -> None:
    import time

    from releasegate.service.rollouts import ACTIVE

    if application is not None:
        from releasegate.service.rollouts import run_controller

        run_controller(application, rollout_id=rollout_id, progress=show)
        return
    # NOTE: a server started with --no-controller never advances the rollout, so this
    # loop waits until someone runs a controller against the server's database or aborts it.
    while True:
        status = client.rollout_status(rollout_id)
        if show is not None:
            show(status)
        if status["status"] not in ACTIVE:
            return
        time.sleep(POLL_SECONDS)


@rollout_app.command("run")
def rollout_run(
    rollout_id: Annotated[
        str | None, typer.Argument(help="Only this rollout (default: all).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Lease owner name (default: host:pid).")] = None,
    max_seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    forever: Annotated[bool, typer.Option(help="Keep polling when no rollout is active.")] = False,
) -> None:
    """Run the rollout controller: claim steps under a lease until no rollout is active."""
    from releasegate.client import URL_VARIABLE, remote_url
    from releasegate.errors import ConfigurationError
    from releasegate.service.rollouts import run_controller

    main = _main()
    try:
        if remote_url():
            raise ConfigurationError(
                f"'rollout run' is the controller loop and runs only in process, but "
                f"{URL_VARIABLE} is set; 'releasegate serve' runs a controller of its own",
                hint=f"unset {URL_VARIABLE} to run a controller on this machine against the "
                "database, or let the server's controller run the rollout",
            )
        count = run_controller(
            main._application(),
            owner=owner,
            rollout_id=rollout_id,
            until_idle=not forever,
            max_seconds=max_seconds,
        )
    except ReleasegateError as error:
        main._fail(error)
    console.print(f"{count} steps run")


@rollout_app.command("status")
def rollout_status_command(
    rollout_id: Annotated[str | None, typer.Argument(help="Rollout id.")] = None,
    release: Annotated[
        str | None, typer.Option(help="Show the latest rollout of this release.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a rollout's steps, weights and indicator values."""
    main = _main()
    try:
        client = main._client()
        if rollout_id is None:
            if release is None:
                raise InputError(
                    "give a rollout id or --release",
                    source="rollout status",
                    hint="for example: releasegate rollout status --release rel-...",
                )
            ids = [r["id"] for r in client.find_rollouts(release_id=release, state=None)]
            if not ids:
                from releasegate.errors import NotFoundError

                raise NotFoundError(
                    f"release {release} has no rollout",
                    hint="start one with 'releasegate rollout start'",
                )
            rollout_id = ids[-1]
        status = client.rollout_status(rollout_id)
    except ReleasegateError as error:
        main._fail(error, output)
    _report(status, output)
    raise typer.Exit(_EXIT.get(status["status"], 0))


def _operator(
    action: str, rollout_id: str, by: str, reason: str | None, output: OutputFormat
) -> None:
    main = _main()
    try:
        status = main._client().operate_rollout(action, rollout_id, by=by, reason=reason)
    except ReleasegateError as error:
        main._fail(error, output)
    _report(status, output)


@rollout_app.command("list")
def rollout_list(
    release: Annotated[str | None, typer.Option(help="Only rollouts of this release.")] = None,
    state: Annotated[
        str | None,
        typer.Option(
            help="Only rollouts in this state: running, paused, rolling_back, succeeded, "
            "rolled_back or failed."
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List rollouts, oldest first."""
    main = _main()
    try:
        rollouts = main._client().find_rollouts(release_id=release, state=state)
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(rollouts)
        return
    rows = [
        [r["id"], r["release_id"], r["service"], styled(r["status"]), r["updated_at"]]
        for r in rollouts
    ]
    console.print(table(None, ["rollout", "release", "service", "status", "updated"], rows))


@rollout_app.command("pause")
def rollout_pause(
    rollout_id: Annotated[str, typer.Argument(help="Rollout id.")],
    by: ByOption,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Pause a running rollout before its next step."""
    _operator("pause", rollout_id, by, reason, output)


@rollout_app.command("resume")
def rollout_resume(
    rollout_id: Annotated[str, typer.Argument(help="Rollout id.")],
    by: ByOption,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Resume a paused rollout; its current step (gate or health gate) runs again."""
    _operator("resume", rollout_id, by, None, output)


@rollout_app.command("promote")
def rollout_promote(
    rollout_id: Annotated[str, typer.Argument(help="Rollout id.")],
    by: ByOption,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Accept the step a paused rollout waits on (an inconclusive health gate) and continue."""
    _operator("promote", rollout_id, by, None, output)


@rollout_app.command("abort")
def rollout_abort(
    rollout_id: Annotated[str, typer.Argument(help="Rollout id.")],
    by: ByOption,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Abort a rollout and roll back the environment being rolled out."""
    _operator("abort", rollout_id, by, reason, output)


@rollout_app.command("dr-test")
def rollout_dr_test(
    path: Annotated[Path, typer.Argument(help="Disaster recovery test result (JSON).")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Record a disaster recovery test result, read by RES-2."""
    from releasegate.documents import read_bytes, validate
    from releasegate.rollout.resilience import DisasterRecoveryTest

    main = _main()
    try:
        raw = read_bytes(path, what="disaster recovery test")
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise InputError(
                f"invalid JSON: {exc}", source=str(path), hint="write the result as one JSON object"
            ) from exc
        # Checked here too, so that a mistake names the file whichever transport runs.
        validate(DisasterRecoveryTest, document, source=str(path))
        record = main._client().record_dr_test(document, source=str(path))
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(record)
    else:
        console.print(
            table(
                f"disaster recovery test {record['id']} recorded",
                ["field", "value"],
                [[k, v] for k, v in record.items() if k != "id"],
            )
        )
