"""Commands that change releasegate's own policy layers, identities and catalog."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from releasegate.cli.identity import AsOption, OutputOption, _fail, _main
from releasegate.cli.output import OutputFormat, console, emit_json, table
from releasegate.errors import ReleasegateError

governance_app = typer.Typer(
    help="Propose and approve changes to policy layers, identities and the catalog.",
    no_args_is_help=True,
)


@governance_app.command("propose")
def governance_propose(
    target: Annotated[
        Path, typer.Argument(help="Governed file, e.g. policies/enterprise/data.yaml.")
    ],
    content: Annotated[Path, typer.Option("--file", help="File with the proposed new content.")],
    reason: Annotated[str, typer.Option(help="Why the change is needed.")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Propose a change; another admin must approve it before it is in force."""
    try:
        client = _main()._client()
        who, _ = _main()._acting(client, identity)
        proposal = client.propose_change(target, content, proposer=who, reason=reason)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(proposal)
        return
    console.print(
        f"proposal {proposal['id']} for {proposal['target']} recorded; awaiting an admin"
    )
    console.print(proposal["diff"], markup=False, highlight=False)


def _decide(proposal_id: str, identity: str | None, approve: bool, output: OutputFormat) -> None:
    try:
        client = _main()._client()
        who, _ = _main()._acting(client, identity)
        proposal = client.decide_proposal(proposal_id, approver=who, approve=approve)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(proposal)
        return
    console.print(f"proposal {proposal['id']} {proposal['status']} by {proposal['approver']}")


@governance_app.command("approve")
def governance_approve(
    proposal_id: Annotated[str, typer.Argument(help="Proposal id (gov-...).")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Approve a proposal and write the file; the proposer may not approve."""
    _decide(proposal_id, identity, True, output)


@governance_app.command("reject")
def governance_reject(
    proposal_id: Annotated[str, typer.Argument(help="Proposal id (gov-...).")],
    identity: AsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Reject a proposal; the file stays as it is."""
    _decide(proposal_id, identity, False, output)


@governance_app.command("list")
def governance_list(
    status: Annotated[
        str | None, typer.Option(help="Only proposals in this status: proposed, applied, rejected.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List proposals with who proposed and decided them."""
    try:
        proposals = _main()._client().list_proposals(status)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if output is OutputFormat.JSON:
        emit_json(proposals)
        return
    console.print(
        table(
            "governance proposals",
            ["id", "target", "status", "proposer", "approver", "proposed", "reason"],
            [
                [
                    p["id"],
                    p["target"],
                    p["status"],
                    p["proposer"],
                    p["approver"] or "",
                    datetime.fromisoformat(p["proposed_at"]).isoformat(timespec="minutes"),
                    p["reason"],
                ]
                for p in proposals
            ],
        )
    )
