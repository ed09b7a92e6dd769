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
    from releasegate.ledger.audit import BundleReport
    from releasegate.ledger.checkpoint import OpenedCheckpoint
    from releasegate.service.app import Application
    from releasegate.service.ledger import LogKeyStatus

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


def _application() -> Application:
    from releasegate.cli.main import _application as application

    return application()


def _fail(error: ReleasegateError) -> None:
    from releasegate.cli.main import _fail as fail

    fail(error)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _checkpoint_dict(opened: OpenedCheckpoint) -> dict[str, Any]:
    checkpoint = opened.checkpoint
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.size,
        "root_hash": _b64(checkpoint.root_hash),
        "log_keys": [s.key_id.hex() for s in opened.log_signatures],
        "cosignatures": [
            {"witness": s.name, "key_id": s.key_id.hex(), "timestamp": s.timestamp}
            for s in opened.cosignatures
        ],
        "note": opened.note,
    }


def _checkpoint_rows(opened: OpenedCheckpoint) -> list[list[Any]]:
    checkpoint = opened.checkpoint
    witnesses = ", ".join(f"{s.name} at {s.timestamp}" for s in opened.cosignatures)
    return [
        ["origin", checkpoint.origin],
        ["tree size", checkpoint.size],
        ["root hash", _b64(checkpoint.root_hash)],
        ["signed by", ", ".join(f"{s.name}+{s.key_id.hex()}" for s in opened.log_signatures)],
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

    from releasegate.service.ledger import verify

    try:
        application = _application()
        arguments: dict[str, Any] = {
            "checkpoint_file": checkpoint,
            "key_files": tuple(key or ()),
            "deep": deep,
        }
        if output is OutputFormat.JSON or not sys.stderr.isatty():
            report = verify(application, **arguments)
        else:
            with Progress(console=error_console, transient=True) as progress:
                task = progress.add_task("verifying ledger", total=None)
                report = verify(
                    application,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    **arguments,
                )
    except ReleasegateError as error:
        _fail(error)
        return
    checkpoint_info = report.checkpoint
    if output is OutputFormat.JSON:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.size,
                "root": report.root_hash,
                "checkpoint": None
                if checkpoint_info is None
                else {
                    "origin": checkpoint_info.origin,
                    "tree_size": checkpoint_info.size,
                    "root_hash": _b64(checkpoint_info.root_hash),
                    "log_keys": list(report.checkpoint_key_ids),
                },
                "auditor_checkpoint": None
                if report.auditor_checkpoint is None
                else {
                    "tree_size": report.auditor_checkpoint.size,
                    "root_hash": _b64(report.auditor_checkpoint.root_hash),
                },
                "deep": report.deep,
                "checks": list(report.checks),
                "problems": list(report.problems),
            }
        )
    elif report.ok:
        console.print(
            f"[green]ledger verified[/green]: {report.size} entries, root {report.root_hash}"
        )
        for check in report.checks:
            console.print(f"  ok {check}")
    else:
        console.print(f"[bold red]ledger verification failed[/bold red] ({report.size} entries)")
        for problem in report.problems:
            console.print(f"  - {problem}", markup=False)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)


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
    from releasegate.service.ledger import release_chain

    try:
        entries = release_chain(_application(), release_id)
    except ReleasegateError as error:
        _fail(error)
        return
    if output is OutputFormat.JSON:
        emit_json([{"index": e.index, "leaf_hash": e.leaf_hash, **e.body} for e in entries])
        return
    console.print(
        table(
            f"ledger entries of {release_id}",
            ["index", "recorded", "type", "summary", "leaf hash"],
            [
                [
                    e.index,
                    e.body["recorded_at"],
                    e.entry_type,
                    _entry_summary(e.body["data"]),
                    e.leaf_hash[:16],
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
    from releasegate.service.ledger import checkpoint

    try:
        _, opened = checkpoint(_application())
        if save is not None:
            save.write_text(opened.note, encoding="utf-8")
    except ReleasegateError as error:
        _fail(error)
        return
    except OSError as error:
        error_console.print(f"error: cannot write {save} ({error.strerror})")
        raise typer.Exit(2) from error
    if output is OutputFormat.JSON:
        emit_json(_checkpoint_dict(opened))
        return
    console.print(table("ledger checkpoint", ["field", "value"], _checkpoint_rows(opened)))
    sys.stdout.write(opened.note)


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
    the last one it cosigned.
    """
    from releasegate.service.ledger import cosign

    try:
        result = cosign(_application(), key)
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
    from releasegate.service.ledger import prove_inclusion

    try:
        result = prove_inclusion(_application(), entry, checkpoint_file=checkpoint)
    except ReleasegateError as error:
        _fail(error)
        return
    proof = [_b64(h) for h in result.proof]
    data: dict[str, Any] = {
        "index": result.index,
        "type": result.entry_type,
        "tree_size": result.checkpoint.checkpoint.size,
        "leaf_hash": _b64(result.leaf_hash),
        "proof": [_b64(h) for h in result.proof],
        "root_hash": _b64(result.checkpoint.checkpoint.root_hash),
        "verified": True,
        "checkpoint": result.checkpoint.note,
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"inclusion proof of entry {result.index} (verified)",
            ["field", "value"],
            [
                ["entry", f"{result.index} ({result.entry_type})"],
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
    from releasegate.service.ledger import prove_consistency

    try:
        result = prove_consistency(_application(), old, new)
    except ReleasegateError as error:
        _fail(error)
        return
    data = {
        "old": {
            "tree_size": result.old.size,
            "root_hash": _b64(result.old.root_hash),
            "source": result.old.source,
        },
        "new": {
            "tree_size": result.new.size,
            "root_hash": _b64(result.new.root_hash),
            "source": result.new.source,
        },
        "proof": [_b64(h) for h in result.proof],
        "verified": True,
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"consistency proof from {result.old.size} to {result.new.size} entries (verified)",
            ["field", "value"],
            [
                [
                    "old tree",
                    f"{result.old.size} entries, root {_b64(result.old.root_hash)} "
                    f"({result.old.source})",
                ],
                [
                    "new tree",
                    f"{result.new.size} entries, root {_b64(result.new.root_hash)} "
                    f"({result.new.source})",
                ],
                [
                    "proof",
                    "\n".join(_b64(h) for h in result.proof) or "(empty: the trees are equal)",
                ],
            ],
        )
    )


# ledger key ---------------------------------------------------------------


def _print_key_status(status: LogKeyStatus, title: str, output: OutputFormat) -> None:
    data = {
        "origin": status.origin,
        "key_id": status.key_id,
        "verifier_key": status.verifier_key,
        "public_key_file": str(status.public_key_file),
        "key_history": list(status.key_ids),
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            title,
            ["field", "value"],
            [
                ["origin", status.origin],
                ["key ID", status.key_id],
                ["public key", status.verifier_key],
                ["public key file", str(status.public_key_file)],
                ["all log keys", ", ".join(status.key_ids)],
            ],
        )
    )


@key_app.command("show")
def key_show(output: OutputOption = OutputFormat.TABLE) -> None:
    """Show the log's origin, current key and every earlier key."""
    from releasegate.service.ledger import key_status

    try:
        status = key_status(_application())
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
    from releasegate.service.ledger import rotate_key

    try:
        status = rotate_key(_application(), reason=reason)
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
    """Create a witness key pair for 'releasegate ledger cosign'."""
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
    from releasegate.service.audit import export_bundle

    try:
        summary = export_bundle(_application(), release_id, bundle)
    except ReleasegateError as error:
        _fail(error)
        return
    data = {
        "bundle": str(summary.path),
        "release_id": summary.release_id,
        "entries": list(summary.entries),
        "tree_size": summary.tree_size,
        "root_hash": summary.root_hash,
        "blobs": summary.blobs,
        "policy_files": summary.policy_files,
        "files": summary.files,
    }
    if output is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(
        table(
            f"audit bundle of {summary.release_id}",
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

    Runs the same code as 'python -m releasegate.ledger.audit verify'.
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
