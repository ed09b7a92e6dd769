"""The `releasegate ledger` and `releasegate audit` commands.

Exit codes follow the main command: 0 done or verified, 1 a failed check
(a signature, hash or proof that does not verify), 2 a usage or input error.
Service modules, SQLAlchemy and cryptography are imported inside each command.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, error_console, table
from releasegate.errors import ReleasegateError

if TYPE_CHECKING:
    from releasegate.client.interface import Client
    from releasegate.ledger.audit import BundleReport
    from releasegate.service.app import Application

EXIT_OK = 0
EXIT_FAILED = 1

ledger_app = typer.Typer(help="Verify, prove and sign the ledger.", no_args_is_help=True)
proof_app = typer.Typer(help="Inclusion and consistency proofs.", no_args_is_help=True)
key_app = typer.Typer(help="Log and witness keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Export and verify offline audit bundles.", no_args_is_help=True)
ledger_app.add_typer(proof_app, name="proof")
ledger_app.add_typer(key_app, name="key")

OutputOption = Annotated[OutputFormat, typer.Option("--output", help="Print a table or JSON.")]
CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint", help="A checkpoint file kept earlier (a signed note).", dir_okay=False
    ),
]


def _application(reason: str) -> Application:
    """Return the in-process application of a command that cannot run over HTTP."""
    from releasegate.cli.main import _application as application

    return application(reason=reason)


def _client() -> Client:
    from releasegate.cli.main import _client as client

    return client()


def _fail(error: ReleasegateError) -> None:
    from releasegate.cli.main import _fail as fail

    fail(error)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _checkpoint_rows(document: dict[str, Any]) -> list[list[Any]]:
    witnesses = ", ".join(f"{c['witness']} at {c['timestamp']}" for c in document["cosignatures"])
    origin = document["origin"]
    return [
        ["origin", origin],
        ["tree size", document["tree_size"]],
        ["root hash", document["root_hash"]],
        ["signed by", ", ".join(f"{origin}+{key}" for key in document["log_keys"])],
        ["cosigned by", witnesses or "(no witness)"],
    ]


# ledger verify ------------------------------------------------------------


@ledger_app.command("verify")
def ledger_verify(
    checkpoint: CheckpointOption = None,
    key: Annotated[
        list[Path] | None,
        typer.Option(
            "--key", help="Trust only this log public key file (repeatable).", dir_okay=False
        ),
    ] = None,
    deep: Annotated[
        bool,
        typer.Option(
            help="Also re-canonicalize every entry and check every stored checkpoint (slower)."
        ),
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Check every entry, tile and root against the newest signed checkpoint (exit 1 on a problem).

    With --checkpoint, also check that the log still extends a checkpoint kept
    outside the database, which detects truncation and rewriting.
    """
    from rich.progress import Progress

    try:
        client = _client()
        arguments: dict[str, Any] = {
            "checkpoint_file": checkpoint,
            "key_files": tuple(key or ()),
            "deep": deep,
        }
        if output is OutputFormat.JSON or not sys.stderr.isatty():
            report = client.verify_ledger(**arguments)
        else:
            with Progress(console=error_console, transient=True) as progress:
                task = progress.add_task("verifying ledger", total=None)
                report = client.verify_ledger(
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    **arguments,
                )
    except ReleasegateError as error:
        _fail(error)
        return
    if output is OutputFormat.JSON:
        emit_json(report)
    elif report["ok"]:
        console.print(
            f"[green]ledger verified[/green]: {report['entries']} entries, root {report['root']}"
        )
        for check in report["checks"]:
            console.print(f"  ok {check}")
    else:
        console.print(
            f"[bold red]ledger verification failed[/bold red] ({report['entries']} entries)"
        )
        for problem in report["problems"]:
            console.print(f"  - {problem}", markup=False)
    raise typer.Exit(EXIT_OK if report["ok"] else EXIT_FAILED)


# ledger show --------------------------------------------------------------


def _entry_summary(data: dict[str, Any]) -> str:
    keys = (
        "version",
        "filename",
        "approver",
        "decision",
        "outcome",
        "control_id",
        "exception_id",
        "risk_tier",
        "key_id",
    )
    return ", ".join(f"{k}={data[k]}" for k in keys if data.get(k) is not None)


@ledger_app.command("show")
def ledger_show(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Print the chain of ledger entries of one release."""
    try:
        entries = _client().ledger_chain(release_id)
    except ReleasegateError as error:
        _fail(error)
        return
    if output is OutputFormat.JSON:
        emit_json(entries)
        return
    console.print(
        table(
            f"ledger entries of {release_id}",
            ["index", "recorded", "type", "summary", "leaf hash"],
            [
                [
                    e["index"],
                    e["recorded_at"],
                    e["type"],
                    _entry_summary(e["data"]),
                    e["leaf_hash"][:16],
                ]
                for e in entries
            ],
        )
    )


# ledger checkpoint and cosign --------------------------------------------


@ledger_app.command("checkpoint")
def ledger_checkpoint(
    save: Annotated[
        Path | None,
        typer.Option(
            "--save", help="Also write the signed checkpoint to this file.", dir_okay=False
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Sign a checkpoint of the current tree (unless the newest one covers it) and print it."""
    try:
        document = _client().sign_checkpoint()
        if save is not None:
            save.write_text(document["note"], encoding="utf-8")
    except ReleasegateError as error:
        _fail(error)
        return
    except OSError as error:
        error_console.print(f"error: cannot write {save} ({error.strerror})")
        raise typer.Exit(2) from error
    if output is OutputFormat.JSON:
        emit_json(document)
        return
    console.print(table("ledger checkpoint", ["field", "value"], _checkpoint_rows(document)))
    sys.stdout.write(document["note"])


@ledger_app.command("cosign")
def ledger_cosign(
    key: Annotated[
        Path,
        typer.Option("--key", help="The witness private key file (mode 0600).", dir_okay=False),
    ],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Cosign the newest checkpoint as a witness (C2SP tlog-cosignature, type 0x04).

    The witness first checks the log signature and that the checkpoint extends
    the last one it cosigned. Runs only in process: the witness's private key
    stays on its machine, so the command refuses when RELEASEGATE_URL is set.
    """
    from releasegate.service.ledger import cosign

    try:
        result = cosign(
            _application("the witness signs with its private key, which stays on its machine"),
            key,
        )
    except ReleasegateError as error:
        _fail(error)
        return
    checkpoint = result.checkpoint
    data = {
        "witness": result.witness.name,
        "key_id": result.witness.key_id_hex,
        "timestamp": result.timestamp,
        "tree_size": checkpoint.size,
        "root_hash": _b64(checkpoint.root_hash),
        "previous_tree_size": result.previous_size,
        "note": result.note,
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            "checkpoint cosigned",
            ["field", "value"],
            [[k.replace("_", " "), v] for k, v in data.items() if k != "note"],
        )
    )
    sys.stdout.write(result.note)


# ledger proof -------------------------------------------------------------


@proof_app.command("inclusion")
def proof_inclusion(
    entry: Annotated[int, typer.Argument(help="Ledger entry index (from 0).", min=0)],
    checkpoint: CheckpointOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Prove that an entry is in the log, against the newest or a given checkpoint."""
    try:
        data = _client().inclusion_proof(entry, checkpoint_file=checkpoint)
    except ReleasegateError as error:
        _fail(error)
        return
    proof = data["proof"]
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"inclusion proof of entry {data['index']} (verified)",
            ["field", "value"],
            [
                ["entry", f"{data['index']} ({data['type']})"],
                ["leaf hash", data["leaf_hash"]],
                ["tree size", data["tree_size"]],
                ["root hash", data["root_hash"]],
                ["proof", "\n".join(proof) or "(empty: the tree has one entry)"],
            ],
        )
    )


@proof_app.command("consistency")
def proof_consistency(
    old: Annotated[str, typer.Argument(help="Older tree: a size or a checkpoint file.")],
    new: Annotated[str, typer.Argument(help="Newer tree: a size or a checkpoint file.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Prove that the newer tree extends the older one (RFC 9162 consistency proof)."""
    try:
        data = _client().consistency_proof(old, new)
    except ReleasegateError as error:
        _fail(error)
        return
    older, newer = data["old"], data["new"]
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"consistency proof from {older['tree_size']} to {newer['tree_size']} entries "
            "(verified)",
            ["field", "value"],
            [
                [
                    "old tree",
                    f"{older['tree_size']} entries, root {older['root_hash']} ({older['source']})",
                ],
                [
                    "new tree",
                    f"{newer['tree_size']} entries, root {newer['root_hash']} ({newer['source']})",
                ],
                ["proof", "\n".join(data["proof"]) or "(empty: the trees are equal)"],
            ],
        )
    )


# ledger key ---------------------------------------------------------------


def _print_key_status(data: dict[str, Any], title: str, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            title,
            ["field", "value"],
            [
                ["origin", data["origin"]],
                ["key ID", data["key_id"]],
                ["public key", data["verifier_key"]],
                ["public key file", data["public_key_file"]],
                ["all log keys", ", ".join(data["key_history"])],
            ],
        )
    )


@key_app.command("show")
def key_show(output: OutputOption = OutputFormat.TABLE) -> None:
    """Show the log's origin, current key and every earlier key."""
    try:
        status = _client().ledger_key()
    except ReleasegateError as error:
        _fail(error)
        return
    _print_key_status(status, "ledger key", output)


@key_app.command("rotate")
def key_rotate(
    reason: Annotated[
        str | None, typer.Option(help="Why the key is rotated (recorded in the ledger).")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Replace the log key; old public keys stay valid for older checkpoints."""
    try:
        status = _client().rotate_ledger_key(reason=reason)
    except ReleasegateError as error:
        _fail(error)
        return
    _print_key_status(status, "ledger key rotated", output)


@key_app.command("create-witness")
def key_create_witness(
    name: Annotated[
        str, typer.Argument(help="Witness name, a schema-less URL such as audit.example/witness.")
    ],
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", help="Folder for NAME.key (mode 0600) and NAME.pub.", file_okay=False
        ),
    ] = Path("."),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a witness key pair for 'releasegate ledger cosign'.

    Writes only local files, also when RELEASEGATE_URL is set.
    """
    from releasegate.service.ledger import create_witness_key

    try:
        private_path, public_path, verifier = create_witness_key(name, directory)
    except ReleasegateError as error:
        _fail(error)
        return
    data = {
        "name": verifier.name,
        "key_id": verifier.key_id_hex,
        "verifier_key": verifier.to_text(),
        "private_key_file": str(private_path),
        "public_key_file": str(public_path),
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            "witness key created",
            ["field", "value"],
            [[k.replace("_", " "), v] for k, v in data.items()],
        )
    )


# audit --------------------------------------------------------------------


@audit_app.command("export")
def audit_export(
    release_id: Annotated[str, typer.Argument(help="Release id.")],
    bundle: Annotated[
        Path, typer.Option("--out", "-o", help="Bundle file to write (.zip).", dir_okay=False)
    ],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Write a release's offline audit bundle: entries, proofs, blobs, policy files and report."""
    try:
        summary = _client().export_bundle(release_id, bundle)
    except ReleasegateError as error:
        _fail(error)
        return
    data = {"bundle": str(bundle), **summary}
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"audit bundle of {summary['release_id']}",
            ["field", "value"],
            [[k.replace("_", " "), v] for k, v in data.items()],
        )
    )


def _print_bundle_report(report: BundleReport) -> None:
    rows = [
        ["[green]ok[/green]" if r.ok else "[bold red]FAIL[/bold red]", r.check, r.file, r.detail]
        for r in report.results
    ]
    console.print(table(f"audit bundle {report.path}", ["result", "check", "file", "detail"], rows))
    from releasegate.ledger.audit import format_report

    summary = format_report(report).rstrip("\n").split("\n\n")[-1]
    console.print(summary, markup=False)


@audit_app.command("verify")
def audit_verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle .zip file.", dir_okay=False)],
    key: Annotated[
        list[Path] | None,
        typer.Option(
            "--key",
            help="The log's public key file from its operator (repeatable).",
            dir_okay=False,
        ),
    ] = None,
    witness_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--witness-key",
            help="A witness public key that must have cosigned (repeatable).",
            dir_okay=False,
        ),
    ] = None,
    insecure_trust_bundle_key: Annotated[
        bool,
        typer.Option(
            "--insecure-trust-bundle-key",
            help="Accept the bundle's own log key when no --key is given (integrity only).",
        ),
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Check every hash, proof and signature of an audit bundle, offline; exit 1 on any failure.

    Runs the same code as 'python -m releasegate.ledger.audit verify', in
    process also when RELEASEGATE_URL is set: an auditor verifies without
    trusting the server.
    """
    from releasegate.ledger.audit import exit_code, read_key_files, verify_bundle

    try:
        trusted = read_key_files([str(p) for p in key or ()])
        witnesses = read_key_files([str(p) for p in witness_key or ()])
        report = verify_bundle(bundle, trusted_keys=trusted, witness_keys=witnesses)
    except ReleasegateError as error:
        _fail(error)
        return
    if output is OutputFormat.JSON:
        emit_json(report.to_dict())
    else:
        _print_bundle_report(report)
    raise typer.Exit(exit_code(report, trust_bundle_key=insecure_trust_bundle_key))
