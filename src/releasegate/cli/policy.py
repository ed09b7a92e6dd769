"""`releasegate policy`, `controls` and `decision` commands for policy authors and auditors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, styled, table
from releasegate.errors import ReleasegateError

policy_app = typer.Typer(help="Test, check and evaluate policy layers.", no_args_is_help=True)
controls_app = typer.Typer(
    help="The control catalog and its framework mapping.", no_args_is_help=True
)
decision_app = typer.Typer(help="Inspect and replay recorded decisions.", no_args_is_help=True)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]

FRAMEWORKS = {
    "sox": "SOX",
    "pci": "PCI",
    "dora": "DORA",
    "iso27001": "ISO/IEC 27001",
    "nist": "NIST",
    "soc2": "SOC 2",
}


def _cli() -> Any:
    from releasegate.cli import main

    return main


def _rego_sources(folder: Path) -> list[tuple[str, str]]:
    return [
        (f"{folder.name}/{p.relative_to(folder).as_posix()}", p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.rego"))
    ]


@policy_app.command("test")
def policy_test(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of Rego modules and tests (default: the layers and the built-in library)."
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run the Rego unit tests (`test_*` rules); exit 1 when any fails.

    Always runs in process on the folder given, also when RELEASEGATE_URL is
    set: policy authors test their working copy before proposing it.
    """
    from releasegate.policy.layers import BUILTIN_DIR, load_policy_set
    from releasegate.policy.testing import run_tests
    from releasegate.settings import load_settings

    main = _cli()
    try:
        settings = load_settings(home=main._State.home, overrides=main._State.overrides)
        policy = load_policy_set(settings.resolved_policy_dir, None)
        builtin = [
            (f"builtin/{p.relative_to(BUILTIN_DIR).as_posix()}", p.read_text(encoding="utf-8"))
            for p in sorted(BUILTIN_DIR.rglob("*.rego"))
        ]
        if folder is None:
            modules = builtin + _rego_sources(settings.resolved_policy_dir)
        else:
            if not folder.is_dir():
                raise ReleasegateError(
                    f"{folder} is not a folder", hint="name a folder of .rego files"
                )
            modules = [m for m in builtin if not m[0].endswith("_test.rego")] + _rego_sources(
                folder
            )
        results = run_tests(modules, policy.params)
    except ReleasegateError as error:
        main._fail(error, output)
    failed = [r for r in results if r.status != "pass"]
    if output is OutputFormat.JSON:
        emit_json([r.__dict__ for r in results])
    else:
        rows = [
            [r.file, r.rule, styled("pass" if r.status == "pass" else r.status), r.message]
            for r in results
            if r.status != "pass" or len(results) <= 400
        ]
        console.print(table("Rego tests", ["file", "test", "result", "message"], rows))
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if not results:
        console.print("[yellow]no test_ rules found[/yellow]")
        raise typer.Exit(1)
    raise typer.Exit(1 if failed else 0)


@policy_app.command("check")
def policy_check(
    service: Annotated[str | None, typer.Option(help="Only this service's layers.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Validate the layers for each service (syntax, tighten-only, parameter types)."""
    main = _cli()
    try:
        rows = main._client().check_policies(service)
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(rows)
        return
    console.print(
        table(
            "policy layers valid",
            ["service", "revision", "controls", "team packages"],
            [[r["service"], r["revision"], r["controls"], r["team_packages"]] for r in rows],
        )
    )


@policy_app.command("eval")
def policy_eval(
    input_file: Annotated[Path, typer.Option("--input", help="Policy input document (JSON).")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Evaluate an input document against the current layers; nothing is stored."""
    from releasegate.model.decision import ControlResult, DecisionOutcome
    from releasegate.service.policies import outcome_exit

    main = _cli()
    try:
        verdict = main._client().evaluate_input(input_file)
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(verdict)
    else:
        console.print(
            f"outcome {styled(verdict['outcome'])} "
            f"(policy revision {verdict['policy_revision'][:12]})"
        )
        console.print(_results_table([ControlResult.model_validate(r) for r in verdict["results"]]))
    raise typer.Exit(outcome_exit(DecisionOutcome(verdict["outcome"])))


def _results_table(results: Any) -> Any:
    return table(
        "controls",
        ["control", "blocks", "mode", "result", "reasons"],
        [
            [
                r.control_id,
                "yes" if r.blocking else "no",
                r.mode,
                styled(r.outcome.value),
                "\n".join(v.msg for v in r.violations),
            ]
            for r in results
        ],
    )


def _matches(frameworks: tuple[str, ...], wanted: str | None) -> bool:
    if wanted is None:
        return True
    needle = FRAMEWORKS[wanted].lower()
    return any(needle in f.lower() for f in frameworks)


@controls_app.command("list")
def controls_list(
    framework: Annotated[
        str | None, typer.Option(help=f"Only controls mapped to: {', '.join(FRAMEWORKS)}.")
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="Include this service's application layer.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the controls with layer, blocking mode and framework mapping."""
    main = _cli()
    if framework is not None and framework not in FRAMEWORKS:
        main.error_console.print(
            f"[bold red]error:[/bold red] --framework {framework!r} is unknown; "
            f"use one of {', '.join(FRAMEWORKS)}"
        )
        raise typer.Exit(main.EXIT_USAGE)
    try:
        library = main._client().list_controls(service)
    except ReleasegateError as error:
        main._fail(error, output)
    fields = ("id", "title", "layer", "blocking", "mode", "frameworks")
    rows = [
        {k: c[k] for k in fields}
        for c in library
        if _matches(tuple(c["frameworks"]), framework)
    ]
    if output is OutputFormat.JSON:
        emit_json(rows)
        return
    console.print(
        table(
            f"{len(rows)} controls",
            ["id", "title", "layer", "blocks", "mode", "frameworks"],
            [
                [
                    r["id"],
                    r["title"],
                    r["layer"],
                    "yes" if r["blocking"] else "no",
                    r["mode"],
                    "; ".join(r["frameworks"]),
                ]
                for r in rows
            ],
        )
    )


@controls_app.command("show")
def controls_show(
    control_id: Annotated[str, typer.Argument(help="Control id, e.g. VUL-1.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one control: description, failure message, remediation and frameworks."""
    main = _cli()
    try:
        record = main._client().control_record(control_id)
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(record)
        return
    console.print(
        table(
            f"{record['id']}: {record['title']}",
            ["field", "value"],
            [
                ["layer", record["layer"]],
                ["blocks", "yes" if record["blocking"] else "no"],
                ["description", record["description"]],
                ["failure message", record["failure_msg"]],
                ["remediation", record["solution"]],
                ["frameworks", "\n".join(record["frameworks"])],
                ["parameters", record["parameters"] or "(defaults)"],
                ["source", record["source"]],
            ],
        )
    )


@decision_app.command("replay")
def decision_replay(
    decision_id: Annotated[str, typer.Argument(help="Decision id.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Re-evaluate a stored decision with its pinned policy revision; exit 1 if it differs."""
    main = _cli()
    try:
        replay = main._client().replay_decision(decision_id)
    except ReleasegateError as error:
        main._fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(replay)
    elif replay["same"]:
        console.print(
            f"[green]same verdict[/green]: {decision_id} replays as "
            f"{styled(replay['replayed'])} under revision "
            f"{replay['policy_revision'][:12]}, every control unchanged"
        )
    else:
        console.print(f"[bold red]verdict differs[/bold red] for {decision_id}:")
        for line in replay["differences"]:
            console.print(f"  - {line}")
    raise typer.Exit(0 if replay["same"] else 1)
