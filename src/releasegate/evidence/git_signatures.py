"""Verify git commit signatures (SSH, OpenPGP, X.509) with git itself.

git checks SSH signatures against an allowed-signers file (`gpg.ssh.allowedSignersFile`)
and OpenPGP signatures against the keyring of GNUPGHOME. A commit counts as verified
only when git reports a good signature from a known signer (`%G?` = `G`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from releasegate.evidence.interface import EvidenceError
from releasegate.model.integrity import CommitSignature, CommitSignatureReport

_STATUS = {
    "G": "good signature from a known signer",
    "B": "bad signature",
    "U": "good signature from an untrusted key (not in the allowed signers or not trusted "
    "in the keyring)",
    "X": "good signature that has expired",
    "Y": "good signature made by an expired key",
    "R": "good signature made by a revoked key",
    "E": "signature cannot be checked (key missing or signer not allowed)",
    "N": "no signature",
}
_METHODS = {
    "-----BEGIN SSH SIGNATURE-----": "ssh",
    "-----BEGIN PGP SIGNATURE-----": "openpgp",
    "-----BEGIN SIGNED MESSAGE-----": "x509",
}
_TIMEOUT_SECONDS = 60
_SUBCOMMANDS = ("rev-list", "log", "cat-file")


def verify_commits(
    repository: Path,
    revisions: list[str],
    *,
    allowed_signers: Path | None = None,
) -> CommitSignatureReport:
    """Check the signature of every commit the revisions name (ranges such as A..B work).

    Raises EvidenceError when the folder is not a git repository, a revision is
    unknown, or the allowed-signers file is missing.
    """
    if allowed_signers is not None and not allowed_signers.is_file():
        raise EvidenceError(
            "allowed-signers file not found",
            source=str(allowed_signers),
            hint="Pass the file that lists each trusted signer's principal and SSH public key.",
        )
    config = ["-c", "log.showSignature=false"]
    if allowed_signers is not None:
        config += ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers.resolve()}"]

    # Each revision is listed on its own: in one rev-list call, "A..B" would also
    # exclude a commit A named as a separate revision.
    commits: list[str] = []
    for revision in revisions:
        listed = _git(repository, [*config, "rev-list", "--no-walk=unsorted", revision])
        commits.extend(c for c in listed.split() if c not in commits)
    if not commits:
        raise EvidenceError(
            "the revisions name no commits",
            source=str(repository),
            field=" ".join(revisions),
            hint="Pass a commit id or a range such as main..HEAD.",
        )
    results = []
    for commit in commits:
        line = _git(repository, [*config, "log", "-1", "--format=%G?%x1f%GS%x1f%GK", commit])
        status, signer, key = [*line.rstrip("\n").split("\x1f"), "", "", ""][:3]
        raw = _git(repository, ["cat-file", "commit", commit])
        method = next((name for marker, name in _METHODS.items() if marker in raw), None)
        results.append(
            CommitSignature(
                commit=commit,
                verified=status == "G",
                signer=signer or None,
                key_id=key or None,
                method=method,
                detail=_STATUS.get(status, f"unknown status {status!r}"),
            )
        )
    return CommitSignatureReport(
        format="commit-signatures", repository=str(repository), commits=tuple(results)
    )


def _git(repository: Path, arguments: list[str]) -> str:
    try:
        completed = subprocess.run(
            ["git", "-C", str(repository), *arguments],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise EvidenceError(
            "git is not installed",
            source=str(repository),
            hint="Install git to verify commit signatures.",
        ) from None
    if completed.returncode != 0:
        raise EvidenceError(
            f"git {next(a for a in arguments if a in _SUBCOMMANDS)} failed: "
            f"{completed.stderr.strip()}",
            source=str(repository),
            hint="Check that the folder is a git repository and the revisions exist in it.",
        )
    return completed.stdout
