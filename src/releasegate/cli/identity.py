"""Commands for identities, API tokens, emergency records and post-release reviews.

Every command that acts for someone takes the acting identity from the
credential in --token (or RELEASEGATE_TOKEN) when one is given, and from
--as otherwise. With both, they must name the same person.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, styled, table
from releasegate.errors import InputError, PermissionDeniedError, ReleasegateError

if TYPE_CHECKING:
    from releasegate.service.app import Application

identity_app = typer.Typer(help="Show people, their aliases and roles.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke personal API tokens.", no_args_is_help=True)
review_app = typer.Typer(help="Post-release reviews of emergency changes.", no_args_is_help=True)

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Acting identity; taken from --token when one is given."),
]


def _main() -> Any:
    from releasegate.cli import main

    return main


def acting_identity(
    application: Application, as_value: str | None, *, option: str = "--as"
) -> tuple[str, dict[str, Any] | None]:
    """Return who acts and, when a credential was verified, its ledger record."""
    from releasegate.identity.auth import authenticate

    token = _main()._State.token
    if token:
        principal = authenticate(application, token)
        if principal.person is None:
            raise PermissionDeniedError(
                f"the token identifies the CI workload {principal.identity}, which is not a "
                "person, so it may not approve, decide, review or propose",
                hint="act with a personal API token or your own OIDC token",
            )
        if as_value is not None:
            directory = application.directory
            same = as_value.casefold() == principal.identity.casefold() or (
                principal.person is not None and directory.person_id(as_value) == principal.person
            )
            if not same:
                raise PermissionDeniedError(
                    f"{option} {as_value} is not the identity of the token ({principal.identity})",
                    hint=f"omit {option}, or use a token of {as_value}",
                )
        return principal.identity, principal.record()
    if as_value is None:
        raise InputError(
            "no acting identity",
            source=option,
            hint=f"pass {option} NAME, or a credential with --token or RELEASEGATE_TOKEN",
        )
    return as_value, None


def _fail(error: ReleasegateError, output: OutputFormat) -> None:
    _main()._fail(error, output)


# identity -----------------------------------------------------------------


@identity_app.command("show")
def identity_show(
    alias: Annotated[str, typer.Argument(help="Any alias: user name, e-mail, IdP subject.")],
    service: Annotated[
        str | None, typer.Option(help="Show the approval roles for this service too.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show the person behind an alias, with their aliases, groups and roles."""
    try:
        result = _main()._client().show_identity(alias, service)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(result)
        return
    console.print(
        table(
            f"person {result['person']}",
            ["field", "value"],
            [[k, ", ".join(v) if isinstance(v, list) else v] for k, v in result.items()],
        )
    )


@identity_app.command("list")
def identity_list(output: OutputOption = OutputFormat.TABLE) -> None:
    """List every known person."""
    try:
        rows = _main()._client().list_identities()
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(rows)
        return
    console.print(
        table(
            "people",
            ["person", "name", "aliases", "groups", "roles"],
            [
                [
                    r["person"],
                    r["name"] or "",
                    ", ".join(r["aliases"]),
                    ", ".join(r["groups"]),
                    ", ".join(r["roles"]),
                ]
                for r in rows
            ],
        )
    )


@identity_app.command("whoami")
def identity_whoami(output: OutputOption = OutputFormat.TABLE) -> None:
    """Verify the credential in --token or RELEASEGATE_TOKEN and show who it is."""
    try:
        record = _main()._client().credential_record(_main()._State.token)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(record)
        return
    console.print(table("authenticated", ["field", "value"], [[k, v] for k, v in record.items()]))


# tokens -------------------------------------------------------------------


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Where the token is used, e.g. 'laptop'.")],
    expires_in: Annotated[
        str, typer.Option("--expires-in", help="Lifetime: 30d, 12h or 90m (at most 365d).")
    ] = "30d",
    owner: Annotated[
        str | None, typer.Option("--for", help="Person the token is for (default: yourself).")
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="Limit the token to this API role (repeatable): viewer, submitter, approver, "
            "release-manager, admin or auditor. Default: every role of the person.",
        ),
    ] = None,
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a personal API token and print its secret once."""
    try:
        client = _main()._client()
        actor, _ = _main()._acting(client, identity)
        document = client.create_token(
            owner=owner,
            name=name,
            expires_in=_main()._parse_duration(expires_in),
            created_by=actor,
            roles=tuple(role or ()),
        )
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(document)
        return
    expires = datetime.fromisoformat(document["expires_at"])
    console.print(
        table(
            f"token {document['id']} created for {document['person']}",
            ["field", "value"],
            [["token", document["token"]], ["expires", expires.isoformat(timespec="minutes")]],
        )
    )
    console.print("Store the token now: releasegate keeps only its hash and cannot show it again.")


@token_app.command("list")
def token_list(
    person: Annotated[str | None, typer.Option(help="Only this person's tokens.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List tokens with their state (active, expired, revoked); never their secrets."""
    try:
        documents = _main()._client().list_tokens(person)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(documents)
        return
    console.print(
        table(
            "personal API tokens",
            ["id", "person", "name", "state", "created", "expires"],
            [
                [d["id"], d["person"], d["name"], d["state"], d["created_at"], d["expires_at"]]
                for d in documents
            ],
        )
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (tok-...).")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Revoke a token: it stops authenticating at once."""
    try:
        client = _main()._client()
        actor, _ = _main()._acting(client, identity)
        document = client.revoke_token(token_id, revoked_by=actor)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(document)
        return
    console.print(f"token {document['id']} of {document['person']} revoked")


# emergency records and reviews ---------------------------------------------


def record_command(
    release_id: str,
    *,
    kind: str,
    name: str,
    identity: str | None,
    environment: str | None,
    detail: str | None,
    output: OutputFormat,
) -> None:
    try:
        main = _main()
        client = main._client()
        actor, _ = main._acting(client, identity)
        document = client.record_attestation(
            release_id,
            kind=kind,
            name=name,
            identity=actor,
            environment=environment,
            detail=detail,
        )
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(document)
        return
    console.print(
        table(
            f"{kind.replace('_', ' ')} recorded for {release_id}",
            ["field", "value"],
            [[k, v] for k, v in document.items()],
        )
    )


def _styled_state(state: str) -> str:
    return styled("fail").replace("fail", state) if state == "overdue" else state


@review_app.command("list")
def review_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    state: Annotated[
        str | None,
        typer.Option(help="Only reviews in this state: open, overdue, completed, completed-late."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the post-release reviews of emergency changes with their deadlines.

    Exits 1 when any listed review is overdue, so a scheduled job can alert on it.
    """
    try:
        documents = _main()._client().list_reviews(service, state)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(documents)
    else:
        console.print(
            table(
                "post-release reviews",
                ["id", "release", "service", "requester", "deployed", "due", "state", "reviewer"],
                [
                    [
                        d["id"],
                        d["release_id"],
                        d["service"],
                        d["requester"],
                        d["deployed_at"],
                        d["due_at"],
                        _styled_state(d["state"]),
                        d["reviewer"] or "",
                    ]
                    for d in documents
                ],
            )
        )
    if any(d["state"] == "overdue" for d in documents):
        raise typer.Exit(1)


@review_app.command("complete")
def review_complete(
    review_id: Annotated[str, typer.Argument(help="Review id (rev-...).")],
    findings: Annotated[str, typer.Option(help="What the review found and the follow-ups.")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Record a post-release review, held by someone other than the change's authors."""
    try:
        client = _main()._client()
        actor, _ = _main()._acting(client, identity)
        document = client.complete_review(review_id, reviewer=actor, findings=findings)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(document)
        return
    console.print(
        f"review {document['id']} of {document['release_id']} recorded: {document['state']}"
    )
