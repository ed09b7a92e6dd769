"""The `releasegate` command.

Exit codes: 0 allowed or done, 1 denied or a failed check, 2 usage or input
error, 3 pending approval. Service modules are imported inside each command
so that `releasegate --help` stays fast.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, NoReturn

import typer

from releasegate.cli.analyze import analyze_app
from releasegate.cli.calendar import calendar_app
from releasegate.cli.evidence import (
    KeyOption,
    TrustedRootOption,
    inspect_command,
    scan_app,
    verification_context,
    verify_commits_command,
)
from releasegate.cli.output import OutputFormat, console, emit_json, error_console, styled, table
from releasegate.errors import LedgerIntegrityError, ReleasegateError

if TYPE_CHECKING:
    from releasegate.client.interface import Client
    from releasegate.model import Decision
    from releasegate.service.app import Application

EXIT_OK = 0
EXIT_DENIED = 1
EXIT_USAGE = 2
EXIT_PENDING = 3

app = typer.Typer(
    name="releasegate",
    help="Release control plane for regulated finance: risk, policy, approvals, ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: formatting it with rich would import rich on every --help.
    rich_markup_mode=None,
)
release_app = typer.Typer(help="Create and inspect releases.", no_args_is_help=True)
evidence_app = typer.Typer(help="Attach evidence to a release.", no_args_is_help=True)
exception_app = typer.Typer(help="Request and decide exceptions.", no_args_is_help=True)
app.add_typer(release_app, name="release")
app.add_typer(evidence_app, name="evidence")
app.add_typer(exception_app, name="exception")
app.add_typer(calendar_app, name="calendar")
app.add_typer(analyze_app, name="analyze")
app.add_typer(scan_app, name="scan")
evidence_app.command("inspect")(inspect_command)
evidence_app.command("verify-commits")(verify_commits_command)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]


class _State:
    """Global options of the current invocation, set by the callback."""

    overrides: ClassVar[dict[str, Any]] = {}
    home: ClassVar[Path | None] = None
    opened: ClassVar[list[Application]] = []
    token: ClassVar[str | None] = None


def _opened(application: Application) -> Application:
    """Remember an application so that its database connections close with the command."""
    _State.opened.append(application)
    return application


def _close_opened() -> None:
    while _State.opened:
        _State.opened.pop().close()


def _application(*, allow_remote: bool = False, reason: str | None = None) -> Application:
    """Build the in-process application, or raise when RELEASEGATE_URL names a server.

    Commands without an HTTP transport run only in process, for `reason`.
    They must not quietly use a local folder when the user meant the server.
    """
    from releasegate.client import URL_VARIABLE, remote_url
    from releasegate.errors import ConfigurationError
    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    if remote_url() and not allow_remote:
        because = f" ({reason})" if reason else ""
        raise ConfigurationError(
            f"this command runs only in process{because}, but {URL_VARIABLE} is set",
            hint=f"unset {URL_VARIABLE} to run it in the working folder",
        )
    settings = load_settings(home=_State.home, overrides=_State.overrides)
    application = _opened(Application(settings))
    application.database.require_schema()
    return application


def _client() -> Client:
    """Return a client of the server's API when RELEASEGATE_URL is set, else an in-process one."""
    from releasegate.client import connect, remote_url

    return connect(None if remote_url() else _application())


def _in_process(client: Client) -> Application | None:
    """Return the application behind an in-process client, or None over HTTP."""
    from releasegate.client.local import LocalClient

    return client.application if isinstance(client, LocalClient) else None


def _acting(
    client: Client, as_value: str | None, *, option: str = "--as"
) -> tuple[str, dict[str, Any] | None]:
    """Return the acting identity and, when there is one, the ledger record of its credential.

    In process, this function verifies the credential in --token. Over HTTP,
    the server verifies RELEASEGATE_TOKEN and acts as its identity, so --as
    may only confirm that identity.
    """
    application = _in_process(client)
    if application is not None:
        from releasegate.cli.identity import acting_identity

        return acting_identity(application, as_value, option=option)
    return client.check_identity(as_value), None


def _fail(error: ReleasegateError, output: OutputFormat = OutputFormat.TABLE) -> NoReturn:
    """Print the error (also as JSON on stdout under --output json) and exit 1 or 2."""
    from rich.markup import escape

    code = EXIT_DENIED if isinstance(error, LedgerIntegrityError) else EXIT_USAGE
    if output is OutputFormat.JSON:
        emit_json(
            {"error": {"type": type(error).__name__, "message": error.message,
                       "hint": error.hint, "exit_code": code}}
        )
    error_console.print(f"[bold red]error:[/bold red] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        error_console.print(f"[dim]hint:[/dim] {escape(error.hint)}", soft_wrap=True)
    raise typer.Exit(code)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="Working folder (default: current folder or RELEASEGATE_HOME)."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy database URL.")
    ] = None,
    catalog: Annotated[Path | None, typer.Option(help="Service catalog YAML file.")] = None,
    policy_dir: Annotated[
        Path | None, typer.Option("--policy-dir", help="Folder with the policy layers.")
    ] = None,
    calendar: Annotated[
        Path | None, typer.Option(help="Calendar YAML file (freezes, windows, legal entities).")
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logs.")] = 0,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="RELEASEGATE_TOKEN",
            show_envvar=True,
            help="Credential of the acting identity: a personal API token or an OIDC ID "
            "token. When given, commands act as its identity instead of --as.",
        ),
    ] = None,
) -> None:
    """Release control plane for regulated finance."""
    ctx.call_on_close(_close_opened)
    _State.home = home
    _State.token = token
    _State.overrides = {
        "database_url": database_url,
        "catalog": catalog,
        "policy_dir": policy_dir,
        "calendar": calendar,
    }
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


# init ---------------------------------------------------------------------


@app.command()
def init(
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create the state folder, the database schema and the ledger's log key.

    Always runs in process on the working folder, also when RELEASEGATE_URL is set.
    """
    from releasegate.service.app import Application
    from releasegate.service.ledger import initialise_ledger
    from releasegate.settings import load_settings

    try:
        settings = load_settings(home=_State.home, overrides=_State.overrides)
        application = _opened(Application(settings))
        application.settings.state_dir.mkdir(parents=True, exist_ok=True)
        application.database.initialise()
        ledger_key = initialise_ledger(application)
    except ReleasegateError as error:
        _fail(error, output)
    result = {
        "database": settings.resolved_database_url,
        "blobs": str(settings.resolved_blob_dir),
        "catalog": str(settings.resolved_catalog),
        "policies": str(settings.resolved_policy_dir),
        "ledger_origin": ledger_key.origin,
        "ledger_public_key": str(ledger_key.public_key_file),
    }
    if output is OutputFormat.JSON:
        emit_json(result)
    else:
        console.print(
            table(
                "releasegate initialised", ["setting", "value"], [[k, v] for k, v in result.items()]
            )
        )


# release ------------------------------------------------------------------


def _release_dict(release: Any) -> dict[str, Any]:
    return {
        "id": release.id,
        "status": release.status.value,
        "created_at": release.created_at.isoformat(),
        "manifest_sha256": release.manifest_sha256,
        **release.manifest.model_dump(mode="json"),
    }


@release_app.command("create")
def release_create(
    manifest: Annotated[Path, typer.Argument(help="Release manifest (YAML or JSON).")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a release from a manifest."""
    from releasegate.service.releases import load_manifest

    try:
        release = _client().create_release(load_manifest(manifest), source=str(manifest))
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(_release_dict(release))
        return
    m = release.manifest
    console.print(
        table(
            f"release {release.id} created",
            ["field", "value"],
            [
                ["service", m.service],
                ["version", m.version],
                ["change type", m.change_type.value],
                ["source commit", m.source_commit],
                ["artifacts", "\n".join(f"{a.name} {a.digest}" for a in m.artifacts)],
                ["authors", ", ".join(m.authors)],
                ["requester", m.requester],
            ],
        )
    )


@release_app.command("show")
def release_show(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a release with its evidence, approvals and decisions."""
    try:
        client = _client()
        release = client.get_release(release_id)
        evidence = client.list_evidence(release.id)
        approvals = client.list_approvals(release.id)
        decisions = client.list_decisions(release.id)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(
            {
                **_release_dict(release),
                "evidence": [r.model_dump(mode="json") for r in evidence],
                "approvals": [a.model_dump(mode="json") for a in approvals],
                "decisions": [
                    {
                        "id": d.id,
                        "environment": d.environment,
                        "outcome": d.outcome.value,
                        "evaluated_at": d.evaluated_at.isoformat(),
                        "policy_revision": d.policy_revision,
                    }
                    for d in decisions
                ],
            }
        )
        return
    m = release.manifest
    console.print(
        table(
            f"release {release.id}",
            ["field", "value"],
            [
                ["service", m.service],
                ["version", m.version],
                ["status", styled(release.status.value)],
                ["change type", m.change_type.value],
                ["description", m.description],
                ["source commit", m.source_commit],
                ["artifacts", "\n".join(f"{a.name} {a.digest}" for a in m.artifacts)],
                ["authors", ", ".join(m.authors)],
            ],
        )
    )
    console.print(
        table(
            "evidence",
            ["id", "kind", "format", "file", "summary", "sha256"],
            [
                [
                    r.id,
                    r.kind.value,
                    r.format,
                    r.filename,
                    ", ".join(f"{k}={v}" for k, v in r.summary.items()),
                    r.sha256[:16],
                ]
                for r in evidence
            ],
        )
    )
    console.print(
        table(
            "approvals",
            ["id", "approver", "decision", "expires"],
            [[a.id, a.approver, a.decision.value, a.expires_at.isoformat()] for a in approvals],
        )
    )
    console.print(
        table(
            "decisions",
            ["id", "environment", "outcome", "evaluated"],
            [
                [d.id, d.environment, styled(d.outcome.value), d.evaluated_at.isoformat()]
                for d in decisions
            ],
        )
    )


@release_app.command("list")
def release_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Most recent N releases.")] = 50,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List recent releases, newest first."""
    try:
        releases = _client().list_releases(service=service, limit=limit)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json([_release_dict(r) for r in releases])
        return
    console.print(
        table(
            "releases",
            ["id", "service", "version", "change type", "status", "created"],
            [
                [
                    r.id,
                    r.manifest.service,
                    r.manifest.version,
                    r.manifest.change_type.value,
                    styled(r.status.value),
                    r.created_at.isoformat(timespec="seconds"),
                ]
                for r in releases
            ],
        )
    )


# evidence -----------------------------------------------------------------


@evidence_app.command("add")
def evidence_add(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    path: Annotated[
        Path,
        typer.Argument(help="Evidence file (see `releasegate evidence inspect` for formats)."),
    ],
    format: Annotated[
        str | None, typer.Option("--format", help="Force a format instead of detecting it.")
    ] = None,
    commit: Annotated[
        str | None, typer.Option(help="Source commit the evidence was produced from.")
    ] = None,
    key: KeyOption = None,
    trusted_root: TrustedRootOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Parse an evidence file and attach it to a release."""
    try:
        client = _client()
        application = _in_process(client)
        submitted_by = None
        if _State.token and application is not None:
            from releasegate.identity.auth import authenticate

            submitted_by = authenticate(application, _State.token).record()
        context = verification_context(key, trusted_root)
        record = client.add_evidence(
            release_id,
            path,
            format=format,
            commit=commit,
            submitted_by=submitted_by,
            context=context,
        )
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(record.model_dump(mode="json"))
        return
    console.print(
        table(
            f"evidence {record.id} attached to {record.release_id}",
            ["field", "value"],
            [
                ["file", record.filename],
                ["format", record.format],
                ["kind", record.kind.value],
                ["sha256", record.sha256],
                ["commit", record.commit or "(none)"],
                *[[k, v] for k, v in record.summary.items()],
            ],
        )
    )


# approvals ----------------------------------------------------------------


@app.command()
def approve(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    identity: Annotated[
        str | None,
        typer.Option("--as", help="Identity of the approver; taken from --token when given."),
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Record a rejection instead.")] = False,
    comment: Annotated[str | None, typer.Option(help="Free-text comment.")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Role the approval is given in: engineering, business_control, cab "
                     "or security (needed when the approver holds several)."),
    ] = None,
    digest: Annotated[
        list[str] | None,
        typer.Option(help="Artifact digest the approver reviewed (repeat for each); must be "
                     "the release's digests."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Approve (or reject) a release as an identity.

    NOTE: in process without --token the identity is taken from --as as
    given; the embedded mode trusts the operator of the working folder. Over
    HTTP (RELEASEGATE_URL) the server acts as the identity of RELEASEGATE_TOKEN,
    and --as, when given, must name it.
    """
    from releasegate.model import ApprovalDecision

    decision = ApprovalDecision.REJECT if reject else ApprovalDecision.APPROVE
    try:
        client = _client()
        who, credential = _acting(client, identity)
        approval = client.record_approval(
            release_id,
            approver=who,
            decision=decision,
            comment=comment,
            role=role,
            digests=None if digest is None else tuple(digest),
            authenticated=credential,
        )
        groups = client.groups_of(approval.approver, approval.token_groups)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json({**approval.model_dump(mode="json"), "groups": list(groups)})
        return
    console.print(
        table(
            f"{approval.decision.value} recorded",
            ["approval", "release", "approver", "role", "groups", "policy revision", "expires"],
            [
                [
                    approval.id,
                    approval.release_id,
                    approval.approver,
                    approval.role or "(none)",
                    ", ".join(groups) or "(none)",
                    approval.policy_revision[:12],
                    approval.expires_at.isoformat(timespec="minutes"),
                ]
            ],
        )
    )


# exceptions ---------------------------------------------------------------

_DURATION = re.compile(r"^(\d+)([dhm])$")


def _parse_duration(value: str) -> timedelta:
    match = _DURATION.match(value.strip())
    if not match:
        raise typer.BadParameter("use a number and a unit: 7d, 48h or 90m")
    amount, unit = int(match.group(1)), match.group(2)
    if amount > {"d": 3650, "h": 3650 * 24, "m": 3650 * 24 * 60}[unit]:
        raise typer.BadParameter("use at most ten years (3650d)")
    return {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def _exception_rows(items: list[Any]) -> list[list[Any]]:
    return [
        [
            e.id,
            e.control_id,
            e.scope.service,
            e.scope.release_id or "(all)",
            e.scope.finding or "(all)",
            e.requester,
            e.approver or "",
            styled(e.status.value),
            e.expires_at.isoformat(timespec="minutes"),
        ]
        for e in items
    ]


_EXCEPTION_COLUMNS = [
    "id",
    "control",
    "service",
    "release",
    "finding",
    "requester",
    "approver",
    "status",
    "expires",
]


@exception_app.command("request")
def exception_request(
    control: Annotated[str, typer.Option(help="Control to waive, e.g. VUL-1.")],
    justification: Annotated[str, typer.Option(help="Why the risk is acceptable.")],
    expires_in: Annotated[str, typer.Option("--expires-in", help="Duration: 7d, 48h or 90m.")],
    release_id: Annotated[str | None, typer.Option("--release", help="Scope: one release.")] = None,
    service: Annotated[str | None, typer.Option(help="Scope: a whole service.")] = None,
    finding: Annotated[
        str | None, typer.Option(help="Scope: one finding (rule id, CVE id or fingerprint).")
    ] = None,
    compensating: Annotated[
        list[str] | None, typer.Option(help="A compensating control (repeat the option).")
    ] = None,
    digest: Annotated[
        str | None, typer.Option(help="Scope: one artifact digest of the release.")
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option("--as", help="Identity of the requester; taken from --token when given."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Request a time-bound exception; someone else must approve it."""
    try:
        duration = _parse_duration(expires_in)
    except typer.BadParameter as exc:
        error_console.print(f"[bold red]error:[/bold red] --expires-in {expires_in!r}: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    try:
        client = _client()
        who, _ = _acting(client, identity)
        exception = client.request_exception(
            control_id=control,
            requester=who,
            justification=justification,
            expires_in=duration,
            release_id=release_id,
            service=service,
            finding=finding,
            compensating_controls=tuple(compensating or ()),
            artifact_digest=digest,
        )
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(exception.model_dump(mode="json"))
        return
    console.print(table("exception requested", _EXCEPTION_COLUMNS, _exception_rows([exception])))


def _decide(
    exception_id: str, identity: str | None, approve: bool, output: OutputFormat
) -> None:
    try:
        client = _client()
        who, _ = _acting(client, identity)
        exception = client.decide_exception(exception_id, approver=who, approve=approve)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(exception.model_dump(mode="json"))
        return
    console.print(
        table(
            f"exception {exception.status.value}", _EXCEPTION_COLUMNS, _exception_rows([exception])
        )
    )


@exception_app.command("approve")
def exception_approve(
    exception_id: Annotated[str, typer.Argument(help="Exception id.")],
    identity: Annotated[
        str | None,
        typer.Option("--as", help="Identity of the approver; taken from --token when given."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Approve a requested exception."""
    _decide(exception_id, identity, True, output)


@exception_app.command("reject")
def exception_reject(
    exception_id: Annotated[str, typer.Argument(help="Exception id.")],
    identity: Annotated[
        str | None,
        typer.Option("--as", help="Identity of the approver; taken from --token when given."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Reject a requested exception."""
    _decide(exception_id, identity, False, output)


@exception_app.command("revoke")
def exception_revoke(
    exception_id: Annotated[str, typer.Argument(help="Exception id.")],
    reason: Annotated[str, typer.Option(help="Why the exception no longer applies.")],
    identity: Annotated[
        str | None,
        typer.Option("--as", help="Identity revoking the exception; taken from --token."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Revoke an exception; it waives nothing from the next evaluation on."""
    try:
        client = _client()
        who, _ = _acting(client, identity)
        exception = client.revoke_exception(exception_id, identity=who, reason=reason)
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(exception.model_dump(mode="json"))
        return
    console.print(table("exception revoked", _EXCEPTION_COLUMNS, _exception_rows([exception])))


@exception_app.command("list")
def exception_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    state: Annotated[
        str | None,
        typer.Option(help="Only exceptions in this state: requested, active, expired, "
                     "rejected or revoked."),
    ] = None,
    expiring_within: Annotated[
        str, typer.Option("--expiring-within", help="Mark active exceptions that expire "
                          "within this duration as expiring soon: 7d, 48h or 90m.")
    ] = "7d",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Print the exception register: state now, scope, who requested and approved, when."""
    from releasegate.service.exception_register import STATES

    if state is not None and state not in STATES:
        _fail(
            ReleasegateError(f"--state: unknown state {state!r}", hint=f"use one of: "
                             f"{', '.join(STATES)}"),
            output,
        )
    try:
        window = _parse_duration(expiring_within)
    except typer.BadParameter as exc:
        error_console.print(f"[bold red]error:[/bold red] --expiring-within: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    try:
        entries = _client().exception_register(
            service=service, state=state, expiring_within=window
        )
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json([e.document() for e in entries])
        return
    console.print(
        table(
            "exception register",
            ["id", "control", "state", "scope", "requester", "approver", "requested", "decided",
             "expires"],
            [
                [
                    e.exception.id,
                    e.exception.control_id,
                    e.state + (" (expiring soon)" if e.expiring_soon else ""),
                    _scope_text(e.exception.scope),
                    e.exception.requester,
                    e.exception.approver or "",
                    e.exception.requested_at.isoformat(timespec="minutes"),
                    e.exception.decided_at.isoformat(timespec="minutes")
                    if e.exception.decided_at else "",
                    e.exception.expires_at.isoformat(timespec="minutes"),
                ]
                for e in entries
            ],
        )
    )


def _scope_text(scope: Any) -> str:
    parts = [f"service {scope.service}"]
    if scope.release_id:
        parts.append(f"release {scope.release_id}")
    if scope.artifact_digest:
        parts.append(f"digest {scope.artifact_digest}")
    if scope.finding:
        parts.append(f"finding {scope.finding}")
    return ", ".join(parts)


# gate ---------------------------------------------------------------------


def print_decision(decision: Decision) -> None:
    risk = decision.risk
    header = (
        f"release {decision.release_id} -> {decision.environment}: {styled(decision.outcome.value)}"
    )
    console.print(header)
    if risk is not None:
        console.print(
            table(
                f"risk tier {risk.tier.value} (score {risk.score})",
                ["factor", "points", "reason"],
                [[c.factor, c.points, c.reason] for c in risk.contributions],
            )
        )
    rows = []
    for result in decision.results:
        reasons = "\n".join(
            f"{v.msg} (waived by {v.waived_by})" if v.waived_by else v.msg
            for v in result.violations
        )
        fix = result.remediation if result.outcome.value in ("fail", "error") else ""
        rows.append(
            [
                result.control_id,
                result.title,
                "yes" if result.blocking else "no",
                styled(result.outcome.value),
                reasons,
                fix,
            ]
        )
    console.print(
        table("controls", ["control", "title", "blocks", "result", "reasons", "fix"], rows)
    )
    for warning in decision.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(
        f"[dim]decision {decision.id}, policy revision {decision.policy_revision[:12]}, "
        f"input sha256 {decision.input_sha256[:12]}[/dim]"
    )


def decision_exit_code(decision: Decision) -> int:
    return {"allow": EXIT_OK, "deny": EXIT_DENIED, "pending": EXIT_PENDING}[decision.outcome.value]


@app.command()
def gate(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    env: Annotated[str, typer.Option("--env", help="Target environment.")] = "production",
    at: Annotated[
        str | None,
        typer.Option(help="Planned deployment time, RFC 3339 with an offset (default: now)."),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option(
            help="Expected rollout duration: 90m, 2h or 1d "
            "(default: the rollout_duration_minutes setting)."
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Ask the gate whether a release may go to an environment (exit 0, 1 or 3)."""
    from releasegate.cli.calendar import parse_duration_option, parse_time_option
    try:
        decision = _client().evaluate_gate(
            release_id,
            env,
            at=parse_time_option(at, "--at"),
            duration=parse_duration_option(duration, "--duration"),
        )
    except ReleasegateError as error:
        _fail(error, output)
    if output is OutputFormat.JSON:
        emit_json(decision.model_dump(mode="json"))
    else:
        print_decision(decision)
    raise typer.Exit(decision_exit_code(decision))


# demo ---------------------------------------------------------------------


@app.command()
def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="Folder to run in (default: a new temporary folder).")
    ] = None,
    examples: Annotated[
        Path | None, typer.Option(help="The examples folder (default: the one beside the source).")
    ] = None,
) -> None:
    """Run a payments release from denied to allowed on the sample organisation.

    Always runs in process in its own folder, also when RELEASEGATE_URL is set.
    """
    from releasegate.cli.demo import run_demo

    try:
        code = run_demo(workdir=workdir, examples=examples)
    except ReleasegateError as error:
        _fail(error)
    raise typer.Exit(code)


# ledger and audit ---------------------------------------------------------

from releasegate.cli.ledger import audit_app, ledger_app  # noqa: E402

app.add_typer(ledger_app, name="ledger")
app.add_typer(audit_app, name="audit")

# policy, controls and decisions --------------------------------------------

from releasegate.cli.policy import controls_app, decision_app, policy_app  # noqa: E402

app.add_typer(policy_app, name="policy")
app.add_typer(controls_app, name="controls")
app.add_typer(decision_app, name="decision")

# database --------------------------------------------------------------------

from releasegate.cli.db import db_app  # noqa: E402

app.add_typer(db_app, name="db")

# identities, tokens, emergency reviews and governance ------------------------

from releasegate.cli.governance import governance_app  # noqa: E402
from releasegate.cli.identity import (  # noqa: E402
    identity_app,
    review_app,
    token_app,
)
from releasegate.cli.records import register_record_commands  # noqa: E402

app.add_typer(identity_app, name="identity")
app.add_typer(token_app, name="token")
app.add_typer(review_app, name="review")
app.add_typer(governance_app, name="governance")
register_record_commands(release_app, evidence_app)

# rollouts -------------------------------------------------------------------

from releasegate.cli.rollout import rollout_app  # noqa: E402

app.add_typer(rollout_app, name="rollout")

# HTTP server ----------------------------------------------------------------

from releasegate.cli.serve import serve  # noqa: E402

app.command("serve")(serve)


EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        error_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: never a bare traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        error_console.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "hint: run again with -vv to see the traceback, and report it with the command used",
            markup=False,
        )
        sys.exit(EXIT_INTERNAL)

