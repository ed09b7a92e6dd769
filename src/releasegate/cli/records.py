"""Release commands for new revisions and approvals, and evidence releasegate records itself.

`release update` and `release approvals` join the release group, and
`evidence control` and `evidence deployment` the evidence group; they are
registered from here to keep those groups' module small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from releasegate.cli.identity import AsOption, OutputOption, _fail, _main
from releasegate.cli.identity import record_command as _record
from releasegate.cli.output import OutputFormat, console, emit_json, table
from releasegate.errors import ReleasegateError


def release_update(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    manifest: Annotated[Path, typer.Argument(help="The new manifest (YAML or JSON).")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Replace a release's manifest with a new revision; earlier approvals lapse."""
    from releasegate.service.releases import load_manifest

    try:
        main = _main()
        client = main._client()
        actor, _ = main._acting(client, identity)
        release = client.update_release(
            release_id, load_manifest(manifest), source=str(manifest), identity=actor
        )
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(_main()._release_dict(release))
        return
    console.print(
        f"release {release.id} updated to commit {release.manifest.source_commit}; "
        "approvals given before no longer count"
    )


def release_approvals(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List every approval of a release: current, superseded or lapsed, and why."""
    try:
        rows = _main()._client().approval_history(release_id)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(rows)
        return
    console.print(
        table(
            f"approvals of {release_id}",
            ["id", "approver", "person", "decision", "role", "state", "why", "given"],
            [
                [
                    r["id"],
                    r["approver"],
                    r["person"] or "(unknown)",
                    r["decision"],
                    r["role"] or "",
                    r["state"],
                    "; ".join(r["lapsed_because"]),
                    r["created_at"],
                ]
                for r in rows
            ],
        )
    )


def evidence_control(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    name: Annotated[str, typer.Argument(help="Compensating control, e.g. enhanced_monitoring.")],
    detail: Annotated[str | None, typer.Option(help="How the control is in place.")] = None,
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Record that a compensating control is in place for a release (EMG-1)."""
    _record(
        release_id,
        kind="compensating_control",
        name=name,
        identity=identity,
        environment=None,
        detail=detail,
        output=output,
    )


def evidence_deployment(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    env: Annotated[str, typer.Option("--env", help="Environment deployed to.")] = "production",
    detail: Annotated[str | None, typer.Option(help="Pipeline run or change reference.")] = None,
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Record who triggers a deployment of the release (SOD-2 compares them with the authors)."""
    from releasegate.service.gate import parse_environment

    try:
        environment = parse_environment(env).value
    except ReleasegateError as error:
        _fail(error, output)
        return
    _record(
        release_id,
        kind="deployment",
        name=f"deploy-{environment}",
        identity=identity,
        environment=environment,
        detail=detail,
        output=output,
    )


def register_record_commands(release_app: typer.Typer, evidence_app: typer.Typer) -> None:
    release_app.command("update")(release_update)
    release_app.command("approvals")(release_approvals)
    evidence_app.command("control")(evidence_control)
    evidence_app.command("deployment")(evidence_deployment)
