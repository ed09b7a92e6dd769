"""`releasegate analyze`: analyse a change on its own, and optionally attach it to a release.

Each command prints its findings and exits 1 when one blocks, 0 otherwise,
and 2 for bad input. With `--release` it also keeps the files and the
normalized report as evidence of that release, recorded in the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, error_console, styled, table
from releasegate.errors import InputError, ReleasegateError

if TYPE_CHECKING:
    from releasegate.model.service import Service
    from releasegate.service.app import Application

analyze_app = typer.Typer(
    help="Analyse infrastructure plans, migrations, API and event schemas.", no_args_is_help=True
)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]
ReleaseOption = Annotated[
    str | None,
    typer.Option("--release", help="Attach the analysis to this release as evidence."),
]
ServiceOption = Annotated[
    str | None,
    typer.Option(
        "--service", help="Catalog service whose settings apply (dialect, topics, criticality)."
    ),
]

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2


def _settings_app() -> Application:
    from releasegate.cli.main import _opened, _State
    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    # Registered so that its database connections close when the command ends.
    return _opened(Application(load_settings(home=_State.home, overrides=_State.overrides)))


def _service(application: Application, name: str | None) -> Service | None:
    if name is None:
        return None
    catalog_path = application.settings.resolved_catalog
    if not catalog_path.is_file():
        raise InputError(
            f"--service {name} needs the catalog, and {catalog_path} does not exist",
            source="--service",
            hint="run the command in the working folder, or leave out --service",
        )
    service = application.catalog.service(name)
    if service is None:
        raise InputError(
            f"service {name!r} is not in the catalog",
            source="--service",
            hint="use a service name from catalog.yaml",
        )
    return service


def _attach(application: Application, release: str, **kwargs: Any) -> str:
    from releasegate.service.changes import attach_change_report

    application.database.require_schema()
    return attach_change_report(application, release, **kwargs).id


def _fail(error: ReleasegateError, output: OutputFormat) -> None:
    from rich.markup import escape

    if output is OutputFormat.JSON:
        emit_json(
            {
                "error": {
                    "type": type(error).__name__,
                    "message": error.message,
                    "hint": error.hint,
                    "exit_code": EXIT_USAGE,
                }
            }
        )
    error_console.print(f"[bold red]error:[/bold red] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        error_console.print(f"  hint: {escape(error.hint)}", soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


@analyze_app.command("migrations")
def analyze_migrations_command(
    paths: Annotated[list[Path], typer.Argument(help="Migration .sql files or folders, in order.")],
    dialect: Annotated[
        str | None,
        typer.Option(
            help="postgres, mysql, tsql or oracle (default: the catalog's, else postgres)."
        ),
    ] = None,
    runner_transaction: Annotated[
        str | None,
        typer.Option(
            help="none or per-file: whether the runner wraps each script in a transaction."
        ),
    ] = None,
    standalone: Annotated[
        bool, typer.Option(help="The release ships these scripts without application code.")
    ] = False,
    service: ServiceOption = None,
    release: ReleaseOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Classify migration statements and report locking and breaking ones (squawk's rules)."""
    from releasegate.analysis.migrations import (
        Dialect,
        RunnerTransaction,
        analyze_migrations,
        read_scripts,
        summary,
    )
    from releasegate.model import EvidenceKind

    attached = None
    try:
        application = _settings_app()
        entry = _service(application, service)
        settings = entry.migrations if entry is not None else None
        chosen_dialect = dialect or (settings.dialect if settings else "postgres")
        chosen_runner = runner_transaction or (settings.runner_transaction if settings else "none")
        try:
            parsed_dialect = Dialect(chosen_dialect)
            parsed_runner = RunnerTransaction(chosen_runner)
        except ValueError as error:
            raise InputError(
                str(error),
                source="--dialect/--runner-transaction",
                hint="dialect: postgres, mysql, tsql or oracle; runner: none or per-file",
            ) from None
        scripts = read_scripts(paths)
        report = analyze_migrations(
            scripts, dialect=parsed_dialect, runner_transaction=parsed_runner, standalone=standalone
        )
        if release is not None:
            files = [(Path(s.source).name, Path(s.source).read_bytes()) for s in scripts]
            attached = _attach(
                application,
                release,
                kind=EvidenceKind.MIGRATIONS,
                format="sql",
                report=report,
                files=files,
                summary=summary(report),
            )
    except ReleasegateError as error:
        _fail(error, output)
        return
    blocked = any(f.level.value == "error" for f in report.findings)
    if output is OutputFormat.JSON:
        emit_json(
            {
                "verdict": "fail" if blocked else "pass",
                "evidence_id": attached,
                **report.model_dump(mode="json"),
            }
        )
    else:
        for script in report.scripts:
            console.print(
                f"{script['name']}: {script['phase']}, "
                f"{'reversible' if script['reversible'] else 'no down step'}, "
                f"{len(script['operations'])} operations"
            )
        rows = [
            [f.subject, f.line, f.rule, styled(f.level.value), f.message] for f in report.findings
        ]
        if rows:
            console.print(table("Findings", ["script", "line", "rule", "level", "message"], rows))
        console.print(
            f"verdict: {styled('fail') if blocked else styled('pass')}"
            + (f" (attached as {attached})" if attached else "")
        )
    raise typer.Exit(EXIT_BLOCKED if blocked else EXIT_OK)


@analyze_app.command("plan")
def analyze_plan_command(
    plan: Annotated[Path, typer.Argument(help="Output of `terraform show -json PLANFILE`.")],
    region: Annotated[
        str | None,
        typer.Option(
            help="Region the provider takes from the environment when the plan names none."
        ),
    ] = None,
    environment: Annotated[str, typer.Option(help="Environment the plan is for.")] = "production",
    service: ServiceOption = None,
    release: ReleaseOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Normalize a Terraform plan and run the infrastructure guardrails IAC-1 to IAC-9 on it."""
    from releasegate.analysis.terraform import parse_plan, summary
    from releasegate.documents import read_bytes
    from releasegate.model import EvidenceKind
    from releasegate.service.analysis import evaluate_controls, policy_for

    attached = None
    try:
        application = _settings_app()
        entry = _service(application, service)
        raw = read_bytes(plan, what="plan")
        report = parse_plan(raw, source=str(plan), default_region=region)
        policy = policy_for(
            application.settings.resolved_policy_dir, service, application.settings.resolved_catalog
        )
        document = {**report.model_dump(mode="json"), "id": plan.name, "sha256": None}
        scope: dict[str, Any] = {
            "evidence": {"iac_plans": [document]},
            "service": entry,
            "environment": environment,
            "now": application.clock(),
            "prefix": "IAC-",
        }
        analysis = evaluate_controls(policy, **scope)
        results, details = analysis.results, analysis.findings
        if release is not None:
            attached = _attach(
                application,
                release,
                kind=EvidenceKind.IAC_PLAN,
                format="terraform-plan-json",
                report=report,
                files=[(plan.name, raw)],
                summary=summary(report),
            )
    except ReleasegateError as error:
        _fail(error, output)
        return
    blocked = any(r.blocking and r.outcome.value in ("fail", "error") for r in results)
    if output is OutputFormat.JSON:
        emit_json(
            {
                "verdict": "fail" if blocked else "pass",
                "evidence_id": attached,
                "plan": report.model_dump(mode="json"),
                "controls": [r.model_dump(mode="json") for r in results],
                "findings": details,
            }
        )
    else:
        resource_rows = [
            [r["address"], r["action"], r["category"], ", ".join(r.get("unknown", []))]
            for r in report.resources
        ]
        console.print(
            table(
                "Resources", ["address", "action", "category", "unknown until apply"], resource_rows
            )
        )
        control_rows = []
        for result in results:
            for violation in result.violations or ():
                control_rows.append(
                    [
                        result.control_id,
                        styled(result.outcome.value),
                        "yes" if result.blocking else "no",
                        violation.msg,
                    ]
                )
            if not result.violations:
                control_rows.append(
                    [
                        result.control_id,
                        styled(result.outcome.value),
                        "yes" if result.blocking else "no",
                        "",
                    ]
                )
        console.print(table("Guardrails", ["control", "result", "blocks", "finding"], control_rows))
        console.print(
            f"verdict: {styled('fail') if blocked else styled('pass')}"
            + (f" (attached as {attached})" if attached else "")
        )
    raise typer.Exit(EXIT_BLOCKED if blocked else EXIT_OK)


@analyze_app.command("openapi")
def analyze_openapi_command(
    base: Annotated[
        Path, typer.Argument(help="The published description (OpenAPI 3.x or Swagger 2.0).")
    ],
    revision: Annotated[Path, typer.Argument(help="The release's description.")],
    api: Annotated[
        str | None, typer.Option(help="Name of the API (default: the revision's info.title).")
    ] = None,
    published: Annotated[
        bool,
        typer.Option(
            help="Whether clients use the base description; --no-published for an internal draft."
        ),
    ] = True,
    release: ReleaseOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the changes from BASE to REVISION, each with a stable fingerprint; breaking ones block."""
    from releasegate.analysis.openapi import diff_descriptions, load_description, summary
    from releasegate.documents import read_bytes
    from releasegate.model import EvidenceKind

    attached = None
    try:
        application = _settings_app()
        base_raw = read_bytes(base, what="base description")
        revision_raw = read_bytes(revision, what="revision description")
        report = diff_descriptions(
            load_description(base_raw, source=str(base)),
            load_description(revision_raw, source=str(revision)),
            api=api,
            published=published,
            source=(str(base), str(revision)),
        )
        if release is not None:
            attached = _attach(
                application,
                release,
                kind=EvidenceKind.API_CHANGES,
                format="openapi",
                report=report,
                files=[(base.name, base_raw), (revision.name, revision_raw)],
                summary=summary(report),
            )
    except ReleasegateError as error:
        _fail(error, output)
        return
    blocked = _api_blocked(report.model_dump(mode="json"))
    if output is OutputFormat.JSON:
        emit_json(
            {
                "verdict": "fail" if blocked else "pass",
                "evidence_id": attached,
                **report.model_dump(mode="json"),
            }
        )
    else:
        rows = [
            [c["level"], c["operation"], c["path"], c["text"], c["fingerprint"]]
            for c in report.changes
        ]
        console.print(
            table(
                f"{report.api}: {report.base_version} to {report.revision_version}",
                ["level", "method", "path", "change", "fingerprint"],
                rows,
            )
        )
        console.print(
            f"verdict: {styled('fail') if blocked else styled('pass')}"
            + (f" (attached as {attached})" if attached else "")
        )
    raise typer.Exit(EXIT_BLOCKED if blocked else EXIT_OK)


def _api_blocked(report: dict[str, Any]) -> bool:
    """API-1's rule: a breaking change of a published API blocks unless the major version rises."""

    def major(version: Any) -> int | None:
        text = str(version or "").lstrip("vV").split(".")[0]
        return int(text) if text.isdigit() else None

    new, old = major(report.get("revision_version")), major(report.get("base_version"))
    new_major = new is not None and old is not None and new > old
    breaking = any(c["level"] == "breaking" for c in report["changes"])
    return breaking and report.get("published", True) is not False and not new_major


@analyze_app.command("schema")
def analyze_schema_command(
    new: Annotated[Path, typer.Argument(help="The release's schema (Avro .avsc or JSON Schema).")],
    previous: Annotated[
        list[Path],
        typer.Option("--previous", help="A registered version, oldest first; repeat for each."),
    ],
    subject: Annotated[
        str | None, typer.Option(help="Registry subject (default: TOPIC-value).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Topic the schema describes.")] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="Compatibility mode (default: the catalog's mode for the topic, else BACKWARD)."
        ),
    ] = None,
    schema_format: Annotated[
        str | None, typer.Option("--format", help="avro or json (default: detected).")
    ] = None,
    registry: Annotated[
        str | None, typer.Option(help="Schema registry the subject lives in.")
    ] = None,
    service: ServiceOption = None,
    release: ReleaseOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Check a new event schema against its registered versions under the topic's mode."""
    from releasegate.analysis.schemas import (
        Mode,
        SchemaFormat,
        check_compatibility,
        load_schema,
        subject_report,
    )
    from releasegate.documents import read_bytes
    from releasegate.model import EvidenceKind

    attached = None
    try:
        application = _settings_app()
        entry = _service(application, service)
        try:
            fmt = SchemaFormat(schema_format) if schema_format else None
            registry_mode = Mode(mode) if mode else None
        except ValueError as error:
            raise InputError(
                str(error),
                source="--format/--mode",
                hint="format: avro or json; mode: BACKWARD, FORWARD or FULL, optionally _TRANSITIVE",
            ) from None
        if registry_mode is None and entry is not None and topic in entry.event_topics:
            registry_mode = Mode(entry.event_topics[topic].compatibility)
        checked = registry_mode or Mode.BACKWARD
        raw_new = read_bytes(new, what="schema")
        fmt, parsed_new = load_schema(raw_new, source=str(new), format=fmt)
        raws = [(p.name, read_bytes(p, what="schema")) for p in previous]
        parsed_previous = [load_schema(raw, source=name, format=fmt)[1] for name, raw in raws]
        problems = check_compatibility(parsed_new, parsed_previous, format=fmt, mode=checked)
        name = subject or (f"{topic}-value" if topic else new.stem)
        report = subject_report(
            subject=name,
            topic=topic,
            format=fmt,
            registry_mode=registry_mode,
            checked_mode=checked,
            problems=problems,
            registry=registry,
        )
        if release is not None:
            attached = _attach(
                application,
                release,
                kind=EvidenceKind.EVENT_SCHEMAS,
                format=fmt.value,
                report=report,
                files=[*raws, (new.name, raw_new)],
                summary={"subjects": 1, "incompatible": int(bool(problems))},
            )
    except ReleasegateError as error:
        _fail(error, output)
        return
    blocked = bool(problems)
    if output is OutputFormat.JSON:
        emit_json(
            {
                "verdict": "fail" if blocked else "pass",
                "evidence_id": attached,
                **report.model_dump(mode="json"),
            }
        )
    else:
        console.print(
            f"{name} under {checked.value}: " + (styled("fail") if blocked else styled("pass"))
        )
        for problem in problems:
            console.print(f"  {problem}", soft_wrap=True)
        if attached:
            console.print(f"attached as {attached}")
    raise typer.Exit(EXIT_BLOCKED if blocked else EXIT_OK)
