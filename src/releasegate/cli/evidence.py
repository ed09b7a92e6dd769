"""Evidence commands that need no release: inspect a file, scan for secrets, verify commits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, table
from releasegate.errors import ReleasegateError

if TYPE_CHECKING:
    from releasegate.evidence.interface import Facts, VerificationContext

scan_app = typer.Typer(
    help="Scan files before attaching the result as evidence.", no_args_is_help=True
)

KeyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--key",
        help="PEM public key that signatures may verify under (repeat for several). "
        "Policy decides which key ids are trusted.",
    ),
]
TrustedRootOption = Annotated[
    Path | None,
    typer.Option(
        "--trusted-root",
        help="Pinned Sigstore trusted_root.json for offline bundle verification.",
    ),
]
_OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]


def verification_context(keys: list[Path] | None, trusted_root: Path | None) -> VerificationContext:
    """Build the verification context from --key and --trusted-root options."""
    from releasegate.evidence.interface import VerificationContext, load_public_key

    return VerificationContext(
        keys=tuple(load_public_key(path) for path in keys or []), trusted_root=trusted_root
    )


def _fail(error: ReleasegateError, output: OutputFormat) -> None:
    from releasegate.cli.main import _fail as fail

    fail(error, output)


def _checks_of(facts: Facts) -> list[Any]:
    from releasegate.model.integrity import ArtifactSignatureFacts, ProvenanceFacts

    if isinstance(facts, ArtifactSignatureFacts | ProvenanceFacts):
        return list(facts.checks)
    return []


def inspect_command(
    path: Annotated[Path, typer.Argument(help="Evidence file of any supported format.")],
    format: Annotated[
        str | None, typer.Option("--format", help="Force a format instead of detecting it.")
    ] = None,
    key: KeyOption = None,
    trusted_root: TrustedRootOption = None,
    output: _OutputOption = OutputFormat.TABLE,
) -> None:
    """Print the normalized facts the gate reads from a file, without a release.

    Exits 1 when a signature or provenance check fails, 2 for a file that cannot be read.
    """
    from releasegate.documents import MAX_DOCUMENT_BYTES, read_bytes
    from releasegate.evidence.detect import parse_evidence, parse_large_evidence
    from releasegate.evidence.facts import kind_of, summarize

    try:
        context = verification_context(key, trusted_root)
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_DOCUMENT_BYTES:
            detected, facts = parse_large_evidence(path, size=size, format=format)
        else:
            raw = read_bytes(path, what="evidence file")
            detected, facts = parse_evidence(
                raw, source=str(path), format=format, context=context
            )
    except ReleasegateError as error:
        _fail(error, output)
        return
    checks = _checks_of(facts)
    failed = [check for check in checks if not check.passed]
    if output is OutputFormat.JSON:
        emit_json(
            {
                "file": str(path),
                "format": detected,
                "kind": kind_of(facts).value,
                "summary": summarize(facts),
                "facts": facts.model_dump(mode="json"),
            }
        )
    else:
        console.print(
            table(
                f"{path.name}: {detected} ({kind_of(facts).value})",
                ["fact", "value"],
                [[name, value] for name, value in summarize(facts).items()],
            )
        )
        if checks:
            console.print(
                table(
                    "checks",
                    ["check", "result", "detail"],
                    [[c.name, "pass" if c.passed else "FAIL", c.detail] for c in checks],
                )
            )
        for warning in getattr(facts, "warnings", ()):
            console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def verify_commits_command(
    repository: Annotated[Path, typer.Argument(help="Git repository (working tree).")],
    revisions: Annotated[
        list[str], typer.Argument(help="Commits or ranges to check, for example main..HEAD.")
    ],
    allowed_signers: Annotated[
        Path | None,
        typer.Option("--allowed-signers", help="SSH allowed-signers file of trusted signers."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the commit-signatures report to this file."),
    ] = None,
    output: _OutputOption = OutputFormat.TABLE,
) -> None:
    """Check commit signatures with git and write a report to attach as evidence.

    Exits 1 when a commit's signature does not verify.
    """
    from releasegate.evidence.git_signatures import verify_commits
    from releasegate.evidence.records import COMMIT_SIGNATURES_TYPE

    try:
        result = verify_commits(repository, revisions, allowed_signers=allowed_signers)
    except ReleasegateError as error:
        _fail(error, output)
        return
    document = {
        "_type": COMMIT_SIGNATURES_TYPE,
        "repository": result.repository,
        "commits": [c.model_dump(mode="json") for c in result.commits],
    }
    if report is not None:
        report.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if output is OutputFormat.JSON:
        emit_json(document)
    else:
        console.print(
            table(
                "commit signatures",
                ["commit", "verified", "signer", "method", "detail"],
                [[c.commit[:12], c.verified, c.signer, c.method, c.detail] for c in result.commits],
            )
        )
    if not all(c.verified for c in result.commits):
        raise typer.Exit(1)


@scan_app.command("secrets")
def scan_secrets(
    path: Annotated[Path, typer.Argument(help="Folder or file to scan.")],
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write a detect-secrets baseline (hashes only) here."),
    ] = None,
    output: _OutputOption = OutputFormat.TABLE,
) -> None:
    """Scan files for secrets with detect-secrets; never prints a secret.

    Exits 1 when a secret is found. Attach the --report file to a release with
    `releasegate evidence add RELEASE FILE --commit COMMIT`.
    """
    from releasegate.evidence.secrets import scan_path

    try:
        document, scan = scan_path(path)
    except ReleasegateError as error:
        _fail(error, output)
        return
    if report is not None:
        report.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    rows = [[f.location, f.line, f.rule_id, f.fingerprint] for f in scan.findings]
    if output is OutputFormat.JSON:
        emit_json(
            {
                "path": str(path),
                "findings": [
                    {
                        "location": f.location,
                        "line": f.line,
                        "rule_id": f.rule_id,
                        "fingerprint": f.fingerprint,
                    }
                    for f in scan.findings
                ],
            }
        )
    else:
        console.print(
            table(
                f"secrets found under {path}: {len(rows)}",
                ["file", "line", "type", "fingerprint"],
                rows,
            )
        )
    if scan.findings:
        raise typer.Exit(1)
